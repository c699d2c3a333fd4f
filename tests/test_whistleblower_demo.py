"""The demo's whistleblower reports: one in each state, the logged identity views."""

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from waterdesk.complaints.models import ReporterIdentityView, ReportStatus
from waterdesk.complaints.report_selectors import report_public_status
from waterdesk.core.roles import Role
from waterdesk.demo.whistleblower import seed_whistleblower

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_report_in_each_state():
    staff = {
        "clerk1": UserFactory(username="clerk1", role=Role.INTAKE_CLERK),
        "complaint1": UserFactory(username="complaint1", role=Role.COMPLAINT_HANDLER),
        "supervisor1": UserFactory(username="supervisor1", role=Role.SUPERVISOR),
    }
    seeded = seed_whistleblower(staff=staff, now=timezone.now())
    cases = seeded["cases"]
    assert {state: case.status for state, case in cases.items()} == {
        status: status for status in ReportStatus.values
    }
    assert cases["received"].report.identity.is_anonymous
    assert not cases["investigating"].report.identity.is_anonymous
    assert list(
        ReporterIdentityView.objects.order_by("at").values_list("user__username", "granted")
    ) == [("supervisor1", True), ("clerk1", False)]
    found = report_public_status(seeded["codes"]["feedback_given"])
    assert found.feedback.startswith("经核查部分属实")

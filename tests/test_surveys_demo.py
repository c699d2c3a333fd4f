"""The demo's surveys (``waterdesk.demo.surveys``): the closed demo cases surveyed and
answered, periodic surveys in the past months, one link waiting, one open follow-up."""

from datetime import datetime

import pytest
import time_machine

from tests.factories import AccountFactory, CustomerFactory, DepartmentFactory, UserFactory
from tests.surveys_support import LINK
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.demo.inquiries import seed_inquiries
from waterdesk.demo.surveys import seed_surveys
from waterdesk.surveys.models import Survey
from waterdesk.surveys.selectors import survey_scores_by_department, survey_scores_by_month
from waterdesk.surveys.services import survey_find

pytestmark = pytest.mark.django_db

SEED_AT = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


def test_the_demo_surveys(zone):
    business = DepartmentFactory(code="business", name="营业部")
    DepartmentFactory(code="engineering", name="工程部")
    clerk = UserFactory(username="clerk1", role=Role.INTAKE_CLERK, department=business)
    UserFactory(username="billing1", role=Role.BILLING_CLERK, department=business)
    supervisor = UserFactory(username="supervisor1", role=Role.SUPERVISOR)
    for n in range(3):
        CustomerFactory(mobile=f"1390571000{n}")
    for _ in range(50):  # enough for four samples of 12 that leave out the recent ones
        AccountFactory()
    with time_machine.travel(SEED_AT, tick=False):
        seed_inquiries(clerk=clerk, now=SEED_AT)
        seeded = seed_surveys(staff={"supervisor1": supervisor}, now=SEED_AT)

    token = LINK.search(seeded["link"]).group(1)
    assert survey_find(token).answered_at is None
    follow_up = Case.objects.get(number=seeded["follow_up"])
    assert (follow_up.kind, follow_up.status) == ("feedback", "open")
    assert follow_up.feedback.survey.score == 1
    # The two inquiries answered to a mobile: one answered (low), one waiting; and four
    # months of periodic surveys, three in four answered.
    assert Survey.objects.filter(case__isnull=False).count() == 2
    assert seeded["answered"] == Survey.objects.answered().count() == 1 + 4 * 9
    assert [row.label for row in survey_scores_by_department()] == ["营业部"]
    assert [row.label for row in survey_scores_by_month()] == [
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]

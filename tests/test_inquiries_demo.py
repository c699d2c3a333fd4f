"""The demo's inquiries (``waterdesk.demo.inquiries``): each state a desk meets, reached
through the services at its own moment, with the deadlines on the working-day calendar."""

from datetime import datetime

import pytest
import time_machine

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.demo.inquiries import seed_inquiries
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

# A Friday morning, as in the demo command's test; Tuesday to Thursday before it are worked.
SEED_AT = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


def test_the_demo_inquiries(zone):
    business = DepartmentFactory(code="business", name="营业部")
    DepartmentFactory(code="engineering", name="工程部")
    clerk = UserFactory(username="clerk1", role=Role.INTAKE_CLERK, department=business)
    billing = UserFactory(username="billing1", role=Role.BILLING_CLERK, department=business)
    customers = [CustomerFactory(mobile=f"1390571000{n}") for n in range(3)]

    with time_machine.travel(SEED_AT, tick=False):
        cases = seed_inquiries(clerk=clerk, now=SEED_AT)

    rows = [
        (case.number, case.status, case.inquiry.category.code, case.department.code)
        for case in cases
    ]
    assert rows == [
        ("ZX-20261124-0001", "awaiting_answer", "outage", "engineering"),
        ("ZX-20261125-0001", "answered", "other", "business"),
        ("ZX-20261125-0002", "answered", "billing", "business"),
        ("ZX-20261126-0001", "answered", "billing", "business"),
        ("ZX-20261126-0002", "converted", "connection", "engineering"),
        ("ZX-20261127-0001", "awaiting_answer", "water_quality", "engineering"),
    ]
    overdue, emailed, answered_later, at_counter, converted, waiting = cases
    # Overdue: due on Wednesday, still running on Friday.
    clock = overdue.clocks.get()
    assert (clock.state, clock.due_at) == (
        "running",
        datetime(2026, 11, 25, 17, 30, tzinfo=LOCAL_TZ),
    )
    assert clock.due_at < SEED_AT
    # Within its deadline: end of business on Monday.
    assert waiting.clocks.get().due_at == datetime(2026, 11, 30, 17, 30, tzinfo=LOCAL_TZ)
    # Answered by the billing office the next morning, by SMS to the customer's mobile.
    detail = answered_later.inquiry
    assert (detail.answered_by, detail.answered_at, detail.answer_channel) == (
        billing,
        datetime(2026, 11, 26, 9, 40, tzinfo=LOCAL_TZ),
        "sms",
    )
    assert answered_later.clocks.get().state == "met"
    assert list(
        Notification.objects.filter(
            case=answered_later, template_key="inquiry.answered"
        ).values_list("channel", "recipient_address")
    ) == [("sms", customers[0].mobile)]
    assert list(
        Notification.objects.filter(case=emailed, template_key="inquiry.answered").values_list(
            "channel", "recipient_address"
        )
    ) == [("email", "qian.demo@example.com")]
    assert at_counter.inquiry.answer_channel == "on_the_spot"
    application = converted.inquiry.converted_to
    assert (application.kind, application.status, application.customer) == (
        "new_connection",
        "registered",
        customers[2],
    )
    assert application.summary == "新买的商铺要通水，需要办什么手续？"
    assert list(
        InquiryCategory.objects.order_by("position").values_list("code", "department__code")
    ) == [
        ("billing", "business"),
        ("connection", "engineering"),
        ("water_quality", "engineering"),
        ("outage", "engineering"),
        ("other", None),
    ]
    assert Case.objects.filter(kind="inquiry").count() == 6

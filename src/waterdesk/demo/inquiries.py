"""The demo's inquiries (业务咨询): a handful as a desk finds them on a working day — one
answered at the counter, one waiting within its deadline, one overdue, one answered by the
billing office the day after (its SMS in the outbox), one e-mail answered by e-mail, and one
turned into a new-connection application (converted, 转办). Every step goes through the
services at its own moment (``at``); the dates are counted back from ``now`` on the
working-day calendar, so the deadlines come out the same whatever day the demo is loaded.

The categories are routed to the demo city's departments when they exist (billing to the
business office, connection, water quality and outages to engineering).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model

from waterdesk.applications.models import ApplicationKind
from waterdesk.applications.new_connection import new_connection_register
from waterdesk.applications.selectors import materials_required
from waterdesk.cases.models import Case, Channel
from waterdesk.core.models import Department
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Customer, CustomerKind, SupplyZone
from waterdesk.demo.clock import at
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.inquiries.services import inquiry_answer, inquiry_register
from waterdesk.sla.calendar import WorkingCalendar, load_calendar

# category code -> the demo city's department that answers it
CATEGORY_DEPARTMENTS = {
    "billing": "business",
    "connection": "engineering",
    "water_quality": "engineering",
    "outage": "engineering",
}


def seed_inquiries(*, clerk, now: datetime) -> list[Case]:
    """Create the demo inquiries through the services, with ``clerk`` (an intake clerk) at
    the counter and on the phone; answers later come from a billing clerk of the city if
    there is one. Returns the cases, oldest first."""
    calendar = load_calendar()
    today = local(now).date()

    def day(back: int) -> date:
        return _working_day_before(calendar, today, back)

    _route_categories()
    billing_clerk = _staff_with_role(Role.BILLING_CLERK) or clerk
    customers = list(
        Customer.objects.filter(kind=CustomerKind.PERSON, is_vulnerable=False)
        .exclude(mobile="")
        .order_by("pk")[:3]
    )
    cases = []

    # Three working days ago, from the web form: nobody has answered it yet (overdue).
    with at(_on(day(3), 11, 5)):
        cases.append(
            inquiry_register(
                actor=clerk,
                channel=Channel.WEB,
                contact_name="赵先生",
                contact_phone="13905719003",
                category=_category("outage"),
                question="城南区人民路一带这周是否有计划停水？我家要提前储水。",
            )
        )

    # Two working days ago, by e-mail: answered by e-mail two hours later.
    with at(_on(day(2), 9, 15)):
        emailed = inquiry_register(
            actor=clerk,
            channel=Channel.EMAIL,
            contact_name="钱女士",
            contact_phone="",
            email="qian.demo@example.com",
            category=_category("other"),
            question="你们的营业厅周六上午开门吗？",
        )
    with at(_on(day(2), 11, 10)):
        cases.append(
            inquiry_answer(
                actor=clerk,
                case=emailed,
                answer="各营业厅周六上午 9:00–12:00 照常营业，法定节假日另行通知。",
            )
        )

    # Two working days ago, by phone: the billing office answered the next morning by SMS.
    asked = customers[0] if customers else None
    with at(_on(day(2), 15, 20)):
        billing_question = inquiry_register(
            actor=clerk,
            channel=Channel.PHONE,
            contact_name=asked.name if asked else "孙先生",
            contact_phone=asked.mobile if asked else "13905719002",
            customer=asked,
            category=_category("billing"),
            question="本月水费比上月多了一倍，是不是抄表抄错了？",
        )
    with at(_on(day(1), 9, 40)):
        cases.append(
            inquiry_answer(
                actor=billing_clerk,
                case=billing_question,
                answer="经核查本期抄表读数无误。用水量增加系夏季用水增多，已按阶梯水价计费，"
                "如需复核可预约上门校表。",
            )
        )

    # Yesterday at the counter: answered on the spot.
    at_counter = customers[1] if len(customers) > 1 else None
    with at(_on(day(1), 10, 30)):
        cases.append(
            inquiry_register(
                actor=clerk,
                channel=Channel.COUNTER,
                contact_name=at_counter.name if at_counter else "周女士",
                contact_phone=at_counter.mobile if at_counter else "13905719004",
                customer=at_counter,
                category=_category("billing"),
                question="怎样办理银行代扣水费？",
                answer="携带身份证和银行卡到营业厅，或在网上营业厅签订代扣协议，次月起自动扣款。",
            )
        )

    # Yesterday at the counter: a question about a new supply, turned into the application.
    applicant = customers[2] if len(customers) > 2 else None
    zone = SupplyZone.objects.order_by("code").first()
    if applicant is not None and zone is not None:
        with at(_on(day(1), 14, 0)):
            converted = inquiry_register(
                actor=clerk,
                channel=Channel.COUNTER,
                contact_name=applicant.name,
                contact_phone=applicant.mobile,
                customer=applicant,
                category=_category("connection"),
                question="新买的商铺要通水，需要办什么手续？",
            )
        with at(_on(day(1), 14, 25)):
            new_connection_register(
                actor=clerk,
                channel=Channel.COUNTER,
                contact_name=applicant.name,
                contact_phone=applicant.mobile,
                customer=applicant,
                premise_address=f"{zone.name}学府路88号商铺",
                zone=zone,
                materials_received=[
                    material.code
                    for material in materials_required(
                        case_kind=ApplicationKind.NEW_CONNECTION, customer_kind=applicant.kind
                    )
                ],
                summary=converted.summary,
                follows=converted,
            )
        converted.refresh_from_db()
        cases.append(converted)

    # Half an hour ago, by phone: waiting for the water-quality team, within its deadline.
    with at(now - timedelta(minutes=30)):
        cases.append(
            inquiry_register(
                actor=clerk,
                channel=Channel.PHONE,
                contact_name="李女士",
                contact_phone="13905719001",
                category=_category("water_quality"),
                question="今天家里自来水有明显的漂白粉味道，还能正常饮用吗？",
            )
        )
    return cases


def _working_day_before(calendar: WorkingCalendar, day: date, count: int) -> date:
    """The ``count``-th working day before ``day``."""
    found = 0
    while found < count:
        day -= timedelta(days=1)
        found += calendar.is_working_day(day)
    return day


def _on(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def _category(code: str) -> InquiryCategory:
    return InquiryCategory.objects.get(code=code)


def _staff_with_role(role: str):
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=role)
        .order_by("username")
        .first()
    )


def _route_categories() -> None:
    """Give the categories the demo city's answering departments (kept in their history)."""
    departments = {
        department.code: department
        for department in Department.objects.filter(code__in=CATEGORY_DEPARTMENTS.values())
    }
    for category in InquiryCategory.objects.filter(code__in=CATEGORY_DEPARTMENTS):
        department = departments.get(CATEGORY_DEPARTMENTS[category.code])
        if department is not None and category.department_id is None:
            category.department = department
            category.save(update_fields=["department"])

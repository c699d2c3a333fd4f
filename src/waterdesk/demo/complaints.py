"""The demo's complaints (投诉): one in each state of the workflow, every step through the
services at its own moment (``at``), counted back from ``now`` on the working-day calendar —
just registered on the hotline; under investigation with two parties interviewed; replied
and awaiting the complainant's word; not satisfied, in its second round and escalated by the
supervisor; satisfied, with a measure still open; closed with its lessons learned;
withdrawn; and a transfer from the city's 12345 platform with its reference and deadline.

The categories are routed to the demo city's departments (repairs to the repair centre,
billing and meters to the business office), whose responders investigate.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token

from waterdesk.cases.models import Case, Channel
from waterdesk.complaints.models import ComplaintCategory
from waterdesk.complaints.services import closing, handling, investigation, plan, rounds
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.complaints.services.praise import praise_acknowledge, praise_register
from waterdesk.core.models import Department
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Customer, CustomerKind
from waterdesk.demo.clock import at
from waterdesk.sla.calendar import WorkingCalendar, load_calendar

# category code -> the demo city's department that investigates it
CATEGORY_DEPARTMENTS = {
    "repair": "repair",
    "supply": "repair",
    "construction": "repair",
    "billing": "business",
    "meter": "business",
    "service_attitude": "business",
}


def seed_complaints(*, staff: dict, now: datetime) -> dict[str, Case]:
    """Create the demo complaints through the services with the city's staff (``hotline1``,
    ``clerk1``, ``complaint1``, ``responder1``/``2``, ``supervisor1``). Returns the cases by
    what they show."""
    calendar = load_calendar()
    today = local(now).date()

    def day(back: int) -> date:
        return _working_day_before(calendar, today, back)

    _route_categories()
    hotline, clerk = staff["hotline1"], staff["clerk1"]
    handler, supervisor = staff["complaint1"], staff["supervisor1"]
    repair_responder, business_responder = staff["responder1"], staff["responder2"]
    people = list(
        Customer.objects.filter(kind=CustomerKind.PERSON, is_vulnerable=False)
        .exclude(mobile="")
        .order_by("-pk")[:6]
    )

    def complainant(index: int, name: str, phone: str) -> dict:
        if index < len(people):
            person = people[index]
            return {"customer": person, "contact_name": person.name, "contact_phone": person.mobile}
        return {"contact_name": name, "contact_phone": phone}

    cases: dict[str, Case] = {}

    # Six working days ago: closed — replied, satisfied, the measure done, called back.
    with at(_on(day(6), 9, 30)):
        closed = complaint_register(
            actor=clerk,
            channel=Channel.COUNTER,
            category=_category("billing"),
            matter="本月水费账单重复收取了上月的滞纳金。",
            demand="退还多收的滞纳金。",
            **complainant(0, "孔先生", "13905719101"),
        )
    with at(_on(day(6), 14, 0)):
        closed = handling.complaint_acknowledge(actor=handler, case=closed)
    with at(_on(day(5), 10, 0)):
        closed = investigation.complaint_report(
            actor=business_responder,
            case=closed,
            facts="核对账务记录，滞纳金在两期账单中各计一次。",
            process="调取两期账单和缴费记录，询问账务员。",
            finding="投诉属实：账务系统重复计算滞纳金。",
            proposal="冲减多收滞纳金，检查同批账单。",
            root_cause="billing_error",
            is_substantiated=True,
        )
        closed = plan.complaint_measure_add(
            actor=business_responder,
            case=closed,
            description="核查同批次账单有无重复计收滞纳金",
            owner=business_responder,
            deadline=day(5) + timedelta(days=3),
        )
    with at(_on(day(5), 15, 0)):
        closed = rounds.complaint_reply(
            actor=handler,
            case=closed,
            reply="经核实多收滞纳金 12.60 元，已冲减至您的账户。",
            basis="《供用水合同》第八条、滞纳金计收办法。",
            channel="sms",
        )
    with at(_on(day(4), 10, 0)):
        closed = rounds.complaint_satisfied(actor=handler, case=closed, note="投诉人电话表示认可")
    with at(_on(day(3), 11, 0)):
        closed = plan.complaint_measure_done(
            actor=business_responder,
            case=closed,
            measure=closed.complaint.measures.get(),
            note="同批次另有 3 户重复计收，已一并冲减。",
        )
    with at(_on(day(2), 16, 0)):
        closed = closing.complaint_follow_up(
            actor=handler, case=closed, note="回访：款项已到账，投诉人满意。", satisfaction=5
        )
        closed = closing.complaint_close(
            actor=handler,
            case=closed,
            lessons="账务系统变更后须抽查首批账单的滞纳金计算；重复计收须主动排查同批次客户。",
        )
    cases["closed"] = closed

    # Five working days ago: satisfied, the repair-quality measure still open.
    with at(_on(day(5), 9, 10)):
        resolving = complaint_register(
            actor=hotline,
            channel=Channel.PHONE,
            category=_category("repair"),
            matter="维修人员更换水表后地面未清理，还弄坏了表箱盖。",
            demand="修好表箱盖。",
            staff_concerned=staff.get("crew1"),
            **complainant(1, "严女士", "13905719102"),
        )
    with at(_on(day(5), 11, 0)):
        resolving = handling.complaint_acknowledge(actor=handler, case=resolving)
    with at(_on(day(4), 10, 30)):
        resolving = investigation.complaint_interview(
            actor=repair_responder,
            case=resolving,
            person=staff["crew1"].get_full_name() if "crew1" in staff else "维修班组",
            party="staff",
            held_at=_on(day(4), 10, 0),
            summary="承认表箱盖在拆装时碰裂，当时未告知客户。",
        )
        resolving = investigation.complaint_report(
            actor=repair_responder,
            case=resolving,
            facts="表箱盖碰裂属实，现场未清理。",
            process="询问维修班组，查看完工照片。",
            finding="投诉属实：文明施工不到位。",
            proposal="更换表箱盖，班组文明施工培训。",
            root_cause="repair_quality",
            is_substantiated=True,
        )
        resolving = plan.complaint_plan(
            actor=repair_responder,
            case=resolving,
            department=Department.objects.get(code="repair"),
            owner=repair_responder,
            summary="更换表箱盖并致歉；全中心开展文明施工培训。",
        )
        resolving = plan.complaint_measure_add(
            actor=repair_responder,
            case=resolving,
            description="全中心维修人员文明施工培训",
            owner=repair_responder,
            deadline=today + timedelta(days=5),
        )
    with at(_on(day(3), 15, 0)):
        resolving = rounds.complaint_reply(
            actor=handler,
            case=resolving,
            reply="已上门更换表箱盖并致歉，将对维修人员开展文明施工培训。",
            basis="《供水服务规范》文明施工要求。",
            channel="phone",
        )
    with at(_on(day(2), 10, 0)):
        resolving = rounds.complaint_satisfied(actor=handler, case=resolving)
    cases["resolving"] = resolving

    # Four working days ago: not satisfied after the first reply; round 2, escalated.
    with at(_on(day(4), 14, 20)):
        escalated = complaint_register(
            actor=hotline,
            channel=Channel.PHONE,
            category=_category("supply"),
            matter="小区连续三天晚上水压很低，高层用户无法用水。",
            demand="彻底解决水压问题。",
            **complainant(2, "邵先生", "13905719103"),
        )
    with at(_on(day(4), 15, 0)):
        escalated = handling.complaint_acknowledge(actor=handler, case=escalated)
    with at(_on(day(3), 11, 0)):
        escalated = investigation.complaint_report(
            actor=repair_responder,
            case=escalated,
            facts="晚高峰管网末端压力 0.12 MPa，低于服务标准。",
            process="在小区进水口安装压力记录仪三天。",
            finding="投诉属实：片区管径偏小，晚高峰压力不足。",
            proposal="临时调高泵站出口压力，申报管网改造。",
            root_cause="pressure_supply",
            is_substantiated=True,
        )
    with at(_on(day(3), 16, 0)):
        escalated = rounds.complaint_reply(
            actor=handler,
            case=escalated,
            reply="已临时调高泵站出口压力，管网改造已申报。",
            basis="《城市供水水压服务标准》。",
            channel="sms",
        )
    with at(_on(day(2), 9, 30)):
        escalated = rounds.complaint_not_satisfied(
            actor=handler, case=escalated, reason="调压后仍然水压不足，要求给出改造时间。"
        )
    with at(_on(day(1), 10, 0)):
        escalated = handling.complaint_escalate(
            actor=supervisor, case=escalated, reason="同一小区已有多次投诉，请部门负责人督办。"
        )
    cases["escalated"] = escalated

    # Two working days ago: replied, waiting for the complainant's word.
    with at(_on(day(2), 10, 40)):
        awaiting = complaint_register(
            actor=clerk,
            channel=Channel.COUNTER,
            category=_category("meter"),
            matter="抄表员连续两个月估抄，水量与实际不符。",
            demand="按实际读数重新计费。",
            **complainant(3, "乔女士", "13905719104"),
        )
    with at(_on(day(2), 11, 30)):
        awaiting = handling.complaint_acknowledge(actor=handler, case=awaiting)
    with at(_on(day(1), 9, 30)):
        awaiting = investigation.complaint_report(
            actor=business_responder,
            case=awaiting,
            facts="两个月抄表记录均为估抄，表井被杂物覆盖。",
            process="现场核对水表读数，询问抄表员。",
            finding="投诉属实：抄表员未清理表井即估抄。",
            proposal="按实际读数调整水量，清理表井。",
            root_cause="meter",
            is_substantiated=True,
        )
    with at(_on(day(1), 14, 0)):
        awaiting = rounds.complaint_reply(
            actor=handler,
            case=awaiting,
            reply="已按实际读数重新核算，多计水量 8 吨已冲减。",
            basis="《抄表管理办法》。",
            channel="sms",
        )
    cases["awaiting_response"] = awaiting

    # Yesterday: under investigation, two parties interviewed.
    with at(_on(day(1), 9, 0)):
        investigating = complaint_register(
            actor=hotline,
            channel=Channel.PHONE,
            category=_category("service_attitude"),
            matter="营业厅窗口人员办理过户时态度生硬，多次让我来回跑。",
            demand="工作人员道歉。",
            department_concerned=Department.objects.get(code="business"),
            **complainant(4, "郝先生", "13905719105"),
        )
    with at(_on(day(1), 10, 0)):
        investigating = handling.complaint_acknowledge(actor=handler, case=investigating)
    with at(_on(day(1), 15, 0)):
        investigating = investigation.complaint_interview(
            actor=business_responder,
            case=investigating,
            person=investigating.contact_name,
            party="complainant",
            held_at=_on(day(1), 14, 30),
            summary="前后三次到营业厅，每次被告知缺少不同的材料。",
        )
        investigating = investigation.complaint_interview(
            actor=business_responder,
            case=investigating,
            person=staff["clerk2"].get_full_name() if "clerk2" in staff else "窗口受理员",
            party="staff",
            held_at=_on(day(1), 14, 50),
            summary="首次接待时未一次性告知所需材料。",
        )
    cases["investigating"] = investigating

    # This morning: withdrawn — the neighbour's leak was not the utility's.
    with at(now - timedelta(hours=3)):
        withdrawn = complaint_register(
            actor=hotline,
            channel=Channel.PHONE,
            category=_category("repair"),
            matter="楼上漏水多日无人处理。",
            **complainant(5, "葛女士", "13905719106"),
        )
    with at(now - timedelta(hours=2)):
        withdrawn = handling.complaint_withdraw(
            actor=handler, case=withdrawn, reason="经核实为楼上住户内部管道漏水，投诉人撤诉。"
        )
    cases["withdrawn"] = withdrawn

    # An hour ago, from the city's 12345 platform: its reference and a deadline in 2 days.
    with at(now - timedelta(hours=1)):
        cases["city_hotline"] = complaint_register(
            actor=None,
            channel=Channel.CITY_HOTLINE,
            contact_name="市民林先生",
            contact_phone="13905719107",
            category=_category("construction"),
            matter="（12345 转办）道路施工挖断水管，整条街停水半天未告知。",
            demand="今后施工停水提前公告。",
            city_reference=f"12345-{today:%Y%m%d}-0088",
            city_deadline=now + timedelta(days=2),
            city_payload={"source": "12345", "reference": f"12345-{today:%Y%m%d}-0088"},
        )

    # Half an hour ago, on the hotline: just registered.
    with at(now - timedelta(minutes=30)):
        cases["registered"] = complaint_register(
            actor=hotline,
            channel=Channel.PHONE,
            contact_name="柏女士",
            contact_phone="13905719108",
            category=_category("water_quality"),
            matter="自来水发黄，已经持续一整天。",
            demand="检测水质并给出说明。",
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


def _category(code: str) -> ComplaintCategory:
    return ComplaintCategory.objects.get(code=code)


def _route_categories() -> None:
    """Give the categories the demo city's investigating departments (kept in history)."""
    departments = {
        department.code: department
        for department in Department.objects.filter(code__in=CATEGORY_DEPARTMENTS.values())
    }
    for category in ComplaintCategory.objects.filter(code__in=CATEGORY_DEPARTMENTS):
        department = departments.get(CATEGORY_DEPARTMENTS[category.code])
        if department is not None and category.department_id is None:
            category.department = department
            category.save(update_fields=["department"])


CITY_HOTLINE_USERNAME = "city-12345"


def seed_city_hotline_client() -> str:
    """The city's 12345 platform as the administrator sets it up (docs/complaint-channels.md):
    a machine user without a role or a usable password, holding only the transfer
    permission, and its API token, returned so that ``demo_seed`` prints it."""
    user = get_user_model().objects.create_user(username=CITY_HOTLINE_USERNAME)
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="complaints", codename="transfer_city_hotline"
        )
    )
    return Token.objects.create(user=user).key


def seed_praise(*, staff: dict, now: datetime) -> dict[str, Case]:
    """Praise as the hotline and the counter take it: one passed on to the crew's
    department with the customer thanked, one waiting to be passed on."""
    hotline, handler = staff["hotline1"], staff["complaint1"]
    with at(now - timedelta(days=6)):
        thanked = praise_register(
            actor=hotline,
            channel=Channel.PHONE,
            contact_name="周秀英",
            contact_phone="13957100811",
            matter="夜间爆管，抢修一班冒雨两小时恢复供水，还帮忙清理了门口积水。",
            staff_praised=staff["crew1"],
            team_name="抢修一班",
        )
    with at(now - timedelta(days=5)):
        thanked = praise_acknowledge(actor=handler, case=thanked, note="已转维修部表扬。")
    with at(now - timedelta(hours=3)):
        waiting = praise_register(
            actor=staff["clerk1"],
            channel=Channel.COUNTER,
            contact_name="钱立新",
            contact_phone="13957100822",
            matter="营业厅王丽耐心讲解阶梯水价，一次办好过户。",
            staff_praised=staff["clerk1"],
        )
    return {"acknowledged": thanked, "registered": waiting}

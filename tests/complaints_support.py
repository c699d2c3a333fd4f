"""Helpers of the complaint tests: the staff of each role, a complaint registered at the
hotline, and the complaint walked to each status through its services."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from tests.factories import DepartmentFactory, UserFactory
from waterdesk.cases.models import Case
from waterdesk.complaints.models import ComplaintCategory, Measure
from waterdesk.complaints.services import closing, handling, investigation, plan, rounds
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.core.roles import Role

CALLER, CALLER_PHONE = "张三", "13800138000"


@dataclass
class Staff:
    clerk: object
    handler: object
    responder: object
    supervisor: object


def complaint_staff(prefix: str = "c") -> Staff:
    """A hotline clerk, the complaint handler, a responder of the repair centre and a
    supervisor."""
    repair = DepartmentFactory(code="repair", name="供水抢修中心")
    return Staff(
        clerk=UserFactory(username=f"{prefix}-clerk", role=Role.HOTLINE_AGENT),
        handler=UserFactory(username=f"{prefix}-handler", role=Role.COMPLAINT_HANDLER),
        responder=UserFactory(
            username=f"{prefix}-responder", role=Role.DEPARTMENT_RESPONDER, department=repair
        ),
        supervisor=UserFactory(username=f"{prefix}-supervisor", role=Role.SUPERVISOR),
    )


def register(actor, **fields) -> Case:
    """A complaint about a repair, by phone, investigated by the repair centre."""
    category = ComplaintCategory.objects.get(code="repair")
    defaults = {
        "channel": "phone",
        "contact_name": CALLER,
        "contact_phone": CALLER_PHONE,
        "category": category,
        "matter": "维修人员上门后没有修好就离开，水表前阀门仍在漏水。",
        "demand": "尽快修好并给个说法。",
        "department_concerned": DepartmentFactory(code="repair", name="供水抢修中心"),
    }
    return complaint_register(actor=actor, **{**defaults, **fields})


def report(actor, case: Case, **fields) -> Case:
    defaults = {
        "facts": "维修人员未更换阀芯即离开。",
        "process": "调取派工记录，询问维修班组和投诉人。",
        "finding": "投诉属实：维修质量不合格。",
        "proposal": "重新派工更换阀芯，对班组进行质量教育。",
        "root_cause": "repair_quality",
        "is_substantiated": True,
    }
    return investigation.complaint_report(actor=actor, case=case, **{**defaults, **fields})


def interview(actor, case: Case, **fields) -> Case:
    defaults = {
        "person": "韩涛",
        "party": "staff",
        "held_at": timezone.now(),
        "summary": "承认当日配件不足，未更换阀芯。",
    }
    return investigation.complaint_interview(actor=actor, case=case, **{**defaults, **fields})


def reply(actor, case: Case, **fields) -> Case:
    defaults = {
        "reply": "已重新派工更换阀芯，漏水已止住。",
        "basis": "《供水服务规范》维修质量要求。",
        "channel": "sms",
    }
    return rounds.complaint_reply(actor=actor, case=case, **{**defaults, **fields})


def add_measure(actor, case: Case, owner, **fields) -> Case:
    defaults = {
        "description": "对维修班组进行维修质量教育",
        "owner": owner,
        "deadline": timezone.localdate() + timedelta(days=7),
    }
    return plan.complaint_measure_add(actor=actor, case=case, **{**defaults, **fields})


def the_measure(case: Case) -> Measure:
    return Measure.objects.get(complaint__case=case)


def walk_to(case: Case, status: str, staff: Staff) -> Case:
    """Take a registered complaint to ``status`` (one round) through the services."""
    order = ["investigating", "awaiting_response", "resolving", "closed"]
    target = order.index(status)
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    if target >= 1:
        case = report(staff.responder, case)
        case = reply(staff.handler, case)
    if target >= 2:
        case = rounds.complaint_satisfied(actor=staff.handler, case=case)
    if target >= 3:
        case = closing.complaint_follow_up(
            actor=staff.handler, case=case, note="投诉人表示满意", satisfaction=5
        )
        case = closing.complaint_close(actor=staff.handler, case=case, lessons="维修完工须试水。")
    return case


def days_from_today(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)

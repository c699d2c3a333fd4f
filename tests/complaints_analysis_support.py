"""A small hand-built set of complaints for the analysis tests (``analysis_world``): six in
the default period (the last 12 months before Monday 16 November 2026, 10:00, Beijing
time) and one older, registered through ``complaint_register`` with their analysis inputs
(root cause, finding, round, replies, closure) set on the rows afterwards.

    a  2026-09-10  billing           服务 s1  13800000001         closed, founded, replied in 48 h
    b  2026-10-05  billing           服务 s1  13800000001         closed, unfounded, replied in 24 h
    c  2026-10-20  supply            管网 —   13800000002         12345 transfer, substantiated
    d  2026-11-02  supply            管网 —   customer X (…0003)  round 2, department head
    e  2026-11-10  service_attitude  服务 s2  customer X (…0004)  acknowledged: reply clock next
    g  2026-11-16  other             管网 —   13800000005         registered an hour ago
    f  2025-10-15  billing           服务 s1  13800000001         outside the period, still open

(columns: name, opened, category, handling department 客服中心/管网所, staff concerned,
complainant, notes)
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from waterdesk.cases.models import Case, Channel
from waterdesk.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintRound,
    ComplaintStatus,
)
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla.models import ClockState, SlaClock

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=LOCAL_TZ)


def at(month_day: str, year: int = 2026, hour: int = 10) -> datetime:
    month, day = (int(part) for part in month_day.split("-"))
    return datetime(year, month, day, hour, 0, tzinfo=LOCAL_TZ)


@dataclass
class AnalysisWorld:
    clerk: object
    supervisor: object
    service: object  # department 客服中心
    network: object  # department 管网所
    s1: object
    s2: object
    customer: object
    cases: dict[str, Case]

    def number(self, name: str) -> str:
        return self.cases[name].number


def category(code: str) -> ComplaintCategory:
    return ComplaintCategory.objects.get(code=code)


def register(clerk, *, opened_at, code, phone="13800000009", **fields) -> Case:
    return complaint_register(
        actor=clerk,
        channel=fields.pop("channel", Channel.PHONE),
        contact_name="赵先生",
        contact_phone=phone,
        category=category(code),
        matter="投诉事项",
        opened_at=opened_at,
        **fields,
    )


def reply(case: Case, *, after: timedelta, by) -> None:
    first = ComplaintRound.objects.get(complaint_id=case.pk, number=1)
    first.reply, first.replied_by, first.replied_at = "答复内容", by, first.opened_at + after
    first.save()


def close(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=ComplaintStatus.CLOSED, closed_at=case.opened_at + timedelta(days=7)
    )


def analysis_world() -> AnalysisWorld:
    """Call with the clock at ``NOW``."""
    service = DepartmentFactory(code="service", name="客服中心")
    network = DepartmentFactory(code="network", name="管网所")
    clerk = UserFactory(username="an-clerk", role=Role.INTAKE_CLERK, department=service)
    supervisor = UserFactory(username="an-supervisor", role=Role.SUPERVISOR, department=service)
    s1 = UserFactory(username="an-s1", first_name="张伟", department=service)
    s2 = UserFactory(username="an-s2", first_name="李娜", department=service)
    ComplaintCategory.objects.filter(code="billing").update(department=service)
    ComplaintCategory.objects.filter(code="supply").update(department=network)
    customer = CustomerFactory(name="王芳", mobile="13900000009")
    cases = {
        "a": register(
            clerk, opened_at=at("09-10"), code="billing", phone="13800000001", staff_concerned=s1
        ),
        "b": register(
            clerk, opened_at=at("10-05"), code="billing", phone="13800000001", staff_concerned=s1
        ),
        "c": register(
            clerk,
            opened_at=at("10-20"),
            code="supply",
            phone="13800000002",
            channel=Channel.CITY_HOTLINE,
            city_reference="SZ-20261020-1",
            city_deadline=at("10-23"),
        ),
        "d": register(
            clerk, opened_at=at("11-02"), code="supply", phone="13800000003", customer=customer
        ),
        "e": register(
            clerk,
            opened_at=at("11-10"),
            code="service_attitude",
            phone="13800000004",
            customer=customer,
            staff_concerned=s2,
            department_concerned=service,
        ),
        "g": register(
            clerk,
            opened_at=NOW - timedelta(hours=1),
            code="other",
            phone="13800000005",
            department_concerned=network,
        ),
        "f": register(
            clerk,
            opened_at=at("10-15", year=2025),
            code="billing",
            phone="13800000001",
            staff_concerned=s1,
        ),
    }
    finding = {
        "a": ("billing_error", True),
        "b": ("billing_error", False),
        "c": ("pressure_supply", True),
        "e": ("service_attitude", None),
    }
    for name, (cause, substantiated) in finding.items():
        Complaint.objects.filter(pk=cases[name].pk).update(
            root_cause=cause, is_substantiated=substantiated
        )
    reply(cases["a"], after=timedelta(hours=48), by=clerk)
    reply(cases["b"], after=timedelta(hours=24), by=clerk)
    close(cases["a"])
    close(cases["b"])
    Complaint.objects.filter(pk=cases["d"].pk).update(round=2, escalation_level=1)
    # e was acknowledged: its acknowledge clock stopped, the reply clock is the next one.
    SlaClock.objects.filter(case=cases["e"], milestone="acknowledge").update(
        state=ClockState.MET, stopped_at=at("11-10", hour=11)
    )
    for name, case in cases.items():
        cases[name] = Case.objects.get(pk=case.pk)
    assert timezone.now() == NOW
    return AnalysisWorld(
        clerk=clerk,
        supervisor=supervisor,
        service=service,
        network=network,
        s1=s1,
        s2=s2,
        customer=customer,
        cases=cases,
    )

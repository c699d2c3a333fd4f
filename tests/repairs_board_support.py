"""Helpers of the dispatcher-board, pass-rate and customer-panel tests: repairs in any state
made directly with the ORM (the intake, dispatch and crew services are another part's), with
their callers, SLA clocks and work orders.

Everything is made relative to a pinned clock (``at`` from ``payments_support``)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from waterdesk.cases.models import Case, Priority
from waterdesk.fieldwork.models import Crew, DutyShift, WorkOrder, WorkOrderStatus
from waterdesk.fieldwork.workflow import TERMINAL as TERMINAL_ORDER_STATUSES
from waterdesk.repairs.models import FaultType, Repair, RepairContact, RepairStatus, Urgency
from waterdesk.sla.models import ClockState, SlaClock, SlaPolicy, SlaUnit

KIND = "repair"
CLOSED_STATUSES = (RepairStatus.CLOSED, RepairStatus.CANCELLED)
_numbers = itertools.count(1)

# Codes of the tests' own (the seeded catalogue may use others).
FAULTS = {
    "t_burst": ("测试爆管", Urgency.URGENT, False),
    "t_leak": ("测试漏水", Urgency.GENERAL, False),
    "t_no_water": ("测试停水", Urgency.GENERAL, True),
}


def fault(code: str = "t_leak") -> FaultType:
    name, urgency, zone_wide = FAULTS[code]
    return FaultType.objects.get_or_create(
        code=code, defaults={"name": name, "default_urgency": urgency, "zone_wide": zone_wide}
    )[0]


def crew(code: str, *, active: bool = True, name: str = "") -> Crew:
    return Crew.objects.create(code=code, name=name or f"{code}班", is_active=active)


def on_call(crew: Crew, starts_at: datetime, ends_at: datetime) -> DutyShift:
    return DutyShift.objects.create(crew=crew, starts_at=starts_at, ends_at=ends_at)


def policy(milestone: str, *, hours: str = "1") -> SlaPolicy:
    return SlaPolicy.objects.get_or_create(
        case_kind=KIND,
        milestone=milestone,
        priority=Priority.NORMAL,
        defaults={"amount": Decimal(hours), "unit": SlaUnit.CALENDAR_HOURS},
    )[0]


def a_repair(
    *,
    status: str = RepairStatus.AWAITING_DISPATCH,
    reported_at: datetime,
    fault_code: str = "t_leak",
    urgency: str = Urgency.GENERAL,
    green: bool = False,
    address: str = "城北区解放路1号",
    premise=None,
    customer=None,
    number: str = "",
    callers: int = 1,
    completed_at: datetime | None = None,
    completed_by: Crew | None = None,
    failed_by: Case | None = None,
) -> Repair:
    """A repair case in ``status`` with its first caller (and ``callers - 1`` more)."""
    closed_at = None
    if status in CLOSED_STATUSES:
        closed_at = (completed_at or reported_at) + timedelta(days=1)
    case = Case.objects.create(
        kind=KIND,
        number=number or f"BX-TEST-{next(_numbers):05d}",
        channel="phone",
        customer=customer,
        premise=premise,
        contact_name="报修人",
        contact_phone="13900139000",
        priority=Priority.GREEN if green else Priority.NORMAL,
        green_channel_reason="独居老人" if green else "",
        status=status,
        opened_at=reported_at,
        closed_at=closed_at,
    )
    repair = Repair.objects.create(
        case=case,
        fault_type=fault(fault_code),
        urgency=urgency,
        description="测试故障",
        address=address,
        zone=premise.zone if premise is not None else None,
        reported_at=reported_at,
        completed_at=completed_at,
        completed_by_crew=completed_by,
        failed=failed_by is not None,
        failed_by=failed_by,
    )
    for index in range(callers):
        RepairContact.objects.create(
            repair=repair,
            name=f"报修人{index + 1}",
            phone="13900139000",
            channel="phone",
            reported_at=reported_at + timedelta(minutes=index),
        )
    return repair


def a_clock(
    repair: Repair,
    milestone: str,
    *,
    started_at: datetime,
    due_at: datetime,
    state: str = ClockState.RUNNING,
) -> SlaClock:
    hours = Decimal((due_at - started_at).total_seconds() / 3600).quantize(Decimal("0.01"))
    return SlaClock.objects.create(
        case=repair.case,
        milestone=milestone,
        policy=policy(milestone),
        unit=SlaUnit.CALENDAR_HOURS,
        amount=hours,
        started_at=started_at,
        due_at=due_at,
        state=state,
        stopped_at=None if state in (ClockState.RUNNING, ClockState.PAUSED) else due_at,
        paused_at=started_at if state == ClockState.PAUSED else None,
    )


def an_order(
    repair: Repair,
    crew: Crew,
    *,
    status: str = WorkOrderStatus.ASSIGNED,
    assigned_at: datetime,
    closed_at: datetime | None = None,
    urgent: bool | None = None,
) -> WorkOrder:
    if status in TERMINAL_ORDER_STATUSES and closed_at is None:
        closed_at = assigned_at + timedelta(hours=2)
    return WorkOrder.objects.create(
        number=f"WO-TEST-{next(_numbers):05d}",
        case=repair.case,
        purpose=KIND,
        crew=crew,
        status=status,
        urgent=repair.urgency == Urgency.URGENT if urgent is None else urgent,
        address=repair.address,
        description=repair.description,
        assigned_at=assigned_at,
        closed_at=closed_at,
    )

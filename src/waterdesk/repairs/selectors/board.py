"""The dispatcher's board (调度看板): the open repairs and the crews, at a glance.

Open repairs (not closed, not cancelled) are ordered as a dispatcher works them: those
awaiting dispatch first, then those in the field, then those completed and waiting for
their follow-up call; within each, urgent before general, green channel before normal, the
nearest running deadline first (none last), the oldest report first. The first
``BOARD_LIMIT`` by that order are shown; the counts cover all of them.

The board costs a fixed number of queries whatever the number of repairs: the shown rows,
the counts, the overdue count, and for the shown rows only their clocks, open work orders
and callers; for the crews, the roster, their open orders (counts, and the first few by
what they are doing now) and today's completed repairs. Open repairs are found through the
case's (kind, status) index, open orders through the partial index of open orders by crew.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Priority
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork.models import (
    OPEN_STATUSES as OPEN_ORDER_STATUSES,
)
from waterdesk.fieldwork.models import (
    Crew,
    DutyShift,
    WorkOrder,
    WorkOrderStatus,
)
from waterdesk.repairs.models import Repair, RepairContact, RepairStatus, Urgency
from waterdesk.repairs.selectors.pass_rate import repairs_completed_between
from waterdesk.repairs.workflow import (
    ARRIVAL_MILESTONE,
    CONTACT_MILESTONE,
    DISPATCH_MILESTONE,
    FOLLOW_UP_MILESTONE,
    KIND,
)
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import ClockState, SlaClock
from waterdesk.sla.selectors import clock_status_label

BOARD_LIMIT = 200  # rows shown; the counts cover every open repair
ORDERS_PER_CREW = 3  # open orders listed under a crew (the rest counted)

# The statuses of an open repair, in the order of the board's tiers.
OPEN_STATUSES = (
    RepairStatus.AWAITING_DISPATCH,
    RepairStatus.DISPATCHED,
    RepairStatus.ON_SITE,
    RepairStatus.COMPLETED,
)
IN_THE_FIELD = (RepairStatus.DISPATCHED, RepairStatus.ON_SITE)

STATUS_CLASSES = {
    RepairStatus.AWAITING_DISPATCH: "badge-waiting",
    RepairStatus.DISPATCHED: "badge-info",
    RepairStatus.ON_SITE: "badge-info",
    RepairStatus.COMPLETED: "badge-success",
}

# What each running clock of a repair is waiting for (the deadline column).
MILESTONE_LABELS = {
    DISPATCH_MILESTONE: _("出发"),
    ARRIVAL_MILESTONE: _("到场"),
    CONTACT_MILESTONE: _("联系客户"),
    FOLLOW_UP_MILESTONE: _("回访"),
}

# Open orders by what the crew is doing: on the way or on site is the current job, then the
# orders taken or waiting to be taken, then the work done awaiting the signature.
ORDER_RANK = {
    WorkOrderStatus.EN_ROUTE: 0,
    WorkOrderStatus.ARRIVED: 0,
    WorkOrderStatus.ACCEPTED: 1,
    WorkOrderStatus.ASSIGNED: 1,
    WorkOrderStatus.WORK_DONE: 2,
}
CURRENT_RANKS = (0, 1)


def _labels(choices) -> dict[str, str]:
    """Value -> label in the active language, looked up once per board."""
    return {value: str(label) for value, label in choices}


def _local_text(moment: datetime | None) -> tuple[str, str]:
    """(ISO time, "MM-DD HH:MM") in local time, for ``<time>``: formatted once here rather
    than by a template filter on every row."""
    if moment is None:
        return "", ""
    shown = moment.astimezone(LOCAL_TZ)
    return shown.isoformat(timespec="minutes"), shown.strftime("%m-%d %H:%M")


@dataclass
class BoardRow:
    """One open repair on the board, with what its row shows already worked out (the board
    renders two hundred of them every 30 seconds)."""

    repair: Repair  # with .case, .fault_type, .zone
    status_label: str = ""
    urgency_label: str = ""
    reported: tuple[str, str] = ("", "")  # (ISO, shown)
    next_due_at: datetime | None = None
    due: tuple[str, str] = ("", "")
    milestone: str = ""
    milestone_label: str = ""
    is_overdue: bool = False
    is_at_risk: bool = False
    crew: Crew | None = None
    order: WorkOrder | None = None  # the open order the crew works on
    order_status_label: str = ""
    callers: int = 1

    @property
    def case(self):
        return self.repair.case

    @property
    def status_class(self) -> str:
        return STATUS_CLASSES.get(self.case.status, "badge-neutral")

    @property
    def is_urgent(self) -> bool:
        return self.repair.urgency == Urgency.URGENT

    @property
    def css_class(self) -> str:
        if self.is_overdue:
            return "overdue"
        return "at-risk" if self.is_at_risk else ""


@dataclass
class CrewOrder:
    order: WorkOrder  # with .case
    status_label: str


@dataclass
class CrewLine:
    crew: Crew
    on_call_until: datetime | None = None  # the end of the shift on call now, if any
    on_call_text: str = ""  # its local "HH:MM"
    open_count: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    orders: list[CrewOrder] = field(default_factory=list)  # the first few, current first
    completed_today: int = 0
    status_summary: list[tuple[str, int]] = field(default_factory=list)  # (label, count)

    @property
    def is_on_call(self) -> bool:
        return self.on_call_until is not None

    @property
    def current(self) -> CrewOrder | None:
        """The latest open order on the way or on site, else the latest taken or assigned."""
        first = self.orders[0] if self.orders else None
        if first is not None and ORDER_RANK[first.order.status] in CURRENT_RANKS:
            return first
        return None

    @property
    def more(self) -> int:
        return self.open_count - len(self.orders)


@dataclass
class Board:
    now: datetime
    rows: list[BoardRow]
    total: int  # open repairs (all)
    matching: int  # open repairs the filters select
    by_status: list[tuple[str, str, int]]  # (status, label, count), every open status
    by_urgency: list[tuple[str, str, int]]
    green: int
    overdue: int
    crews: list[CrewLine]
    status: str = ""
    urgency: str = ""

    @property
    def is_capped(self) -> bool:
        return self.matching > len(self.rows)


def _open_repairs():
    return Repair.objects.filter(case__kind=KIND, case__status__in=OPEN_STATUSES)


def _next_running_due():
    return Subquery(
        SlaClock.objects.filter(case=OuterRef("case_id"), state=ClockState.RUNNING)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def _board_order():
    tier = SqlCase(
        When(case__status=RepairStatus.AWAITING_DISPATCH, then=Value(0)),
        When(case__status__in=IN_THE_FIELD, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    urgent = SqlCase(When(urgency=Urgency.URGENT, then=Value(0)), default=Value(1))
    green = SqlCase(When(case__priority=Priority.GREEN, then=Value(0)), default=Value(1))
    return [
        tier,
        urgent,
        green,
        F("next_due_at").asc(nulls_last=True),
        F("reported_at").asc(),
        F("case_id").asc(),
    ]


def repair_board_rows(*, now: datetime, status: str = "", urgency: str = "", limit: int):
    """The first ``limit`` open repairs in the board's order, with their deadline, crew and
    callers."""
    repairs = _open_repairs()
    if status:
        repairs = repairs.filter(case__status=status)
    if urgency:
        repairs = repairs.filter(urgency=urgency)
    shown = list(
        repairs.annotate(next_due_at=_next_running_due())
        .select_related("case", "fault_type", "zone", "completed_by_crew")
        .order_by(*_board_order())[:limit]
    )
    statuses, urgencies = _labels(RepairStatus.choices), _labels(Urgency.choices)
    rows = [
        BoardRow(
            repair=repair,
            status_label=statuses.get(repair.case.status, repair.case.status),
            urgency_label=urgencies.get(repair.urgency, repair.urgency),
            reported=_local_text(repair.reported_at),
        )
        for repair in shown
    ]
    if rows:
        _add_deadlines(rows, now)
        _add_crews(rows)
        _add_callers(rows)
    return rows


def _add_deadlines(rows: list[BoardRow], now: datetime) -> None:
    nearest: dict[int, SlaClock] = {}
    clocks = (
        SlaClock.objects.filter(
            case_id__in=[row.repair.case_id for row in rows], state=ClockState.RUNNING
        )
        .select_related("policy")
        .order_by("due_at", "pk")
    )
    for clock in clocks:
        nearest.setdefault(clock.case_id, clock)
    calendar = load_calendar() if nearest else None
    for row in rows:
        clock = nearest.get(row.repair.case_id)
        if clock is None:
            continue
        row.next_due_at, row.milestone = clock.due_at, clock.milestone
        row.due = _local_text(clock.due_at)
        row.milestone_label = str(MILESTONE_LABELS.get(clock.milestone, clock.milestone))
        label = clock_status_label(clock, now, calendar=calendar)
        row.is_overdue = label == "breached"
        row.is_at_risk = label == "at_risk"


def _add_crews(rows: list[BoardRow]) -> None:
    """The crew of the latest open order of each repair; a completed repair's crew."""
    orders = (
        WorkOrder.objects.filter(
            case_id__in=[row.repair.case_id for row in rows], closed_at__isnull=True
        )
        .select_related("crew")
        .order_by("assigned_at", "pk")
    )
    latest = {order.case_id: order for order in orders}
    labels = _labels(WorkOrderStatus.choices)
    for row in rows:
        order = latest.get(row.repair.case_id)
        row.order = order
        row.crew = order.crew if order is not None else row.repair.completed_by_crew
        row.order_status_label = labels[order.status] if order is not None else ""


def _add_callers(rows: list[BoardRow]) -> None:
    counts = dict(
        RepairContact.objects.filter(repair_id__in=[row.repair.case_id for row in rows])
        .values("repair_id")
        .annotate(n=Count("pk"))
        .values_list("repair_id", "n")
    )
    for row in rows:
        row.callers = counts.get(row.repair.case_id, 1)


def repair_board_counts(*, now: datetime) -> dict:
    """Every open repair counted by status, by urgency, green channel, and past a running
    deadline: two aggregate queries."""
    groups = (
        _open_repairs()
        .values("case__status", "urgency", "case__priority")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status: dict[str, int] = defaultdict(int)
    by_urgency: dict[str, int] = defaultdict(int)
    by_both: dict[tuple[str, str], int] = defaultdict(int)
    green = 0
    for group in groups:
        by_status[group["case__status"]] += group["n"]
        by_urgency[group["urgency"]] += group["n"]
        by_both[(group["case__status"], group["urgency"])] += group["n"]
        if group["case__priority"] == Priority.GREEN:
            green += group["n"]
    overdue = (
        SlaClock.objects.filter(
            state=ClockState.RUNNING,
            due_at__lt=now,
            case__kind=KIND,
            case__status__in=OPEN_STATUSES,
        )
        .values("case_id")
        .distinct()
        .count()
    )
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_urgency": by_urgency,
        "by_both": by_both,
        "green": green,
        "overdue": overdue,
    }


def _start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(LOCAL_TZ).date(), time.min, tzinfo=LOCAL_TZ)


def crew_board(*, now: datetime) -> list[CrewLine]:
    """The active crews: on call now or not, their open orders counted by status and the
    first ``ORDERS_PER_CREW`` of them (the current job first), and the repairs each
    completed today (local day)."""
    lines = {crew.pk: CrewLine(crew=crew) for crew in Crew.objects.filter(is_active=True)}
    if not lines:
        return []
    for crew_id, ends_at in DutyShift.objects.filter(
        starts_at__lte=now, ends_at__gt=now, crew_id__in=lines
    ).values_list("crew_id", "ends_at"):
        line = lines[crew_id]
        line.on_call_until = max(filter(None, (line.on_call_until, ends_at)))
    open_orders = WorkOrder.objects.filter(closed_at__isnull=True, crew_id__in=lines)
    for crew_id, status, count in (
        open_orders.values("crew_id", "status").annotate(n=Count("pk")).order_by()
    ).values_list("crew_id", "status", "n"):
        lines[crew_id].status_counts[status] = count
        lines[crew_id].open_count += count
    rank = SqlCase(
        *(When(status=status, then=Value(value)) for status, value in ORDER_RANK.items()),
        default=Value(3),
        output_field=IntegerField(),
    )
    first = (
        open_orders.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("crew_id")],
                order_by=[rank.asc(), F("assigned_at").desc(), F("pk").desc()],
            )
        )
        .filter(place__lte=ORDERS_PER_CREW)
        .select_related("case")
        .order_by("crew_id", "place")
    )
    labels = _labels(WorkOrderStatus.choices)
    for order in first:
        lines[order.crew_id].orders.append(CrewOrder(order, labels[order.status]))
    for crew_id, count in (
        repairs_completed_between(_start_of_day(now), now)
        .filter(completed_by_crew_id__in=lines)
        .values("completed_by_crew_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("completed_by_crew_id", "n")
    ):
        lines[crew_id].completed_today = count
    for line in lines.values():
        line.status_summary = [
            (labels[status], line.status_counts[status])
            for status in OPEN_ORDER_STATUSES
            if line.status_counts.get(status)
        ]
        if line.on_call_until is not None:
            line.on_call_text = line.on_call_until.astimezone(LOCAL_TZ).strftime("%H:%M")
    return sorted(
        lines.values(), key=lambda line: (not line.is_on_call, -line.open_count, line.crew.code)
    )


def repair_board(
    *, now: datetime, status: str = "", urgency: str = "", limit: int | None = None
) -> Board:
    """Everything the board shows: the first ``limit`` rows (``BOARD_LIMIT``) by the
    board's order. ``status`` / ``urgency`` narrow the rows (not the counts); an unknown
    value is ignored."""
    limit = limit or BOARD_LIMIT
    status = status if status in OPEN_STATUSES else ""
    urgency = urgency if urgency in Urgency.values else ""
    counts = repair_board_counts(now=now)
    if status and urgency:
        matching = counts["by_both"][(status, urgency)]
    elif status:
        matching = counts["by_status"][status]
    elif urgency:
        matching = counts["by_urgency"][urgency]
    else:
        matching = counts["total"]
    return Board(
        now=now,
        rows=repair_board_rows(now=now, status=status, urgency=urgency, limit=limit),
        total=counts["total"],
        matching=matching,
        by_status=[
            (value, str(RepairStatus(value).label), counts["by_status"][value])
            for value in OPEN_STATUSES
        ],
        by_urgency=[
            (value, str(label), counts["by_urgency"][value]) for value, label in Urgency.choices
        ],
        green=counts["green"],
        overdue=counts["overdue"],
        crews=crew_board(now=now),
        status=status,
        urgency=urgency,
    )

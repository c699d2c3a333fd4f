"""The dispatcher's board (调度看板): the open repairs and the crews, at a glance.

Open repairs (not closed, not cancelled) are ordered as a dispatcher works them: those
awaiting dispatch first, then those in the field, then those completed and waiting for
their follow-up call; within each, urgent before general, green channel before normal, the
nearest running deadline first (none last), the oldest report first. The board shows one
page of ``PAGE_SIZE`` by that order; the counts cover all of them.

It costs a fixed number of queries whatever the number of repairs. The open repairs are
the repair cases of the open statuses, read through the case's (kind, status) index; each
one's urgency and nearest running deadline are looked up by key (the repair's primary key,
the clock's case index) — never a scan of the two million closed repairs. The ordering query
returns one page of case ids; only those rows are then read in full with their clocks,
open work orders and callers. The crews are ``board_crews``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, F, OuterRef, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Case, Priority
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork.models import Crew, WorkOrder, WorkOrderStatus
from waterdesk.repairs.models import Repair, RepairContact, RepairStatus, Urgency
from waterdesk.repairs.selectors.board_crews import CrewLine, crew_board
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

PAGE_SIZE = 50  # rows a page; the counts cover every open repair

# The statuses of an open repair, in the order of the board's tiers. A repair linked to an
# incident (``linked``) is the incident's: it waits for no crew and is not on the board.
OPEN_STATUSES = (
    RepairStatus.AWAITING_DISPATCH,
    RepairStatus.DISPATCHED,
    RepairStatus.ON_SITE,
    RepairStatus.COMPLETED,
)
IN_THE_FIELD = (RepairStatus.DISPATCHED, RepairStatus.ON_SITE)
# The board's tiers: awaiting dispatch, in the field, completed awaiting the follow-up call.
TIERS = ((RepairStatus.AWAITING_DISPATCH,), IN_THE_FIELD, (RepairStatus.COMPLETED,))

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


def _labels(choices) -> dict[str, str]:
    """Value -> label in the active language, looked up once per board."""
    return {value: str(label) for value, label in choices}


def _local_text(moment: datetime | None) -> tuple[str, str]:
    """(ISO time, "MM-DD HH:MM") in local time for ``<time>``: formatted once here rather
    than by a template filter on every row."""
    if moment is None:
        return "", ""
    shown = moment.astimezone(LOCAL_TZ)
    return shown.isoformat(timespec="minutes"), shown.strftime("%m-%d %H:%M")


@dataclass
class BoardRow:
    """One open repair on the board, with what its row shows worked out."""

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
    page: int = 1
    pages: int = 1
    status: str = ""
    urgency: str = ""

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)


def _open_cases():
    return Case.objects.filter(kind=KIND, status__in=OPEN_STATUSES)


def _urgency():
    """The repair's urgency, by its primary key: a probe per open case, never a join that
    the planner could turn into a scan of every repair."""
    return Subquery(Repair.objects.filter(case_id=OuterRef("pk")).values("urgency")[:1])


def _next_running_due():
    return Subquery(
        SlaClock.objects.filter(case_id=OuterRef("pk"), state=ClockState.RUNNING)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def _board_order():
    urgent = SqlCase(When(urgency=Urgency.URGENT, then=Value(0)), default=Value(1))
    green = SqlCase(When(priority=Priority.GREEN, then=Value(0)), default=Value(1))
    return [urgent, green, F("next_due_at").asc(nulls_last=True), F("opened_at"), F("pk")]


def _page_ids(cases, *, tiers: list[tuple[tuple[str, ...], int]], start: int) -> list[int]:
    """The case ids of the page from ``start``: the tiers in order, each sorted on its own
    (so that a page reads only the tiers it shows, not every open repair)."""
    ids: list[int] = []
    for statuses, size in tiers:
        if start >= size:
            start -= size
            continue
        wanted = PAGE_SIZE - len(ids)
        ids += (
            cases.filter(status__in=statuses)
            .annotate(next_due_at=_next_running_due())[start : start + wanted]
            .values_list("pk", flat=True)
        )
        start = 0
        if len(ids) == PAGE_SIZE:
            break
    return ids


def repair_board_page(
    *, now: datetime, counts: dict, status: str = "", urgency: str = "", page: int = 1
) -> list[BoardRow]:
    """One page of open repairs in the board's order, with their deadline, crew and
    callers. ``counts`` (``repair_board_counts``) size the tiers."""
    cases = _open_cases().annotate(urgency=_urgency()).order_by(*_board_order())
    if urgency:
        cases = cases.filter(urgency=urgency)
    tiers = []
    for statuses in TIERS:
        if status:
            statuses = tuple(value for value in statuses if value == status)
        size = sum(
            counts["by_both"][(value, urgency)] if urgency else counts["by_status"][value]
            for value in statuses
        )
        if size:
            tiers.append((statuses, size))
    ids = _page_ids(cases, tiers=tiers, start=(page - 1) * PAGE_SIZE)
    if not ids:
        return []
    repairs = Repair.objects.filter(case_id__in=ids).select_related(
        "case", "fault_type", "zone", "completed_by_crew"
    )
    by_case = {repair.case_id: repair for repair in repairs}
    status_labels, urgency_labels = _labels(RepairStatus.choices), _labels(Urgency.choices)
    rows = [
        BoardRow(
            repair=repair,
            status_label=status_labels.get(repair.case.status, repair.case.status),
            urgency_label=urgency_labels.get(repair.urgency, repair.urgency),
            reported=_local_text(repair.reported_at),
        )
        for repair in (by_case[case_id] for case_id in ids if case_id in by_case)
    ]
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
    """Every open repair counted by status and urgency, green channel, and past a running
    deadline: two aggregate queries."""
    groups = (
        _open_cases()
        .annotate(urgency=_urgency())
        .values("status", "urgency", "priority")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status: dict[str, int] = defaultdict(int)
    by_urgency: dict[str, int] = defaultdict(int)
    by_both: dict[tuple[str, str], int] = defaultdict(int)
    green = 0
    for group in groups:
        by_status[group["status"]] += group["n"]
        by_urgency[group["urgency"]] += group["n"]
        by_both[(group["status"], group["urgency"])] += group["n"]
        if group["priority"] == Priority.GREEN:
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


def _short_queries() -> None:
    """PostgreSQL: the board's queries are many short index look-ups, which the planner
    prices high (a look-up per open repair): no JIT compiling and no parallel workers for
    them — both cost more to start than they save (as for the bill run's chunks)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


@transaction.atomic
def repair_board(*, now: datetime, status: str = "", urgency: str = "", page: int = 1) -> Board:
    """Everything the board shows, read in one transaction (read committed: a repair
    changing status between the counts and the page may be missed or shown twice at a
    tier's edge until the next refresh). ``status`` / ``urgency`` narrow the rows (not the
    counts); an unknown value is ignored, a page past the last shows the last."""
    _short_queries()
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
    pages = max(1, math.ceil(matching / PAGE_SIZE))
    page = min(max(1, page), pages)
    return Board(
        now=now,
        rows=repair_board_page(now=now, counts=counts, status=status, urgency=urgency, page=page),
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
        page=page,
        pages=pages,
        status=status,
        urgency=urgency,
    )

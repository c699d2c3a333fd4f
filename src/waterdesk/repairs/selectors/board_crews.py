"""The crews on the dispatcher's board: who is on call now, their open work orders (counted
by status, the first few listed, the current job first) and the repairs each completed
today. Five queries for any number of crews and orders: the roster and the open orders are
read through their indexes (the partial index of open orders by crew)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Case as SqlCase
from django.db.models import Count, F, IntegerField, Prefetch, Value, When, Window
from django.db.models.functions import RowNumber

from waterdesk.cases.models import Case
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork.models import OPEN_STATUSES as OPEN_ORDER_STATUSES
from waterdesk.fieldwork.models import Crew, DutyShift, WorkOrder, WorkOrderStatus
from waterdesk.repairs.selectors.pass_rate import repairs_completed_between

ORDERS_PER_CREW = 3  # open orders listed under a crew (the rest counted)

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


@dataclass
class CrewOrder:
    order: WorkOrder  # with .case (number and public id)
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


def _start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(LOCAL_TZ).date(), time.min, tzinfo=LOCAL_TZ)


def _first_open_orders(open_orders):
    """The first ``ORDERS_PER_CREW`` open orders of each crew by what it is doing now, the
    latest first: numbered per crew by a window over the orders alone, their cases read
    afterwards for the few kept."""
    rank = SqlCase(
        *(When(status=status, then=Value(value)) for status, value in ORDER_RANK.items()),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        open_orders.only("pk", "case_id", "crew_id", "status", "urgent", "address", "assigned_at")
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("crew_id")],
                order_by=[rank.asc(), F("assigned_at").desc(), F("pk").desc()],
            )
        )
        .filter(place__lte=ORDERS_PER_CREW)
        .prefetch_related(Prefetch("case", Case.objects.only("pk", "public_id", "number")))
        .order_by("crew_id", "place")
    )


def crew_board(*, now: datetime) -> list[CrewLine]:
    """The active crews, those on call first, then the busiest."""
    lines = {crew.pk: CrewLine(crew=crew) for crew in Crew.objects.filter(is_active=True)}
    if not lines:
        return []
    labels = {value: str(label) for value, label in WorkOrderStatus.choices}
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
    for order in _first_open_orders(open_orders):
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

"""The repair pass rate (维修合格率) per crew and month, for the KPIs.

A repair completed in the month counts for the crew that completed it; it failed when a
repeat of the same fault at the same premise within the policy's days marked it
(``Repair.failed``). The rate is the share that did not fail, in per cent with two
decimals. A repeat can come up to ``RepairPolicy.repeat_fault_days`` after the month, so a
month's figure is final only that long after its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork.models import Crew
from waterdesk.repairs.models import FaultType, Repair

RATE_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class PassRateRow:
    month: date  # the month's first day
    crew_id: int
    crew_code: str
    crew_name: str
    completed: int
    failed: int
    rate: Decimal | None  # per cent of the completed that passed; None when none completed

    @property
    def passed(self) -> int:
        return self.completed - self.failed


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The local month of ``month`` (any day of it) as [start, end) instants."""
    start = datetime(month.year, month.month, 1, tzinfo=LOCAL_TZ)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=LOCAL_TZ)


def repairs_completed_between(start: datetime, end: datetime) -> QuerySet[Repair]:
    """Repairs completed in [start, end). The fault types are spelt out so that the
    (fault type, completion) index is read in one short range per type instead of every
    repair being scanned."""
    return Repair.objects.filter(
        fault_type_id__in=list(FaultType.objects.values_list("pk", flat=True)),
        completed_at__gte=start,
        completed_at__lt=end,
    )


def pass_rate(completed: int, failed: int) -> Decimal | None:
    if not completed:
        return None
    passed = Decimal(completed - failed) * 100 / Decimal(completed)
    return passed.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def repair_pass_rate(*, month: date, crew: Crew | None = None) -> list[PassRateRow]:
    """One row per crew that completed repairs in ``month`` (by crew code), or the row of
    ``crew`` (zero completed and no rate when it completed none): one aggregate query."""
    start, end = month_bounds(month)
    first_day = start.date()
    repairs = repairs_completed_between(start, end).filter(completed_by_crew__isnull=False)
    if crew is not None:
        repairs = repairs.filter(completed_by_crew=crew)
    groups = (
        repairs.values("completed_by_crew", "completed_by_crew__code", "completed_by_crew__name")
        .annotate(completed=Count("pk"), failed=Count("pk", filter=Q(failed=True)))
        .order_by("completed_by_crew__code")
    )
    rows = [
        PassRateRow(
            month=first_day,
            crew_id=group["completed_by_crew"],
            crew_code=group["completed_by_crew__code"],
            crew_name=group["completed_by_crew__name"],
            completed=group["completed"],
            failed=group["failed"],
            rate=pass_rate(group["completed"], group["failed"]),
        )
        for group in groups
    ]
    if crew is not None and not rows:
        rows = [PassRateRow(first_day, crew.pk, crew.code, crew.name, 0, 0, None)]
    return rows

"""Reading drills and the improvement measures of drills and post-incident reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone

from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import Drill, DrillStatus, DrillTiming, Measure

VIEW_PERMISSION = "emergency.view_emergencyplan"
# Who may mark any measure done besides its owner.
MEASURE_MANAGERS = (
    "emergency.manage_plans",
    "emergency.manage_drills",
    "emergency.review_incident",
)


def drills_list() -> QuerySet[Drill]:
    """Planned drills first, soonest first; then the others, latest first."""
    return (
        Drill.objects.select_related("plan_version__plan")
        .annotate(
            is_upcoming=Case(
                When(status=DrillStatus.PLANNED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_upcoming", "scheduled_for", "pk")
    )


def drills_ordered(drills) -> list[Drill]:
    """``drills_list`` with the past ones latest first (the upcoming stay soonest first)."""
    rows = list(drills)
    upcoming = [drill for drill in rows if drill.status == DrillStatus.PLANNED]
    past = [drill for drill in rows if drill.status != DrillStatus.PLANNED]
    past.sort(key=lambda drill: drill.held_at or drill.scheduled_for, reverse=True)
    return upcoming + past


@dataclass(frozen=True)
class TimingRow:
    timing: DrillTiming

    @property
    def met(self) -> bool | None:
        return self.timing.met

    @property
    def late_by(self) -> int | None:
        if self.timing.target_minutes is None:
            return None
        return max(self.timing.observed_minutes - self.timing.target_minutes, 0)


def drill_timings(drill: Drill) -> list[TimingRow]:
    # The plan's steps in their order, then the drill's own rows.
    timings = (
        DrillTiming.objects.filter(drill=drill)
        .select_related("step")
        .order_by(F("step__position").asc(nulls_last=True), "pk")
    )
    return [TimingRow(timing) for timing in timings]


def drill_timing_summary(rows: list[TimingRow]) -> dict:
    with_target = [row for row in rows if row.met is not None]
    return {
        "with_target": len(with_target),
        "met": sum(1 for row in with_target if row.met),
        "late": sum(1 for row in with_target if not row.met),
    }


def local_today() -> date:
    return timezone.now().astimezone(LOCAL_TZ).date()


def measure_is_overdue(measure: Measure, *, today: date | None = None) -> bool:
    """Open past its deadline (by the date in Asia/Shanghai)."""
    return measure.done_at is None and measure.deadline < (today or local_today())


def measures_open() -> QuerySet[Measure]:
    """Open measures of drills and reviews, earliest deadline first."""
    return (
        Measure.objects.filter(done_at__isnull=True)
        .select_related("owner", "drill__plan_version__plan", "review__incident__case")
        .order_by("deadline", "pk")
    )


def measure_may_mark_done(user, measure: Measure) -> bool:
    """Its owner, or whoever keeps plans, runs drills or reviews incidents."""
    if not user.is_authenticated or not user.is_active:
        return False
    if measure.owner_id == user.pk:
        return True
    return any(user.has_perm(permission) for permission in MEASURE_MANAGERS)


def may_read_measures(user) -> bool:
    """The measures page: the readers of the plans and anyone who owns a measure."""
    return user.has_perm(VIEW_PERMISSION) or Measure.objects.filter(owner=user).exists()

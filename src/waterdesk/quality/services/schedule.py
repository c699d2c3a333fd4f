"""The sampling schedule (R-Q2): each active plan makes one sample per matching point and
period, due from the period's first day to its last ("monthly": any day of the month). The
schedule runs hourly (``tasks.samples_schedule_due``) and is idempotent — a unique constraint
holds one sample per plan, point and period — so a missed hour or a second worker adds
nothing. A sample not taken by the end of its window is overdue."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from waterdesk.cases.services import number_next
from waterdesk.core.timeutil import local
from waterdesk.quality.models import (
    Frequency,
    Sample,
    SampleReason,
    SampleStatus,
    SamplingPlan,
    SamplingPoint,
)
from waterdesk.quality.services.catalogue import edition_in_force, edition_indicators
from waterdesk.quality.verdicts import applies

SAMPLE_PREFIX = "QS"


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """The first and last day of the ``frequency``'s period that holds ``day``."""
    if frequency == Frequency.DAILY:
        return day, day
    if frequency == Frequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if frequency == Frequency.TWICE_MONTHLY:
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), _month_end(day)
    if frequency == Frequency.MONTHLY:
        return day.replace(day=1), _month_end(day)
    if frequency == Frequency.QUARTERLY:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = day.replace(month=first_month, day=1)
        return start, _month_end(start.replace(month=first_month + 2))
    if frequency == Frequency.HALF_YEARLY:
        if day.month <= 6:
            return day.replace(month=1, day=1), day.replace(month=6, day=30)
        return day.replace(month=7, day=1), day.replace(month=12, day=31)
    if frequency == Frequency.YEARLY:
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    raise ValueError(f"unknown frequency {frequency!r}")


def plan_points(plan: SamplingPlan):
    """The active points a plan covers: its own point, or every point of its types."""
    points = SamplingPoint.objects.filter(is_active=True)
    if plan.point_id is not None:
        return points.filter(pk=plan.point_id)
    return points.filter(point_type__in=plan.point_types or [])


def _catalogue(day: date) -> dict:
    edition = edition_in_force(day)
    return edition_indicators(edition) if edition is not None else {}


def sample_codes(
    codes: Iterable[str], point: SamplingPoint, day: date, catalogue: dict | None = None
) -> list[str]:
    """The codes of ``codes`` to test at ``point``: those in the edition in force on ``day``
    that apply to the point's type and disinfection (the outlet takes the outlet residual of
    its own disinfectant; an algal toxin is kept, it applies when the sample is taken in a
    bloom), in the plan's order; the members of a sum of ratios come with it. ``catalogue``:
    the edition's indicators by code, when the caller has read them already."""
    if catalogue is None:
        catalogue = _catalogue(day)
    wanted: list[str] = []
    for code in codes:
        indicator = catalogue.get(code)
        if indicator is None:
            continue
        if not applies(
            indicator,
            point_type=point.point_type,
            disinfection=point.disinfection,
            algal_bloom=True,
        ):
            continue
        for member in [*indicator.members, code]:
            if member not in wanted:
                wanted.append(member)
    return wanted


def sample_create(
    *,
    point: SamplingPoint,
    codes: Iterable[str],
    due_date: date,
    due_by: date,
    reason: str = SampleReason.ROUTINE,
    plan: SamplingPlan | None = None,
    anomaly=None,
    round_number: int | None = None,
    note: str = "",
    catalogue: dict | None = None,
) -> Sample:
    """One scheduled sample, numbered ``QS-yyyymmdd-nnnn`` (the caller's transaction)."""
    return Sample.objects.create(
        number=number_next(prefix=SAMPLE_PREFIX, at=timezone.now()),
        point=point,
        plan=plan,
        reason=reason,
        indicator_codes=sample_codes(codes, point, due_date, catalogue),
        due_date=due_date,
        due_by=due_by,
        anomaly=anomaly,
        round_number=round_number,
        note=note[:300],
    )


def samples_schedule(day: date | None = None) -> int:
    """Schedule the samples of the periods holding ``day`` (today) for every active plan;
    the number of samples created."""
    day = day or local(timezone.now()).date()
    created = 0
    plans = SamplingPlan.objects.filter(is_active=True).select_related("point", "anomaly")
    catalogues: dict[date, dict] = {}  # the edition's indicators, read once per period start
    for plan in plans:
        start, end = period_of(plan.frequency, day)
        if start not in catalogues:
            catalogues[start] = _catalogue(start)
        catalogue = catalogues[start]
        have = set(
            Sample.objects.filter(plan=plan, due_date=start).values_list("point_id", flat=True)
        )
        for point in plan_points(plan).exclude(pk__in=have):
            codes = sample_codes(plan.indicator_codes, point, start, catalogue)
            if not codes:
                continue  # nothing of the plan applies here (source water, say)
            reason = SampleReason.EXTRA if plan.anomaly_id else SampleReason.ROUTINE
            try:
                with transaction.atomic():
                    sample_create(
                        point=point,
                        codes=codes,
                        due_date=start,
                        due_by=end,
                        reason=reason,
                        plan=plan,
                        anomaly=plan.anomaly,
                        catalogue=catalogue,
                    )
            except IntegrityError:
                continue  # another worker scheduled it first
            created += 1
    return created


def samples_overdue(day: date | None = None):
    """Samples not taken by the end of their window."""
    day = day or local(timezone.now()).date()
    return Sample.objects.filter(status=SampleStatus.SCHEDULED, due_by__lt=day)


def samples_due(day: date):
    """The samples to take on ``day``: scheduled, with ``day`` inside their window, and the
    overdue ones."""
    return Sample.objects.filter(status=SampleStatus.SCHEDULED).filter(
        Q(due_date__lte=day, due_by__gte=day) | Q(due_by__lt=day)
    )

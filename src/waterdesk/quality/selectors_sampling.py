"""Reads of the sampling pages: the day's schedule by point, the overdue samples, the
counts the quality manager watches, and summaries per plan and per point."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from waterdesk.quality.models import (
    Sample,
    SampleStatus,
    SamplingPlan,
    SamplingPoint,
)
from waterdesk.quality.services.schedule import samples_due, samples_overdue


@dataclass
class PointDay:
    point: SamplingPoint
    samples: list = field(default_factory=list)


def day_schedule(day: date) -> list[PointDay]:
    """The samples to take on ``day`` (those due and those overdue), grouped by point in
    the order of the point codes; within a point, the overdue first."""
    samples = (
        samples_due(day)
        .select_related("point", "point__plant", "point__zone", "plan")
        .order_by("point__code", "due_by", "number")
    )
    groups: dict[int, PointDay] = {}
    for sample in samples:
        sample.is_overdue = sample.due_by < day
        groups.setdefault(sample.point_id, PointDay(point=sample.point)).samples.append(sample)
    return list(groups.values())


def day_done(day: date):
    """The samples taken on ``day`` (any status after taking), newest first."""
    return (
        Sample.objects.filter(taken_at__date=day)
        .exclude(status=SampleStatus.SCHEDULED)
        .select_related("point", "taken_by")
        .order_by("-taken_at")
    )


def overdue_list(day: date, limit: int = 50) -> list[Sample]:
    return list(
        samples_overdue(day)
        .select_related("point", "plan")
        .order_by("due_by", "point__code", "number")[:limit]
    )


def overdue_count(day: date) -> int:
    return samples_overdue(day).count()


def lab_counts() -> dict[str, int]:
    """Samples waiting on the lab: taken (results to enter), analysed (to confirm) and
    failing ones awaiting the second analyst."""
    rows = dict(
        Sample.objects.filter(
            status__in=[SampleStatus.TAKEN, SampleStatus.ANALYSED, SampleStatus.AWAITING_SECOND]
        )
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {
        "taken": rows.get(SampleStatus.TAKEN, 0),
        "analysed": rows.get(SampleStatus.ANALYSED, 0),
        "awaiting_second": rows.get(SampleStatus.AWAITING_SECOND, 0),
    }


def plan_summaries(day: date) -> list[SamplingPlan]:
    """Every plan (the anomalies' extra plans last) with its points and its samples due or
    overdue."""
    open_q = Q(samples__status=SampleStatus.SCHEDULED)
    plans = list(
        SamplingPlan.objects.select_related("point", "anomaly")
        .annotate(
            scheduled=Count("samples", filter=open_q),
            overdue=Count("samples", filter=open_q & Q(samples__due_by__lt=day)),
        )
        .order_by("anomaly", "-is_active", "code")
    )
    by_type = Counter(
        SamplingPoint.objects.filter(is_active=True).values_list("point_type", flat=True)
    )
    for plan in plans:
        plan.point_count = 1 if plan.point_id else sum(by_type[t] for t in plan.point_types or [])
    return plans


def point_summaries(day: date) -> list[SamplingPoint]:
    """The points with their scheduled and overdue samples."""
    open_q = Q(samples__status=SampleStatus.SCHEDULED)
    points = SamplingPoint.objects.select_related("plant", "zone").annotate(
        scheduled=Count("samples", filter=open_q),
        overdue=Count("samples", filter=open_q & Q(samples__due_by__lt=day)),
    )
    return list(points.order_by("-is_active", "point_type", "code"))

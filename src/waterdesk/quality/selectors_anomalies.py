"""Reading anomalies: the list (open first) and one anomaly with its rounds."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case as When_
from django.db.models import IntegerField, QuerySet, Value, When

from waterdesk.quality.models import Anomaly, AnomalyStatus, Sample


def anomalies_list() -> QuerySet[Anomaly]:
    """Every anomaly, the open ones first, then the latest first."""
    return (
        Anomaly.objects.select_related("point", "zone", "incident")
        .annotate(
            open_first=When_(
                When(status=AnomalyStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-opened_at", "-pk")
    )


def anomaly_by_number(number: str) -> Anomaly | None:
    return (
        Anomaly.objects.select_related("point", "zone", "incident", "sample", "closed_by")
        .filter(number=number)
        .first()
    )


def anomaly_rounds(anomaly: Anomaly) -> list[tuple[int, list[Sample]]]:
    """The follow-up rounds, latest first, each with its samples by point."""
    rounds: dict[int, list[Sample]] = defaultdict(list)
    samples = (
        anomaly.samples.filter(round_number__isnull=False)
        .select_related("point")
        .order_by("-round_number", "point__code")
    )
    for sample in samples:
        rounds[sample.round_number].append(sample)
    return list(rounds.items())


def anomaly_extra_samples(anomaly: Anomaly) -> QuerySet[Sample]:
    """The samples of the raised sampling outside the rounds."""
    return (
        anomaly.samples.filter(round_number__isnull=True)
        .select_related("point")
        .order_by("-due_date", "point__code")
    )

"""The anomaly tests' world: the quality world (tests/quality_support.py), the pollution plan
in force (the seeded one), three customers in the plant's zone
and one outside; and the confirmation of a sample as the results service leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from tests.factories import AccountFactory, CustomerFactory, PremiseFactory, SupplyZoneFactory
from tests.quality_support import QualityWorld, indicator, quality_world
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import IncidentType, PlanVersion
from waterdesk.emergency.selectors_plans import plans_in_force
from waterdesk.quality import hooks
from waterdesk.quality.models import (
    Qualifier,
    Result,
    Sample,
    SampleStatus,
    SampleVerdict,
    Verdict,
)
from waterdesk.quality.services.catalogue import edition_in_force

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)


@dataclass
class AnomalyWorld:
    quality: QualityWorld
    plan: PlanVersion
    inside: list[int]
    outside: int


def anomaly_world() -> AnomalyWorld:
    world = quality_world()
    # The seeded pollution plan (emergency 0002): level Ⅲ is the least severe level that a
    # water-quality failure triggers.
    version = plans_in_force(IncidentType.POLLUTION).get()
    assert version.levels.get(level=3).trigger_quality_failure
    inside = [
        AccountFactory(premise=PremiseFactory(zone=world.zone), customer=CustomerFactory())
        for _ in range(3)
    ]
    west = SupplyZoneFactory(code="qz-west", name="城西片区")
    outside = AccountFactory(premise=PremiseFactory(zone=west), customer=CustomerFactory())
    return AnomalyWorld(
        quality=world,
        plan=version,
        inside=sorted(account.customer_id for account in inside),
        outside=outside.customer_id,
    )


def confirm(sample: Sample, *, world: QualityWorld, fail: dict | None = None) -> Sample:
    """Confirm ``sample`` as the results service does: taken, ``fail`` ({code: raw}) the
    failing results (else it passes), the verdict counted, the listeners told."""
    with transaction.atomic():
        sample.refresh_from_db()
        sample.status = SampleStatus.CONFIRMED
        sample.taken_at = sample.taken_at or datetime.combine(
            sample.due_date, T0.timetz().replace(hour=9)
        )
        sample.edition = sample.edition or edition_in_force(sample.due_date)
        for code, raw in (fail or {}).items():
            Result.objects.create(
                sample=sample,
                indicator=indicator(code, sample.due_date),
                raw=raw,
                qualifier=Qualifier.EQUAL,
                value=raw,
                unit=indicator(code, sample.due_date).unit,
                auto_verdict=Verdict.FAIL,
                verdict=Verdict.FAIL,
                entered_by=world.analyst,
            )
        sample.verdict = SampleVerdict.FAIL if fail else SampleVerdict.PASS
        sample.confirmed_by = world.analyst
        if fail:
            sample.second_confirmed_by = world.analyst2
        sample.save()
        hooks.sample_confirmed_notify(
            sample=sample, actor=world.analyst2 if fail else world.analyst
        )
    return sample

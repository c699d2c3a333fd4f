"""A small water-quality world for the tests: a plant feeding one supply zone, with an outlet
point (chlorine), a network point and a tap point in the zone, a source point, and one user
per quality role (two analysts: a failing sample needs a second). The catalogue is the seeded
GB 5749-2022 edition (migration ``0002_seed_catalogue``).

``sample_taken`` makes a sample that was taken, as the sampler's service leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from tests.factories import SupplyZoneFactory, UserFactory
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import SupplyZone
from waterdesk.quality.models import (
    Disinfection,
    Edition,
    Indicator,
    Plant,
    PointType,
    Sample,
    SampleStatus,
    SamplingPoint,
)
from waterdesk.quality.services.catalogue import edition_in_force
from waterdesk.quality.services.schedule import sample_create


@dataclass
class QualityWorld:
    zone: SupplyZone
    plant: Plant
    outlet: SamplingPoint
    network: SamplingPoint
    tap: SamplingPoint
    source: SamplingPoint
    sampler: object
    analyst: object
    analyst2: object
    manager: object
    edition: Edition


def quality_world() -> QualityWorld:
    zone = SupplyZoneFactory(code="qz-east", name="城东片区")
    plant = Plant.objects.create(code="p-east", name="城东水厂")
    plant.zones.add(zone)

    def point(code, name, point_type, **extra):
        return SamplingPoint.objects.create(
            code=code,
            name=name,
            point_type=point_type,
            location=f"{name}取样口",
            disinfection=Disinfection.CHLORINE,
            **extra,
        )

    return QualityWorld(
        zone=zone,
        plant=plant,
        outlet=point("east-out", "城东水厂出厂水", PointType.PLANT_OUTLET, plant=plant),
        network=point("east-net-1", "人民路管网", PointType.NETWORK, zone=zone),
        tap=point("east-tap-1", "幸福小区末梢", PointType.TAP, zone=zone),
        source=point("east-src", "城东水源", PointType.SOURCE, plant=plant),
        sampler=UserFactory(username="sampler", role=Role.SAMPLER),
        analyst=UserFactory(username="analyst", role=Role.LAB_ANALYST),
        analyst2=UserFactory(username="analyst2", role=Role.LAB_ANALYST),
        manager=UserFactory(username="qmanager", role=Role.QUALITY_MANAGER),
        edition=Edition.objects.get(code="gb5749-2022"),
    )


def indicator(code: str, day: date = date(2026, 12, 2)) -> Indicator:
    return edition_in_force(day).indicators.get(code=code)


def sample_taken(point: SamplingPoint, codes, *, day: date = date(2026, 12, 2), by=None,
                 algal_bloom: bool = False, **extra) -> Sample:  # fmt: skip
    sample = sample_create(point=point, codes=codes, due_date=day, due_by=day, **extra)
    sample.status = SampleStatus.TAKEN
    sample.taken_at = datetime.combine(day, time(9, 0), tzinfo=LOCAL_TZ)
    sample.taken_by = by
    sample.algal_bloom = algal_bloom
    sample.edition = edition_in_force(day)
    sample.save()
    return sample

"""What the water-quality disclosure shows (R-Q3): the compliance rates per plant and per
supply zone over a period, the latest results at each point, and the published reports.

Compliance counts the confirmed samples taken at the judged points (plant outlet, network,
tap, secondary supply; source water is monitored, not judged):

- item compliance = passing items / judged items, where an item passes with the verdict
  PASS or GUIDANCE (a guidance value exceeded is not a failure), fails with FAIL, and is not
  counted when NOT_APPLICABLE or still undecided (JUDGEMENT);
- sample compliance = passing samples / confirmed samples, a sample passing when none of
  its items fails.

A plant's figures are those of its outlet points, a zone's those of the points in the zone.
Counts are integers and rates ``Decimal``; a rate is rounded once, for display
(``rate_text``: "99.85%").

The public page is cached (``PUBLIC_VERSION_KEY``): publishing a report moves the version on
(``disclosure_changed``), and confirmed results show within ``PUBLIC_CACHE_SECONDS``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import SupplyZone
from waterdesk.quality.models import (
    JUDGED,
    Indicator,
    Plant,
    PointType,
    Qualifier,
    QualityReport,
    ReportStatus,
    Result,
    Sample,
    SampleStatus,
    SamplingPoint,
    Verdict,
)
from waterdesk.quality.verdicts import limit_text, number_text

VIEW_PERMISSION = "quality.view_quality"
PUBLIC_DAYS = 30
PUBLIC_VERSION_KEY = "quality:public:version"
PUBLIC_CACHE_SECONDS = 300
PASSING = (Verdict.PASS, Verdict.GUIDANCE)
# The results a resident looks for first (shown of a point's latest sample when tested).
KEY_CODES = (
    "turbidity",
    "color",
    "odor_taste",
    "ph",
    "free_chlorine_outlet",
    "free_chlorine_tap",
    "total_chlorine_outlet",
    "total_chlorine_tap",
    "chlorine_dioxide_outlet",
    "chlorine_dioxide_tap",
    "total_coliforms",
    "e_coli",
    "plate_count",
)
HUNDRED = Decimal(100)


def rate(passing: int, total: int) -> Decimal | None:
    """passing / total as a percentage, exact to 10 places (None when nothing counts)."""
    if not total:
        return None
    return (Decimal(passing) * HUNDRED / Decimal(total)).quantize(Decimal("1e-10"))


def rate_text(value: Decimal | None) -> str:
    """A rate for people: two decimals, "99.85%"; "—" when nothing was counted."""
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


@dataclass
class Compliance:
    samples: int = 0
    samples_passing: int = 0
    items: int = 0
    items_passing: int = 0

    @property
    def items_failing(self) -> int:
        return self.items - self.items_passing

    @property
    def samples_failing(self) -> int:
        return self.samples - self.samples_passing

    @property
    def item_rate(self) -> Decimal | None:
        return rate(self.items_passing, self.items)

    @property
    def sample_rate(self) -> Decimal | None:
        return rate(self.samples_passing, self.samples)

    @property
    def item_rate_text(self) -> str:
        return rate_text(self.item_rate)

    @property
    def sample_rate_text(self) -> str:
        return rate_text(self.sample_rate)


@dataclass
class IndicatorFigures:
    """One indicator over a period: how many judged results, how many passed, the range of
    the measured values (exact values only)."""

    code: str
    name: str
    unit: str
    limit: str
    tested: int = 0
    passing: int = 0
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def range_text(self) -> str:
        if self.low is None:
            return "—"
        if self.low == self.high:
            return number_text(self.low)
        return f"{number_text(self.low)}–{number_text(self.high)}"


@dataclass
class Area:
    """A plant or a supply zone with its figures."""

    kind: str  # "plant" or "zone"
    code: str
    name: str
    compliance: Compliance = field(default_factory=Compliance)
    indicators: dict[str, IndicatorFigures] = field(default_factory=dict)


@dataclass
class Disclosure:
    start: date
    end: date  # inclusive
    plants: list[Area]
    zones: list[Area]
    overall: Compliance

    def area(self, code: str) -> Area | None:
        for area in (*self.plants, *self.zones):
            if area.code == code:
                return area
        return None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, tzinfo=LOCAL_TZ),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=LOCAL_TZ),
    )


def compliance_figures(*, start: date, end: date, indicators: bool = False) -> Disclosure:
    """The compliance per active plant and per supply zone with judged points, over the
    samples taken from ``start`` to ``end`` (local days, inclusive). Two queries for the
    areas, one for the results."""
    low, high = _bounds(start, end)
    plants = {
        plant.pk: Area("plant", plant.code, plant.name)
        for plant in Plant.objects.filter(is_active=True).order_by("code")
    }
    zone_ids = SamplingPoint.objects.filter(point_type__in=JUDGED, zone__isnull=False).values_list(
        "zone_id", flat=True
    )
    zones = {
        zone.pk: Area("zone", zone.code, zone.name)
        for zone in SupplyZone.objects.filter(pk__in=zone_ids).order_by("code")
    }
    rows = (
        Result.objects.filter(
            sample__status=SampleStatus.CONFIRMED,
            sample__point__point_type__in=JUDGED,
            sample__taken_at__gte=low,
            sample__taken_at__lt=high,
        )
        .order_by("sample_id", "indicator__sort_order")
        .values_list(
            "sample_id",
            "verdict",
            "qualifier",
            "value",
            "indicator_id",
            "sample__point__point_type",
            "sample__point__plant_id",
            "sample__point__zone_id",
        )
    )
    rows = list(rows)
    catalogue: dict[int, Indicator] = (
        Indicator.objects.in_bulk({row[4] for row in rows}) if indicators else {}
    )
    overall = Compliance()
    seen: dict[int, list[Area]] = {}
    failed: set[int] = set()
    for sample_id, verdict, qualifier, value, indicator_id, point_type, plant_id, zone_id in rows:
        areas = seen.get(sample_id)
        if areas is None:
            areas = seen[sample_id] = _areas_of(point_type, plant_id, zone_id, plants, zones)
        if verdict not in (*PASSING, Verdict.FAIL):
            continue
        passed = verdict in PASSING
        if not passed:
            failed.add(sample_id)
        for compliance in (overall, *(area.compliance for area in areas)):
            compliance.items += 1
            compliance.items_passing += passed
        if indicators:
            for area in areas:
                _indicator_add(area, catalogue[indicator_id], qualifier, value, passed)
    # The samples: every confirmed sample at a judged point in the period, with or without
    # results that count (a sample whose items are all not applicable still passes).
    samples = Sample.objects.filter(
        status=SampleStatus.CONFIRMED,
        point__point_type__in=JUDGED,
        taken_at__gte=low,
        taken_at__lt=high,
    ).values_list("pk", "point__point_type", "point__plant_id", "point__zone_id")
    for pk, point_type, plant_id, zone_id in samples:
        areas = _areas_of(point_type, plant_id, zone_id, plants, zones)
        passed = pk not in failed
        for compliance in (overall, *(area.compliance for area in areas)):
            compliance.samples += 1
            compliance.samples_passing += passed
    return Disclosure(
        start=start,
        end=end,
        plants=list(plants.values()),
        zones=list(zones.values()),
        overall=overall,
    )


def _areas_of(point_type, plant_id, zone_id, plants, zones) -> list[Area]:
    areas = []
    if point_type == PointType.PLANT_OUTLET and plant_id in plants:
        areas.append(plants[plant_id])
    if zone_id in zones:
        areas.append(zones[zone_id])
    return areas


def _indicator_add(area: Area, indicator, qualifier, value, passed: bool) -> None:
    figures = area.indicators.get(indicator.code)
    if figures is None:
        figures = area.indicators[indicator.code] = IndicatorFigures(
            code=indicator.code,
            name=indicator.name_zh,
            unit=indicator.unit,
            limit=limit_text(indicator),
        )
    figures.tested += 1
    figures.passing += passed
    if qualifier == Qualifier.EQUAL and value is not None:
        value = value.normalize()
        figures.low = value if figures.low is None else min(figures.low, value)
        figures.high = value if figures.high is None else max(figures.high, value)


# --- the latest results -------------------------------------------------------------------


@dataclass
class PointLatest:
    code: str
    name: str
    point_type: str
    point_type_label: str
    plant_code: str
    zone_code: str
    taken_on: date
    passed: bool
    results: list[dict]


def latest_results(*, plant: Plant | None = None, zone_ids=None) -> list[PointLatest]:
    """The latest confirmed sample of each active judged point (of ``plant``'s outlets or
    of the zones ``zone_ids``, or all) with its key results: value, limit, verdict."""
    points = SamplingPoint.objects.filter(is_active=True, point_type__in=JUDGED)
    if plant is not None:
        points = points.filter(plant=plant, point_type=PointType.PLANT_OUTLET)
    if zone_ids is not None:
        points = points.filter(zone_id__in=list(zone_ids))
    points = list(points.select_related("plant", "zone").order_by("code"))
    if not points:
        return []
    # The latest confirmed sample per point (one query).
    newest = (
        Sample.objects.filter(
            point=OuterRef("pk"), status=SampleStatus.CONFIRMED, taken_at__isnull=False
        )
        .order_by("-taken_at", "-pk")
        .values("pk")[:1]
    )
    latest_ids = dict(
        SamplingPoint.objects.filter(pk__in=[point.pk for point in points])
        .annotate(latest=Subquery(newest))
        .filter(latest__isnull=False)
        .values_list("pk", "latest")
    )
    latest = {
        sample.point_id: sample for sample in Sample.objects.filter(pk__in=latest_ids.values())
    }
    results: dict[int, list[Result]] = defaultdict(list)
    for result in (
        Result.objects.filter(sample__in=list(latest.values()))
        .exclude(verdict=Verdict.NOT_APPLICABLE)
        .select_related("indicator")
        .order_by("indicator__sort_order")
    ):
        results[result.sample_id].append(result)
    shown = []
    for point in points:
        sample = latest.get(point.pk)
        if sample is None:
            continue
        rows = results.get(sample.pk, [])
        key = [row for row in rows if row.indicator.code in KEY_CODES] or rows[:8]
        shown.append(
            PointLatest(
                code=point.code,
                name=point.name,
                point_type=point.point_type,
                point_type_label=str(point.get_point_type_display()),
                plant_code=point.plant.code if point.plant else "",
                zone_code=point.zone.code if point.zone else "",
                taken_on=timezone.localdate(sample.taken_at),
                passed=not any(row.verdict == Verdict.FAIL for row in rows),
                results=[
                    {
                        "code": row.indicator.code,
                        "name": row.indicator.name,
                        "value": row.raw,
                        "unit": row.indicator.unit,
                        "limit": limit_text(row.indicator),
                        "verdict": row.verdict,
                        "verdict_label": str(row.get_verdict_display()),
                    }
                    for row in key
                ],
            )
        )
    return shown


# --- the public page ----------------------------------------------------------------------


def public_period(today: date | None = None) -> tuple[date, date]:
    """The public page's period: the last ``PUBLIC_DAYS`` days up to today."""
    today = today or timezone.localdate()
    return today - timedelta(days=PUBLIC_DAYS - 1), today


def published_reports():
    return QualityReport.objects.filter(status=ReportStatus.PUBLISHED).order_by(
        "-period_start", "period"
    )


def public_area(code: str) -> tuple[str, object] | None:
    """The plant or the zone (with judged points) the public page's ``code`` names."""
    plant = Plant.objects.filter(code=code, is_active=True).first()
    if plant is not None:
        return "plant", plant
    zone = SupplyZone.objects.filter(Q(code=code), sampling_points__point_type__in=JUDGED).first()
    if zone is not None:
        return "zone", zone
    return None


def disclosure_version() -> int:
    version = cache.get(PUBLIC_VERSION_KEY)
    if version is None:
        cache.add(PUBLIC_VERSION_KEY, 1, None)
        version = cache.get(PUBLIC_VERSION_KEY) or 1
    return int(version)


def _bump() -> None:
    try:
        cache.incr(PUBLIC_VERSION_KEY)
    except ValueError:
        cache.set(PUBLIC_VERSION_KEY, 2, None)


def disclosure_changed() -> None:
    """After the caller's commit, make the public page read afresh (a report published,
    results confirmed)."""
    transaction.on_commit(_bump, robust=True)


# --- a customer's zones ---------------------------------------------------------------------


def zones_news(zone_ids, *, today: date | None = None) -> list[dict]:
    """For the customer page and the intake desk: each zone's compliance over the public
    period and the latest results at its points."""
    zone_ids = [zone_id for zone_id in dict.fromkeys(zone_ids) if zone_id]
    if not zone_ids:
        return []
    zones = {
        zone.pk: zone
        for zone in SupplyZone.objects.filter(
            pk__in=zone_ids, sampling_points__point_type__in=JUDGED
        ).distinct()
    }
    if not zones:
        return []
    start, end = public_period(today)
    figures = compliance_figures(start=start, end=end)
    by_code = {area.code: area for area in figures.zones}
    latest = latest_results(zone_ids=list(zones))
    news = []
    for zone_id in zone_ids:
        zone = zones.get(zone_id)
        if zone is None:
            continue
        area = by_code.get(zone.code) or Area("zone", zone.code, zone.name)
        news.append(
            {
                "zone": zone,
                "compliance": area.compliance,
                "points": [point for point in latest if point.zone_code == zone.code],
                "start": start,
                "end": end,
            }
        )
    return news

"""What the hotline, the repairs and the customer's page see of incidents and planned
outages at a place: the active incidents whose area contains a premise (or a whole supply
zone), and the announced outages not yet over — each as the few facts a page or a text
message shows (number, what happened, level, expected restoration, water points).

The kinds are named by their agreed codes: ``incident`` (status ``active`` while supply is
being restored) and ``outage`` (status ``announced`` until restored or cancelled).

Reads cost a fixed number of queries whatever the number of premises or cases: the cases
(one), their areas (three, only when some case is found) and their open water points
(one, likewise).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from waterdesk.cases.models import Case
from waterdesk.customers.models import Premise
from waterdesk.emergency import outage_workflow, workflow
from waterdesk.emergency.models import (
    AffectedPremise,
    AffectedStreet,
    AffectedZone,
    IncidentStatus,
    OutageStatus,
    ResponseLevel,
    WaterPoint,
)
from waterdesk.emergency.services.area import Area, area_text, cases_covering
from waterdesk.emergency.services.notices import water_points_text, when_text

INCIDENT_KIND = workflow.KIND
OUTAGE_KIND = outage_workflow.KIND


@dataclass(frozen=True)
class IncidentCover:
    """An active incident as the hotline is shown it."""

    case: Case
    number: str
    title: str
    summary: str  # what the notices say happened (public)
    level: int
    level_label: str
    area: str  # the area in a sentence
    expected_restoration_at: datetime | None
    expected_restoration: str  # "12月3日 18:00", "" when not yet estimated
    water_points: list[WaterPoint] = field(default_factory=list)

    @property
    def water_points_text(self) -> str:
        return water_points_text(self.water_points)


@dataclass(frozen=True)
class OutageCover:
    """An announced planned outage as the hotline is shown it."""

    case: Case
    number: str
    works: str
    summary: str
    area: str
    starts_at: datetime
    ends_at: datetime
    is_current: bool  # started already (supply is off now)
    window: str  # "12月3日 08:00 至 12月3日 18:00"
    water_points: list[WaterPoint] = field(default_factory=list)

    @property
    def water_points_text(self) -> str:
        return water_points_text(self.water_points)


# --- which cases cover a place ------------------------------------------------------------


def active_incident_cases() -> QuerySet[Case]:
    return Case.objects.filter(kind=INCIDENT_KIND, status=IncidentStatus.ACTIVE)


def _outage_cases(at: datetime) -> QuerySet[Case]:
    return Case.objects.filter(
        kind=OUTAGE_KIND,
        status=OutageStatus.ANNOUNCED,
        outage__restored_at__isnull=True,
        outage__ends_at__gt=at,
    )


def _covering_any(premises: list[Premise], cases: QuerySet[Case]) -> QuerySet[Case]:
    """Those of ``cases`` whose area contains any of ``premises`` (one query for all:
    ``cases_covering`` for many premises at once)."""
    if not premises:
        return cases.none()
    zone_ids = {premise.zone_id for premise in premises}
    streets = Q(pk__in=[])
    for premise in premises:
        if premise.street:
            streets |= Q(street=premise.street) & (Q(district="") | Q(district=premise.district))
    condition = Exists(
        AffectedZone.objects.filter(case=OuterRef("pk"), zone_id__in=zone_ids)
    ) | Exists(
        AffectedPremise.objects.filter(
            case=OuterRef("pk"), premise_id__in=[premise.pk for premise in premises]
        )
    )
    if any(premise.street for premise in premises):
        condition |= Exists(AffectedStreet.objects.filter(streets, case=OuterRef("pk")))
    return cases.filter(condition)


def active_incident_cases_in_zone(zone) -> QuerySet[Case]:
    """The active incidents whose area names the whole supply ``zone`` (a report placed
    by its zone only: a street or a premise of the zone is not enough to say it is in)."""
    return active_incident_cases().filter(
        Exists(AffectedZone.objects.filter(case=OuterRef("pk"), zone=zone))
    )


# --- what is shown ------------------------------------------------------------------------


def _with_areas(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.prefetch_related(
        Prefetch("affected_zones", queryset=AffectedZone.objects.select_related("zone")),
        Prefetch(
            "affected_streets", queryset=AffectedStreet.objects.order_by("district", "street")
        ),
        Prefetch("affected_premises", queryset=AffectedPremise.objects.select_related("premise")),
    )


def _area_text(case: Case) -> str:
    return area_text(
        Area(
            zones=tuple(row.zone for row in case.affected_zones.all()),
            streets=tuple((row.district, row.street) for row in case.affected_streets.all()),
            premises=tuple(row.premise for row in case.affected_premises.all()),
        )
    )


def _open_points(cases: list[Case]) -> dict[int, list[WaterPoint]]:
    points: dict[int, list[WaterPoint]] = defaultdict(list)
    if cases:
        for point in WaterPoint.objects.filter(case__in=cases, closed_at__isnull=True).order_by(
            "pk"
        ):
            points[point.case_id].append(point)
    return points


def incident_covers(cases: QuerySet[Case]) -> list[IncidentCover]:
    """``cases`` (incidents) as shown, the most severe level first, then the newest."""
    found = list(
        _with_areas(cases.select_related("incident")).order_by(
            "incident__level", "-opened_at", "-pk"
        )
    )
    points = _open_points(found)
    covers = []
    for case in found:
        incident = case.incident
        covers.append(
            IncidentCover(
                case=case,
                number=case.number,
                title=incident.title,
                summary=incident.public_summary,
                level=incident.level,
                level_label=str(ResponseLevel(incident.level).label)
                if incident.level in ResponseLevel.values
                else str(incident.level),
                area=_area_text(case),
                expected_restoration_at=incident.expected_restoration_at,
                expected_restoration=when_text(incident.expected_restoration_at),
                water_points=points.get(case.pk, []),
            )
        )
    return covers


def outage_covers(cases: QuerySet[Case], *, at: datetime) -> list[OutageCover]:
    """``cases`` (planned outages) as shown, the earliest start first."""
    found = list(_with_areas(cases.select_related("outage")).order_by("outage__starts_at", "pk"))
    points = _open_points(found)
    return [
        OutageCover(
            case=case,
            number=case.number,
            works=case.outage.works,
            summary=case.outage.public_summary,
            area=_area_text(case),
            starts_at=case.outage.starts_at,
            ends_at=case.outage.ends_at,
            is_current=case.outage.starts_at <= at,
            window=f"{when_text(case.outage.starts_at)} 至 {when_text(case.outage.ends_at)}",
            water_points=points.get(case.pk, []),
        )
        for case in found
    ]


def active_incidents_covering(premise: Premise) -> list[IncidentCover]:
    """The active incidents whose area contains ``premise`` (its zone, street or itself)."""
    return incident_covers(cases_covering(premise, cases=active_incident_cases()))


def outages_covering(premise: Premise, *, at: datetime) -> list[OutageCover]:
    """The announced planned outages covering ``premise`` that end after ``at`` (current
    and upcoming), not restored."""
    return outage_covers(cases_covering(premise, cases=_outage_cases(at)), at=at)


def active_incidents_covering_any(premises: Iterable[Premise]) -> list[IncidentCover]:
    """The active incidents covering any of ``premises`` (each incident once)."""
    return incident_covers(_covering_any(list(premises), active_incident_cases()))


def outages_covering_any(premises: Iterable[Premise], *, at: datetime) -> list[OutageCover]:
    """The current and upcoming outages covering any of ``premises`` (each once)."""
    return outage_covers(_covering_any(list(premises), _outage_cases(at)), at=at)


def active_incidents_in_zone(zone) -> list[IncidentCover]:
    """The active incidents over the whole supply ``zone``."""
    return incident_covers(active_incident_cases_in_zone(zone))


@dataclass(frozen=True)
class PlaceNews:
    """What a caller's place is going through: the active incidents and the current or
    upcoming planned outages covering it."""

    incidents: list[IncidentCover]
    outages: list[OutageCover]

    def __bool__(self) -> bool:
        return bool(self.incidents or self.outages)


def place_news(*, premises: Iterable[Premise] = (), zone=None, at: datetime) -> PlaceNews:
    """The incidents and outages covering any of ``premises``; with no premise but a
    supply ``zone``, the incidents over that whole zone."""
    premises = [premise for premise in premises if premise is not None]
    if premises:
        return PlaceNews(
            incidents=active_incidents_covering_any(premises),
            outages=outages_covering_any(premises, at=at),
        )
    if zone is not None:
        return PlaceNews(incidents=active_incidents_in_zone(zone), outages=[])
    return PlaceNews(incidents=[], outages=[])

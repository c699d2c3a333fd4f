"""What the public outage page shows (no login): the current incidents and the announced
planned outages, each with its area in words, the districts it touches, its open water
points and the expected restoration — and nothing personal (no customer, no phone, no
staff name).

The board is read in a handful of queries per event and kept in the cache under the
public pages' version (``public_cache.public_cache_version``): every service that changes
what it shows moves the version on, and an entry lives ``PUBLIC_CACHE_SECONDS`` at most. A
crowd reading the page during an incident costs the database nothing after the first read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Max

from waterdesk.cases.models import CaseEvent
from waterdesk.customers.models import Premise
from waterdesk.emergency.models import (
    Incident,
    IncidentStatus,
    IncidentType,
    NoticeRound,
    OutageStatus,
    PlannedOutage,
    WaterPoint,
)
from waterdesk.emergency.public_cache import PUBLIC_CACHE_SECONDS, public_cache_version
from waterdesk.emergency.services.area import area_of, area_text, premise_filter

BOARD_KEY = "emergency:public:board:{version}"


@dataclass(frozen=True)
class PublicWaterPoint:
    address: str
    district: str
    opening_hours: str
    supplies: str


@dataclass(frozen=True)
class PublicEvent:
    """An incident (``is_incident``) or a planned outage as the public sees it."""

    key: str  # stable within a board: "incident-<n>" / "outage-<n>" (an HTML id)
    is_incident: bool
    title: str
    summary: str
    incident_type: str  # IncidentType value; "" for a planned outage
    area: str
    districts: tuple[str, ...]
    water_points: tuple[PublicWaterPoint, ...]
    starts_at: datetime
    expected_restoration_at: datetime | None
    updated_at: datetime

    @property
    def type_label(self):
        """Translated when the page is rendered, in the reader's language."""
        if self.incident_type in IncidentType.values:
            return IncidentType(self.incident_type).label
        return ""


@dataclass(frozen=True)
class PublicBoard:
    events: tuple[PublicEvent, ...]
    districts: tuple[str, ...]  # the districts some event touches, sorted

    def events_in(self, district: str) -> tuple[PublicEvent, ...]:
        return tuple(event for event in self.events if district in event.districts)

    def by_district(self) -> list[tuple[str, tuple[PublicEvent, ...]]]:
        """(district, its events) for every district touched; "" last: events whose
        premises record no district."""
        groups = [(district, self.events_in(district)) for district in self.districts]
        elsewhere = tuple(event for event in self.events if not event.districts)
        if elsewhere:
            groups.append(("", elsewhere))
        return groups


def _districts(area) -> tuple[str, ...]:
    """The districts of the premises inside ``area`` (zones have no district of their own)."""
    values = (
        Premise.objects.filter(premise_filter(area))
        .exclude(district="")
        .order_by("district")
        .values_list("district", flat=True)
        .distinct()
    )
    return tuple(values)


def _water_points(case_ids: list[int]) -> dict[int, tuple[PublicWaterPoint, ...]]:
    points: dict[int, list[PublicWaterPoint]] = {}
    rows = (
        WaterPoint.objects.filter(case_id__in=case_ids, closed_at__isnull=True)
        .order_by("pk")
        .values_list("case_id", "address", "district", "opening_hours", "supplies")
    )
    for case_id, address, district, hours, supplies in rows:
        points.setdefault(case_id, []).append(
            PublicWaterPoint(
                address=address, district=district, opening_hours=hours, supplies=supplies
            )
        )
    return {case_id: tuple(values) for case_id, values in points.items()}


def _last_changes(case_ids: list[int]) -> dict[int, datetime]:
    """The time of each case's latest event or notice round: "last updated"."""
    latest: dict[int, datetime] = {}
    for model, field in ((CaseEvent, "at"), (NoticeRound, "queued_at")):
        rows = (
            model.objects.filter(case_id__in=case_ids)
            .values("case_id")
            .annotate(last=Max(field))
            .values_list("case_id", "last")
        )
        for case_id, last in rows:
            if case_id not in latest or last > latest[case_id]:
                latest[case_id] = last
    return latest


def public_board_read() -> PublicBoard:
    """The board from the database: active incidents (most severe level first, then the
    latest), then announced planned outages by their start."""
    incidents = list(
        Incident.objects.filter(case__status=IncidentStatus.ACTIVE)
        .select_related("case")
        .order_by("level", "-activated_at", "pk")
    )
    outages = list(
        PlannedOutage.objects.filter(case__status=OutageStatus.ANNOUNCED)
        .select_related("case")
        .order_by("starts_at", "pk")
    )
    case_ids = [row.case_id for row in [*incidents, *outages]]
    points = _water_points(case_ids)
    changes = _last_changes(case_ids)
    events: list[PublicEvent] = []
    for incident in incidents:
        area = area_of(incident.case)
        events.append(
            PublicEvent(
                key=f"incident-{incident.case_id}",
                is_incident=True,
                title=incident.title,
                summary=incident.public_summary,
                incident_type=incident.incident_type,
                area=area_text(area),
                districts=_districts(area),
                water_points=points.get(incident.case_id, ()),
                starts_at=incident.started_at,
                expected_restoration_at=incident.expected_restoration_at,
                updated_at=max(
                    incident.activated_at, changes.get(incident.case_id, incident.activated_at)
                ),
            )
        )
    for outage in outages:
        area = area_of(outage.case)
        announced = outage.announced_at or outage.case.opened_at
        events.append(
            PublicEvent(
                key=f"outage-{outage.case_id}",
                is_incident=False,
                title=outage.works,
                summary=outage.public_summary,
                incident_type="",
                area=area_text(area),
                districts=_districts(area),
                water_points=points.get(outage.case_id, ()),
                starts_at=outage.starts_at,
                expected_restoration_at=outage.ends_at,
                updated_at=max(announced, changes.get(outage.case_id, announced)),
            )
        )
    districts = sorted({district for event in events for district in event.districts})
    return PublicBoard(events=tuple(events), districts=tuple(districts))


def public_board(version: int | None = None) -> PublicBoard:
    """The board of the public pages' ``version`` (the current one unless given): from the
    cache, or read and kept there."""
    version = public_cache_version() if version is None else version
    key = BOARD_KEY.format(version=version)
    board = cache.get(key)
    if board is None:
        board = public_board_read()
        cache.set(key, board, PUBLIC_CACHE_SECONDS)
    return board

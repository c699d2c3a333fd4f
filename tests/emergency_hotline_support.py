"""Incidents and planned outages made directly as rows (the incident and outage services
are their parts' own): what the hotline and the repairs react to."""

from datetime import datetime, timedelta

from waterdesk.cases.models import Case, Channel
from waterdesk.emergency.models import Incident, PlannedOutage, WaterPoint
from waterdesk.emergency.services.area import area_clean, area_record


def _case(kind: str, status: str, at: datetime, prefix: str) -> Case:
    count = Case.objects.filter(kind=kind).count() + 1
    return Case.objects.create(
        number=f"{prefix}-{at:%Y%m%d}-{count:04d}",
        kind=kind,
        channel=Channel.PHONE,
        contact_name="应急办",
        contact_phone="",
        status=status,
        opened_at=at,
    )


def active_incident(
    *,
    at: datetime,
    zones=(),
    streets=(),
    premises=(),
    expected_hours: int = 6,
    points=("人民广场",),
    status: str = "active",
    title: str = "城北DN600主管爆管",
) -> Case:
    """An incident case (status ``active`` unless told) over the area, with its water
    points."""
    case = _case("incident", status, at, "YJ")
    Incident.objects.create(
        case=case,
        incident_type="pipe_burst",
        level=3,
        source="dispatcher",
        title=title,
        description="主管爆管，片区停水",
        public_summary="城北片区因主管爆管停水",
        started_at=at - timedelta(hours=1),
        activated_at=at - timedelta(minutes=50),
        expected_restoration_at=at + timedelta(hours=expected_hours),
    )
    area_record(case=case, area=area_clean(zones=zones, streets=streets, premises=premises))
    for address in points:
        WaterPoint.objects.create(
            case=case, address=address, opening_hours="8:00-20:00", supplies="送水车", opened_at=at
        )
    return case


def announced_outage(
    *, at: datetime, starts_in_hours: int, hours: int = 8, zones=(), streets=(), premises=()
) -> Case:
    """An announced planned outage over the area starting ``starts_in_hours`` after
    ``at`` (negative: under way)."""
    case = _case("outage", "announced", at, "TS")
    starts = at + timedelta(hours=starts_in_hours)
    PlannedOutage.objects.create(
        case=case,
        works="更换DN300阀门",
        public_summary="阀门更换停水",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        planned_ends_at=starts + timedelta(hours=hours),
        announced_at=at - timedelta(days=2),
    )
    area_record(case=case, area=area_clean(zones=zones, streets=streets, premises=premises))
    return case

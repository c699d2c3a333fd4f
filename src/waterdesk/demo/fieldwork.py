"""Field work in the demo city: two repair crews with their members and vehicles, the
on-call roster around today (day and night shifts, alternating), and a place on the map
for every premise, so that reports near each other are found as one fault."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from waterdesk.core.timeutil import local
from waterdesk.customers.models import Premise
from waterdesk.fieldwork.models import Crew, CrewMember, DutyShift, Vehicle

# The demo city's zones around a centre (WGS-84); a road runs east from its zone's corner.
ZONE_ORIGINS = {
    "north": (Decimal("30.3050"), Decimal("120.1450")),
    "south": (Decimal("30.2350"), Decimal("120.1550")),
    "east": (Decimal("30.2700"), Decimal("120.2100")),
    "west": (Decimal("30.2700"), Decimal("120.1000")),
}
# About 11 m a house number along a road (0.0001 degree of longitude ≈ 9.6 m here).
STEP = Decimal("0.00012")
ROAD_SPACING = Decimal("0.0045")  # about 500 m between roads

CREWS = [
    # code, name, phone, members (username, leader), vehicle
    ("east1", "抢修一班", "0571-87000001", [("crew1", True), ("crew2", False)], "浙A·W0001"),
    ("east2", "抢修二班", "0571-87000002", [("crew3", True), ("crew4", False)], "浙A·W0002"),
]


def locate_premises() -> int:
    """Give each premise a place: its zone's corner, its road's row, its number along it."""
    located = 0
    roads: dict[tuple[int, str], int] = {}
    premises = list(Premise.objects.select_related("zone").order_by("pk"))
    for premise in premises:
        origin = ZONE_ORIGINS.get(premise.zone.code)
        match = re.match(r"^(.*?路)(\d+)号", premise.address)
        if origin is None or match is None:
            continue
        in_zone = sum(1 for zone_id, _road in roads if zone_id == premise.zone_id)
        road = roads.setdefault((premise.zone_id, match.group(1)), in_zone)
        premise.latitude = origin[0] + ROAD_SPACING * road
        premise.longitude = origin[1] + STEP * int(match.group(2))
        located += 1
    Premise.objects.bulk_update(premises, ["latitude", "longitude"])
    return located


def seed_crews(*, staff: dict, now: datetime) -> list[Crew]:
    """The crews, and the roster from a week ago to a week ahead: 08:00–20:00 and
    20:00–08:00 shifts, the crews taking turns day by day."""
    crews = []
    for code, name, phone, members, plate in CREWS:
        crew = Crew.objects.create(code=code, name=name, phone=phone)
        for username, leader in members:
            CrewMember.objects.create(crew=crew, user=staff[username], is_leader=leader)
        Vehicle.objects.create(plate=plate, description="抢修工程车", crew=crew)
        crews.append(crew)
    today = local(now).replace(hour=8, minute=0, second=0, microsecond=0)
    shifts = []
    for offset in range(-7, 8):
        morning = today + timedelta(days=offset)
        day_crew, night_crew = crews[offset % 2], crews[(offset + 1) % 2]
        shifts.append(
            DutyShift(
                crew=day_crew, starts_at=morning, ends_at=morning + timedelta(hours=12), note="白班"
            )
        )
        shifts.append(
            DutyShift(
                crew=night_crew,
                starts_at=morning + timedelta(hours=12),
                ends_at=morning + timedelta(hours=24),
                note="夜班",
            )
        )
    # The night before today's first day shift.
    shifts.append(
        DutyShift(
            crew=crews[1],
            starts_at=today - timedelta(days=7, hours=12),
            ends_at=today - timedelta(days=7),
            note="夜班",
        )
    )
    DutyShift.objects.bulk_create(shifts)
    return crews

"""Duplicate reports (R-R1, issue 10 §3): is a new report the fault an open repair is for?

An open repair (not completed, not cancelled) of the same fault type, reported within the
policy's window before the new report, is proposed when it is at the same place:

- the same premise; or
- within the policy's distance, by the coordinates of both (haversine on the WGS-84 sphere;
  a bounding box on the indexed latitude/longitude finds the few rows to measure); or
- the same address as typed, once reduced by ``address_key``; or
- for a zone-wide fault (no water, low pressure, discoloured water …), the same supply zone.

The hotline agent then links the report to one of them, or confirms it as a new fault.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q

from waterdesk.core.timeutil import local
from waterdesk.repairs.models import FaultType, Repair
from waterdesk.repairs.selectors.policy import repair_policy

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = 111_320.0
# More candidates than this are never useful to an agent on the phone.
CANDIDATE_LIMIT = 10

# Separators people type in addresses in different ways (after NFKC, which turns full-width
# letters, digits and punctuation into their ASCII forms). Dashes stay, as one kind of dash:
# "3-201" and "32-01" are different doors.
_SEPARATORS = re.compile(r"[\s,.;:·•_/\\#()\[\]，。、；：（）【】]+")
_DASHES = re.compile("[\u2010-\u2015\u2212]")


def address_key(address: str) -> str:
    """``address`` reduced for comparison: full-width forms folded (NFKC), lower case,
    spaces and separators removed — ``"解放路 １号（东门）"`` and ``"解放路1号东门"`` are one
    key."""
    text = unicodedata.normalize("NFKC", str(address or "")).lower()
    return _SEPARATORS.sub("", _DASHES.sub("-", text))[:300]


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _bounding_box(latitude, longitude, metres: float) -> Q:
    lat, lon = float(latitude), float(longitude)
    dlat = metres / METRES_PER_DEGREE
    dlon = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))

    def bound(value: float) -> Decimal:
        return Decimal(f"{value:.6f}")

    return Q(
        latitude__range=(bound(lat - dlat), bound(lat + dlat)),
        longitude__range=(bound(lon - dlon), bound(lon + dlon)),
    )


def repair_duplicates(
    *,
    fault_type: FaultType,
    premise,
    zone,
    latitude,
    longitude,
    address: str,
    at: datetime,
) -> list[Repair]:
    """The open repairs this report may duplicate, newest first (at most
    ``CANDIDATE_LIMIT``), each with ``contact_count`` (its callers) and its case."""
    policy = repair_policy()
    since = at - timedelta(hours=policy.duplicate_window_hours)
    key = address_key(address)
    has_point = latitude is not None and longitude is not None
    by_zone = fault_type.zone_wide and zone is not None
    place = Q()
    if premise is not None:
        place |= Q(case__premise=premise)
    if key:
        place |= Q(address_key=key)
    if has_point:
        place |= _bounding_box(latitude, longitude, policy.duplicate_distance_m)
    if by_zone:
        place |= Q(zone=zone)
    if not place:
        return []
    rows = (
        Repair.objects.filter(
            fault_type=fault_type,
            completed_at__isnull=True,
            case__closed_at__isnull=True,
            reported_at__gte=since,
            reported_at__lte=at,
        )
        .filter(place)
        .select_related("case", "fault_type")
        .annotate(contact_count=Count("contacts"))
        .order_by("-reported_at", "-pk")
    )

    def same_place(repair: Repair) -> bool:
        if premise is not None and repair.case.premise_id == premise.pk:
            return True
        if key and repair.address_key == key:
            return True
        if by_zone and repair.zone_id == zone.pk:
            return True
        return (
            has_point
            and repair.latitude is not None
            and repair.longitude is not None
            and distance_m(latitude, longitude, repair.latitude, repair.longitude)
            <= policy.duplicate_distance_m
        )

    found = []
    for repair in rows[: CANDIDATE_LIMIT * 5]:  # the box's corners are measured out here
        if same_place(repair):
            found.append(repair)
            if len(found) == CANDIDATE_LIMIT:
                break
    return found


def duplicate_candidates_data(repairs: list[Repair]) -> list[dict]:
    """The candidates as the refusal carries them (API ``details.candidates``)."""
    return [
        {
            "public_id": str(repair.case.public_id),
            "number": repair.case.number,
            "address": repair.address,
            "reported_at": local(repair.reported_at).isoformat(),
            "contacts": getattr(repair, "contact_count", None) or repair.contacts.count(),
        }
        for repair in repairs
    ]

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

from django.db.models import Count, FloatField, Q
from django.db.models.expressions import RawSQL

from waterdesk.cases.models import Case
from waterdesk.core.timeutil import local
from waterdesk.repairs.models import FaultType, Repair
from waterdesk.repairs.selectors.policy import repair_policy
from waterdesk.repairs.workflow import KIND

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


# The haversine formula's ``a`` between a point (%s: its latitude and longitude in radians
# and the cosine of its latitude) and a repair's coordinates, in SQL that PostgreSQL and
# SQLite (Django registers the functions there) both read. Written out rather than built
# from expressions: it is compiled for every report.
_HAVERSINE_A = (
    'POWER(SIN((RADIANS(CAST("repairs_repair"."latitude" AS DOUBLE PRECISION)) - %s) / 2), 2)'
    ' + %s * COS(RADIANS(CAST("repairs_repair"."latitude" AS DOUBLE PRECISION)))'
    ' * POWER(SIN((RADIANS(CAST("repairs_repair"."longitude" AS DOUBLE PRECISION)) - %s) / 2), 2)'
)


def _haversine_term(latitude, longitude) -> RawSQL:
    """``a`` of the haversine formula to the point: within ``d`` metres exactly when
    ``a <= sin²(d / 2R)`` (the haversine distance, without its square root and arcsine)."""
    phi = math.radians(float(latitude))
    return RawSQL(
        _HAVERSINE_A,
        (phi, math.cos(phi), math.radians(float(longitude))),
        output_field=FloatField(),
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
    ``CANDIDATE_LIMIT``), each with ``contact_count`` (its callers) and the few columns of
    its case and fault type that the candidates show. One query: every test of the place
    is SQL, so the first rows are the answer."""
    policy = repair_policy()
    since = at - timedelta(hours=policy.duplicate_window_hours)
    key = address_key(address)
    has_point = latitude is not None and longitude is not None
    rows = Repair.objects.filter(
        fault_type=fault_type,
        completed_at__isnull=True,
        case__closed_at__isnull=True,
        # A repair linked to an incident is the incident's: a report inside its area is
        # linked to the incident itself (``services.incident``), one outside is not it.
        incident__isnull=True,
        reported_at__gte=since,
        reported_at__lte=at,
    )
    place = Q()
    if premise is not None:
        # The premise is the case's: asked as a subquery, the whole place test reads the
        # repair's own columns, and only the repairs that pass it are joined to their case.
        place |= Q(case_id__in=Case.objects.filter(kind=KIND, premise=premise).values("pk"))
    if key:
        place |= Q(address_key=key)
    if has_point:
        # The box (indexed) finds the few rows to measure; the circle decides.
        reach = math.sin(policy.duplicate_distance_m / (2 * EARTH_RADIUS_M)) ** 2
        rows = rows.alias(haversine_a=_haversine_term(latitude, longitude))
        place |= _bounding_box(latitude, longitude, policy.duplicate_distance_m) & Q(
            haversine_a__lte=reach
        )
    if fault_type.zone_wide and zone is not None:
        place |= Q(zone=zone)
    if not place:
        return []
    return list(
        rows.filter(place)
        .select_related("case", "fault_type")
        .only(*_CANDIDATE_COLUMNS)
        .annotate(contact_count=Count("contacts"))
        .order_by("-reported_at", "-pk")[:CANDIDATE_LIMIT]
    )


# What a candidate shows (the API's details, the intake page's table).
_CANDIDATE_COLUMNS = (
    "address",
    "reported_at",
    "case__public_id",
    "case__number",
    "case__kind",
    "case__status",
    "fault_type__name",
)


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

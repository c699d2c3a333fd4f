"""Reads of the planned-outage pages: the list, the case page's panel, the street choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from waterdesk.customers.models import Premise
from waterdesk.emergency.models import NoticeRound, OutageStatus, PlannedOutage, WaterPoint
from waterdesk.emergency.services.area import affected_counts, area_of, area_text

# How long restored and ended outages stay on the list.
RECENT_DAYS = 7


def street_choices() -> list[tuple[str, str]]:
    """The (district, street) pairs the premises record, for the area's street list."""
    return list(
        Premise.objects.exclude(street="")
        .order_by("district", "street")
        .values_list("district", "street")
        .distinct()
    )


@dataclass
class OutageRow:
    outage: PlannedOutage
    area: str
    customers: int
    sensitive: int
    in_progress: bool

    @property
    def case(self):
        return self.outage.case


def _rows(outages, now: datetime) -> list[OutageRow]:
    rows = []
    for outage in outages:
        area = area_of(outage.case)
        customers, sensitive = affected_counts(area)
        rows.append(
            OutageRow(
                outage=outage,
                area=area_text(area),
                customers=customers,
                sensitive=sensitive,
                in_progress=outage.case.status == OutageStatus.ANNOUNCED
                and outage.starts_at <= now,
            )
        )
    return rows


def outage_list(*, now: datetime) -> dict[str, list[OutageRow]]:
    """The list page: waiting for approval; in progress and upcoming (by start); restored,
    cancelled or refused in the last ``RECENT_DAYS`` days (latest first)."""
    outages = PlannedOutage.objects.select_related("case", "case__opened_by", "approved_by")
    since = now - timedelta(days=RECENT_DAYS)
    return {
        "awaiting": _rows(
            outages.filter(case__status=OutageStatus.AWAITING_APPROVAL).order_by("starts_at"),
            now,
        ),
        "current": _rows(
            outages.filter(case__status=OutageStatus.ANNOUNCED).order_by("starts_at", "pk"), now
        ),
        "recent": _rows(
            outages.filter(
                case__status__in=[
                    OutageStatus.RESTORED,
                    OutageStatus.CANCELLED,
                    OutageStatus.REFUSED,
                ],
                case__closed_at__gte=since,
            ).order_by("-case__closed_at"),
            now,
        ),
    }


def outage_panel(case) -> dict:
    """The case page's outage panel: times, area and counts, water points, notice rounds."""
    outage = PlannedOutage.objects.select_related("approved_by").get(case=case)
    area = area_of(case)
    customers, sensitive = affected_counts(area)
    return {
        "outage": outage,
        "area": area,
        "area_text": area_text(area),
        "affected_customers": customers,
        "affected_sensitive": sensitive,
        "water_points": list(WaterPoint.objects.filter(case=case).order_by("pk")),
        "notice_rounds": list(
            NoticeRound.objects.filter(case=case).select_related("queued_by").order_by("number")
        ),
    }

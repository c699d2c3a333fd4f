"""Temporary water points of an incident or a planned outage: the input checked, the rows
written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.emergency.models import WaterPoint

MAX_WATER_POINTS = 20


def water_point_clean(
    *, address, opening_hours, supplies, district="", field_prefix: str = ""
) -> dict:
    """The fields of a temporary water point, checked."""
    return {
        "address": text_input(
            text_clean_line(address),
            field=f"{field_prefix}address",
            label=_("供水点地址"),
            limit=300,
        ),
        "opening_hours": text_input(
            text_clean_line(opening_hours),
            field=f"{field_prefix}opening_hours",
            label=_("开放时间"),
            limit=100,
        ),
        "supplies": text_input(
            text_clean_line(supplies),
            field=f"{field_prefix}supplies",
            label=_("供应内容"),
            limit=200,
        ),
        "district": text_input(
            text_clean_line(district),
            field=f"{field_prefix}district",
            label=_("区县"),
            limit=50,
            required=False,
        ),
    }


def water_points_clean(points) -> list[dict]:
    points = [
        point if isinstance(point, Mapping) else point.__dict__ for point in (points or ()) if point
    ]
    if len(points) > MAX_WATER_POINTS:
        raise InvalidInput(
            _("一次最多设立 %(count)s 个临时供水点。") % {"count": MAX_WATER_POINTS},
            code="too_many_water_points",
            field="water_points",
        )
    return [
        water_point_clean(
            address=point.get("address", ""),
            opening_hours=point.get("opening_hours", ""),
            supplies=point.get("supplies", ""),
            district=point.get("district", ""),
        )
        for point in points
    ]


def water_points_create(case: Case, points: list[dict], *, at: datetime) -> list[WaterPoint]:
    return [WaterPoint.objects.create(case=case, opened_at=at, **point) for point in points]

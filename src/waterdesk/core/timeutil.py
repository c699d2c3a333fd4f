"""Aware-time helpers: stored in UTC, shown in Asia/Shanghai."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return timezone.now()


def local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_text(value: str) -> str:
    """An ISO date-time as stored in event data, shown as local "YYYY-MM-DD HH:MM" (other
    text unchanged)."""
    parsed = parse_datetime(value) if value else None
    return local(parsed).strftime("%Y-%m-%d %H:%M") if parsed and parsed.tzinfo else value

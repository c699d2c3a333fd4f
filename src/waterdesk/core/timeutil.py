"""Aware-time helpers: stored in UTC, shown in Asia/Shanghai."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return timezone.now()


def local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)

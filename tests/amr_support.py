"""Helpers of the remote-read tests: a head-end with its token, remote meters on installed
accounts, pushes through the API, readings written straight for the rule tests, and time
pinned in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import time_machine
from django.urls import reverse

from tests.factories import UserFactory, installed_account
from waterdesk.amr.models import HeadEnd, RemoteMeter, RemoteReading
from waterdesk.amr.services.head_ends import head_end_create
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def pinned(day: date, hour: int = 10, minute: int = 0):
    return time_machine.travel(moment(day, hour, minute), tick=False)


def new_head_end(code: str = "he1") -> tuple[HeadEnd, str]:
    admin = UserFactory(username=f"admin-{code}", role=Role.ADMINISTRATOR)
    return head_end_create(actor=admin, code=code, name=f"主站{code}")


def remote_meter(head_end: HeadEnd, device_id: str, *, account=None, valve=False) -> RemoteMeter:
    account = account or installed_account()
    return RemoteMeter.objects.create(
        meter=account.meters.get(), head_end=head_end, device_id=device_id, supports_valve=valve
    )


def item(device_id: str, at: datetime, value, **flags) -> dict:
    return {"device_id": device_id, "read_at": at.isoformat(), "value": str(value), **flags}


def push(client, key: str, items: list):
    return client.post(
        reverse("api:amr-readings"),
        {"readings": items},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )


def reading(meter: RemoteMeter, at: datetime, value, **flags) -> RemoteReading:
    return RemoteReading.objects.create(
        remote_meter=meter, read_at=at, value=Decimal(str(value)), received_at=at, **flags
    )


def daily(meter: RemoteMeter, first: date, days: int, *, start="10", step="0.5", hour=8, **flags):
    """One reading a day at ``hour`` from ``first``, rising by ``step`` m³."""
    value = Decimal(start)
    for offset in range(days):
        reading(meter, moment(first + timedelta(days=offset), hour), value, **flags)
        value += Decimal(step)

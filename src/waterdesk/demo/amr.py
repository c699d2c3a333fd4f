"""Remote-read meters in the demo city:

- one head-end (``demo-nb``, the sandbox adapter) whose token is printed once;
- 20 remote meters on existing accounts (the first installed meters without one), six of
  them with a valve; 60 days of daily readings at 08:00 (the head-end's history, loaded as
  it stood when the head-end was connected);
- an open alarm of each kind: reverse flow, low battery, leak-like night flow, and a meter
  silent for five days;
- a valve close asked for by ``collector1`` awaiting approval, and one approved by
  ``collsup1`` and confirmed by the sandbox head-end.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Max

from waterdesk.amr.models import HeadEnd, RemoteMeter, RemoteReading
from waterdesk.amr.services.alarms import alarms_scan
from waterdesk.amr.services.head_ends import head_end_create
from waterdesk.amr.services.valves import (
    valve_command_approve,
    valve_command_request,
    valve_command_send,
)
from waterdesk.billing.models import MeterRead, ReadStatus
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Meter, MeterState
from waterdesk.demo.clock import at

METERS = 20
DAYS = 60
DAILY_USE = Decimal("0.400")


def _history(remote: RemoteMeter, *, base: Decimal, base_day, now: datetime, **flags) -> None:
    today = local(now).date()
    rows = []
    silent_from = flags.pop("silent_days", 0)
    for back in range(DAYS, silent_from - 1, -1):
        day = today - timedelta(days=back)
        moment = datetime.combine(day, time(8), tzinfo=LOCAL_TZ)
        if moment > now:
            continue
        value = max(base + DAILY_USE * (day - base_day).days, Decimal("0"))
        rows.append(
            RemoteReading(
                remote_meter=remote,
                read_at=moment,
                value=value.quantize(Decimal("0.001")),
                battery_percent=80,
                received_at=moment,
            )
        )
    last = rows[-1]
    for name, flag in flags.items():  # the latest reading carries the alarm's flag
        setattr(last, name, flag)
    RemoteReading.objects.bulk_create(rows)
    remote.last_seen_at = last.read_at
    remote.last_value = last.value
    remote.battery_percent = last.battery_percent
    remote.save(update_fields=["last_seen_at", "last_value", "battery_percent"])


def seed_amr(*, staff: dict, now: datetime) -> dict:
    """The head-end, its meters, readings, alarms and valve commands; returns
    {"head_end", "token", "meters", "alarms", "commands"}."""
    head_end, token = head_end_create(actor=staff["admin"], code="demo-nb", name="NB-IoT 远传主站")
    taken = RemoteMeter.objects.values_list("meter_id", flat=True)
    meters = list(
        Meter.objects.filter(state=MeterState.INSTALLED, account__isnull=False)
        .exclude(pk__in=taken)
        .order_by("pk")[:METERS]
    )
    last_reads = {
        row["meter_id"]: row
        for row in MeterRead.objects.filter(meter__in=meters, status=ReadStatus.VALIDATED)
        .values("meter_id")
        .annotate(day=Max("read_on"), value=Max("value"))
    }
    remotes = []
    for index, meter in enumerate(meters):
        remote = RemoteMeter.objects.create(
            meter=meter,
            head_end=head_end,
            device_id=f"86{index:013d}",
            supports_valve=index in (4, 5, 6, 7, 8, 9),
            valve_state="open" if index in (4, 5, 6, 7, 8, 9) else "unknown",
        )
        known = last_reads.get(meter.pk)
        base = known["value"] if known else (meter.initial_reading or Decimal("0"))
        base_day = known["day"] if known else local(now).date() - timedelta(days=DAYS)
        flags = {
            0: {"reverse_flow": True},
            1: {"low_battery": True, "battery_percent": 12},
            2: {"leak": True},
            3: {"silent_days": 5},
        }.get(index, {})
        _history(remote, base=base, base_day=base_day, now=now, **flags)
        remotes.append(remote)
    with at(now):
        raised = alarms_scan(at=now)
        waiting = valve_command_request(
            actor=staff["collector1"],
            remote_meter=remotes[4],
            action="close",
            reason="欠费停水（待审批演示）",
            at=now - timedelta(hours=2),
        )
        done = valve_command_request(
            actor=staff["collector1"],
            remote_meter=remotes[5],
            action="close",
            reason="用户申请临时关阀（外出检修）",
            at=now - timedelta(days=1),
        )
        valve_command_approve(actor=staff["collsup1"], command=done, at=now - timedelta(hours=20))
        valve_command_send(command=done, at=now - timedelta(hours=20))
    return {
        "head_end": HeadEnd.objects.get(pk=head_end.pk),
        "token": token,
        "meters": remotes,
        "alarms": raised,
        "commands": [waiting, done],
    }

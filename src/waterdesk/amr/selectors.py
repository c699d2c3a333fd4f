"""Reads of the remote-read pages."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from waterdesk.amr.models import (
    Alarm,
    AlarmStatus,
    BillingReadRun,
    RemoteImport,
    RemoteMeter,
    ValveCommand,
)
from waterdesk.billing.models import ReadingCycle

DAILY_DAYS = 60


def remote_meters_list():
    return (
        RemoteMeter.objects.select_related("meter__account", "head_end")
        .annotate(open_alarms=Count("alarms", filter=Q(alarms__status=AlarmStatus.OPEN)))
        .order_by("device_id")
    )


def remote_meter_get(pk: int) -> RemoteMeter | None:
    return RemoteMeter.objects.select_related("meter__account", "head_end").filter(pk=pk).first()


def remote_meter_daily(meter: RemoteMeter, *, days: int = DAILY_DAYS):
    """The meter's readings of the last ``days`` days, newest first."""
    since = timezone.now() - timedelta(days=days)
    return meter.readings.filter(read_at__gte=since).order_by("-read_at")


def alarms_open():
    return (
        Alarm.objects.filter(status=AlarmStatus.OPEN)
        .select_related("remote_meter__meter__account", "assignee")
        .order_by("opened_at", "pk")
    )


def alarms_recent_resolved(limit: int = 20):
    return (
        Alarm.objects.filter(status=AlarmStatus.RESOLVED)
        .select_related("remote_meter", "resolved_by")
        .order_by("-resolved_at")[:limit]
    )


def valve_commands_list(limit: int = 100):
    return ValveCommand.objects.select_related(
        "remote_meter__meter__account", "requested_by", "approved_by", "case"
    ).order_by("-requested_at", "-pk")[:limit]


def imports_list(limit: int = 30):
    return RemoteImport.objects.select_related("head_end", "uploaded_by")[:limit]


def cycles_with_runs():
    cycles = list(ReadingCycle.objects.order_by("-period_start")[:12])
    runs: dict[int, BillingReadRun] = {}
    for run in BillingReadRun.objects.filter(cycle__in=cycles).order_by("run_at", "pk"):
        runs[run.cycle_id] = run  # the latest
    return [(cycle, runs.get(cycle.pk)) for cycle in cycles]

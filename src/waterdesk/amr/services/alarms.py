"""Alarms of remote meters, and the queue staff work them from.

The scan (``alarms_scan``, hourly from the beat) raises, per active meter:

- ``silent``: no reading for more than ``AmrPolicy.silence_days`` days (a meter never heard
  from since it was registered is not judged);
- ``reverse_flow``: a reading flagged reverse flow by the head-end;
- ``low_battery``: a reading flagged low battery, or a battery level below
  ``low_battery_percent``;
- ``night_flow`` (leak-like night flow): a reading flagged leak by the head-end, or
  ``night_flow_nights`` consecutive nights whose night flow is above
  ``night_flow_threshold`` m³/h. A night's flow is measured from the readings taken between
  02:00 and 04:00 local time when there are at least two of them an hour or more apart
  (consumption ÷ hours); otherwise it is the minimum night flow the head-end reported that
  day (``RemoteReading.night_flow``). Daily-only meters without that field are judged by
  the leak flag alone.

An alarm is raised once while open (``amralarm_unique_open``) and only on evidence newer
than the meter's last alarm of the kind: resolving an alarm does not bring it straight back
for the same readings. No work-order purpose fits a meter check without a customer case, so
the alarms are the task: a queue page where a supervisor assigns one and the assignee (or a
supervisor) resolves it with what was done.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.models import (
    Alarm,
    AlarmKind,
    AlarmStatus,
    AmrPolicy,
    RemoteMeter,
    RemoteReading,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.text import text_input
from waterdesk.core.timeutil import LOCAL_TZ, local

MANAGE_PERMISSION = "amr.manage_alarm"
NIGHT_START = time(2, 0)
NIGHT_END = time(4, 0)


def amr_policy() -> AmrPolicy:
    return AmrPolicy.objects.filter(pk=1).first() or AmrPolicy(pk=1)


def _latest_evidence() -> dict[tuple[int, str], datetime]:
    rows = Alarm.objects.values("remote_meter_id", "kind").annotate(last=Max("evidence_at"))
    return {(row["remote_meter_id"], row["kind"]): row["last"] for row in rows}


def _flagged(condition: Q, since: datetime) -> dict[int, datetime]:
    rows = (
        RemoteReading.objects.filter(condition, read_at__gte=since, remote_meter__is_active=True)
        .values("remote_meter_id")
        .annotate(last=Max("read_at"))
    )
    return {row["remote_meter_id"]: row["last"] for row in rows}


def night_flows(meter_ids: list[int] | None, *, first: date, last: date) -> dict[int, dict]:
    """meter id → {night (local date) → flow m³/h} for the nights ``first``..``last``."""
    start = datetime.combine(first, time(0), tzinfo=LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    readings = RemoteReading.objects.filter(read_at__gte=start, read_at__lt=end).order_by(
        "remote_meter_id", "read_at"
    )
    if meter_ids is not None:
        readings = readings.filter(remote_meter_id__in=meter_ids)
    window: dict[tuple[int, date], list] = defaultdict(list)
    reported: dict[tuple[int, date], Decimal] = {}
    for meter_id, read_at, value, night_flow in readings.values_list(
        "remote_meter_id", "read_at", "value", "night_flow"
    ):
        moment = local(read_at)
        key = (meter_id, moment.date())
        if NIGHT_START <= moment.time() <= NIGHT_END:
            window[key].append((moment, value))
        if night_flow is not None:
            reported[key] = night_flow
    flows: dict[int, dict] = defaultdict(dict)
    for key in set(window) | set(reported):
        points = window.get(key, [])
        flow = reported.get(key)
        if len(points) >= 2:
            hours = Decimal((points[-1][0] - points[0][0]).total_seconds()) / 3600
            if hours >= 1:
                flow = ((points[-1][1] - points[0][1]) / hours).quantize(Decimal("0.001"))
        if flow is not None:
            flows[key[0]][key[1]] = flow
    return flows


def _night_flow_evidence(policy: AmrPolicy, today: date) -> dict[int, datetime]:
    """Meters whose last ``night_flow_nights`` nights (ending last night or today) were all
    above the threshold → the end of the last such night."""
    nights = max(policy.night_flow_nights, 1)
    flows = night_flows(None, first=today - timedelta(days=nights), last=today)
    found = {}
    for meter_id, by_night in flows.items():
        for last_night in (today, today - timedelta(days=1)):
            run = [last_night - timedelta(days=back) for back in range(nights)]
            if all(by_night.get(night, Decimal(0)) > policy.night_flow_threshold for night in run):
                found[meter_id] = datetime.combine(last_night, NIGHT_END, tzinfo=LOCAL_TZ)
                break
    return found


def _raise(meter_id: int, kind: str, evidence_at: datetime, at: datetime, detail: str) -> bool:
    try:
        with transaction.atomic():
            Alarm.objects.create(
                remote_meter_id=meter_id,
                kind=kind,
                opened_at=at,
                evidence_at=evidence_at,
                detail=detail[:300],
            )
    except IntegrityError:  # one is open already
        return False
    return True


@transaction.atomic
def alarms_scan(*, at: datetime | None = None) -> dict[str, int]:
    """Raise the alarms the rules find (see the module); returns the count raised per kind."""
    at = at or timezone.now()
    policy = amr_policy()
    today = local(at).date()
    since = at - timedelta(days=max(policy.silence_days, policy.night_flow_nights, 1) + 1)
    evidence: dict[str, dict[int, datetime]] = {
        AlarmKind.REVERSE_FLOW: _flagged(Q(reverse_flow=True), since),
        AlarmKind.LOW_BATTERY: _flagged(
            Q(low_battery=True) | Q(battery_percent__lt=policy.low_battery_percent), since
        ),
        AlarmKind.NIGHT_FLOW: {**_night_flow_evidence(policy, today)},
    }
    for meter_id, last in _flagged(Q(leak=True), since).items():
        known = evidence[AlarmKind.NIGHT_FLOW].get(meter_id)
        evidence[AlarmKind.NIGHT_FLOW][meter_id] = max(filter(None, [known, last]))
    silent_before = at - timedelta(days=policy.silence_days)
    evidence[AlarmKind.SILENT] = dict(
        RemoteMeter.objects.filter(is_active=True, last_seen_at__lt=silent_before).values_list(
            "pk", "last_seen_at"
        )
    )
    details = {
        AlarmKind.SILENT: gettext("超过 %(days)s 天未收到读数") % {"days": policy.silence_days},
        AlarmKind.REVERSE_FLOW: gettext("主站报告倒流"),
        AlarmKind.LOW_BATTERY: gettext("电池电量低于 %(percent)s%%")
        % {"percent": policy.low_battery_percent},
        AlarmKind.NIGHT_FLOW: gettext(
            "连续 %(nights)s 晚夜间流量超过 %(threshold)s m³/h，或主站报告漏水"
        )
        % {"nights": policy.night_flow_nights, "threshold": policy.night_flow_threshold},
    }
    known = _latest_evidence()
    raised = {str(kind): 0 for kind in AlarmKind.values}
    for kind, found in evidence.items():
        for meter_id, evidence_at in sorted(found.items()):
            last = known.get((meter_id, kind))
            if last is not None and evidence_at <= last:
                continue
            if _raise(meter_id, kind, evidence_at, at, details[kind]):
                raised[str(kind)] += 1
    return raised


def _lock(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_for_update().get(pk=alarm.pk)


@transaction.atomic
def alarm_assign(*, actor, alarm: Alarm, assignee, at: datetime | None = None) -> Alarm:
    """A supervisor gives an open alarm to a person who may work alarms."""
    require_permission(actor, MANAGE_PERMISSION)
    alarm = _lock(alarm)
    if alarm.status != AlarmStatus.OPEN:
        raise IllegalTransition(_("告警已解决，无需分派。"), code="alarm_resolved")
    if assignee is None or not assignee.is_active or not assignee.has_perm(MANAGE_PERMISSION):
        raise InvalidInput(
            _("请选择有权处理远传告警的人员。"), code="invalid_assignee", field="assignee"
        )
    alarm.assignee = assignee
    alarm.assigned_at = at or timezone.now()
    alarm.save(update_fields=["assignee", "assigned_at"])
    return alarm


@transaction.atomic
def alarm_resolve(*, actor, alarm: Alarm, resolution: str, at: datetime | None = None) -> Alarm:
    """The alarm closed with what was done (meter checked, battery changed, customer told of
    the leak); the queue no longer shows it."""
    require_permission(actor, MANAGE_PERMISSION)
    alarm = _lock(alarm)
    if alarm.status != AlarmStatus.OPEN:
        raise IllegalTransition(_("告警已解决。"), code="alarm_resolved")
    text = text_input(resolution, field="resolution", label=_("处理结果"), limit=300)
    alarm.status = AlarmStatus.RESOLVED
    alarm.resolved_at = at or timezone.now()
    alarm.resolved_by = actor
    alarm.resolution = text
    alarm.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    return alarm

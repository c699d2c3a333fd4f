"""The anomaly response (R-Q4): a confirmed failing sample opens (or joins) a water-quality
anomaly and, through it, an emergency incident under the pollution plan; sampling is raised
at the point and across its zone; the manager records treatment adjustments, updates the
expected recovery and closes the water-quality side after enough passing rounds.

The rules, kept simple:

- **Opening.** A sample's verdict counts (``hooks.sample_confirmed_notify``). A FAIL at a
  judged point (not source water) joins the open anomaly of that point — the anomaly whose
  point it is, or whose raised sampling covers it — else opens one (``QA-yyyymmdd-nnnn``).
  The affected zones: the point's zone; for a plant outlet, the zones its plant feeds (the
  first on the anomaly, all of them in the incident's area). The incident is opened with
  ``source_reference = "quality:<point code>"``, so a second failure joins it. Its level: the
  least severe level of the pollution plan in force whose trigger is a water-quality failure,
  else Ⅳ. When the incident cannot be opened (no zone, no customer in the zone, the analyst
  may not open one) the anomaly is still recorded and its page says so.
- **Raised sampling.** One daily plan per affected point (the failing point and every active
  judged point of the affected zones: ``SamplingPlan.point`` / ``anomaly``) with the failing
  indicators and the daily key set (the indicators of the routine daily plans; an outlet
  disinfectant residual becomes the tap one at a tap-side point). Round 1 — one FOLLOW_UP
  sample per plan, due today — is scheduled at once; the hourly schedule keeps taking one
  EXTRA sample a day per plan while the anomaly is open.
- **Rounds.** Only the round samples (``round_number`` set) count towards closure. When every
  sample of the latest round is confirmed: all pass → ``pass_streak`` + 1, else 0; then,
  unless the streak has reached ``passes_required``, the next round is scheduled for the
  next day (a sample the schedule already made for that plan and day becomes the round's).
  Any confirmed failure of the anomaly (round or extra) is recorded and sets the streak to 0.
- **Closing.** Refused until ``pass_streak >= passes_required``; needs the follow-up record.
  The raised plans stop, the samples not yet taken are cancelled (those already taken go on
  through the lab: a failure among them opens a new anomaly), and the incident, if still
  active, is confirmed restored through the emergency service — unless its own rules refuse
  (then it is left to the emergency office, and the caller is told).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record, number_next
from waterdesk.core.errors import DomainError, InvalidInput, require_permission
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.core.timeutil import local
from waterdesk.emergency.models import IncidentStatus, IncidentType, PlanLevel, ResponseLevel
from waterdesk.emergency.selectors_plans import plans_in_force
from waterdesk.emergency.services.incident_handling import incident_restore, incident_update
from waterdesk.emergency.services.incident_open import incident_open
from waterdesk.quality import hooks
from waterdesk.quality.models import (
    JUDGED,
    TAP_SIDE,
    Anomaly,
    AnomalyStatus,
    Frequency,
    PointType,
    QualityPolicy,
    Result,
    Sample,
    SampleReason,
    SampleStatus,
    SampleVerdict,
    SamplingPlan,
    SamplingPoint,
    TreatmentAdjustment,
    Verdict,
)
from waterdesk.quality.services.schedule import sample_create
from waterdesk.quality.verdicts import limit_text

logger = logging.getLogger(__name__)

ANOMALY_PREFIX = "QA"
MANAGE_PERMISSION = "quality.manage_anomaly"
VIEW_PERMISSION = "quality.view_quality"
INCIDENT_SOURCE = "quality_lab"
# The incident timeline's event of a treatment adjustment.
ADJUSTMENT_ACTION = "quality_treatment"
TEXT_LIMIT = 2000
# Samples that may still be cancelled when the anomaly closes: not taken yet.
CANCELLABLE = (SampleStatus.SCHEDULED,)


def policy_current() -> QualityPolicy:
    """The anomaly rules in force (the latest row; the defaults before any is saved)."""
    return QualityPolicy.objects.order_by("-pk").first() or QualityPolicy()


def source_reference(point: SamplingPoint) -> str:
    return f"quality:{point.code}"


def affected_zones(point: SamplingPoint) -> list:
    """The supply zones a failure at ``point`` affects: its own zone; for a plant outlet
    without one, every zone its plant feeds."""
    if point.zone_id is not None:
        return [point.zone]
    if point.point_type == PointType.PLANT_OUTLET and point.plant_id is not None:
        return list(point.plant.zones.order_by("code"))
    return []


def affected_points(point: SamplingPoint, zones) -> list[SamplingPoint]:
    """The failing point and every active judged point of ``zones``."""
    others = SamplingPoint.objects.filter(
        is_active=True, point_type__in=JUDGED, zone__in=[zone.pk for zone in zones]
    ).exclude(pk=point.pk)
    return [point, *others.order_by("code")]


def key_codes(point: SamplingPoint) -> list[str]:
    """The daily key set for ``point``: the indicators of the routine daily plans, the
    outlet residual swapped for the tap one at a tap-side point."""
    codes: list[str] = []
    plans = SamplingPlan.objects.filter(
        is_active=True, frequency=Frequency.DAILY, point__isnull=True, anomaly__isnull=True
    ).order_by("code")
    for plan in plans:
        for code in plan.indicator_codes or []:
            if point.point_type in TAP_SIDE and code.endswith("_outlet"):
                code = code.removesuffix("_outlet") + "_tap"
            if code not in codes:
                codes.append(code)
    return codes


def _failures(sample: Sample) -> list[dict]:
    rows = (
        Result.objects.filter(sample=sample, verdict=Verdict.FAIL)
        .select_related("indicator")
        .order_by("indicator__sort_order")
    )
    return [
        {
            "sample": sample.number,
            "point": sample.point.code,
            "code": row.indicator.code,
            "name": row.indicator.name_zh,
            "raw": row.raw,
            "unit": row.unit or row.indicator.unit,
            "limit": str(limit_text(row.indicator)),
            "at": (sample.taken_at or timezone.now()).isoformat(),
        }
        for row in rows
    ]


def failures_text(failures: list[dict]) -> str:
    return "；".join(
        _("%(name)s %(raw)s%(unit)s（限值 %(limit)s）")
        % {
            "name": row["name"],
            "raw": row["raw"],
            "unit": f" {row['unit']}" if row.get("unit") else "",
            "limit": row["limit"],
        }
        for row in failures
    )


def _level() -> int:
    version = plans_in_force(IncidentType.POLLUTION).first()
    if version is None:
        return ResponseLevel.IV
    level = (
        PlanLevel.objects.filter(version=version, trigger_quality_failure=True)
        .order_by("-level")
        .values_list("level", flat=True)
        .first()
    )
    return level or ResponseLevel.IV


def _open_anomaly_of(point: SamplingPoint) -> Anomaly | None:
    # Found first, then locked by its key (PostgreSQL locks no DISTINCT nor outer join).
    found = (
        Anomaly.objects.filter(status=AnomalyStatus.OPEN)
        .filter(Q(point=point) | Q(plans__point=point, plans__is_active=True))
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        return None
    return Anomaly.objects.select_for_update().get(pk=found)


def _incident_open(*, actor, anomaly: Anomaly, sample: Sample, zones, now: datetime):
    """Open (or join) the anomaly's incident; None when its rules refuse (in a savepoint:
    the confirmation goes on)."""
    point = anomaly.point
    zone_names = "、".join(zone.name for zone in zones)
    failing = failures_text(anomaly.failures) or _("见检测报告")
    recovery = now + timedelta(hours=policy_current().expected_recovery_hours)
    try:
        with transaction.atomic():
            return incident_open(
                actor=actor,
                incident_type=IncidentType.POLLUTION,
                level=_level(),
                source=INCIDENT_SOURCE,
                source_reference=source_reference(point),
                title=_("%(point)s水质检测不合格") % {"point": point.name},
                description=_(
                    "水质异常 %(number)s：%(point)s（%(type)s）水样 %(sample)s 检测不合格："
                    "%(failing)s。已加密采样，持续跟踪复测。"
                )
                % {
                    "number": anomaly.number,
                    "point": point.name,
                    "type": point.get_point_type_display(),
                    "sample": sample.number,
                    "failing": failing,
                },
                public_summary=_(
                    "%(zones)s供水水质检测发现异常，正在处置。请暂停饮用自来水，"
                    "饮用水请使用瓶装水或到临时供水点取水（供水点将另行通知）。"
                    "我们已加密水质检测，水质恢复合格后将及时通知。"
                )
                % {"zones": zone_names},
                started_at=min(sample.taken_at or now, now),
                zones=zones,
                expected_restoration_at=recovery,
            )
    except DomainError as error:
        logger.warning("anomaly %s: the incident was refused: %s", anomaly.number, error.as_dict())
        return None


def _round_samples(anomaly: Anomaly, round_number: int, day) -> int:
    """One FOLLOW_UP sample per active raised plan, due ``day``, in round ``round_number``
    (a sample the schedule already made for that plan and day becomes the round's)."""
    count = 0
    for plan in anomaly.plans.filter(is_active=True).select_related("point").order_by("pk"):
        existing = Sample.objects.filter(plan=plan, point=plan.point, due_date=day).first()
        if existing is not None:
            if existing.round_number is None and existing.status != SampleStatus.CANCELLED:
                existing.reason = SampleReason.FOLLOW_UP
                existing.round_number = round_number
                existing.save(update_fields=["reason", "round_number"])
                count += 1
            continue
        sample_create(
            point=plan.point,
            codes=plan.indicator_codes,
            due_date=day,
            due_by=day,
            reason=SampleReason.FOLLOW_UP,
            plan=plan,
            anomaly=anomaly,
            round_number=round_number,
            note=_("水质异常 %(number)s 第 %(round)s 轮复测")
            % {"number": anomaly.number, "round": round_number},
        )
        count += 1
    return count


def _raise_sampling(anomaly: Anomaly, zones, *, now: datetime) -> None:
    failing = [row["code"] for row in anomaly.failures]
    for index, point in enumerate(affected_points(anomaly.point, zones), start=1):
        codes = list(dict.fromkeys([*failing, *key_codes(point)]))
        SamplingPlan.objects.create(
            code=f"{anomaly.number}-{index}".lower(),
            name=_("水质异常 %(number)s 加密监测：%(point)s")
            % {"number": anomaly.number, "point": point.name},
            indicator_codes=codes,
            frequency=Frequency.DAILY,
            point_types=[point.point_type],
            point=point,
            anomaly=anomaly,
            created_at=now,
        )
    _round_samples(anomaly, 1, local(now).date())


def _anomaly_open(*, actor, sample: Sample, now: datetime) -> Anomaly:
    point = sample.point
    zones = affected_zones(point)
    policy = policy_current()
    anomaly = Anomaly.objects.create(
        number=number_next(prefix=ANOMALY_PREFIX, at=now),
        point=point,
        zone=zones[0] if zones else None,
        sample=sample,
        failures=_failures(sample),
        passes_required=policy.passes_required,
        opened_at=now,
    )
    anomaly.incident = _incident_open(
        actor=actor, anomaly=anomaly, sample=sample, zones=zones, now=now
    )
    anomaly.save(update_fields=["incident"])
    _raise_sampling(anomaly, zones, now=now)
    return anomaly


def _failure_join(*, actor, anomaly: Anomaly, sample: Sample, now: datetime) -> None:
    """A new confirmed failure of an open anomaly: recorded, the streak back to 0, and the
    incident joined (or opened anew when the last one is no longer active)."""
    known = {(row["sample"], row["code"]) for row in anomaly.failures}
    anomaly.failures = [
        *anomaly.failures,
        *(row for row in _failures(sample) if (row["sample"], row["code"]) not in known),
    ]
    anomaly.pass_streak = 0
    anomaly.save(update_fields=["failures", "pass_streak"])
    if anomaly.incident is None or anomaly.incident.status != IncidentStatus.ACTIVE:
        case = _incident_open(
            actor=actor,
            anomaly=anomaly,
            sample=sample,
            zones=affected_zones(anomaly.point),
            now=now,
        )
        if case is not None:
            anomaly.incident = case
            anomaly.save(update_fields=["incident"])


def _round_check(anomaly: Anomaly, sample: Sample, *, now: datetime) -> None:
    """When the sample completes the latest round: the streak moves and the next round is
    scheduled unless the streak is enough."""
    round_number = sample.round_number
    if round_number is None or anomaly.samples.filter(round_number__gt=round_number).exists():
        return
    members = anomaly.samples.filter(round_number=round_number).exclude(
        status=SampleStatus.CANCELLED
    )
    waiting = members.exclude(pk=sample.pk).exclude(status=SampleStatus.CONFIRMED)
    if waiting.exists():
        return
    failed = members.filter(verdict=SampleVerdict.FAIL).exists()
    anomaly.pass_streak = 0 if failed else anomaly.pass_streak + 1
    anomaly.save(update_fields=["pass_streak"])
    if anomaly.pass_streak < anomaly.passes_required:
        _round_samples(anomaly, round_number + 1, local(now).date() + timedelta(days=1))


def sample_confirmed(*, sample: Sample, actor) -> None:
    """The listener (``hooks.sample_confirmed_listener_register``): inside the transaction
    that makes the sample's verdict count."""
    now = timezone.now()
    sample = Sample.objects.select_related("point", "point__zone", "point__plant").get(pk=sample.pk)
    anomaly = None
    if sample.anomaly_id is not None:
        anomaly = Anomaly.objects.select_for_update().get(pk=sample.anomaly_id)
        if anomaly.status != AnomalyStatus.OPEN:
            anomaly = None
    if sample.verdict == SampleVerdict.FAIL:
        if sample.point.point_type not in JUDGED:
            return
        anomaly = anomaly or _open_anomaly_of(sample.point)
        if anomaly is None:
            _anomaly_open(actor=actor, sample=sample, now=now)
            return
        _failure_join(actor=actor, anomaly=anomaly, sample=sample, now=now)
    if anomaly is not None and sample.anomaly_id == anomaly.pk:
        _round_check(anomaly, sample, now=now)


hooks.sample_confirmed_listener_register(sample_confirmed)


# --- the manager's actions ------------------------------------------------------------------


def _lock_open(anomaly: Anomaly) -> Anomaly:
    anomaly = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
    if anomaly.status != AnomalyStatus.OPEN:
        raise InvalidInput(
            _("水质异常 %(number)s 已解除，不能再操作。") % {"number": anomaly.number},
            code="anomaly_closed",
        )
    return anomaly


@transaction.atomic
def anomaly_adjustment_record(*, actor, anomaly: Anomaly, description: str) -> TreatmentAdjustment:
    """Record a treatment adjustment (also on the incident's timeline)."""
    require_permission(actor, MANAGE_PERMISSION)
    anomaly = _lock_open(anomaly)
    description = text_input(
        description, field="description", label=_("处理工艺调整"), limit=TEXT_LIMIT
    )
    now = timezone.now()
    adjustment = TreatmentAdjustment.objects.create(
        anomaly=anomaly, recorded_at=now, recorded_by=actor, description=description
    )
    if anomaly.incident is not None:
        case_event_record(
            case=anomaly.incident,
            actor=actor,
            action=ADJUSTMENT_ACTION,
            note=description,
            data={"anomaly": anomaly.number},
            at=now,
        )
    return adjustment


@transaction.atomic
def anomaly_estimate_update(
    *, actor, anomaly: Anomaly, expected_restoration_at: datetime | None, note: str = ""
) -> Case:
    """A new expected recovery: through the incident (a notice round to its customers)."""
    require_permission(actor, MANAGE_PERMISSION)
    anomaly = _lock_open(anomaly)
    if anomaly.incident is None:
        raise InvalidInput(
            _("该水质异常没有关联的应急事件，无法通知客户；请联系应急办开启事件。"),
            code="no_incident",
            field="expected_restoration_at",
        )
    if expected_restoration_at is None:
        raise InvalidInput(
            _("请填写新的预计恢复时间。"), code="required", field="expected_restoration_at"
        )
    return incident_update(
        actor=actor,
        case=anomaly.incident,
        expected_restoration_at=expected_restoration_at,
        note=text_clean_line(note or ""),
    )


@dataclass(frozen=True)
class AnomalyClosed:
    anomaly: Anomaly
    # The incident confirmed restored by this closing; else why it was left to the office.
    incident_restored: bool
    incident_left: str = ""


@transaction.atomic
def anomaly_close(*, actor, anomaly: Anomaly, follow_up: str) -> AnomalyClosed:
    """Close the water-quality side after enough passing rounds, with the follow-up record."""
    require_permission(actor, MANAGE_PERMISSION)
    anomaly = _lock_open(anomaly)
    missing = anomaly.passes_required - anomaly.pass_streak
    if missing > 0:
        raise InvalidInput(
            _(
                "受影响采样点已连续合格 %(streak)s 轮，还需连续合格 %(missing)s 轮"
                "（共 %(required)s 轮）方可解除。"
            )
            % {
                "streak": anomaly.pass_streak,
                "missing": missing,
                "required": anomaly.passes_required,
            },
            code="passes_missing",
            field="follow_up",
        )
    follow_up = text_input(follow_up, field="follow_up", label=_("跟踪处置记录"), limit=TEXT_LIMIT)
    now = timezone.now()
    anomaly.status = AnomalyStatus.CLOSED
    anomaly.closed_at, anomaly.closed_by, anomaly.follow_up = now, actor, follow_up
    anomaly.save(update_fields=["status", "closed_at", "closed_by", "follow_up"])
    anomaly.plans.filter(is_active=True).update(is_active=False)
    anomaly.samples.filter(status__in=CANCELLABLE).update(
        status=SampleStatus.CANCELLED,
        cancel_reason=_("水质异常 %(number)s 已解除") % {"number": anomaly.number},
    )
    restored, left = False, ""
    case = anomaly.incident
    if case is not None:
        case.refresh_from_db()
        if case.status == IncidentStatus.ACTIVE:
            try:
                with transaction.atomic():
                    incident_restore(
                        actor=actor,
                        case=case,
                        restored_at=now,
                        note=_("水质已连续 %(count)s 轮复测合格，恢复正常供水。")
                        % {"count": anomaly.pass_streak},
                    )
                restored = True
            except DomainError as error:
                left = str(error.message)
    return AnomalyClosed(anomaly=anomaly, incident_restored=restored, incident_left=left)

"""Sampling points, sampling plans and the sampler's work (R-Q2).

The quality manager keeps the points (a plant outlet belongs to a plant, a network, tap or
secondary-supply point to a supply zone; a point is deactivated, never deleted: its samples
keep it) and the plans (indicator codes of the edition in force × a frequency × the point
types). The sampler takes the day's samples; a sample taken is judged by the edition in
force on the day it was taken. The manager cancels a sample that cannot be taken (with the
reason) and adds an ad-hoc one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.core.timeutil import local
from waterdesk.customers.models import SupplyZone
from waterdesk.quality.models import (
    Disinfection,
    Frequency,
    Plant,
    PointType,
    Sample,
    SampleReason,
    SampleStatus,
    SamplingPlan,
    SamplingPoint,
)
from waterdesk.quality.services.catalogue import edition_in_force
from waterdesk.quality.services.schedule import sample_codes, sample_create

MANAGE_PERMISSION = "quality.manage_sampling"
TAKE_PERMISSION = "quality.take_sample"
ZONE_TYPES = (PointType.NETWORK, PointType.TAP, PointType.SECONDARY)
POINT_FIELDS = (
    "name",
    "point_type",
    "location",
    "latitude",
    "longitude",
    "plant",
    "zone",
    "disinfection",
    "is_active",
)


def _today():
    return local(timezone.now()).date()


# --- points ---------------------------------------------------------------------------------


def _point_values(values: dict) -> dict:
    values["name"] = text_input(
        text_clean_line(values.get("name")), field="name", label=_("采样点名称"), limit=100
    )
    values["location"] = text_input(
        text_clean_line(values.get("location")), field="location", label=_("位置"), limit=300
    )
    point_type = values.get("point_type")
    if point_type not in PointType.values:
        raise InvalidInput(_("请选择采样点类型。"), code="point_bad_type", field="point_type")
    if values.get("disinfection") not in Disinfection.values:
        raise InvalidInput(
            _("请选择消毒方式。"), code="point_bad_disinfection", field="disinfection"
        )
    plant: Plant | None = values.get("plant")
    zone: SupplyZone | None = values.get("zone")
    if point_type == PointType.PLANT_OUTLET and plant is None:
        raise InvalidInput(
            _("出厂水采样点须选择所属水厂。"), code="point_plant_required", field="plant"
        )
    if point_type in ZONE_TYPES and zone is None:
        raise InvalidInput(
            _("管网水、末梢水和二次供水采样点须选择所在供水片区。"),
            code="point_zone_required",
            field="zone",
        )
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        raise InvalidInput(
            _("经纬度须同时填写或同时留空。"), code="point_coordinates", field="latitude"
        )
    return values


@transaction.atomic
def point_create(
    *,
    actor,
    code: str,
    name: str,
    point_type: str,
    location: str,
    plant: Plant | None = None,
    zone: SupplyZone | None = None,
    disinfection: str = Disinfection.CHLORINE,
    latitude=None,
    longitude=None,
) -> SamplingPoint:
    require_permission(actor, MANAGE_PERMISSION)
    code = text_input(text_clean_line(code), field="code", label=_("编码"), limit=32)
    values = _point_values(
        {
            "name": name,
            "point_type": point_type,
            "location": location,
            "plant": plant,
            "zone": zone,
            "disinfection": disinfection,
            "latitude": latitude,
            "longitude": longitude,
        }
    )
    if SamplingPoint.objects.filter(code=code).exists():
        raise InvalidInput(
            _("编码 %(code)s 已被其他采样点使用：请换一个编码。") % {"code": code},
            code="point_code_taken",
            field="code",
        )
    point = SamplingPoint(code=code, **values)
    point._history_user = actor
    point.save()
    return point


@transaction.atomic
def point_update(*, actor, point: SamplingPoint, **fields) -> SamplingPoint:
    """Change a point (its code stays); ``is_active=False`` takes it out of the schedule —
    its scheduled samples stay until taken or cancelled."""
    require_permission(actor, MANAGE_PERMISSION)
    unknown = set(fields) - set(POINT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    point = SamplingPoint.objects.select_for_update().get(pk=point.pk)
    values = {name: getattr(point, name) for name in POINT_FIELDS}
    values.update(fields)
    values = _point_values(values)
    for name, value in values.items():
        setattr(point, name, value)
    point._history_user = actor
    point.save()
    return point


# --- plans ----------------------------------------------------------------------------------


def _plan_values(
    *, name: str, indicator_codes: Iterable[str], frequency: str, point_types: Iterable[str]
) -> dict:
    name = text_input(text_clean_line(name), field="name", label=_("计划名称"), limit=200)
    codes = list(dict.fromkeys(code.strip() for code in indicator_codes if code.strip()))
    if not codes:
        raise InvalidInput(
            _("请至少选择一项检测指标。"), code="plan_no_indicators", field="indicator_codes"
        )
    edition = edition_in_force(_today())
    known = set(edition.indicators.values_list("code", flat=True)) if edition else set()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            _("以下指标不在现行标准中：%(codes)s。请从现行标准的指标中选择。")
            % {"codes": ", ".join(unknown[:10])},
            code="plan_unknown_indicator",
            field="indicator_codes",
        )
    if frequency not in Frequency.values:
        raise InvalidInput(_("请选择采样频次。"), code="plan_bad_frequency", field="frequency")
    types = list(dict.fromkeys(point_types))
    if not types:
        raise InvalidInput(
            _("请至少选择一种适用的采样点类型。"), code="plan_no_point_types", field="point_types"
        )
    if any(kind not in PointType.values for kind in types):
        raise InvalidInput(_("采样点类型不正确。"), code="plan_bad_point_type", field="point_types")
    return {"name": name, "indicator_codes": codes, "frequency": frequency, "point_types": types}


@transaction.atomic
def plan_create(
    *,
    actor,
    code: str,
    name: str,
    indicator_codes: Iterable[str],
    frequency: str,
    point_types: Iterable[str],
) -> SamplingPlan:
    require_permission(actor, MANAGE_PERMISSION)
    code = text_input(text_clean_line(code), field="code", label=_("编码"), limit=40)
    values = _plan_values(
        name=name, indicator_codes=indicator_codes, frequency=frequency, point_types=point_types
    )
    if SamplingPlan.objects.filter(code=code).exists():
        raise InvalidInput(
            _("编码 %(code)s 已被其他计划使用：请换一个编码。") % {"code": code},
            code="plan_code_taken",
            field="code",
        )
    plan = SamplingPlan(code=code, **values)
    plan._history_user = actor
    plan.save()
    return plan


@transaction.atomic
def plan_update(
    *,
    actor,
    plan: SamplingPlan,
    name: str,
    indicator_codes: Iterable[str],
    frequency: str,
    point_types: Iterable[str],
    is_active: bool = True,
) -> SamplingPlan:
    """Change a plan: the samples it schedules from now on follow it; those already
    scheduled keep their indicators."""
    require_permission(actor, MANAGE_PERMISSION)
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.anomaly_id is not None:
        raise IllegalTransition(
            _("该计划是水质异常的加密监测，由异常处置管理，不能在此修改。"),
            code="plan_of_anomaly",
        )
    values = _plan_values(
        name=name, indicator_codes=indicator_codes, frequency=frequency, point_types=point_types
    )
    for field_name, value in values.items():
        setattr(plan, field_name, value)
    plan.is_active = is_active
    plan._history_user = actor
    plan.save()
    return plan


@transaction.atomic
def plan_deactivate(*, actor, plan: SamplingPlan) -> SamplingPlan:
    """Stop a plan scheduling samples (those scheduled stay until taken or cancelled)."""
    require_permission(actor, MANAGE_PERMISSION)
    plan = SamplingPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_active:
        raise IllegalTransition(_("该计划已停用。"), code="plan_inactive")
    plan.is_active = False
    plan._history_user = actor
    plan.save(update_fields=["is_active"])
    return plan


# --- samples --------------------------------------------------------------------------------


def _scheduled(sample: Sample) -> Sample:
    sample = Sample.objects.select_for_update().select_related("point").get(pk=sample.pk)
    if sample.status != SampleStatus.SCHEDULED:
        raise IllegalTransition(
            _("水样 %(number)s 当前为“%(status)s”，只有待采样的水样可以执行此操作。")
            % {"number": sample.number, "status": sample.get_status_display()},
            code="sample_not_scheduled",
        )
    return sample


@transaction.atomic
def sample_take(
    *,
    actor,
    sample: Sample,
    taken_at: datetime | None = None,
    algal_bloom: bool = False,
    note: str = "",
) -> Sample:
    """The sampler took the sample: when (now unless said), by whom, and during an algal
    bloom or not. It is judged by the edition in force on the day it was taken."""
    require_permission(actor, TAKE_PERMISSION)
    note = text_input(note, field="note", label=_("备注"), limit=300, required=False)
    now = timezone.now()
    taken_at = taken_at or now
    if taken_at > now:
        raise InvalidInput(
            _("采样时间不能晚于现在：请填写实际采样时间。"), code="sample_future", field="taken_at"
        )
    sample = _scheduled(sample)
    day = local(taken_at).date()
    edition = edition_in_force(day)
    if edition is None:
        raise InvalidInput(
            _("%(day)s 没有实施中的水质标准：请先导入标准版本。") % {"day": day},
            code="sample_no_edition",
            field="taken_at",
        )
    sample.status = SampleStatus.TAKEN
    sample.taken_at = taken_at
    sample.taken_by = actor
    sample.algal_bloom = bool(algal_bloom)
    sample.edition = edition
    if note:
        sample.note = note
    sample.save()
    return sample


@transaction.atomic
def sample_cancel(*, actor, sample: Sample, reason: str) -> Sample:
    """A scheduled sample that will not be taken (the point out of service, say)."""
    require_permission(actor, MANAGE_PERMISSION)
    reason = text_input(text_clean_line(reason), field="reason", label=_("取消原因"), limit=300)
    sample = _scheduled(sample)
    sample.status = SampleStatus.CANCELLED
    sample.cancel_reason = reason
    sample.save(update_fields=["status", "cancel_reason"])
    return sample


@transaction.atomic
def sample_add(*, actor, point: SamplingPoint, codes: Iterable[str], note: str = "") -> Sample:
    """An ad-hoc sample at ``point``, due today, testing ``codes`` (those that apply
    there)."""
    require_permission(actor, MANAGE_PERMISSION)
    note = text_input(
        text_clean_line(note), field="note", label=_("备注"), limit=300, required=False
    )
    if not point.is_active:
        raise InvalidInput(
            _("采样点 %(point)s 已停用：请先启用或选择其他采样点。") % {"point": point},
            code="point_inactive",
            field="point",
        )
    codes = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    today = _today()
    edition = edition_in_force(today)
    known = set(edition.indicators.values_list("code", flat=True)) if edition else set()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            _("以下指标不在现行标准中：%(codes)s。") % {"codes": ", ".join(unknown[:10])},
            code="sample_unknown_indicator",
            field="codes",
        )
    if not sample_codes(codes, point, today):
        raise InvalidInput(
            _("所选指标都不适用于该采样点：请选择适用于该采样点类型和消毒方式的指标。"),
            code="sample_no_indicators",
            field="codes",
        )
    return sample_create(
        point=point,
        codes=codes,
        due_date=today,
        due_by=today,
        reason=SampleReason.AD_HOC,
        note=note,
    )

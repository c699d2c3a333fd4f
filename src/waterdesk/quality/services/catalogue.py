"""The indicator catalogue: editions of the standard and which one judges a sample.

An edition is loaded whole (``edition_load``), beside the ones already loaded, with the date
it comes into force; a sample is judged by the edition in force on its sampling day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.quality.models import CONDITION_KEYS, Edition, Indicator, LimitType, PointScope
from waterdesk.quality.services.catalogue_rows import NEEDS, csv_rows, indicator_fields

MANAGE_PERMISSION = "quality.manage_catalogue"


def edition_in_force(day: date) -> Edition | None:
    """The edition in force on ``day``: the latest effective on or before it."""
    return Edition.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def edition_indicators(edition: Edition) -> dict[str, Indicator]:
    """The edition's indicators by code."""
    return {indicator.code: indicator for indicator in edition.indicators.all()}


@transaction.atomic
def edition_load(
    *, actor, code: str, name: str, effective_from: date, data: bytes, note: str = ""
) -> Edition:
    """Load a new edition of the standard from its indicator table (the columns of
    ``data/gb5749-2022-indicators.csv``); every row is checked before anything is written."""
    require_permission(actor, MANAGE_PERMISSION)
    return edition_load_operator(
        loaded_by=actor,
        code=code,
        name=name,
        effective_from=effective_from,
        data=data,
        note=note,
    )


@transaction.atomic
def edition_load_operator(
    *, loaded_by, code: str, name: str, effective_from: date, data: bytes, note: str = ""
) -> Edition:
    """``edition_load`` for the server's operator (``manage.py quality_load_edition``): no
    permission check, ``loaded_by`` may be None."""
    code = text_input(text_clean_line(code), field="code", label=_("编码"), limit=40)
    name = text_input(text_clean_line(name), field="name", label=_("标准名称"), limit=200)
    if Edition.objects.filter(code=code).exists():
        raise InvalidInput(
            _("编码 %(code)s 已被使用。") % {"code": code}, code="edition_code_taken", field="code"
        )
    if Edition.objects.filter(effective_from=effective_from).exists():
        raise InvalidInput(
            _("%(day)s 已有实施的标准版本：请换一个实施日期。") % {"day": effective_from},
            code="edition_date_taken",
            field="effective_from",
        )
    fields = indicator_fields(csv_rows(data))
    edition = Edition.objects.create(
        code=code, name=name, effective_from=effective_from, note=note, loaded_by=loaded_by
    )
    bulk_create_with_history(
        [Indicator(edition=edition, **item) for item in fields],
        Indicator,
        default_user=loaded_by,
        default_change_reason=_("导入"),
        default_date=edition.loaded_at,
    )
    return edition


# The fields of an indicator the quality manager may correct (the code and the edition are
# how results find it: fixed).
EDITABLE_FIELDS = (
    "name_zh",
    "name_en",
    "unit",
    "limit_type",
    "min_value",
    "max_value",
    "point_scope",
    "condition",
    "applies_when",
)


def _bound_value(value, *, field: str, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise InvalidInput(
            _("%(label)s应为不小于 0 的数值。") % {"label": label},
            code="indicator_bad_value",
            field=field,
        )
    return number


@transaction.atomic
def indicator_update(*, actor, indicator: Indicator, reason: str, **fields) -> Indicator:
    """Correct an indicator of an edition: names, unit, limit type and bounds, the samples
    it applies to and its conditions, checked as a loaded row is (the bounds the limit type
    needs, the lower not above the upper). Kept in the indicator's history with ``reason``.
    A verdict already given stays as it was; new verdicts use the corrected limit."""
    require_permission(actor, MANAGE_PERMISSION)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    reason = text_input(text_clean_line(reason), field="reason", label=_("修改原因"), limit=200)
    indicator = Indicator.objects.select_for_update().select_related("edition").get(pk=indicator.pk)
    values = {name: getattr(indicator, name) for name in EDITABLE_FIELDS}
    values.update(fields)
    values["name_zh"] = text_input(
        text_clean_line(values["name_zh"]), field="name_zh", label=_("指标名称"), limit=100
    )
    values["name_en"] = text_input(
        text_clean_line(values["name_en"]),
        field="name_en",
        label=_("英文名称"),
        limit=150,
        required=False,
    )
    values["unit"] = text_input(
        text_clean_line(values["unit"]), field="unit", label=_("单位"), limit=30, required=False
    )
    values["condition"] = text_input(
        text_clean_line(values["condition"]),
        field="condition",
        label=_("适用条件或要求"),
        limit=300,
        required=False,
    )
    limit_type = values["limit_type"]
    if limit_type not in LimitType.values:
        raise InvalidInput(_("请选择限值类型。"), code="indicator_bad_type", field="limit_type")
    if values["point_scope"] not in PointScope.values:
        raise InvalidInput(_("请选择适用水样。"), code="indicator_bad_scope", field="point_scope")
    conditions = list(dict.fromkeys(values["applies_when"] or []))
    if any(key not in CONDITION_KEYS for key in conditions):
        raise InvalidInput(
            _("适用条件只能选择消毒方式或藻类暴发期。"),
            code="indicator_bad_condition",
            field="applies_when",
        )
    values["applies_when"] = conditions
    low = _bound_value(values["min_value"], field="min_value", label=_("下限"))
    high = _bound_value(values["max_value"], field="max_value", label=_("上限"))
    needed = NEEDS[limit_type]
    if "min" in needed and low is None:
        raise InvalidInput(
            _("限值类型“%(type)s”须填写下限。") % {"type": LimitType(limit_type).label},
            code="indicator_bound_missing",
            field="min_value",
        )
    if "max" in needed and high is None:
        raise InvalidInput(
            _("限值类型“%(type)s”须填写上限。") % {"type": LimitType(limit_type).label},
            code="indicator_bound_missing",
            field="max_value",
        )
    if low is not None and high is not None and low > high:
        raise InvalidInput(
            _("下限不能大于上限：请核对后重新填写。"), code="indicator_bounds", field="min_value"
        )
    # A bound the limit type does not use is dropped, as when a table is loaded.
    values["min_value"] = low if "min" in needed else None
    values["max_value"] = high if "max" in needed else None
    if not indicator.history.exists():
        # Seeded without history (the migration): keep the loaded state as the first entry.
        Indicator.history.bulk_history_create(
            [indicator],
            default_change_reason=_("导入"),
            default_date=min(indicator.edition.loaded_at, timezone.now()),
            default_user=indicator.edition.loaded_by,
        )
    for name, value in values.items():
        setattr(indicator, name, value)
    indicator._change_reason = reason
    indicator._history_user = actor
    indicator.save()
    return indicator


def indicator_history(indicator: Indicator) -> list:
    """The indicator's versions, newest first, with who changed it and why."""
    return list(
        indicator.history.select_related("history_user").order_by("-history_date", "-history_id")
    )


def edition_judged_samples(edition: Edition) -> int:
    """How many samples of the edition have a verdict (a change of a limit leaves theirs)."""
    from waterdesk.quality.models import Sample, SampleVerdict

    return Sample.objects.filter(edition=edition).exclude(verdict=SampleVerdict.PENDING).count()

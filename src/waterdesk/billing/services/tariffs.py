"""Writes for tariffs: tariffs, their dated versions (tiers, components, rates) and the
tariff of an account.

A version, once saved, is never edited: prices change by adding a version from a later
date. A version may be added (or deleted) only after the last billed day of the accounts
that are billed on its tariff, so issued bills always stay explained by the prices on file.
Every function is one transaction, takes keyword-only arguments and the acting user, and
refuses bad input with ``InvalidInput`` (stable code, Chinese message) writing nothing.
The ``*_validate`` functions run the same checks without writing; the admin forms use them.

Input shapes of ``tariff_version_create``::

    tiers=[{"index": 1, "upper_bound": Decimal("180"),
            "extra_per_person": Decimal("45"), "extra_for_large_household": Decimal("0")},
           ...,
           {"index": 3, "upper_bound": None}]
    components=[{"kind": "water_supply", "name": "供水价格",
                 "tier_prices": {1: Decimal("2.07"), 2: Decimal("4.07"), 3: Decimal("6.07")}},
                {"kind": "sewage", "name": "污水处理费", "flat_price": Decimal("1.36")}]

Components are billed in list order. Volumes and bounds are in m³ (two places), prices in
yuan per m³ (four places).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    PRICE_DECIMAL_PLACES,
    PRICE_MAX_DIGITS,
    VOLUME_DECIMAL_PLACES,
    VOLUME_MAX_DIGITS,
    AccountTariff,
    Bill,
    ComponentKind,
    Tariff,
    TariffComponent,
    TariffRate,
    TariffTier,
    TariffVersion,
    TierBasis,
)
from waterdesk.billing.selectors.bills import account_billed_until
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.models import Account, UsageCategory

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

RESIDENTIAL_MIN_TIERS = 3
TIERED_MIN_TIERS = 2
HOUSEHOLD_SIZE_MAX = 99
# National guideline (发改价格〔2013〕2676号): tier prices at least 1 : 1.5 : 3.
GUIDELINE_RATIOS = {2: Decimal("1.5"), 3: Decimal("3")}


@dataclass(frozen=True)
class _CleanTier:
    index: int
    upper_bound: Decimal | None
    extra_per_person: Decimal
    extra_for_large_household: Decimal


@dataclass(frozen=True)
class _CleanComponent:
    kind: str
    name: str
    position: int
    flat_price: Decimal | None
    tier_prices: dict[int, Decimal]


# --- tariffs ------------------------------------------------------------------------------


def tariff_validate(
    *, tariff: Tariff | None, code: str, name: str, usage_category: str, is_default: bool
) -> None:
    """Checks for creating (``tariff=None``) or changing a tariff; raises ``InvalidInput``.

    Every usage category keeps one default tariff: a default cannot be unset, only replaced
    by making another tariff the default — and only while no account of the category has
    been billed (afterwards, prices change through new versions of the default tariff).
    """
    if not str(code or "").strip():
        raise InvalidInput(_("请填写水价编码。"), code="tariff_code_required", field="code")
    if not str(name or "").strip():
        raise InvalidInput(_("请填写水价名称。"), code="tariff_name_required", field="name")
    if usage_category not in UsageCategory.values:
        raise InvalidInput(
            _("用水性质不正确。"), code="usage_category_invalid", field="usage_category"
        )
    if tariff is not None and tariff.pk is not None:
        if tariff.usage_category != usage_category and tariff.versions.exists():
            raise InvalidInput(
                _("已有价格版本的水价不能更改用水性质。"),
                code="tariff_category_locked",
                field="usage_category",
            )
        if tariff.is_default and not is_default:
            raise InvalidInput(
                _("每种用水性质须有一个默认水价：请把另一水价设为默认，而不是取消本水价的默认。"),
                code="tariff_default_required",
                field="is_default",
            )
    if is_default:
        current = Tariff.objects.filter(usage_category=usage_category, is_default=True)
        if tariff is not None and tariff.pk is not None:
            current = current.exclude(pk=tariff.pk)
        if (
            current.exists()
            and Bill.objects.filter(account__usage_category=usage_category).exists()
        ):
            raise InvalidInput(
                _("该用水性质已按默认水价出账，不能更换默认水价；请在默认水价下新增价格版本。"),
                code="tariff_default_change_after_billing",
                field="is_default",
            )


@transaction.atomic
def tariff_create(
    *, actor: Actor, code: str, name: str, usage_category: str, is_default: bool = False
) -> Tariff:
    """A new tariff (prices come with its first version)."""
    tariff_validate(
        tariff=None, code=code, name=name, usage_category=usage_category, is_default=is_default
    )
    if Tariff.objects.filter(code=code.strip()).exists():
        raise InvalidInput(_("水价编码已存在。"), code="tariff_code_taken", field="code")
    if is_default:
        _clear_default(usage_category, actor=actor)
    tariff = Tariff(
        code=code.strip(), name=name.strip(), usage_category=usage_category, is_default=is_default
    )
    _stamp(tariff, actor)
    tariff.save()
    return tariff


@transaction.atomic
def tariff_update(
    *,
    actor: Actor,
    tariff: Tariff,
    name: str,
    usage_category: str | None = None,
    is_default: bool,
) -> Tariff:
    """Rename a tariff or make it the default of its category (see ``tariff_validate``)."""
    locked = Tariff.objects.select_for_update().get(pk=tariff.pk)
    usage_category = usage_category or locked.usage_category
    tariff_validate(
        tariff=locked,
        code=locked.code,
        name=name,
        usage_category=usage_category,
        is_default=is_default,
    )
    if is_default and not locked.is_default:
        _clear_default(usage_category, actor=actor)
    locked.name = name.strip()
    locked.usage_category = usage_category
    locked.is_default = is_default
    _stamp(locked, actor)
    locked.save()
    return locked


def _clear_default(usage_category: str, *, actor: Actor) -> None:
    for previous in Tariff.objects.select_for_update().filter(
        usage_category=usage_category, is_default=True
    ):
        previous.is_default = False
        _stamp(previous, actor)
        previous.save(update_fields=["is_default"])


# --- versions -----------------------------------------------------------------------------


def tariff_version_validate(
    *,
    tariff: Tariff,
    effective_from: date,
    tier_basis: str,
    household_base_size: int = 4,
    large_household_size: int | None = None,
    tiers: list[dict[str, Any]],
    components: list[dict[str, Any]],
) -> list[str]:
    """Run every check of ``tariff_version_create`` without writing.

    Raises ``InvalidInput`` for the first problem; returns warnings (texts) for prices
    that are allowed but below the national guideline.
    """
    _clean_tiers, _clean_components, warnings = _clean_version(
        tariff=tariff,
        effective_from=effective_from,
        tier_basis=tier_basis,
        household_base_size=household_base_size,
        large_household_size=large_household_size,
        tiers=tiers,
        components=components,
    )
    return warnings


@transaction.atomic
def tariff_version_create(
    *,
    actor: Actor,
    tariff: Tariff,
    effective_from: date,
    tier_basis: str,
    household_base_size: int = 4,
    large_household_size: int | None = None,
    tiers: list[dict[str, Any]],
    components: list[dict[str, Any]],
    note: str = "",
) -> TariffVersion:
    """Add the prices of ``tariff`` from ``effective_from`` on.

    The returned version carries ``warnings``: a list of texts (e.g. a residential tier
    ratio below the guideline 1 : 1.5 : 3) to show to the user; they do not stop the save.
    """
    # The tariff row lock serialises versions of one tariff (and the billed-period check).
    locked = Tariff.objects.select_for_update().get(pk=tariff.pk)
    clean_tiers, clean_components, warnings = _clean_version(
        tariff=locked,
        effective_from=effective_from,
        tier_basis=tier_basis,
        household_base_size=household_base_size,
        large_household_size=large_household_size,
        tiers=tiers,
        components=components,
    )
    version = TariffVersion(
        tariff=locked,
        effective_from=effective_from,
        tier_basis=tier_basis,
        household_base_size=household_base_size,
        large_household_size=large_household_size,
        note=str(note or "").strip()[:300],
    )
    _stamp(version, actor)
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError:
        raise _overlap(locked, effective_from) from None
    for tier in clean_tiers:
        row = TariffTier(
            version=version,
            index=tier.index,
            upper_bound=tier.upper_bound,
            extra_per_person=tier.extra_per_person,
            extra_for_large_household=tier.extra_for_large_household,
        )
        _stamp(row, actor)
        row.save()
    for component in clean_components:
        component_row = TariffComponent(
            version=version, kind=component.kind, name=component.name, position=component.position
        )
        _stamp(component_row, actor)
        component_row.save()
        prices = (
            {None: component.flat_price}
            if component.flat_price is not None
            else component.tier_prices
        )
        for tier_index, price in prices.items():
            rate = TariffRate(component=component_row, tier_index=tier_index, price=price)
            _stamp(rate, actor)
            rate.save()
    version.warnings = warnings
    return version


@transaction.atomic
def tariff_version_delete(*, actor: Actor, version: TariffVersion) -> None:
    """Delete a version entered by mistake; refused once a bill covers its start date."""
    locked_tariff = Tariff.objects.select_for_update().get(pk=version.tariff_id)
    version = TariffVersion.objects.get(pk=version.pk)
    _refuse_billed_period(locked_tariff, version.effective_from)
    for rate in TariffRate.objects.filter(component__version=version):
        _stamp(rate, actor)
        rate.delete()
    for row in [*version.components.all(), *version.tiers.all()]:
        _stamp(row, actor)
        row.delete()
    _stamp(version, actor)
    version.delete()


def tariff_version_is_billed(version: TariffVersion) -> bool:
    """Whether some bill of an account on the version's tariff covers its start date."""
    latest = _latest_billed_day(version.tariff)
    return latest is not None and version.effective_from <= latest


def _clean_version(
    *,
    tariff: Tariff,
    effective_from: date,
    tier_basis: str,
    household_base_size: int,
    large_household_size: int | None,
    tiers: list[dict[str, Any]],
    components: list[dict[str, Any]],
) -> tuple[list[_CleanTier], list[_CleanComponent], list[str]]:
    if not isinstance(effective_from, date):
        raise InvalidInput(
            _("请填写生效日期。"), code="effective_from_required", field="effective_from"
        )
    if tier_basis not in TierBasis.values:
        raise InvalidInput(_("阶梯计量周期不正确。"), code="tier_basis_invalid", field="tier_basis")
    if (
        not isinstance(household_base_size, int)
        or not 1 <= household_base_size <= HOUSEHOLD_SIZE_MAX
    ):
        raise InvalidInput(
            _("基准户人口须为 1 至 99 之间的整数。"),
            code="household_base_size_invalid",
            field="household_base_size",
        )
    if large_household_size is not None and (
        not isinstance(large_household_size, int)
        or not household_base_size < large_household_size <= HOUSEHOLD_SIZE_MAX
    ):
        raise InvalidInput(
            _("多人口户起点须大于基准户人口（不超过 99）。"),
            code="large_household_size_invalid",
            field="large_household_size",
        )
    clean_tiers = _clean_tiers(tariff, tier_basis, tiers)
    clean_components = _clean_components(tier_basis, clean_tiers, components)
    _refuse_overlap(tariff, effective_from)
    _refuse_billed_period(tariff, effective_from)
    warnings = _guideline_warnings(tariff, clean_tiers, clean_components)
    return clean_tiers, clean_components, warnings


def _clean_tiers(tariff: Tariff, tier_basis: str, tiers: list[dict[str, Any]]) -> list[_CleanTier]:
    if tier_basis == TierBasis.NONE:
        if tiers:
            raise InvalidInput(
                _("不分阶梯的水价不能设置阶梯。"), code="tiers_not_allowed", field="tiers"
            )
        return []
    minimum = (
        RESIDENTIAL_MIN_TIERS
        if tariff.usage_category == UsageCategory.RESIDENTIAL
        else TIERED_MIN_TIERS
    )
    if len(tiers) < minimum:
        raise InvalidInput(
            format_lazy(_("阶梯水价至少需要 {count} 档。"), count=minimum),
            code="too_few_tiers",
            field="tiers",
        )
    try:
        indexes = sorted(int(tier["index"]) for tier in tiers)
    except (KeyError, TypeError, ValueError):
        indexes = []
    if indexes != list(range(1, len(tiers) + 1)):
        raise InvalidInput(
            _("阶梯序号须从 1 开始连续编号。"), code="tier_indexes_not_contiguous", field="tiers"
        )
    result = []
    previous: _CleanTier | None = None
    for raw in sorted(tiers, key=lambda tier: int(tier["index"])):
        index = int(raw["index"])
        is_last = index == len(tiers)
        upper_bound = _volume(raw.get("upper_bound"), allow_none=True)
        if is_last and upper_bound is not None:
            raise InvalidInput(
                _("最后一档阶梯不设上限（请留空）。"),
                code="last_tier_must_be_unbounded",
                field="tiers",
            )
        if not is_last and upper_bound is None:
            raise InvalidInput(
                format_lazy(_("请填写第 {index} 档的阶梯上限。"), index=index),
                code="tier_bound_missing",
                field="tiers",
            )
        tier = _CleanTier(
            index=index,
            upper_bound=upper_bound,
            extra_per_person=_volume(raw.get("extra_per_person") or 0),
            extra_for_large_household=_volume(raw.get("extra_for_large_household") or 0),
        )
        if upper_bound is not None:
            previous_bound = previous.upper_bound if previous is not None else Decimal(0)
            if upper_bound <= previous_bound:
                raise InvalidInput(
                    format_lazy(
                        _(
                            "阶梯上限须逐档递增："
                            "第 {index} 档上限 {bound} m³ 不大于 {previous} m³。"
                        ),
                        index=index,
                        bound=upper_bound,
                        previous=previous_bound,
                    ),
                    code="tier_bounds_not_increasing",
                    field="tiers",
                )
            if previous is not None and (
                tier.extra_per_person < previous.extra_per_person
                or tier.extra_for_large_household < previous.extra_for_large_household
            ):
                raise InvalidInput(
                    format_lazy(
                        _(
                            "第 {index} 档的增加水量不能少于上一档，"
                            "否则按人口调整后的阶梯上限不再递增。"
                        ),
                        index=index,
                    ),
                    code="tier_extras_decreasing",
                    field="tiers",
                )
        result.append(tier)
        previous = tier
    return result


def _clean_components(
    tier_basis: str, tiers: list[_CleanTier], components: list[dict[str, Any]]
) -> list[_CleanComponent]:
    if not components:
        raise InvalidInput(
            _("至少需要一项费用构成。"), code="components_required", field="components"
        )
    tier_indexes = {tier.index for tier in tiers}
    names: set[str] = set()
    result = []
    for position, raw in enumerate(components, start=1):
        kind = raw.get("kind")
        if kind not in ComponentKind.values:
            raise InvalidInput(
                _("费用构成类型不正确。"), code="component_kind_invalid", field="components"
            )
        name = str(raw.get("name") or "").strip()
        if not name or len(name) > 50:
            raise InvalidInput(
                _("请填写费用构成名称（不超过 50 字）。"),
                code="component_name_required",
                field="components",
            )
        if name in names:
            raise InvalidInput(
                format_lazy(_("费用构成名称“{name}”重复。"), name=name),
                code="component_name_duplicate",
                field="components",
            )
        names.add(name)
        flat_price = _price(raw.get("flat_price"), allow_none=True)
        tier_prices = {
            int(index): _price(price)
            for index, price in (raw.get("tier_prices") or {}).items()
            if price is not None
        }
        if flat_price is not None and tier_prices:
            raise InvalidInput(
                format_lazy(_("费用构成“{name}”不能同时填写统一单价和分档单价。"), name=name),
                code="component_price_ambiguous",
                field="components",
            )
        if tier_basis == TierBasis.NONE and flat_price is None:
            raise InvalidInput(
                format_lazy(_("不分阶梯的水价，费用构成“{name}”须填写统一单价。"), name=name),
                code="component_needs_flat_price",
                field="components",
            )
        if flat_price is None:
            unknown = sorted(set(tier_prices) - tier_indexes)
            if unknown:
                raise InvalidInput(
                    format_lazy(
                        _("费用构成“{name}”填写了不存在的第 {index} 档单价。"),
                        name=name,
                        index=unknown[0],
                    ),
                    code="tier_price_unknown_tier",
                    field="components",
                )
            missing = sorted(tier_indexes - set(tier_prices))
            if missing:
                raise InvalidInput(
                    format_lazy(
                        _("费用构成“{name}”缺少第 {index} 档的单价（或改填统一单价）。"),
                        name=name,
                        index=missing[0],
                    ),
                    code="tier_price_missing",
                    field="components",
                )
        result.append(
            _CleanComponent(
                kind=kind,
                name=name,
                position=int(raw.get("position") or position),
                flat_price=flat_price,
                tier_prices=dict(sorted(tier_prices.items())),
            )
        )
    return result


def _guideline_warnings(
    tariff: Tariff, tiers: list[_CleanTier], components: list[_CleanComponent]
) -> list[str]:
    if tariff.usage_category != UsageCategory.RESIDENTIAL or len(tiers) < RESIDENTIAL_MIN_TIERS:
        return []
    totals = {
        tier.index: sum(
            (
                component.flat_price
                if component.flat_price is not None
                else component.tier_prices[tier.index]
                for component in components
            ),
            Decimal(0),
        )
        for tier in tiers
    }
    first = totals[1]
    if first <= 0:
        return []
    below = [index for index, ratio in GUIDELINE_RATIOS.items() if totals[index] < first * ratio]
    if not below:
        return []
    ratios = ":".join(
        f"{(totals[index] / first).quantize(Decimal('0.01'))}" for index in sorted(GUIDELINE_RATIOS)
    )
    return [
        str(
            format_lazy(
                _("居民阶梯水价比价为 1:{ratios}，低于国家指导的 1:1.5:3（仅提示，已允许保存）。"),
                ratios=ratios,
            )
        )
    ]


def _refuse_overlap(tariff: Tariff, effective_from: date) -> None:
    if TariffVersion.objects.filter(tariff=tariff, effective_from=effective_from).exists():
        raise _overlap(tariff, effective_from)


def _overlap(tariff: Tariff, effective_from: date) -> InvalidInput:
    return InvalidInput(
        format_lazy(
            _("水价“{tariff}”已有 {day} 生效的版本，版本的生效日期不能重复。"),
            tariff=tariff.name,
            day=effective_from.isoformat(),
        ),
        code="tariff_version_overlap",
        field="effective_from",
    )


def _latest_billed_day(tariff: Tariff) -> date | None:
    """The last day billed for any account that may be billed on ``tariff``: accounts with
    an own-tariff row naming it and, for a default tariff, every account of its category."""
    accounts = Q(account__in=AccountTariff.objects.filter(tariff=tariff).values("account"))
    if tariff.is_default:
        accounts |= Q(account__usage_category=tariff.usage_category)
    return Bill.objects.filter(accounts).aggregate(latest=Max("period_end"))["latest"]


def _refuse_billed_period(tariff: Tariff, effective_from: date) -> None:
    latest = _latest_billed_day(tariff)
    if latest is not None and effective_from <= latest:
        raise InvalidInput(
            format_lazy(
                _("该水价的用水已出账至 {day}，价格版本只能从此日之后生效。"),
                day=latest.isoformat(),
            ),
            code="tariff_version_in_billed_period",
            field="effective_from",
        )


# --- account tariffs ----------------------------------------------------------------------


def account_tariff_validate(*, account: Account, tariff: Tariff, effective_from: date) -> None:
    """Checks of ``account_tariff_set``; raises ``InvalidInput``."""
    if not isinstance(effective_from, date):
        raise InvalidInput(
            _("请填写生效日期。"), code="effective_from_required", field="effective_from"
        )
    if not TariffVersion.objects.filter(tariff=tariff, effective_from__lte=effective_from).exists():
        raise InvalidInput(
            format_lazy(
                _("水价“{tariff}”在 {day} 还没有生效的价格版本。"),
                tariff=tariff.name,
                day=effective_from.isoformat(),
            ),
            code="no_tariff_version",
            field="tariff",
        )
    latest = account_billed_until(account)
    if latest is not None and effective_from <= latest:
        raise InvalidInput(
            format_lazy(
                _("该账户已出账至 {day}，新水价只能从此日之后生效。"), day=latest.isoformat()
            ),
            code="account_tariff_in_billed_period",
            field="effective_from",
        )


@transaction.atomic
def account_tariff_set(
    *,
    actor: Actor,
    account: Account,
    tariff: Tariff,
    effective_from: date,
    case=None,
) -> AccountTariff:
    """Bill ``account`` on ``tariff`` from ``effective_from`` on (a usage change, a special
    industry). A row already starting that day is replaced; billed days cannot change."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    account_tariff_validate(account=locked, tariff=tariff, effective_from=effective_from)
    row, _created = AccountTariff.objects.update_or_create(
        account=locked,
        effective_from=effective_from,
        defaults={"tariff": tariff, "case": case},
    )
    return row


# --- helpers ------------------------------------------------------------------------------


def _decimal(value: Any, *, max_digits: int, places: int) -> Decimal | None:
    """``value`` as a Decimal with at most ``places`` decimals and ``max_digits`` digits."""
    if isinstance(value, float | bool):
        return None
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            return None
        quantized = number.quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, ValueError):
        return None
    if quantized != number or len(quantized.as_tuple().digits) > max_digits:
        return None
    return quantized


def _volume(value: Any, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        value = 0
    number = _decimal(value, max_digits=VOLUME_MAX_DIGITS, places=VOLUME_DECIMAL_PLACES)
    if number is None or number < 0:
        raise InvalidInput(
            _("水量须为不小于 0 的数，最多两位小数。"), code="volume_invalid", field="tiers"
        )
    return number


def _price(value: Any, *, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise InvalidInput(_("请填写单价。"), code="price_invalid", field="components")
    number = _decimal(value, max_digits=PRICE_MAX_DIGITS, places=PRICE_DECIMAL_PLACES)
    if number is None:
        raise InvalidInput(
            _("单价格式不正确（最多四位小数）。"), code="price_invalid", field="components"
        )
    if number < 0:
        raise InvalidInput(_("单价不能为负数。"), code="price_negative", field="components")
    return number


def _stamp(instance, actor: Actor) -> None:
    # django-simple-history reads the acting user from here.
    if actor is not None and getattr(actor, "pk", None) is not None:
        instance._history_user = actor

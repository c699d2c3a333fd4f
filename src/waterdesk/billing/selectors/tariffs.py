"""Reads for tariffs: the prices in force, an account's tariff, a price table to show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    AccountTariff,
    Tariff,
    TariffComponent,
    TariffVersion,
    TierBasis,
)
from waterdesk.billing.tariff_book import VersionSpec, tier_bounds, version_spec
from waterdesk.core.errors import DomainError
from waterdesk.customers.models import Account, UsageCategory


def _versions_with_prices():
    return TariffVersion.objects.select_related("tariff").prefetch_related(
        "tiers",
        Prefetch(
            "components",
            queryset=TariffComponent.objects.order_by("position", "pk").prefetch_related("rates"),
        ),
    )


def tariff_default(usage_category: str) -> Tariff:
    """The default tariff of a usage category; ``DomainError`` "no_default_tariff"."""
    tariff = Tariff.objects.filter(usage_category=usage_category, is_default=True).first()
    if tariff is None:
        raise DomainError(
            format_lazy(
                _("用水性质“{category}”没有默认水价。"), category=_category_label(usage_category)
            ),
            code="no_default_tariff",
        )
    return tariff


def tariff_version_on(tariff: Tariff, day: date) -> TariffVersion:
    """The version of ``tariff`` in force on ``day`` (tiers, components and rates
    prefetched); ``DomainError`` "no_tariff_version" when none has started yet."""
    version = (
        _versions_with_prices()
        .filter(tariff=tariff, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    if version is None:
        raise DomainError(
            format_lazy(
                _("水价“{tariff}”在 {day} 没有生效的价格版本。"),
                tariff=tariff.name,
                day=day.isoformat(),
            ),
            code="no_tariff_version",
        )
    return version


def tariff_current(usage_category: str, day: date) -> TariffVersion:
    """The version of the category's default tariff in force on ``day``."""
    return tariff_version_on(tariff_default(usage_category), day)


def account_tariff_on(account: Account, day: date) -> Tariff:
    """The tariff an account is billed on, on ``day``: its own (latest ``AccountTariff``
    starting on or before the day), else its usage category's default."""
    own = (
        AccountTariff.objects.filter(account=account, effective_from__lte=day)
        .select_related("tariff")
        .order_by("-effective_from")
        .first()
    )
    return own.tariff if own is not None else tariff_default(account.usage_category)


def account_tariff_rows(account_ids: Iterable[int]) -> dict[int, list[tuple[date, int]]]:
    """``{account_id: [(effective_from, tariff_id), …] sorted}`` for ``TariffBook.segments``;
    accounts without own tariffs are absent (one query)."""
    rows: dict[int, list[tuple[date, int]]] = defaultdict(list)
    queryset = (
        AccountTariff.objects.filter(account_id__in=list(account_ids))
        .order_by("account_id", "effective_from")
        .values_list("account_id", "effective_from", "tariff_id")
    )
    for account_id, effective_from, tariff_id in queryset:
        rows[account_id].append((effective_from, tariff_id))
    return dict(rows)


def tariff_price_summary(
    version: TariffVersion | VersionSpec, *, household_size: int | None = None
) -> list[dict]:
    """The price table of a version, one row per tier (one row without tiers), to tell a
    customer the new price. With ``household_size`` the tier bounds are adjusted for it.

    Each row: ``tier_index`` (``None`` without tiers), ``volume_from``, ``volume_to``
    (``None``: no upper limit), ``label`` (e.g. "第 1 阶梯 0–180 m³/年"), ``prices`` — a
    list of ``{"kind", "name", "price"}`` in billing order — and ``total_price`` per m³.
    """
    spec = version if isinstance(version, VersionSpec) else version_spec(version)
    if spec.tier_basis == TierBasis.NONE or not spec.tiers:
        prices = [{"kind": c.kind, "name": c.name, "price": c.flat_price} for c in spec.components]
        return [
            {
                "tier_index": None,
                "volume_from": Decimal("0"),
                "volume_to": None,
                "label": gettext("统一价格"),
                "prices": prices,
                "total_price": sum((p["price"] for p in prices), Decimal("0")),
            }
        ]
    if household_size is None:
        bounds = [tier.upper_bound for tier in spec.tiers]
    else:
        bounds = tier_bounds(spec, household_size)
    per = gettext("年") if spec.tier_basis == TierBasis.ANNUAL else gettext("月")
    rows = []
    lower = Decimal("0")
    for tier, upper in zip(spec.tiers, bounds, strict=True):
        prices = [
            {
                "kind": c.kind,
                "name": c.name,
                "price": c.flat_price if c.flat_price is not None else c.tier_prices[tier.index],
            }
            for c in spec.components
        ]
        if upper is None:
            label = gettext("第 %(index)s 阶梯 %(lower)s m³/%(per)s 以上") % {
                "index": tier.index,
                "lower": _plain(lower),
                "per": per,
            }
        else:
            label = gettext("第 %(index)s 阶梯 %(lower)s–%(upper)s m³/%(per)s") % {
                "index": tier.index,
                "lower": _plain(lower),
                "upper": _plain(upper),
                "per": per,
            }
        rows.append(
            {
                "tier_index": tier.index,
                "volume_from": lower,
                "volume_to": upper,
                "label": label,
                "prices": prices,
                "total_price": sum((p["price"] for p in prices), Decimal("0")),
            }
        )
        if upper is not None:
            lower = upper
    return rows


def _plain(volume: Decimal) -> str:
    """180.00 → "180", 12.50 → "12.5"."""
    text = f"{volume:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _category_label(usage_category: str):
    if usage_category in UsageCategory.values:
        return UsageCategory(usage_category).label
    return usage_category

"""An in-memory snapshot of every tariff, for billing many accounts fast.

``TariffBook.load()`` reads all tariffs, versions, tiers, components and rates with a fixed
number of queries (five, whatever the number of tariffs); after that, finding the prices of
an account for a period costs no query. A bill run loads one book per chunk.

Which prices apply on a day:
- the account's own tariff (``AccountTariff``: the latest row whose ``effective_from`` is on
  or before the day), else the default tariff of the account's usage category;
- of that tariff, the version with the latest ``effective_from`` on or before the day.

``TariffBook.segments`` cuts a billing interval into pieces with one version each. It also
cuts where the tier period changes, so that a segment lies inside one tier period:
- annual tiers: at 1 January — **the tariff year is the calendar year**;
- monthly tiers: at the first of every month (tiers count per calendar month).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Tariff, TariffComponent, TariffVersion, TierBasis
from waterdesk.core.errors import DomainError
from waterdesk.customers.models import UsageCategory

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class TierSpec:
    """Tier ``index`` covers cumulative volume in the tier period up to ``upper_bound``
    (``None``: unbounded, the last tier), before household adjustments."""

    index: int
    upper_bound: Decimal | None
    extra_per_person: Decimal = Decimal("0")
    extra_for_large_household: Decimal = Decimal("0")


@dataclass(frozen=True)
class ComponentSpec:
    """A price component; ``flat_price`` (the same in every tier) or one price per tier."""

    kind: str
    name: str
    flat_price: Decimal | None = None
    tier_prices: dict[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionSpec:
    id: int
    tariff_id: int
    tariff_name: str
    effective_from: date
    tier_basis: str
    household_base_size: int
    large_household_size: int | None
    tiers: tuple[TierSpec, ...]
    components: tuple[ComponentSpec, ...]  # in billing order (component position)


@dataclass(frozen=True)
class Segment:
    """Days ``start`` … ``end`` (both inclusive) priced with ``version``."""

    start: date
    end: date
    version: VersionSpec

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def version_spec(version: TariffVersion) -> VersionSpec:
    """The spec of a model version; reads ``tiers`` and ``components.rates`` (prefetch them)."""
    tiers = tuple(
        TierSpec(
            index=tier.index,
            upper_bound=tier.upper_bound,
            extra_per_person=tier.extra_per_person,
            extra_for_large_household=tier.extra_for_large_household,
        )
        for tier in sorted(version.tiers.all(), key=lambda tier: tier.index)
    )
    components = []
    for component in sorted(version.components.all(), key=lambda c: (c.position, c.pk)):
        flat_price = None
        tier_prices = {}
        for rate in component.rates.all():
            if rate.tier_index is None:
                flat_price = rate.price
            else:
                tier_prices[rate.tier_index] = rate.price
        components.append(
            ComponentSpec(
                kind=component.kind,
                name=component.name,
                flat_price=flat_price,
                tier_prices=dict(sorted(tier_prices.items())),
            )
        )
    return VersionSpec(
        id=version.pk,
        tariff_id=version.tariff_id,
        tariff_name=version.tariff.name,
        effective_from=version.effective_from,
        tier_basis=version.tier_basis,
        household_base_size=version.household_base_size,
        large_household_size=version.large_household_size,
        tiers=tiers,
        components=tuple(components),
    )


def tier_bounds(version: VersionSpec, household_size: int) -> list[Decimal | None]:
    """The upper bounds of the tiers for a household of ``household_size`` persons.

    Each bound is raised by ``extra_per_person`` for every person above the version's
    ``household_base_size`` and, when the version has a ``large_household_size`` and the
    household reaches it, by ``extra_for_large_household``. The last tier stays unbounded.
    """
    extra_persons = max(0, household_size - version.household_base_size)
    is_large = (
        version.large_household_size is not None and household_size >= version.large_household_size
    )
    bounds: list[Decimal | None] = []
    for tier in version.tiers:
        if tier.upper_bound is None:
            bounds.append(None)
            continue
        bound = tier.upper_bound + tier.extra_per_person * extra_persons
        if is_large:
            bound += tier.extra_for_large_household
        bounds.append(bound)
    return bounds


def _next_tier_period_start(tier_basis: str, day: date) -> date | None:
    if tier_basis == TierBasis.ANNUAL:
        return date(day.year + 1, 1, 1)
    if tier_basis == TierBasis.MONTHLY:
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return None


class TariffBook:
    """All tariffs and their versions in memory (see the module docstring)."""

    def __init__(
        self,
        *,
        defaults: dict[str, int],
        versions: list[VersionSpec],
        names: dict[int, str] | None = None,
    ):
        self._defaults = dict(defaults)
        self._names = dict(names or {})
        self._versions: dict[int, list[VersionSpec]] = {}
        for spec in sorted(versions, key=lambda v: (v.tariff_id, v.effective_from)):
            self._versions.setdefault(spec.tariff_id, []).append(spec)
        self._starts = {
            tariff_id: [spec.effective_from for spec in specs]
            for tariff_id, specs in self._versions.items()
        }

    @classmethod
    def load(cls) -> TariffBook:
        defaults, names = {}, {}
        for pk, name, usage_category, is_default in Tariff.objects.values_list(
            "pk", "name", "usage_category", "is_default"
        ):
            names[pk] = name
            if is_default:
                defaults[usage_category] = pk
        versions = TariffVersion.objects.select_related("tariff").prefetch_related(
            "tiers",
            Prefetch(
                "components",
                queryset=TariffComponent.objects.order_by("position", "pk").prefetch_related(
                    "rates"
                ),
            ),
        )
        return cls(
            defaults=defaults,
            versions=[version_spec(version) for version in versions],
            names=names,
        )

    def default_tariff_id(self, usage_category: str) -> int:
        try:
            return self._defaults[usage_category]
        except KeyError:
            raise DomainError(
                format_lazy(
                    _("用水性质“{category}”没有默认水价。"),
                    category=_category_label(usage_category),
                ),
                code="no_default_tariff",
            ) from None

    def version_on(self, tariff_id: int, day: date) -> VersionSpec:
        starts = self._starts.get(tariff_id, [])
        position = bisect.bisect_right(starts, day)
        if position == 0:
            raise DomainError(
                format_lazy(
                    _("水价“{tariff}”在 {day} 没有生效的价格版本。"),
                    tariff=self._names.get(tariff_id, tariff_id),
                    day=day.isoformat(),
                ),
                code="no_tariff_version",
            )
        return self._versions[tariff_id][position - 1]

    def _next_version_start(self, tariff_id: int, day: date) -> date | None:
        starts = self._starts.get(tariff_id, [])
        position = bisect.bisect_right(starts, day)
        return starts[position] if position < len(starts) else None

    def segments(
        self,
        *,
        usage_category: str,
        account_tariffs: list[tuple[date, int]],
        start: date,
        end: date,
    ) -> list[Segment]:
        """Cut ``[start, end]`` where the tariff, its version or the tier period changes.

        ``account_tariffs`` are the account's ``AccountTariff`` rows as
        ``(effective_from, tariff_id)`` sorted by date; before the first one (or without
        any) the default tariff of ``usage_category`` applies.
        """
        if end < start:
            raise ValueError(f"segments(): end {end} before start {start}")
        own_starts = [effective_from for effective_from, _tariff in account_tariffs]
        result: list[Segment] = []
        day = start
        while day <= end:
            position = bisect.bisect_right(own_starts, day)
            if position:
                tariff_id = account_tariffs[position - 1][1]
            else:
                tariff_id = self.default_tariff_id(usage_category)
            version = self.version_on(tariff_id, day)
            cuts = [
                end + ONE_DAY,
                own_starts[position] if position < len(own_starts) else None,
                self._next_version_start(tariff_id, day),
                _next_tier_period_start(version.tier_basis, day),
            ]
            next_day = min(cut for cut in cuts if cut is not None)
            segment_end = next_day - ONE_DAY
            previous = result[-1] if result else None
            if (
                previous is not None
                and previous.version.id == version.id
                and previous.end + ONE_DAY == day
                and _next_tier_period_start(version.tier_basis, previous.start)
                == _next_tier_period_start(version.tier_basis, day)
            ):
                # An own-tariff row naming the tariff already in force changes nothing.
                result[-1] = Segment(start=previous.start, end=segment_end, version=version)
            else:
                result.append(Segment(start=day, end=segment_end, version=version))
            day = next_day
        return result


def _category_label(usage_category: str):
    if usage_category in UsageCategory.values:
        return UsageCategory(usage_category).label
    return usage_category

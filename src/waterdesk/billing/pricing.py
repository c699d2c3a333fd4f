"""Pricing a metered volume into bill lines — pure functions, no database.

The input is the volume of one read interval, the interval cut into segments by
``TariffBook.segments`` (one tariff version each, each inside one tier period), the
household size and the volume already billed in each tier period. The rules:

1. **Proration by days.** A volume spanning several segments (a price change, a change of
   tariff, a new tariff year or month inside the interval) is split between them in
   proportion to their days. Shares are rounded to 0.01 m³ (half up) on the running total:
   the share of segment *i* is round(V × days up to the end of *i* ÷ all days) minus the
   same for segment *i − 1*. So every share is rounded once, none is negative and the last
   segment takes the remainder: the shares add up exactly to the metered volume.
   Example: 20 m³ from 1 to 31 March, new prices from 16 March → 20 × 15/31 = 9.68 m³ at
   the old prices, 10.32 m³ at the new ones.
2. **Annual tiers.** The tier of a cubic metre depends on the household's cumulative volume
   in its tariff year (the calendar year; segments never cross 1 January). The caller
   passes the volume already billed in each tariff year; a bill crossing a tier boundary
   splits its volume between the tiers. Tier *n* holds the volume above the upper bound of
   tier *n − 1* up to its own upper bound (0–180 / 180–260 / above 260: the 180th m³ is in
   tier 1, the next in tier 2). The cumulative volume carries across price changes and
   tariff versions within the year.
3. **Monthly tiers.** The same per calendar month: segments never cross the first of a
   month, and a segment's volume counts against the bounds of its month.
4. **Tier-period keys.** ``cumulative_before`` and the returned dict map a tier period to the
   volume billed in it: annual tiers by the year (``2025``), monthly tiers by
   year × 100 + month (``202503``). Volume priced under a version without tiers is not
   counted. The returned dict is a new dict: the input is not changed.
5. **No tiers** (tier basis ``none``): every component has one flat price.
6. **Household size** raises the tier bounds (``tariffs.tier_bounds``): + extra per person
   above the base household size, + a fixed extra for large households.
7. **Lines and rounding.** A line's amount is volume × unit price rounded once to the fen,
   half up (``core.money.to_money``); the bill total is the sum of its lines. A flat
   component gives one line per segment; a tiered component one line per tier used per
   segment. Lines with zero volume are left out. Lines are ordered by segment, then
   component position, then tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from waterdesk.billing.models import TierBasis
from waterdesk.billing.tariff_book import Segment, tier_bounds
from waterdesk.core.money import to_money

VOLUME_PLACES = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class LineDraft:
    component_kind: str
    component_name: str
    tier_index: int | None
    period_start: date
    period_end: date
    volume: Decimal
    unit_price: Decimal
    amount: Decimal


def tier_period_key(tier_basis: str, day: date) -> int | None:
    """The key of the tier period containing ``day``: 2025 (annual), 202503 (monthly)."""
    if tier_basis == TierBasis.ANNUAL:
        return day.year
    if tier_basis == TierBasis.MONTHLY:
        return day.year * 100 + day.month
    return None


def split_by_days(volume: Decimal, segments: list[Segment]) -> list[Decimal]:
    """Shares of ``volume`` per segment in proportion to days (rule 1)."""
    total_days = sum(segment.days for segment in segments)
    shares = []
    days_so_far = 0
    allocated = ZERO
    for segment in segments:
        days_so_far += segment.days
        target = (volume * days_so_far / total_days).quantize(VOLUME_PLACES, ROUND_HALF_UP)
        shares.append(target - allocated)
        allocated = target
    return shares


def _tier_portions(
    bounds: list[Decimal | None], tier_indexes: list[int], before: Decimal, volume: Decimal
) -> list[tuple[int, Decimal]]:
    """How much of ``volume``, counted from ``before``, falls into each tier."""
    after = before + volume
    portions = []
    lower = ZERO
    for index, upper in zip(tier_indexes, bounds, strict=True):
        top = after if upper is None else min(after, max(upper, lower))
        portion = top - max(before, lower)
        if portion > 0:
            portions.append((index, portion))
        if upper is None:
            break
        lower = max(upper, lower)
    return portions


def price_volume(
    *,
    segments: list[Segment],
    volume: Decimal,
    household_size: int,
    cumulative_before: dict[int, Decimal],
) -> tuple[list[LineDraft], dict[int, Decimal]]:
    """Price the ``volume`` of one read interval; see the module docstring for the rules.

    Returns the lines and the cumulative volume per tier period after this interval.
    """
    if not segments:
        raise ValueError("price_volume(): no segments")
    if volume < 0 or volume != volume.quantize(VOLUME_PLACES):
        raise ValueError(f"price_volume(): volume {volume} must be ≥ 0 with two places")
    cumulative = dict(cumulative_before)
    lines: list[LineDraft] = []
    for segment, share in zip(segments, split_by_days(volume, segments), strict=True):
        if share == 0:
            continue
        version = segment.version

        def line(component, tier_index, line_volume, unit_price, segment=segment):
            return LineDraft(
                component_kind=component.kind,
                component_name=component.name,
                tier_index=tier_index,
                period_start=segment.start,
                period_end=segment.end,
                volume=line_volume,
                unit_price=unit_price,
                amount=to_money(line_volume * unit_price),
            )

        key = tier_period_key(version.tier_basis, segment.start)
        portions: list[tuple[int, Decimal]] = []
        if key is not None:
            before = cumulative.get(key, ZERO)
            portions = _tier_portions(
                tier_bounds(version, household_size),
                [tier.index for tier in version.tiers],
                before,
                share,
            )
            if sum(portion for _index, portion in portions) != share:
                raise ValueError(f"tariff version {version.id}: the last tier must be unbounded")
            cumulative[key] = before + share
        for component in version.components:
            if component.flat_price is not None:
                lines.append(line(component, None, share, component.flat_price))
                continue
            if key is None:
                raise ValueError(
                    f"tariff version {version.id}: component {component.name} has no flat price"
                )
            for tier_index, portion in portions:
                price = component.tier_prices[tier_index]
                lines.append(line(component, tier_index, portion, price))
    return lines, cumulative


def lines_total(lines: Iterable[LineDraft]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0.00"))

"""Pricing: the published cases, tiers over monthly bills, proration, household sizes.

Tariffs are built through the services and read back through ``TariffBook``; the
rule-by-rule tests at the end use hand-built specs (pricing itself needs no database).
"""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.factories import UserFactory, tariff_with_version
from tests.test_billing_run_support import BEIJING_TIERS
from waterdesk.billing.pricing import LineDraft, lines_total, price_volume, split_by_days
from waterdesk.billing.services.tariffs import tariff_version_create
from waterdesk.billing.tariff_book import (
    ComponentSpec,
    Segment,
    TariffBook,
    TierSpec,
    VersionSpec,
    tier_bounds,
)

SUPPLY, RESOURCE, SEWAGE, GARBAGE = "water_supply", "water_resource", "sewage", "garbage"


def beijing_components(supply=("2.07", "4.07", "6.07")):
    return [
        {
            "kind": SUPPLY,
            "name": "供水价格",
            "tier_prices": {1: D(supply[0]), 2: D(supply[1]), 3: D(supply[2])},
        },
        {"kind": RESOURCE, "name": "水资源费", "flat_price": D("1.57")},
        {"kind": SEWAGE, "name": "污水处理费", "flat_price": D("1.36")},
    ]


@pytest.fixture
def admin_actor(db):
    return UserFactory(username="tariff-admin")


@pytest.fixture
def beijing(admin_actor):
    return tariff_with_version(
        actor=admin_actor,
        code="beijing",
        name="北京居民",
        tier_basis="annual",
        tiers=BEIJING_TIERS,
        components=beijing_components(),
    )


@pytest.fixture
def shenzhen(admin_actor):
    return tariff_with_version(
        actor=admin_actor,
        code="shenzhen",
        name="深圳居民",
        tier_basis="monthly",
        tiers=[
            {"index": 1, "upper_bound": D("22")},
            {"index": 2, "upper_bound": D("30")},
            {"index": 3, "upper_bound": None},
        ],
        components=[
            {
                "kind": SUPPLY,
                "name": "水费",
                "tier_prices": {1: D("2.67"), 2: D("4.01"), 3: D("8.01")},
            },
            {
                "kind": SEWAGE,
                "name": "污水处理费",
                "tier_prices": {1: D("0.90"), 2: D("1.00"), 3: D("1.10")},
            },
            {"kind": GARBAGE, "name": "垃圾处理费", "flat_price": D("0.59")},
        ],
    )


def price(tariff, start, end, volume, *, household_size=3, cumulative=None):
    book = TariffBook.load()
    segments = book.segments(
        usage_category="residential",
        account_tariffs=[(date(2025, 1, 1), tariff.pk)],
        start=start,
        end=end,
    )
    return price_volume(
        segments=segments,
        volume=D(volume),
        household_size=household_size,
        cumulative_before=cumulative or {},
    )


def rows(lines):
    return [
        (
            line.component_name,
            line.tier_index,
            line.period_start,
            line.period_end,
            line.volume,
            line.unit_price,
            line.amount,
        )
        for line in lines
    ]


def by_component(lines):
    totals = {}
    for line in lines:
        totals[line.component_name] = totals.get(line.component_name, D("0")) + line.amount
    return totals


# --- the published cases ------------------------------------------------------------------


def test_beijing_200_m3_in_one_year(beijing):
    lines, cumulative = price(beijing, date(2025, 1, 1), date(2025, 12, 31), "200")

    year = (date(2025, 1, 1), date(2025, 12, 31))
    assert rows(lines) == [
        ("供水价格", 1, *year, D("180.00"), D("2.0700"), D("372.60")),
        ("供水价格", 2, *year, D("20.00"), D("4.0700"), D("81.40")),
        ("水资源费", None, *year, D("200.00"), D("1.5700"), D("314.00")),
        ("污水处理费", None, *year, D("200.00"), D("1.3600"), D("272.00")),
    ]
    assert by_component(lines) == {
        "供水价格": D("454.00"),
        "水资源费": D("314.00"),
        "污水处理费": D("272.00"),
    }
    assert lines_total(lines) == D("1040.00")
    assert cumulative == {2025: D("200.00")}


def test_shenzhen_25_m3_in_one_month(shenzhen):
    lines, cumulative = price(shenzhen, date(2025, 3, 1), date(2025, 3, 31), "25")

    march = (date(2025, 3, 1), date(2025, 3, 31))
    assert rows(lines) == [
        ("水费", 1, *march, D("22.00"), D("2.6700"), D("58.74")),
        ("水费", 2, *march, D("3.00"), D("4.0100"), D("12.03")),
        ("污水处理费", 1, *march, D("22.00"), D("0.9000"), D("19.80")),
        ("污水处理费", 2, *march, D("3.00"), D("1.0000"), D("3.00")),
        ("垃圾处理费", None, *march, D("25.00"), D("0.5900"), D("14.75")),
    ]
    assert lines_total(lines) == D("108.32")
    assert cumulative == {202503: D("25.00")}


def test_shenzhen_months_count_separately(shenzhen):
    # April starts again at tier 1 although March used 25 m³.
    lines, cumulative = price(
        shenzhen, date(2025, 4, 1), date(2025, 4, 30), "20", cumulative={202503: D("25.00")}
    )

    assert [(line.component_name, line.tier_index, line.volume) for line in lines] == [
        ("水费", 1, D("20.00")),
        ("污水处理费", 1, D("20.00")),
        ("垃圾处理费", None, D("20.00")),
    ]
    assert lines_total(lines) == D("83.20")
    assert cumulative == {202503: D("25.00"), 202504: D("20.00")}


def test_monthly_tiers_over_a_read_interval_spanning_two_months(shenzhen):
    # 15 March – 14 April: 17 + 14 days, 31 m³ → 17.00 m³ in March and 14.00 in April,
    # each within tier 1 of its own month.
    lines, cumulative = price(shenzhen, date(2025, 3, 15), date(2025, 4, 14), "31")

    assert [
        (line.component_name, line.tier_index, line.period_start, line.volume) for line in lines
    ] == [
        ("水费", 1, date(2025, 3, 15), D("17.00")),
        ("污水处理费", 1, date(2025, 3, 15), D("17.00")),
        ("垃圾处理费", None, date(2025, 3, 15), D("17.00")),
        ("水费", 1, date(2025, 4, 1), D("14.00")),
        ("污水处理费", 1, date(2025, 4, 1), D("14.00")),
        ("垃圾处理费", None, date(2025, 4, 1), D("14.00")),
    ]
    assert cumulative == {202503: D("17.00"), 202504: D("14.00")}


# --- annual tiers billed monthly ----------------------------------------------------------


def _monthly_bills(tariff, volume):
    cumulative: dict[int, D] = {}
    bills = []
    for month in range(1, 13):
        start = date(2025, month, 1)
        end = (date(2025, month + 1, 1) if month < 12 else date(2026, 1, 1)) - timedelta(days=1)
        lines, cumulative = price(tariff, start, end, volume, cumulative=cumulative)
        bills.append(lines)
    return bills, cumulative


def test_annual_tiers_billed_monthly_split_the_crossing_bill(beijing):
    bills, cumulative = _monthly_bills(beijing, "24")

    august = (date(2025, 8, 1), date(2025, 8, 31))
    # 7 × 24 = 168 m³ before August: 12 m³ still in tier 1, 12 in tier 2.
    assert rows(bills[7]) == [
        ("供水价格", 1, *august, D("12.00"), D("2.0700"), D("24.84")),
        ("供水价格", 2, *august, D("12.00"), D("4.0700"), D("48.84")),
        ("水资源费", None, *august, D("24.00"), D("1.5700"), D("37.68")),
        ("污水处理费", None, *august, D("24.00"), D("1.3600"), D("32.64")),
    ]
    assert lines_total(bills[7]) == D("144.00")
    november = (date(2025, 11, 1), date(2025, 11, 30))
    # 240 m³ before November: 20 m³ in tier 2, 4 in tier 3.
    assert rows(bills[10])[:2] == [
        ("供水价格", 2, *november, D("20.00"), D("4.0700"), D("81.40")),
        ("供水价格", 3, *november, D("4.00"), D("6.0700"), D("24.28")),
    ]
    assert lines_total(bills[10]) == D("176.00")
    assert [lines_total(lines) for lines in bills] == [D("120.00")] * 7 + [
        D("144.00"),
        D("168.00"),
        D("168.00"),
        D("176.00"),
        D("216.00"),
    ]
    # 288 m³: 180 at 5, 80 at 7, 28 at 9 yuan.
    assert sum(lines_total(lines) for lines in bills) == D("1712.00")
    assert cumulative == {2025: D("288.00")}


def test_the_180th_cubic_metre_is_still_tier_1(beijing):
    bills, cumulative = _monthly_bills(beijing, "20")

    assert [line.tier_index for line in bills[8]] == [1, None, None]  # 161–180
    assert [line.tier_index for line in bills[9]] == [2, None, None]  # 181–200
    assert sum(lines_total(lines) for lines in bills) == D("1320.00")
    assert cumulative == {2025: D("240.00")}


def test_tariff_year_resets_on_1_january(beijing):
    lines, cumulative = price(
        beijing, date(2025, 12, 16), date(2026, 1, 15), "31", cumulative={2025: D("175")}
    )

    december = (date(2025, 12, 16), date(2025, 12, 31))
    january = (date(2026, 1, 1), date(2026, 1, 15))
    assert rows(lines) == [
        ("供水价格", 1, *december, D("5.00"), D("2.0700"), D("10.35")),
        ("供水价格", 2, *december, D("11.00"), D("4.0700"), D("44.77")),
        ("水资源费", None, *december, D("16.00"), D("1.5700"), D("25.12")),
        ("污水处理费", None, *december, D("16.00"), D("1.3600"), D("21.76")),
        ("供水价格", 1, *january, D("15.00"), D("2.0700"), D("31.05")),
        ("水资源费", None, *january, D("15.00"), D("1.5700"), D("23.55")),
        ("污水处理费", None, *january, D("15.00"), D("1.3600"), D("20.40")),
    ]
    assert lines_total(lines) == D("177.00")
    assert cumulative == {2025: D("191.00"), 2026: D("15.00")}


# --- a price change inside a billing period -----------------------------------------------


def test_price_change_inside_a_period_is_prorated_by_days(beijing, admin_actor):
    tariff_version_create(
        actor=admin_actor,
        tariff=beijing,
        effective_from=date(2025, 3, 16),
        tier_basis="annual",
        tiers=BEIJING_TIERS,
        components=beijing_components(supply=("2.57", "4.57", "6.57")),
    )

    lines, cumulative = price(
        beijing, date(2025, 3, 1), date(2025, 3, 31), "20", cumulative={2025: D("170")}
    )

    old = (date(2025, 3, 1), date(2025, 3, 15))
    new = (date(2025, 3, 16), date(2025, 3, 31))
    # 20 m³ × 15/31 days = 9.68 m³ at the old prices, the remaining 10.32 m³ at the new;
    # the new prices' segment continues the year's count: 179.68 → 0.32 m³ left in tier 1.
    assert rows(lines) == [
        ("供水价格", 1, *old, D("9.68"), D("2.0700"), D("20.04")),
        ("水资源费", None, *old, D("9.68"), D("1.5700"), D("15.20")),
        ("污水处理费", None, *old, D("9.68"), D("1.3600"), D("13.16")),
        ("供水价格", 1, *new, D("0.32"), D("2.5700"), D("0.82")),
        ("供水价格", 2, *new, D("10.00"), D("4.5700"), D("45.70")),
        ("水资源费", None, *new, D("10.32"), D("1.5700"), D("16.20")),
        ("污水处理费", None, *new, D("10.32"), D("1.3600"), D("14.04")),
    ]
    assert lines_total(lines) == D("125.16")
    assert cumulative == {2025: D("190.00")}


# --- household size -----------------------------------------------------------------------


@pytest.fixture
def beijing_households(admin_actor):
    """Beijing prices; +30 m³ per person above 4 and +60 m³ for households of 6 or more."""
    return tariff_with_version(
        actor=admin_actor,
        code="households",
        name="人口调整",
        tier_basis="annual",
        household_base_size=4,
        large_household_size=6,
        tiers=[
            {
                "index": 1,
                "upper_bound": D("180"),
                "extra_per_person": D("30"),
                "extra_for_large_household": D("60"),
            },
            {
                "index": 2,
                "upper_bound": D("260"),
                "extra_per_person": D("30"),
                "extra_for_large_household": D("60"),
            },
            {"index": 3, "upper_bound": None},
        ],
        components=beijing_components(),
    )


@pytest.mark.parametrize(
    ("household_size", "bounds"),
    [
        (1, [D("180.00"), D("260.00"), None]),
        (4, [D("180.00"), D("260.00"), None]),
        (5, [D("210.00"), D("290.00"), None]),  # one person above the base
        (6, [D("300.00"), D("380.00"), None]),  # two persons above, and a large household
        (7, [D("330.00"), D("410.00"), None]),
    ],
)
def test_household_size_raises_the_tier_bounds(beijing_households, household_size, bounds):
    version = TariffBook.load().version_on(beijing_households.pk, date(2025, 6, 1))

    assert tier_bounds(version, household_size) == bounds


def test_household_of_five_stays_in_tier_1_longer(beijing_households):
    lines, _cumulative = price(
        beijing_households, date(2025, 1, 1), date(2025, 12, 31), "200", household_size=5
    )

    assert [(line.tier_index, line.volume, line.amount) for line in lines] == [
        (1, D("200.00"), D("414.00")),
        (None, D("200.00"), D("314.00")),
        (None, D("200.00"), D("272.00")),
    ]
    assert lines_total(lines) == D("1000.00")


def test_large_household_gets_the_fixed_extra(beijing_households):
    lines, _cumulative = price(
        beijing_households, date(2025, 1, 1), date(2025, 12, 31), "320", household_size=6
    )

    assert [(line.tier_index, line.volume, line.amount) for line in lines] == [
        (1, D("300.00"), D("621.00")),
        (2, D("20.00"), D("81.40")),
        (None, D("320.00"), D("502.40")),
        (None, D("320.00"), D("435.20")),
    ]
    assert lines_total(lines) == D("1640.00")  # 300 × 5 + 20 × 7


# --- the rules, on hand-built specs (no database) -----------------------------------------


def spec(
    *, version_id=1, effective_from=date(2025, 1, 1), tier_basis="annual", tiers=None, comps=None
):
    return VersionSpec(
        id=version_id,
        tariff_id=1,
        tariff_name="test",
        effective_from=effective_from,
        tier_basis=tier_basis,
        household_base_size=4,
        large_household_size=None,
        tiers=tuple(
            tiers
            if tiers is not None
            else (TierSpec(1, D("180")), TierSpec(2, D("260")), TierSpec(3, None))
        ),
        components=tuple(
            comps
            if comps is not None
            else (
                ComponentSpec(SUPPLY, "供水", tier_prices={1: D("2"), 2: D("4"), 3: D("6")}),
                ComponentSpec(SEWAGE, "污水", flat_price=D("1")),
            )
        ),
    )


def test_split_by_days_rounds_the_running_total():
    version = spec()
    segments = [
        Segment(date(2025, 1, 1), date(2025, 1, 1), version),
        Segment(date(2025, 1, 2), date(2025, 1, 2), version),
        Segment(date(2025, 1, 3), date(2025, 1, 3), version),
    ]

    # 10 m³ over 3 equal days: 3.33, 3.34 (6.67 − 3.33), 3.33 (10 − 6.67).
    assert split_by_days(D("10.00"), segments) == [D("3.33"), D("3.34"), D("3.33")]
    # Shares never go negative, even for a tiny volume over many segments.
    eight = [Segment(date(2025, 1, day), date(2025, 1, day), version) for day in range(1, 9)]
    shares = split_by_days(D("0.05"), eight)
    assert shares == [D("0.01"), D("0.00"), D("0.01"), D("0.01")] + [D("0.00"), D("0.01")] * 2
    assert sum(shares) == D("0.05")


def test_flat_tariff_gives_one_line_per_component_and_counts_no_tiers():
    version = spec(
        tier_basis="none",
        tiers=(),
        comps=(
            ComponentSpec(SUPPLY, "供水", flat_price=D("4.20")),
            ComponentSpec(RESOURCE, "水资源税", flat_price=D("0.50")),
            ComponentSpec(SEWAGE, "污水", flat_price=D("1.40")),
        ),
    )
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), version)

    lines, cumulative = price_volume(
        segments=[segment], volume=D("12.34"), household_size=3, cumulative_before={2025: D("5")}
    )

    assert [(line.component_name, line.tier_index, line.amount) for line in lines] == [
        ("供水", None, D("51.83")),  # 51.828
        ("水资源税", None, D("6.17")),  # 6.170
        ("污水", None, D("17.28")),  # 17.276
    ]
    assert lines_total(lines) == D("75.28")
    assert cumulative == {2025: D("5")}


def test_zero_volume_gives_no_lines():
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), spec())

    lines, cumulative = price_volume(
        segments=[segment], volume=D("0.00"), household_size=3, cumulative_before={}
    )

    assert lines == []
    assert lines_total(lines) == D("0.00")
    assert cumulative == {}


def test_each_line_is_rounded_once_half_up():
    version = spec(comps=(ComponentSpec(SUPPLY, "供水", flat_price=D("1.2345")),))
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), version)

    lines, _cumulative = price_volume(
        segments=[segment], volume=D("10.10"), household_size=3, cumulative_before={}
    )

    # 10.10 × 1.2345 = 12.46845 → 12.47
    assert lines == [
        LineDraft(
            component_kind=SUPPLY,
            component_name="供水",
            tier_index=None,
            period_start=date(2025, 3, 1),
            period_end=date(2025, 3, 31),
            volume=D("10.10"),
            unit_price=D("1.2345"),
            amount=D("12.47"),
        )
    ]


def test_a_component_without_flat_price_on_an_untiered_version_is_a_programming_error():
    version = spec(tier_basis="none", tiers=())
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), version)

    with pytest.raises(ValueError, match="has no flat price"):
        price_volume(segments=[segment], volume=D("1"), household_size=3, cumulative_before={})


@pytest.mark.parametrize("volume", [D("-1"), D("1.005")])
def test_volume_must_be_non_negative_with_two_places(volume):
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), spec())

    with pytest.raises(ValueError, match="two places"):
        price_volume(segments=[segment], volume=volume, household_size=3, cumulative_before={})


def test_input_cumulative_is_not_changed():
    segment = Segment(date(2025, 3, 1), date(2025, 3, 31), spec())
    before = {2025: D("100.00")}

    _lines, after = price_volume(
        segments=[segment], volume=D("10.00"), household_size=3, cumulative_before=before
    )

    assert before == {2025: D("100.00")}
    assert after == {2025: D("110.00")}

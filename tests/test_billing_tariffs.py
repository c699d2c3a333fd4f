"""Tariffs: the services' checks, the seeded defaults, the tariff book, the selectors."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, MeterFactory, UserFactory
from tests.test_billing_run_support import BEIJING_COMPONENTS, BEIJING_TIERS
from waterdesk.billing.models import (
    AccountTariff,
    Bill,
    MeterRead,
    Tariff,
    TariffComponent,
    TariffRate,
    TariffTier,
    TariffVersion,
)
from waterdesk.billing.pricing import lines_total, price_volume
from waterdesk.billing.selectors.tariffs import (
    account_tariff_on,
    account_tariff_rows,
    tariff_current,
    tariff_price_summary,
)
from waterdesk.billing.services.tariffs import (
    account_tariff_set,
    tariff_create,
    tariff_update,
    tariff_version_create,
    tariff_version_delete,
)
from waterdesk.billing.tariff_book import Segment, TariffBook
from waterdesk.core.errors import DomainError, InvalidInput


@pytest.fixture
def actor(db):
    return UserFactory(username="tariff-admin")


@pytest.fixture
def tariff(actor):
    return tariff_create(actor=actor, code="city", name="城区居民", usage_category="residential")


def create_version(actor, tariff, **overrides):
    arguments = {
        "actor": actor,
        "tariff": tariff,
        "effective_from": date(2025, 1, 1),
        "tier_basis": "annual",
        "tiers": BEIJING_TIERS,
        "components": BEIJING_COMPONENTS,
    }
    arguments.update(overrides)
    return tariff_version_create(**arguments)


def table_counts():
    return (
        TariffVersion.objects.count(),
        TariffTier.objects.count(),
        TariffComponent.objects.count(),
        TariffRate.objects.count(),
        TariffVersion.history.count(),
        TariffTier.history.count(),
        TariffComponent.history.count(),
        TariffRate.history.count(),
    )


def bill_until(account, period_end: date) -> Bill:
    """A bill row covering up to ``period_end`` (the bill run is tested elsewhere)."""
    meter = MeterFactory(account=account)
    read = MeterRead.objects.create(
        account=account,
        meter=meter,
        read_on=period_end,
        value=D("100"),
        source="manual",
        status="validated",
        consumption=D("10"),
        entered_at=timezone.now(),
    )
    return Bill.objects.create(
        number=f"B{read.pk:08d}",
        account=account,
        period_start=date(period_end.year, period_end.month, 1),
        period_end=period_end,
        closing_read=read,
        volume=D("10"),
        amount=D("50.00"),
        issued_at=timezone.now(),
        due_date=period_end,
    )


# --- the seeded defaults ------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_seeds_a_default_tariff_per_category():
    assert list(
        Tariff.objects.order_by("code").values_list("code", "name", "usage_category", "is_default")
    ) == [
        ("non-residential", "非居民用水", "non_residential", True),
        ("residential", "居民生活用水阶梯水价", "residential", True),
        ("special-industry", "特种行业用水", "special", True),
    ]
    summaries = {
        category: [
            (row["label"], row["total_price"], [p["price"] for p in row["prices"]])
            for row in tariff_price_summary(tariff_current(category, date(2025, 1, 1)))
        ]
        for category in ("residential", "non_residential", "special")
    }
    assert summaries == {
        "residential": [
            ("第 1 阶梯 0–180 m³/年", D("3.4000"), [D("2.1000"), D("0.3000"), D("1.0000")]),
            ("第 2 阶梯 180–260 m³/年", D("5.1000"), [D("3.8000"), D("0.3000"), D("1.0000")]),
            ("第 3 阶梯 260 m³/年 以上", D("10.2000"), [D("8.9000"), D("0.3000"), D("1.0000")]),
        ],
        "non_residential": [("统一价格", D("6.1000"), [D("4.2000"), D("0.5000"), D("1.4000")])],
        "special": [("统一价格", D("29.0000"), [D("25.0000"), D("1.0000"), D("3.0000")])],
    }


@pytest.mark.django_db
def test_seeded_residential_household_adjustment():
    version = tariff_current("residential", date(2025, 6, 1))

    rows = tariff_price_summary(version, household_size=6)

    # Two persons above 4: +90 m³ on the first bound, +130 m³ on the second.
    assert [(row["volume_from"], row["volume_to"]) for row in rows] == [
        (D("0"), D("270.00")),
        (D("270.00"), D("390.00")),
        (D("390.00"), None),
    ]


@pytest.mark.django_db
def test_seeded_default_prices_a_residential_year():
    book = TariffBook.load()
    segments = book.segments(
        usage_category="residential",
        account_tariffs=[],
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
    )

    lines, _cumulative = price_volume(
        segments=segments, volume=D("200"), household_size=4, cumulative_before={}
    )

    assert lines_total(lines) == D("714.00")  # 180 × 3.40 + 20 × 5.10


# --- creating versions --------------------------------------------------------------------


def test_version_create_writes_tiers_components_rates_and_history(actor, tariff):
    version = create_version(actor, tariff, note="京发改〔2014〕885号")

    assert (version.tariff, version.effective_from, version.tier_basis) == (
        tariff,
        date(2025, 1, 1),
        "annual",
    )
    assert (version.household_base_size, version.large_household_size, version.note) == (
        4,
        None,
        "京发改〔2014〕885号",
    )
    assert list(version.tiers.values_list("index", "upper_bound")) == [
        (1, D("180.00")),
        (2, D("260.00")),
        (3, None),
    ]
    assert list(
        TariffRate.objects.filter(component__version=version)
        .order_by("component__position", "tier_index")
        .values_list("component__position", "component__kind", "tier_index", "price")
    ) == [
        (1, "water_supply", 1, D("2.0700")),
        (1, "water_supply", 2, D("4.0700")),
        (1, "water_supply", 3, D("6.0700")),
        (2, "water_resource", None, D("1.5700")),
        (3, "sewage", None, D("1.3600")),
    ]
    assert version.history.get().history_user == actor
    assert {row.history_user for row in TariffRate.history.filter(component__version=version)} == {
        actor
    }
    # 5 : 7 : 9 is below the guideline ratio: saved, with a warning.
    assert version.warnings == [
        "居民阶梯水价比价为 1:1.40:1.80，低于国家指导的 1:1.5:3（仅提示，已允许保存）。"
    ]


def test_version_meeting_the_guideline_has_no_warning(actor, tariff):
    components = [
        {
            "kind": "water_supply",
            "name": "供水价格",
            "tier_prices": {1: D("2"), 2: D("3.50"), 3: D("8")},
        },
        {"kind": "sewage", "name": "污水处理费", "flat_price": D("1")},
    ]

    version = create_version(actor, tariff, components=components)

    assert version.warnings == []


def test_flat_version_for_non_residential(actor):
    tariff = tariff_create(actor=actor, code="hotel", name="宾馆", usage_category="non_residential")

    version = create_version(
        actor,
        tariff,
        tier_basis="none",
        tiers=[],
        components=[{"kind": "water_supply", "name": "综合水价", "flat_price": "7.15"}],
    )

    assert version.warnings == []
    assert list(
        TariffRate.objects.filter(component__version=version).values_list("tier_index", "price")
    ) == [(None, D("7.1500"))]


BAD_VERSIONS = [
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "180"},
                {"index": 2, "upper_bound": "180"},
                {"index": 3, "upper_bound": None},
            ]
        },
        "tier_bounds_not_increasing",
        "阶梯上限须逐档递增：第 2 档上限 180.00 m³ 不大于 180.00 m³。",
    ),
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "0"},
                {"index": 2, "upper_bound": "10"},
                {"index": 3, "upper_bound": None},
            ]
        },
        "tier_bounds_not_increasing",
        "阶梯上限须逐档递增：第 1 档上限 0.00 m³ 不大于 0 m³。",
    ),
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "180"},
                {"index": 2, "upper_bound": "260"},
                {"index": 3, "upper_bound": "400"},
            ]
        },
        "last_tier_must_be_unbounded",
        "最后一档阶梯不设上限（请留空）。",
    ),
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "180"},
                {"index": 2, "upper_bound": None},
                {"index": 3, "upper_bound": None},
            ]
        },
        "tier_bound_missing",
        "请填写第 2 档的阶梯上限。",
    ),
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "180"},
                {"index": 3, "upper_bound": "260"},
                {"index": 4, "upper_bound": None},
            ]
        },
        "tier_indexes_not_contiguous",
        "阶梯序号须从 1 开始连续编号。",
    ),
    (
        {"tiers": [BEIJING_TIERS[0], {"index": 2, "upper_bound": None}]},
        "too_few_tiers",
        "阶梯水价至少需要 3 档。",
    ),
    (
        {
            "tiers": [
                {"index": 1, "upper_bound": "180", "extra_per_person": "30"},
                {"index": 2, "upper_bound": "260", "extra_per_person": "10"},
                {"index": 3, "upper_bound": None},
            ]
        },
        "tier_extras_decreasing",
        "第 2 档的增加水量不能少于上一档，否则按人口调整后的阶梯上限不再递增。",
    ),
    (
        {"components": [{**BEIJING_COMPONENTS[0], "tier_prices": {1: "2.07", 2: "4.07"}}]},
        "tier_price_missing",
        "费用构成“供水价格”缺少第 3 档的单价（或改填统一单价）。",
    ),
    (
        {
            "components": [
                {**BEIJING_COMPONENTS[0], "tier_prices": {1: "1", 2: "2", 3: "3", 4: "4"}}
            ]
        },
        "tier_price_unknown_tier",
        "费用构成“供水价格”填写了不存在的第 4 档单价。",
    ),
    (
        {"components": [{**BEIJING_COMPONENTS[0], "flat_price": "3"}]},
        "component_price_ambiguous",
        "费用构成“供水价格”不能同时填写统一单价和分档单价。",
    ),
    (
        {"components": [{**BEIJING_COMPONENTS[1], "flat_price": "-0.01"}]},
        "price_negative",
        "单价不能为负数。",
    ),
    (
        {"components": [{**BEIJING_COMPONENTS[1], "flat_price": "1.23456"}]},
        "price_invalid",
        "单价格式不正确（最多四位小数）。",
    ),
    (
        {"components": [BEIJING_COMPONENTS[1], {**BEIJING_COMPONENTS[2], "name": "水资源费"}]},
        "component_name_duplicate",
        "费用构成名称“水资源费”重复。",
    ),
    ({"components": []}, "components_required", "至少需要一项费用构成。"),
    (
        {"tier_basis": "none", "tiers": []},
        "component_needs_flat_price",
        "不分阶梯的水价，费用构成“供水价格”须填写统一单价。",
    ),
    ({"tier_basis": "none"}, "tiers_not_allowed", "不分阶梯的水价不能设置阶梯。"),
    ({"tier_basis": "weekly"}, "tier_basis_invalid", "阶梯计量周期不正确。"),
    (
        {"large_household_size": 4},
        "large_household_size_invalid",
        "多人口户起点须大于基准户人口（不超过 99）。",
    ),
]


@pytest.mark.parametrize(("overrides", "code", "message"), BAD_VERSIONS)
def test_bad_versions_are_refused_and_write_nothing(actor, tariff, overrides, code, message):
    before = table_counts()

    with pytest.raises(InvalidInput) as refused:
        create_version(actor, tariff, **overrides)

    assert (refused.value.code, str(refused.value.message)) == (code, message)
    assert table_counts() == before


def test_overlapping_version_is_refused(actor, tariff):
    create_version(actor, tariff)
    before = table_counts()

    with pytest.raises(InvalidInput) as refused:
        create_version(actor, tariff, components=BEIJING_COMPONENTS[1:])

    assert refused.value.code == "tariff_version_overlap"
    assert str(refused.value.message) == (
        "水价“城区居民”已有 2025-01-01 生效的版本，版本的生效日期不能重复。"
    )
    assert table_counts() == before


def test_version_inside_a_billed_period_is_refused(actor, tariff):
    create_version(actor, tariff)
    account = AccountFactory()
    account_tariff_set(actor=actor, account=account, tariff=tariff, effective_from=date(2025, 1, 1))
    bill_until(account, date(2025, 5, 31))
    before = table_counts()

    for day in (date(2025, 3, 1), date(2025, 5, 31)):
        with pytest.raises(InvalidInput) as refused:
            create_version(actor, tariff, effective_from=day)
        assert refused.value.code == "tariff_version_in_billed_period"
        assert str(refused.value.message) == (
            "该水价的用水已出账至 2025-05-31，价格版本只能从此日之后生效。"
        )
    assert table_counts() == before

    version = create_version(actor, tariff, effective_from=date(2025, 6, 1))
    assert version.effective_from == date(2025, 6, 1)


def test_default_tariff_is_billed_for_every_account_of_its_category(actor):
    default = Tariff.objects.get(code="residential")
    bill_until(AccountFactory(usage_category="residential"), date(2025, 4, 30))

    with pytest.raises(InvalidInput) as refused:
        create_version(actor, default, effective_from=date(2025, 4, 1))

    assert refused.value.code == "tariff_version_in_billed_period"
    # A bill of another category does not block a new non-residential price.
    version = create_version(
        actor,
        Tariff.objects.get(code="non-residential"),
        effective_from=date(2025, 4, 1),
        tier_basis="none",
        tiers=[],
        components=[{"kind": "water_supply", "name": "供水价格", "flat_price": "5"}],
    )
    assert version.effective_from == date(2025, 4, 1)


def test_unbilled_version_can_be_deleted_billed_cannot(actor, tariff):
    create_version(actor, tariff)
    later = create_version(actor, tariff, effective_from=date(2025, 7, 1))
    before = table_counts()

    tariff_version_delete(actor=actor, version=later)

    assert not TariffVersion.objects.filter(pk=later.pk).exists()
    assert TariffRate.objects.filter(component__version_id=later.pk).count() == 0
    assert TariffVersion.history.filter(id=later.pk, history_type="-").get().history_user == actor
    assert table_counts()[:4] == (before[0] - 1, before[1] - 3, before[2] - 3, before[3] - 5)

    account = AccountFactory()
    account_tariff_set(actor=actor, account=account, tariff=tariff, effective_from=date(2025, 1, 1))
    bill_until(account, date(2025, 1, 31))
    first = TariffVersion.objects.get(tariff=tariff)
    with pytest.raises(InvalidInput) as refused:
        tariff_version_delete(actor=actor, version=first)
    assert refused.value.code == "tariff_version_in_billed_period"
    assert TariffVersion.objects.filter(pk=first.pk).exists()


# --- tariffs and defaults -----------------------------------------------------------------


def test_making_another_tariff_the_default_moves_the_default(actor, tariff):
    tariff_update(actor=actor, tariff=tariff, name="城区居民（新）", is_default=True)

    assert list(
        Tariff.objects.filter(usage_category="residential")
        .order_by("code")
        .values_list("code", "name", "is_default")
    ) == [("city", "城区居民（新）", True), ("residential", "居民生活用水阶梯水价", False)]
    assert Tariff.history.filter(code="residential").latest().history_user == actor


def test_default_cannot_be_unset_or_moved_after_billing(actor, tariff):
    default = Tariff.objects.get(code="residential")

    with pytest.raises(InvalidInput) as refused:
        tariff_update(actor=actor, tariff=default, name=default.name, is_default=False)
    assert refused.value.code == "tariff_default_required"

    bill_until(AccountFactory(usage_category="residential"), date(2025, 1, 31))
    with pytest.raises(InvalidInput) as refused:
        tariff_update(actor=actor, tariff=tariff, name=tariff.name, is_default=True)
    assert refused.value.code == "tariff_default_change_after_billing"
    assert Tariff.objects.get(is_default=True, usage_category="residential") == default


def test_tariff_code_must_be_unique(actor, tariff):
    with pytest.raises(InvalidInput) as refused:
        tariff_create(actor=actor, code="city", name="重复", usage_category="residential")
    assert refused.value.code == "tariff_code_taken"


# --- account tariffs ----------------------------------------------------------------------


def test_account_tariff_set_and_replace(actor, tariff):
    create_version(actor, tariff)
    account = AccountFactory(usage_category="residential")
    special = Tariff.objects.get(code="special-industry")

    first = account_tariff_set(
        actor=actor, account=account, tariff=tariff, effective_from=date(2025, 3, 1)
    )
    again = account_tariff_set(
        actor=actor, account=account, tariff=special, effective_from=date(2025, 3, 1)
    )

    assert again.pk == first.pk
    assert list(account.tariffs.values_list("effective_from", "tariff__code")) == [
        (date(2025, 3, 1), "special-industry")
    ]
    assert account_tariff_on(account, date(2025, 2, 28)).code == "residential"
    assert account_tariff_on(account, date(2025, 3, 1)).code == "special-industry"
    assert account_tariff_rows([account.pk, 0]) == {account.pk: [(date(2025, 3, 1), special.pk)]}


def test_account_tariff_refused_in_billed_period_or_before_prices_exist(actor, tariff):
    account = AccountFactory()
    with pytest.raises(InvalidInput) as refused:
        account_tariff_set(
            actor=actor, account=account, tariff=tariff, effective_from=date(2025, 3, 1)
        )
    assert refused.value.code == "no_tariff_version"

    create_version(actor, tariff)
    bill_until(account, date(2025, 3, 31))
    with pytest.raises(InvalidInput) as refused:
        account_tariff_set(
            actor=actor, account=account, tariff=tariff, effective_from=date(2025, 3, 31)
        )
    assert refused.value.code == "account_tariff_in_billed_period"
    assert str(refused.value.message) == "该账户已出账至 2025-03-31，新水价只能从此日之后生效。"
    assert not AccountTariff.objects.filter(account=account).exists()


# --- the tariff book ----------------------------------------------------------------------


def test_book_loads_with_a_fixed_number_of_queries(actor, tariff, django_assert_num_queries):
    create_version(actor, tariff)
    create_version(actor, tariff, effective_from=date(2026, 1, 1))

    with django_assert_num_queries(5):
        book = TariffBook.load()

    version = book.version_on(tariff.pk, date(2025, 12, 31))
    assert (version.tariff_name, version.effective_from, version.tier_basis) == (
        "城区居民",
        date(2025, 1, 1),
        "annual",
    )
    assert [component.name for component in version.components] == [
        "供水价格",
        "水资源费",
        "污水处理费",
    ]
    assert version.components[0].tier_prices == {1: D("2.0700"), 2: D("4.0700"), 3: D("6.0700")}
    assert version.components[1].flat_price == D("1.5700")
    assert book.version_on(tariff.pk, date(2026, 1, 1)).effective_from == date(2026, 1, 1)
    assert book.default_tariff_id("special") == Tariff.objects.get(code="special-industry").pk


@pytest.mark.django_db
def test_book_errors_have_stable_codes():
    book = TariffBook.load()

    with pytest.raises(DomainError) as missing_default:
        book.default_tariff_id("unknown")
    with pytest.raises(DomainError) as missing_version:
        book.segments(
            usage_category="residential",
            account_tariffs=[],
            start=date(2024, 12, 1),
            end=date(2024, 12, 31),
        )

    assert missing_default.value.code == "no_default_tariff"
    assert str(missing_default.value.message) == "用水性质“unknown”没有默认水价。"
    assert missing_version.value.code == "no_tariff_version"
    assert str(missing_version.value.message) == (
        "水价“居民生活用水阶梯水价”在 2024-12-01 没有生效的价格版本。"
    )


def _spans(segments: list[Segment]):
    return [(s.start, s.end, s.version.tariff_name, s.version.effective_from) for s in segments]


def test_segments_cut_at_own_tariff_version_and_year(actor, tariff):
    create_version(actor, tariff)
    create_version(actor, tariff, effective_from=date(2026, 2, 1))
    book = TariffBook.load()
    residential = "居民生活用水阶梯水价"

    segments = book.segments(
        usage_category="residential",
        account_tariffs=[(date(2025, 11, 20), tariff.pk)],
        start=date(2025, 11, 1),
        end=date(2026, 2, 28),
    )

    assert _spans(segments) == [
        (date(2025, 11, 1), date(2025, 11, 19), residential, date(2025, 1, 1)),
        (date(2025, 11, 20), date(2025, 12, 31), "城区居民", date(2025, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 31), "城区居民", date(2025, 1, 1)),
        (date(2026, 2, 1), date(2026, 2, 28), "城区居民", date(2026, 2, 1)),
    ]
    assert sum(segment.days for segment in segments) == 120


def test_segments_of_monthly_and_flat_tariffs(actor, tariff):
    create_version(actor, tariff, tier_basis="monthly")
    book = TariffBook.load()

    monthly = book.segments(
        usage_category="residential",
        account_tariffs=[(date(2025, 1, 1), tariff.pk)],
        start=date(2025, 1, 15),
        end=date(2025, 3, 10),
    )
    flat = book.segments(
        usage_category="non_residential",
        account_tariffs=[],
        start=date(2025, 11, 15),
        end=date(2026, 3, 10),
    )

    assert [(s.start, s.end) for s in monthly] == [
        (date(2025, 1, 15), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 10)),
    ]
    # No tiers: nothing to cut at a new year.
    assert [(s.start, s.end) for s in flat] == [(date(2025, 11, 15), date(2026, 3, 10))]


def test_own_tariff_row_naming_the_tariff_in_force_does_not_cut(db):
    book = TariffBook.load()
    default = Tariff.objects.get(code="residential")

    segments = book.segments(
        usage_category="residential",
        account_tariffs=[(date(2025, 3, 10), default.pk)],
        start=date(2025, 3, 1),
        end=date(2025, 3, 31),
    )

    assert [(s.start, s.end) for s in segments] == [(date(2025, 3, 1), date(2025, 3, 31))]


# --- selectors ----------------------------------------------------------------------------


def test_price_summary_of_a_new_version_for_the_customer(actor, tariff):
    version = create_version(actor, tariff)

    rows = tariff_price_summary(version)

    assert rows == [
        {
            "tier_index": 1,
            "volume_from": D("0"),
            "volume_to": D("180.00"),
            "label": "第 1 阶梯 0–180 m³/年",
            "prices": [
                {"kind": "water_supply", "name": "供水价格", "price": D("2.0700")},
                {"kind": "water_resource", "name": "水资源费", "price": D("1.5700")},
                {"kind": "sewage", "name": "污水处理费", "price": D("1.3600")},
            ],
            "total_price": D("5.0000"),
        },
        {
            "tier_index": 2,
            "volume_from": D("180.00"),
            "volume_to": D("260.00"),
            "label": "第 2 阶梯 180–260 m³/年",
            "prices": [
                {"kind": "water_supply", "name": "供水价格", "price": D("4.0700")},
                {"kind": "water_resource", "name": "水资源费", "price": D("1.5700")},
                {"kind": "sewage", "name": "污水处理费", "price": D("1.3600")},
            ],
            "total_price": D("7.0000"),
        },
        {
            "tier_index": 3,
            "volume_from": D("260.00"),
            "volume_to": None,
            "label": "第 3 阶梯 260 m³/年 以上",
            "prices": [
                {"kind": "water_supply", "name": "供水价格", "price": D("6.0700")},
                {"kind": "water_resource", "name": "水资源费", "price": D("1.5700")},
                {"kind": "sewage", "name": "污水处理费", "price": D("1.3600")},
            ],
            "total_price": D("9.0000"),
        },
    ]


@pytest.mark.django_db
def test_tariff_current_follows_the_version_dates(actor):
    default = Tariff.objects.get(code="non-residential")
    create_version(
        actor,
        default,
        effective_from=date(2026, 1, 1),
        tier_basis="none",
        tiers=[],
        components=[{"kind": "water_supply", "name": "供水价格", "flat_price": "6.50"}],
    )

    assert tariff_current("non_residential", date(2025, 12, 31)).effective_from == date(2025, 1, 1)
    assert tariff_current("non_residential", date(2026, 1, 1)).effective_from == date(2026, 1, 1)
    with pytest.raises(DomainError) as refused:
        tariff_current("non_residential", date(2024, 12, 31))
    assert refused.value.code == "no_tariff_version"

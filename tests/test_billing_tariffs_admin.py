"""The billing admin: tariffs are entered through the services' checks; bills, ledger and
reads are read-only."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AccountFactory, MeterFactory, UserFactory
from waterdesk.billing.models import (
    AccountTariff,
    Bill,
    BillLine,
    LedgerEntry,
    MeterRead,
    Tariff,
    TariffComponent,
    TariffRate,
    TariffTier,
    TariffVersion,
)
from waterdesk.core.roles import Role


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def management(prefix: str, total: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def version_post(tariff, *, bounds=("180", "260", ""), supply=("2.07", "4.07", "6.07"), **main):
    data = {
        "tariff": str(tariff.pk),
        "effective_from": "2026-01-01",
        "tier_basis": "annual",
        "household_base_size": "4",
        "large_household_size": "",
        "note": "2026 年调价",
        **main,
        **management("tiers", 4),
        **management("components", 4),
    }
    for number, bound in enumerate(bounds):
        data.update(
            {
                f"tiers-{number}-index": str(number + 1),
                f"tiers-{number}-upper_bound": bound,
                f"tiers-{number}-extra_per_person": "30" if bound else "0",
                f"tiers-{number}-extra_for_large_household": "0",
            }
        )
    # An untouched extra tier row (defaults only) is ignored.
    data.update({"tiers-3-extra_per_person": "0", "tiers-3-extra_for_large_household": "0"})
    components = [
        ("water_supply", "供水价格", "", supply),
        ("water_resource", "水资源费", "1.57", ()),
        ("sewage", "污水处理费", "1.36", ()),
    ]
    for number, (kind, name, flat, tiered) in enumerate(components):
        data.update(
            {
                f"components-{number}-kind": kind,
                f"components-{number}-name": name,
                f"components-{number}-position": str(number + 1),
                f"components-{number}-flat_price": flat,
            }
        )
        for index, price in enumerate(tiered, start=1):
            data[f"components-{number}-tier_{index}_price"] = price
    data["components-3-position"] = "0"
    return data


def counts():
    return (
        TariffVersion.objects.count(),
        TariffTier.objects.count(),
        TariffComponent.objects.count(),
        TariffRate.objects.count(),
    )


@pytest.fixture
def residential():
    return Tariff.objects.get(code="residential")


@pytest.mark.django_db
def test_admin_adds_a_version_through_the_service(admin_client, admin_user, residential):
    response = admin_client.post(
        reverse("admin:billing_tariffversion_add"), version_post(residential), follow=True
    )

    assert response.status_code == 200
    version = TariffVersion.objects.get(tariff=residential, effective_from=date(2026, 1, 1))
    assert (version.tier_basis, version.household_base_size, version.note) == (
        "annual",
        4,
        "2026 年调价",
    )
    assert list(version.tiers.values_list("index", "upper_bound", "extra_per_person")) == [
        (1, D("180.00"), D("30.00")),
        (2, D("260.00"), D("30.00")),
        (3, None, D("0.00")),
    ]
    assert list(
        TariffRate.objects.filter(component__version=version)
        .order_by("component__position", "tier_index")
        .values_list("component__name", "tier_index", "price")
    ) == [
        ("供水价格", 1, D("2.0700")),
        ("供水价格", 2, D("4.0700")),
        ("供水价格", 3, D("6.0700")),
        ("水资源费", None, D("1.5700")),
        ("污水处理费", None, D("1.3600")),
    ]
    assert version.history.get().history_user == admin_user
    assert "居民阶梯水价比价为 1:1.40:1.80，低于国家指导的 1:1.5:3（仅提示，已允许保存）。" in (
        messages_of(response)
    )

    page = admin_client.get(reverse("admin:billing_tariffversion_change", args=[version.pk]))
    assert page.status_code == 200
    assert (
        "第 1 阶梯 0–180 m³/年：供水价格 2.0700 + 水资源费 1.5700 + 污水处理费 1.3600 = "
        "5.0000 元/m³" in page.content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"bounds": ("180", "150", "")},
            "阶梯上限须逐档递增：第 2 档上限 150.00 m³ 不大于 180.00 m³。",
        ),
        (
            {"supply": ("2.07", "4.07", "")},
            "费用构成“供水价格”缺少第 3 档的单价（或改填统一单价）。",
        ),
        (
            {"effective_from": "2025-01-01"},
            "水价“居民生活用水阶梯水价”已有 2025-01-01 生效的版本，版本的生效日期不能重复。",
        ),
    ],
)
def test_admin_refuses_a_bad_version_and_saves_nothing(admin_client, residential, changes, message):
    before = counts()

    response = admin_client.post(
        reverse("admin:billing_tariffversion_add"), version_post(residential, **changes)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_versions_cannot_be_changed_in_the_admin(admin_client, residential):
    version = TariffVersion.objects.get(tariff=residential)

    response = admin_client.post(
        reverse("admin:billing_tariffversion_change", args=[version.pk]),
        {"note": "改价"},
    )

    assert response.status_code == 403
    assert TariffVersion.objects.get(pk=version.pk).note != "改价"


@pytest.mark.django_db
def test_administrator_role_can_add_a_version(client, residential):
    user = UserFactory(username="tariff-officer", role=Role.ADMINISTRATOR)
    user.is_staff = True
    user.save()
    client.force_login(user)

    assert client.get(reverse("admin:billing_tariffversion_add")).status_code == 200
    response = client.post(reverse("admin:billing_tariffversion_add"), version_post(residential))

    assert response.status_code == 302
    version = TariffVersion.objects.get(tariff=residential, effective_from=date(2026, 1, 1))
    assert version.tiers.count() == 3
    assert version.components.count() == 3


@pytest.mark.django_db
def test_unbilled_version_deleted_in_the_admin(admin_client, residential):
    response = admin_client.post(
        reverse("admin:billing_tariffversion_add"), version_post(residential)
    )
    version = TariffVersion.objects.get(tariff=residential, effective_from=date(2026, 1, 1))
    assert response.status_code == 302

    response = admin_client.post(
        reverse("admin:billing_tariffversion_delete", args=[version.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TariffVersion.objects.filter(pk=version.pk).exists()
    assert not TariffRate.objects.filter(component__version_id=version.pk).exists()


@pytest.mark.django_db
def test_admin_adds_a_tariff_and_moves_the_default(admin_client, admin_user, residential):
    response = admin_client.post(
        reverse("admin:billing_tariff_add"),
        {
            "code": "new-residential",
            "name": "新居民水价",
            "usage_category": "residential",
            "is_default": "on",
            **management("versions", 0),
        },
    )

    assert response.status_code == 302
    new = Tariff.objects.get(code="new-residential")
    assert new.is_default is True
    assert Tariff.objects.get(pk=residential.pk).is_default is False
    assert new.history.get().history_user == admin_user


@pytest.mark.django_db
def test_admin_refuses_to_unset_the_default(admin_client, residential):
    response = admin_client.post(
        reverse("admin:billing_tariff_change", args=[residential.pk]),
        {"name": "居民水价", "is_default": "", **management("versions", 0)},
    )

    assert response.status_code == 200
    assert "每种用水性质须有一个默认水价" in response.content.decode()
    residential.refresh_from_db()
    assert (residential.name, residential.is_default) == ("居民生活用水阶梯水价", True)


@pytest.mark.django_db
def test_admin_sets_an_account_tariff_through_the_service(admin_client):
    account = AccountFactory()
    special = Tariff.objects.get(code="special-industry")
    data = {"account": str(account.pk), "tariff": str(special.pk), "effective_from": "2025-06-01"}

    assert admin_client.post(reverse("admin:billing_accounttariff_add"), data).status_code == 302
    data["effective_from"] = "2024-06-01"  # before the special tariff has prices
    refused = admin_client.post(reverse("admin:billing_accounttariff_add"), data)

    assert refused.status_code == 200
    assert "水价“特种行业用水”在 2024-06-01 还没有生效的价格版本。" in refused.content.decode()
    assert list(AccountTariff.objects.values_list("account", "tariff", "effective_from")) == [
        (account.pk, special.pk, date(2025, 6, 1))
    ]


@pytest.fixture
def bill():
    account = AccountFactory()
    meter = MeterFactory(account=account)
    read = MeterRead.objects.create(
        account=account,
        meter=meter,
        read_on=date(2025, 3, 31),
        value=D("25"),
        source="manual",
        status="validated",
        consumption=D("25"),
        entered_at=timezone.now(),
    )
    bill = Bill.objects.create(
        number="B2025030001",
        account=account,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        closing_read=read,
        volume=D("25"),
        amount=D("85.00"),
        issued_at=timezone.now(),
        due_date=date(2025, 4, 20),
    )
    BillLine.objects.create(
        bill=bill,
        component_kind="water_supply",
        component_name="供水价格",
        tier_index=1,
        period_start=bill.period_start,
        period_end=bill.period_end,
        volume=D("25"),
        unit_price=D("3.40"),
        amount=D("85.00"),
    )
    LedgerEntry.objects.create(
        account=account, kind="charge", amount=D("85.00"), bill=bill, posted_at=timezone.now()
    )
    return bill


@pytest.mark.django_db
def test_bills_and_ledger_are_read_only(admin_client, bill):
    entry = LedgerEntry.objects.get(bill=bill)

    page = admin_client.get(reverse("admin:billing_bill_change", args=[bill.pk]))
    assert page.status_code == 200
    assert "供水价格" in page.content.decode()  # the lines inline

    for url, data in [
        (reverse("admin:billing_bill_change", args=[bill.pk]), {"amount": "0"}),
        (reverse("admin:billing_bill_delete", args=[bill.pk]), {"post": "yes"}),
        (reverse("admin:billing_ledgerentry_change", args=[entry.pk]), {"amount": "0"}),
        (reverse("admin:billing_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}),
        (reverse("admin:billing_bill_add"), {}),
        (reverse("admin:billing_ledgerentry_add"), {}),
    ]:
        assert admin_client.post(url, data).status_code == 403, url
    bill.refresh_from_db()
    entry.refresh_from_db()
    assert (bill.amount, entry.amount, bill.lines.get().amount) == (
        D("85.00"),
        D("85.00"),
        D("85.00"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        "tariff",
        "tariffversion",
        "accounttariff",
        "readingcycle",
        "meterread",
        "readimport",
        "billrun",
        "bill",
        "ledgerentry",
    ],
)
def test_billing_changelists(admin_client, bill, model):
    assert admin_client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200


@pytest.mark.django_db
def test_a_refusal_between_validation_and_save_is_reported(admin_client, residential, monkeypatch):
    from waterdesk.billing.services import tariffs as services
    from waterdesk.core.errors import InvalidInput

    def refuse(**kwargs):
        raise InvalidInput("水价版本已被他人修改，请重试。", code="tariff_version_overlap")

    monkeypatch.setattr(services, "tariff_version_create", refuse)
    before = counts()

    response = admin_client.post(
        reverse("admin:billing_tariffversion_add"), version_post(residential), follow=True
    )

    assert response.redirect_chain == [(reverse("admin:billing_tariffversion_add"), 302)]
    assert messages_of(response) == ["水价版本已被他人修改，请重试。"]
    assert counts() == before


@pytest.mark.django_db
def test_tariff_history_pages(admin_client, residential):
    version = TariffVersion.objects.get(tariff=residential)

    for url in [
        reverse("admin:billing_tariff_history", args=[residential.pk]),
        reverse("admin:billing_tariffversion_history", args=[version.pk]),
        reverse("admin:billing_tariffversion_add"),
        reverse("admin:billing_tariff_change", args=[residential.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url

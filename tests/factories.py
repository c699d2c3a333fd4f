"""Test data factories. Reach states through services, not by assigning statuses."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from waterdesk.applications.new_connection import new_connection_register
from waterdesk.billing.models import MeterRead, Tariff
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.billing.services.tariffs import tariff_create, tariff_version_create
from waterdesk.cases.models import Case
from waterdesk.core.models import Department, StaffProfile
from waterdesk.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    Premise,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.services import meter_install

INSTALLED = datetime(2026, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "business"
    name = "营业部"


PASSWORD = "pass-123456"  # every factory-made user's password


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"员工{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@waterdesk.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()

    @factory.post_generation
    def department(self, create, extracted, **kwargs):
        StaffProfile.objects.update_or_create(
            user=self, defaults={"department": extracted or DepartmentFactory()}
        )


class SupplyZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplyZone
        django_get_or_create = ("code",)

    code = "north"
    name = "城北片区"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    kind = CustomerKind.PERSON
    name = factory.Sequence(lambda n: f"客户{n}")
    # Valid resident IDs (cn.ric checksums) generated from a sequence.
    id_number = factory.Sequence(lambda n: _ric(n))
    mobile = factory.Sequence(lambda n: f"1380013{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.cn")


class PremiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premise

    address = factory.Sequence(lambda n: f"城北区解放路{n + 1}号")
    district = "城北区"
    zone = factory.SubFactory(SupplyZoneFactory)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    number = factory.Sequence(lambda n: f"1{n:09d}")
    customer = factory.SubFactory(CustomerFactory)
    premise = factory.SubFactory(PremiseFactory)
    usage_category = UsageCategory.RESIDENTIAL
    opened_at = factory.LazyFunction(timezone.now)


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    serial = factory.Sequence(lambda n: f"WM{n:08d}")
    size_dn = 20


def installed_account(*, initial="0", installed_at=INSTALLED, serial=None, **fields) -> Account:
    """An account (``fields`` go to AccountFactory) with a DN20 meter installed through the
    service: serial ``M<account number>`` unless given, reading ``initial`` at ``installed_at``.
    The meter is ``account.meters.get()``."""
    account = AccountFactory(**fields)
    meter_install(
        actor=None,
        meter_serial=serial or f"M{account.number}",
        size_dn=20,
        premise=account.premise,
        account=account,
        initial_reading=initial,
        installed_at=installed_at,
    )
    return account


def registered_new_connection(clerk, **fields) -> Case:
    """A new connection registered at the counter through the service: a new customer (or
    ``customer``) at a new premise (or ``premise`` / ``premise_address``), contact = the
    customer, both materials of a person received. ``fields`` go to the service."""
    customer = fields.pop("customer", None) or CustomerFactory()
    if "premise" not in fields and "premise_address" not in fields:
        fields["premise"] = PremiseFactory()
    fields = {
        "channel": "counter",
        "contact_name": customer.name,
        "contact_phone": "13800138000",
        "materials_received": ["id_card", "property_certificate"],
        **fields,
    }
    return new_connection_register(actor=clerk, customer=customer, **fields)


def meter_read(actor, account, day: date, value, **kwargs) -> MeterRead:
    """A read of ``account``'s meter on ``day``, recorded through the reading service."""
    return meter_read_record(actor=actor, account=account, read_on=day, value=value, **kwargs)


def tariff_with_version(
    *,
    code: str,
    name: str,
    actor=None,
    usage_category="residential",
    is_default=False,
    effective_from=date(2025, 1, 1),
    **version,
) -> Tariff:
    """A tariff with one price version from ``effective_from``, both made through the
    services; ``version`` (tier_basis, tiers, components …) goes to tariff_version_create."""
    tariff = tariff_create(
        actor=actor, code=code, name=name, usage_category=usage_category, is_default=is_default
    )
    tariff_version_create(actor=actor, tariff=tariff, effective_from=effective_from, **version)
    return tariff


def _ric(n: int) -> str:
    """A valid 18-digit resident ID number for sequence value ``n``."""
    from stdnum.cn import ric

    body = f"110101{1950 + n % 50:04d}0{1 + n % 9}{10 + n % 18:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")

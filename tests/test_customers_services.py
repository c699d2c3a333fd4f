import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    MeterFactory,
    PremiseFactory,
    SupplyZoneFactory,
)
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.models import (
    Account,
    AccountStatus,
    Customer,
    CustomerKind,
    Meter,
    MeterState,
    Premise,
    UsageCategory,
)
from waterdesk.customers.services import (
    account_open,
    customer_create,
    customer_update,
    meter_attach_to_account,
    meter_install,
    premise_create,
    premise_get_or_create,
)
from waterdesk.customers.validation import validate_resident_id

VALID_RIC = "11010519491231002X"
OTHER_RIC = "360426199101010071"  # python-stdnum's doctest example
VALID_USCC = "91110000600037341L"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _create(actor, **overrides):
    data = {
        "kind": CustomerKind.PERSON,
        "name": "张三",
        "id_number": VALID_RIC,
        "mobile": "13800138000",
    }
    data.update(overrides)
    return customer_create(actor=actor, **data)


def _refused(func, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        func(**kwargs)
    return caught.value


# --- customer_create --------------------------------------------------------------------


def test_customer_create_normalises_and_records_actor(clerk):
    customer = customer_create(
        actor=clerk,
        kind=CustomerKind.PERSON,
        name="  张  三 ",
        id_number="110105 19491231 002x",
        mobile="+86 138-0013-8000",
        email="Zhang.San@Example.CN",
        contact_address=" 城北区  解放路1号 ",
        is_vulnerable=True,
    )

    stored = Customer.objects.get()
    assert stored.pk == customer.pk
    assert (
        stored.kind,
        stored.name,
        stored.id_number,
        stored.mobile,
        stored.email,
        stored.contact_address,
        stored.is_vulnerable,
    ) == (
        CustomerKind.PERSON,
        "张 三",
        VALID_RIC,
        "13800138000",
        "Zhang.San@example.cn",
        "城北区 解放路1号",
        True,
    )
    record = stored.history.get()
    assert (record.history_type, record.history_user) == ("+", clerk)


def test_customer_create_organisation_with_uscc(clerk):
    customer = _create(
        clerk, kind=CustomerKind.ORGANISATION, name="城北医院", id_number=VALID_USCC.lower()
    )

    assert (customer.kind, customer.id_number, customer.mobile) == (
        CustomerKind.ORGANISATION,
        VALID_USCC,
        "13800138000",
    )


def test_customer_create_optional_fields_may_be_empty(clerk):
    customer = _create(clerk, mobile="", email="", contact_address="")

    assert (customer.mobile, customer.email, customer.contact_address, customer.is_vulnerable) == (
        "",
        "",
        "",
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"id_number": "110105194912310021"}, "invalid_resident_id", "id_number"),
        ({"id_number": "11010519491231002"}, "invalid_resident_id", "id_number"),
        ({"kind": CustomerKind.ORGANISATION}, "invalid_uscc", "id_number"),
        ({"kind": "alien"}, "invalid_kind", "kind"),
        ({"name": "   "}, "invalid_name", "name"),
        ({"name": "名" * 201}, "invalid_name", "name"),
        ({"mobile": "12345678901"}, "invalid_mobile", "mobile"),
        ({"mobile": "010-12345678"}, "invalid_mobile", "mobile"),
        ({"email": "not-an-address"}, "invalid_email", "email"),
        ({"email": "a" * 250 + "@example.cn"}, "invalid_email", "email"),
        ({"contact_address": "路" * 301}, "invalid_contact_address", "contact_address"),
    ],
)
def test_customer_create_refuses_bad_input_and_writes_nothing(clerk, overrides, code, field):
    CustomerFactory()

    error = _refused(_create, actor=clerk, **overrides)

    assert (error.code, error.field) == (code, field)
    assert Customer.objects.count() == 1
    assert Customer.history.count() == 1


def test_customer_create_refuses_duplicate_id_number(clerk):
    first = _create(clerk, name="张三")

    error = _refused(_create, actor=clerk, name="张三丰", id_number=VALID_RIC.lower(), mobile="")

    assert error.code == "customer_exists"
    assert error.field == "id_number"
    assert str(error.message) == "该证件号码已登记为客户“张三”，请勿重复登记。"
    assert error.details == {"customer": str(first.public_id)}
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]


# --- customer_update --------------------------------------------------------------------


def test_customer_update_changes_only_given_fields(clerk, surveyor):
    customer = _create(clerk)

    updated = customer_update(
        actor=surveyor, customer=customer, mobile="139 0000 0000", is_vulnerable=True
    )

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.id_number, stored.mobile, stored.is_vulnerable) == (
        "张三",
        VALID_RIC,
        "13900000000",
        True,
    )
    assert updated.mobile == "13900000000"
    assert stored.history.count() == 2
    assert stored.history.latest().history_user == surveyor


def test_customer_update_without_changes_writes_no_history(clerk):
    customer = _create(clerk)

    customer_update(actor=clerk, customer=customer, name=" 张三 ", mobile="13800138000")

    assert customer.history.count() == 1


def test_customer_update_refuses_bad_value_and_writes_nothing(clerk):
    customer = _create(clerk)

    error = _refused(customer_update, actor=clerk, customer=customer, name="李四", mobile="123")

    assert error.code == "invalid_mobile"
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.mobile) == ("张三", "13800138000")
    assert stored.history.count() == 1


def test_customer_update_refuses_id_number_of_another_customer(clerk):
    _create(clerk, name="张三")
    other = _create(clerk, name="李四", id_number=OTHER_RIC)

    error = _refused(customer_update, actor=clerk, customer=other, id_number=VALID_RIC)

    assert error.code == "customer_exists"
    assert Customer.objects.get(pk=other.pk).id_number == OTHER_RIC


def test_customer_update_kind_change_revalidates_id_number(clerk):
    customer = _create(clerk)

    error = _refused(
        customer_update, actor=clerk, customer=customer, kind=CustomerKind.ORGANISATION
    )
    assert error.code == "invalid_uscc"

    updated = customer_update(
        actor=clerk, customer=customer, kind=CustomerKind.ORGANISATION, id_number=VALID_USCC
    )
    assert (updated.kind, updated.id_number) == (CustomerKind.ORGANISATION, VALID_USCC)


def test_customer_update_rejects_unknown_fields(clerk):
    customer = _create(clerk)

    with pytest.raises(TypeError):
        customer_update(actor=clerk, customer=customer, public_id="x")


# --- premises ---------------------------------------------------------------------------


def test_premise_create_and_get_or_create(clerk):
    zone = SupplyZoneFactory()

    premise = premise_create(
        actor=clerk, address=" 城北区  解放路8号 ", zone=zone, district="城北区"
    )
    again = premise_get_or_create(actor=clerk, address="城北区 解放路8号", zone=zone)
    other = premise_get_or_create(actor=clerk, address="城北区解放路9号", zone=zone)

    assert (premise.address, premise.district, premise.zone) == ("城北区 解放路8号", "城北区", zone)
    assert again.pk == premise.pk
    assert other.pk != premise.pk
    assert list(Premise.objects.order_by("pk").values_list("address", flat=True)) == [
        "城北区 解放路8号",
        "城北区解放路9号",
    ]
    assert premise.history.get().history_user == clerk


def test_premise_create_refuses_duplicate_and_empty_address(clerk):
    zone = SupplyZoneFactory()
    premise_create(actor=clerk, address="城北区解放路8号", zone=zone)

    duplicate = _refused(premise_create, actor=clerk, address="城北区解放路8号 ", zone=zone)
    empty = _refused(premise_create, actor=clerk, address="  ", zone=zone)
    no_zone = _refused(premise_get_or_create, actor=clerk, address="城北区解放路9号", zone=None)

    assert duplicate.code == "premise_exists"
    assert str(duplicate.message) == "用水地址“城北区解放路8号”已存在。"
    assert (empty.code, no_zone.code) == ("invalid_address", "invalid_zone")
    assert Premise.objects.count() == 1


# --- accounts ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_account_open_assigns_number_and_records_who(clerk):
    customer = CustomerFactory()
    premise = PremiseFactory()

    account = account_open(
        actor=clerk,
        customer=customer,
        premise=premise,
        usage_category=UsageCategory.RESIDENTIAL,
        household_size=5,
    )

    stored = Account.objects.get()
    assert stored.pk == account.pk
    assert (
        stored.number,
        stored.customer,
        stored.premise,
        stored.usage_category,
        stored.household_size,
        stored.status,
        stored.opened_at,
        stored.opened_by,
    ) == (
        "2000000001",
        customer,
        premise,
        UsageCategory.RESIDENTIAL,
        5,
        AccountStatus.ACTIVE,
        NOW,
        clerk,
    )
    assert stored.history.get().history_user == clerk


def test_account_numbers_are_unique_and_increasing_over_many_opens(clerk):
    customer = CustomerFactory()
    premise = PremiseFactory()

    numbers = [
        account_open(
            actor=clerk,
            customer=customer,
            premise=premise,
            usage_category=UsageCategory.NON_RESIDENTIAL,
        ).number
        for _ in range(40)
    ]

    assert numbers == [f"{2000000001 + i}" for i in range(40)]
    assert all(len(number) == 10 and number.isdigit() for number in numbers)
    assert Account.objects.count() == 40


def test_account_number_skips_numbers_taken_outside_the_service(clerk):
    premise = PremiseFactory()
    AccountFactory(number="2000000001", premise=premise)
    AccountFactory(number="2000000003", premise=premise)
    customer = CustomerFactory()

    opened = [
        account_open(
            actor=clerk, customer=customer, premise=premise, usage_category="residential"
        ).number
        for _ in range(3)
    ]

    assert opened == ["2000000004", "2000000005", "2000000006"]


def test_account_numbers_are_never_reused(clerk):
    customer = CustomerFactory()
    premise = PremiseFactory()
    first = account_open(
        actor=clerk, customer=customer, premise=premise, usage_category="residential"
    )
    first.delete()

    second = account_open(
        actor=clerk, customer=customer, premise=premise, usage_category="residential"
    )

    assert (first.number, second.number) == ("2000000001", "2000000002")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"usage_category": "swimming_pool"}, "invalid_usage_category"),
        ({"household_size": 0}, "invalid_household_size"),
        ({"household_size": 100}, "invalid_household_size"),
        ({"household_size": "many"}, "invalid_household_size"),
        ({"customer": None}, "invalid_customer"),
        ({"premise": None}, "invalid_premise"),
    ],
)
def test_account_open_refuses_bad_input_and_consumes_no_number(clerk, overrides, code):
    kwargs = {
        "actor": clerk,
        "customer": CustomerFactory(),
        "premise": PremiseFactory(),
        "usage_category": UsageCategory.RESIDENTIAL,
    }
    kwargs.update(overrides)

    error = _refused(account_open, **kwargs)

    assert error.code == code
    assert Account.objects.count() == 0
    kwargs.update(customer=CustomerFactory(), premise=PremiseFactory(), household_size=3)
    kwargs["usage_category"] = UsageCategory.RESIDENTIAL
    assert account_open(**kwargs).number == "2000000001"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_account_opens_get_distinct_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    customer = CustomerFactory()
    premise = PremiseFactory()
    workers, per_worker = 6, 5
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for _ in range(per_worker):
                number = account_open(
                    actor=None, customer=customer, premise=premise, usage_category="residential"
                ).number
                with lock:
                    numbers.append(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(numbers) == [f"{2000000001 + i}" for i in range(workers * per_worker)]


# --- meters -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_meter_install_registers_a_new_serial(surveyor):
    premise = PremiseFactory()

    meter = meter_install(
        actor=surveyor,
        meter_serial=" wm-0001 ",
        size_dn=20,
        premise=premise,
        initial_reading="12.5",
    )

    stored = Meter.objects.get()
    assert stored.pk == meter.pk
    assert (
        stored.serial,
        stored.size_dn,
        stored.state,
        stored.premise,
        stored.account,
        stored.installed_at,
        stored.initial_reading,
    ) == ("WM-0001", 20, MeterState.INSTALLED, premise, None, NOW, Decimal("12.50"))
    assert stored.history.get().history_user == surveyor


def test_meter_install_installs_a_meter_from_stock_on_an_account(surveyor):
    account = AccountFactory()
    stock = MeterFactory(serial="WM00000077", size_dn=25)
    installed_at = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)

    meter = meter_install(
        actor=surveyor,
        meter_serial="WM00000077",
        size_dn=25,
        premise=account.premise,
        account=account,
        initial_reading=0,
        installed_at=installed_at,
    )

    stored = Meter.objects.get()
    assert meter.pk == stock.pk == stored.pk
    assert (
        stored.state,
        stored.premise,
        stored.account,
        stored.installed_at,
        stored.initial_reading,
    ) == (
        MeterState.INSTALLED,
        account.premise,
        account,
        installed_at,
        Decimal("0.00"),
    )


def test_meter_install_refuses_meter_in_use_and_changes_nothing(surveyor):
    first_premise = PremiseFactory(address="城北区解放路1号")
    meter = meter_install(
        actor=surveyor, meter_serial="WM1", size_dn=20, premise=first_premise, initial_reading=5
    )
    other_premise = PremiseFactory()

    error = _refused(
        meter_install,
        actor=surveyor,
        meter_serial="wm1",
        size_dn=20,
        premise=other_premise,
        initial_reading=0,
    )

    assert error.code == "meter_in_use"
    assert str(error.message) == "水表“WM1”已在使用中（城北区解放路1号），不能重复安装。"
    stored = Meter.objects.get()
    assert (stored.pk, stored.premise, stored.initial_reading, stored.state) == (
        meter.pk,
        first_premise,
        Decimal("5.00"),
        MeterState.INSTALLED,
    )
    assert stored.history.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"initial_reading": -1}, "invalid_reading"),
        ({"initial_reading": "1.005"}, "invalid_reading"),
        ({"initial_reading": "abc"}, "invalid_reading"),
        ({"initial_reading": None}, "invalid_reading"),
        ({"initial_reading": "100000"}, "invalid_reading"),  # above max_reading 99999
        ({"size_dn": 10}, "invalid_meter_size"),
        ({"size_dn": 700}, "invalid_meter_size"),
        ({"meter_serial": "  "}, "invalid_meter_serial"),
        ({"meter_serial": "WM 1"}, "invalid_meter_serial"),
        ({"premise": None}, "invalid_premise"),
    ],
)
def test_meter_install_refuses_bad_input_and_creates_nothing(surveyor, overrides, code):
    kwargs = {
        "actor": surveyor,
        "meter_serial": "WM1",
        "size_dn": 20,
        "premise": PremiseFactory(),
        "initial_reading": 0,
    }
    kwargs.update(overrides)

    assert _refused(meter_install, **kwargs).code == code
    assert Meter.objects.count() == 0


def test_meter_install_refuses_stock_meter_of_other_size_or_unavailable_state(surveyor):
    premise = PremiseFactory()
    MeterFactory(serial="WM-A", size_dn=20)
    MeterFactory(serial="WM-B", size_dn=20, state=MeterState.FAULTY)

    mismatch = _refused(
        meter_install,
        actor=surveyor,
        meter_serial="WM-A",
        size_dn=25,
        premise=premise,
        initial_reading=0,
    )
    faulty = _refused(
        meter_install,
        actor=surveyor,
        meter_serial="WM-B",
        size_dn=20,
        premise=premise,
        initial_reading=0,
    )

    assert mismatch.code == "meter_size_mismatch"
    assert faulty.code == "meter_unavailable"
    assert str(faulty.message) == "水表“WM-B”状态为“故障”，不能安装。"
    assert list(Meter.objects.order_by("serial").values_list("state", "premise")) == [
        (MeterState.IN_STOCK, None),
        (MeterState.FAULTY, None),
    ]


def test_meter_install_refuses_account_of_another_premise_or_closed(surveyor):
    account = AccountFactory()
    closed = AccountFactory(status=AccountStatus.CLOSED)

    elsewhere = _refused(
        meter_install,
        actor=surveyor,
        meter_serial="WM1",
        size_dn=20,
        premise=PremiseFactory(),
        account=account,
        initial_reading=0,
    )
    on_closed = _refused(
        meter_install,
        actor=surveyor,
        meter_serial="WM1",
        size_dn=20,
        premise=closed.premise,
        account=closed,
        initial_reading=0,
    )

    assert (elsewhere.code, on_closed.code) == ("account_premise_mismatch", "account_closed")
    assert Meter.objects.count() == 0


def test_meter_attach_to_account(surveyor, clerk):
    premise = PremiseFactory()
    meter = meter_install(
        actor=surveyor, meter_serial="WM1", size_dn=20, premise=premise, initial_reading=0
    )
    account = account_open(
        actor=clerk, customer=CustomerFactory(), premise=premise, usage_category="residential"
    )

    attached = meter_attach_to_account(actor=clerk, meter=meter, account=account)
    again = meter_attach_to_account(actor=clerk, meter=meter, account=account)

    assert attached.account == again.account == account
    assert Meter.objects.get().account == account
    assert meter.history.count() == 2


def test_meter_attach_refuses_meter_on_another_account_or_not_installed(surveyor, clerk):
    premise = PremiseFactory()
    first = AccountFactory(premise=premise)
    second = AccountFactory(premise=premise)
    meter = meter_install(
        actor=surveyor,
        meter_serial="WM1",
        size_dn=20,
        premise=premise,
        account=first,
        initial_reading=0,
    )
    stock = MeterFactory()
    elsewhere = meter_install(
        actor=surveyor, meter_serial="WM2", size_dn=20, premise=PremiseFactory(), initial_reading=0
    )

    in_use = _refused(meter_attach_to_account, actor=clerk, meter=meter, account=second)
    not_installed = _refused(meter_attach_to_account, actor=clerk, meter=stock, account=second)
    mismatch = _refused(meter_attach_to_account, actor=clerk, meter=elsewhere, account=second)

    assert (in_use.code, not_installed.code, mismatch.code) == (
        "meter_in_use",
        "meter_not_installed",
        "account_premise_mismatch",
    )
    assert dict(Meter.objects.values_list("serial", "account")) == {
        "WM1": first.pk,
        stock.serial: None,
        "WM2": None,
    }


def test_factory_resident_ids_pass_validation():
    # The shared factory's IDs must be accepted by the same validation the services use.
    for customer in CustomerFactory.build_batch(20):
        assert validate_resident_id(customer.id_number) == customer.id_number

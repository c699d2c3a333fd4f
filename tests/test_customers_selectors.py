import uuid

import pytest

from tests.factories import AccountFactory, CustomerFactory, MeterFactory, PremiseFactory
from waterdesk.core.errors import NotFound
from waterdesk.customers.selectors import (
    account_get_by_number,
    customer_accounts,
    customer_get,
    customer_search,
)


@pytest.fixture
def city(db):
    """Four customers whose keys overlap only where a test says so."""
    zhang = CustomerFactory(
        name="张伟",
        id_number="11010519491231002X",
        mobile="13800138000",
        contact_address="城南区人民路5号",
    )
    wang = CustomerFactory(
        name="王芳", id_number="360426199101010071", mobile="13912345678", contact_address=""
    )
    hospital = CustomerFactory(
        kind="organisation",
        name="城北医院",
        id_number="91110000600037341L",
        mobile="13700005678",
        contact_address="",
    )
    li = CustomerFactory(name="李伟", mobile="", contact_address="")
    AccountFactory(
        number="2000000001", customer=zhang, premise=PremiseFactory(address="城北区解放路1号")
    )
    AccountFactory(
        number="2000000002", customer=wang, premise=PremiseFactory(address="城北区解放路2号")
    )
    # Two accounts of one customer on matching addresses: the customer must appear once.
    AccountFactory(
        number="2000000003", customer=hospital, premise=PremiseFactory(address="城北区和平路3号")
    )
    AccountFactory(
        number="2000000004", customer=hospital, premise=PremiseFactory(address="城北区和平路4号")
    )
    return {"zhang": zhang, "wang": wang, "hospital": hospital, "li": li}


def _names(customers) -> list[str]:
    # Sorted here: the database's collation decides the order of Chinese names.
    return sorted(customer.name for customer in customers)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("伟", ["张伟", "李伟"]),
        ("张伟", ["张伟"]),
        ("医院", ["城北医院"]),
        ("13800138000", ["张伟"]),
        ("138 0013 8000", ["张伟"]),
        ("+86 139-1234-5678", ["王芳"]),
        ("5678", ["城北医院", "王芳"]),  # suffix of both mobiles
        ("05678", ["城北医院"]),
        ("678", []),  # a suffix shorter than 4 digits is not a mobile search
        ("11010519491231002x", ["张伟"]),
        ("360426199101010071", ["王芳"]),
        ("91110000600037341l", ["城北医院"]),
        ("2000000002", ["王芳"]),
        ("200000000", []),  # account numbers match exactly only
        ("解放路", ["张伟", "王芳"]),
        ("和平路", ["城北医院"]),
        ("人民路5号", ["张伟"]),
        ("城南", ["张伟"]),
        ("北京", []),
        ("", []),
        ("   ", []),
    ],
)
def test_customer_search_by_each_key(city, query, expected):
    assert _names(customer_search(query=query)) == expected


def test_customer_search_puts_exact_key_matches_first(city):
    # Another customer's premise address contains the number: a substring match that must
    # come after the exact account-number match, whatever the names' collation order.
    AccountFactory(
        number="2000000009",
        customer=city["li"],
        premise=PremiseFactory(address="开发区2000000002号仓库"),
    )

    found = customer_search(query="2000000002")

    assert [customer.name for customer in found] == ["王芳", "李伟"]


def test_customer_search_limit(city):
    everyone = customer_search(query="伟")

    assert customer_search(query="伟", limit=1) == everyone[:1]
    assert _names(everyone) == ["张伟", "李伟"]
    assert customer_search(query="伟", limit=0) == []


def test_customer_search_prefetches_accounts_and_premises(city, django_assert_num_queries):
    with django_assert_num_queries(2):
        found = customer_search(query="城北")
        summary = [
            (customer.name, [(a.number, a.premise.address) for a in customer.accounts.all()])
            for customer in found
        ]

    assert sorted(summary) == [
        ("城北医院", [("2000000003", "城北区和平路3号"), ("2000000004", "城北区和平路4号")]),
        ("张伟", [("2000000001", "城北区解放路1号")]),
        ("王芳", [("2000000002", "城北区解放路2号")]),
    ]


def test_customer_get(city):
    zhang = city["zhang"]

    assert customer_get(public_id=zhang.public_id) == zhang
    assert customer_get(public_id=str(zhang.public_id)) == zhang
    with pytest.raises(NotFound):
        customer_get(public_id=uuid.uuid4())
    with pytest.raises(NotFound):
        customer_get(public_id="not-a-uuid")


def test_account_get_by_number(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        account = account_get_by_number(" 2000000003 ")
        assert (account.customer.name, account.premise.address, account.premise.zone.code) == (
            "城北医院",
            "城北区和平路3号",
            "north",
        )
    with pytest.raises(NotFound):
        account_get_by_number("2000000099")


def test_customer_accounts(city, django_assert_num_queries):
    hospital = city["hospital"]
    first = hospital.accounts.get(number="2000000003")
    MeterFactory(serial="WM2", premise=first.premise, account=first, state="installed")
    MeterFactory(serial="WM1", premise=first.premise, account=first, state="installed")

    with django_assert_num_queries(2):
        summary = [
            (account.number, account.premise.zone.code, [m.serial for m in account.meters.all()])
            for account in customer_accounts(hospital)
        ]

    assert summary == [("2000000003", "north", ["WM1", "WM2"]), ("2000000004", "north", [])]
    assert list(customer_accounts(city["li"])) == []

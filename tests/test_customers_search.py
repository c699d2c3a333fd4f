"""Customer search by each key kind on its own index (customers.search, selectors.customer_search):
exact outcomes per key, the ranking between keys, each customer once, the limit, case
numbers through the kind registry; on PostgreSQL the bigram functions and the plans."""

from datetime import datetime
from zoneinfo import ZoneInfo

import factory
import pytest
import time_machine
from django.db import connection

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    registered_new_connection,
)
from waterdesk.cases.selectors import case_number_normalize
from waterdesk.customers.search import statement
from waterdesk.customers.search.keys import KeyStatistics, gin_keys
from waterdesk.customers.search.query import search_query_parse
from waterdesk.customers.selectors import customer_search
from waterdesk.customers.tasks import search_statistics_refresh

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
REGISTERED_AT = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(db):
    """Names that share characters, mobiles that share their last digits, addresses that
    share a street."""
    wang = CustomerFactory(
        name="王建国", mobile="13900001234", contact_address="城北区解放路18号3栋"
    )
    wang_jian = CustomerFactory(name="王建", mobile="13700005678", contact_address="")
    li = CustomerFactory(name="李王建华", mobile="18600001234", contact_address="")
    zhou = CustomerFactory(name="周建", mobile="15000009999", contact_address="")
    hospital = CustomerFactory(
        kind="organisation",
        name="江州市人民医院",
        id_number="91110000600037341L",
        mobile="13800001111",
        contact_address="城南区人民路1号",
    )
    for number, customer, address in (
        ("2000000101", wang, "城北区解放路18号3栋"),
        ("2000000102", zhou, "城北区解放路20号"),
        # Two accounts of one customer on matching addresses: the customer is found once.
        ("2000000103", hospital, "城南区人民路1号"),
        ("2000000104", hospital, "城南区人民路3号"),
    ):
        AccountFactory(number=number, customer=customer, premise=PremiseFactory(address=address))
    return {"wang": wang, "wang_jian": wang_jian, "li": li, "zhou": zhou, "hospital": hospital}


def names(customers) -> list[str]:
    return [customer.name for customer in customers]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A two-character Chinese fragment: the equal name first, then names starting with
        # it, then names containing it.
        ("王建", ["王建", "王建国", "李王建华"]),
        ("建国", ["王建国"]),
        ("建", ["周建", "李王建华", "王建", "王建国"]),
        ("王建国", ["王建国"]),
        ("医院", ["江州市人民医院"]),
        # Mobile: the last 4+ digits, the full number in any common spelling.
        ("1234", ["李王建华", "王建国"]),
        ("900001234", ["王建国"]),
        ("123", []),
        ("137 0000 5678", ["王建"]),
        ("+86-137-0000-5678", ["王建"]),
        ("8613700005678", ["王建"]),
        # ID number, in lower case; account number.
        ("91110000600037341l", ["江州市人民医院"]),
        ("2000000102", ["周建"]),
        ("2000000105", []),
        # Addresses: the contact address and every account's premise.
        ("解放路", ["王建国", "周建"]),
        ("解放路20号", ["周建"]),
        ("人民路", ["江州市人民医院"]),
        ("北京", []),
    ],
)
def test_each_key_kind(people, query, expected):
    assert names(customer_search(query=query)) == expected


def test_every_key_ranks_in_its_place(people):
    """Exact keys, then the name (equal, starting, containing), the end of the mobile, the
    contact address, the premise address; by name within each."""
    key = "2000000102"  # zhou's account number …
    people["wang"].contact_address = f"开发区{key}号"  # … in wang's contact address
    people["wang"].save()
    AccountFactory(
        number="2000000199",
        customer=people["li"],
        premise=PremiseFactory(address=f"开发区{key}号仓库"),  # … in li's premise address
    )
    CustomerFactory(name="宋一", mobile=f"1{key}")  # … at the end of a mobile

    assert names(customer_search(query=key)) == ["周建", "宋一", "王建国", "李王建华"]


def test_name_matches_come_before_address_matches(people):
    CustomerFactory(name="解放", mobile="")
    CustomerFactory(name="赵解放军", mobile="")

    assert names(customer_search(query="解放")) == ["解放", "赵解放军", "王建国", "周建"]


def test_a_customer_found_by_several_keys_appears_once(people):
    hospital = people["hospital"]

    found = customer_search(query="人民")

    assert found == [hospital]
    assert [account.number for account in found[0].accounts.all()] == [
        "2000000103",
        "2000000104",
    ]


def test_limit_and_more(people):
    everyone = customer_search(query="王建", limit=3)
    first = customer_search(query="王建", limit=1)

    assert (names(everyone), everyone.has_more) == (["王建", "王建国", "李王建华"], False)
    assert (names(first), first.has_more) == (["王建"], True)
    assert customer_search(query="王建", limit=0) == []


def test_a_premise_key_fills_the_page_past_a_customer_with_many_accounts(people):
    hospital = people["hospital"]
    for number in range(3):
        AccountFactory(customer=hospital, premise=PremiseFactory(address=f"仓储路{number}号"))
    other = CustomerFactory(name="仓储公司", kind="organisation", mobile="")
    AccountFactory(customer=other, premise=PremiseFactory(address="仓储路9号"))

    assert names(customer_search(query="仓储路", limit=2)) == ["仓储公司", "江州市人民医院"]


def test_results_carry_accounts_and_premises(people, django_assert_num_queries):
    found = customer_search(query="解放路")

    with django_assert_num_queries(0):
        summary = [
            (customer.name, [(a.number, a.premise.address) for a in customer.accounts.all()])
            for customer in found
        ]
    assert summary == [
        ("王建国", [("2000000101", "城北区解放路18号3栋")]),
        ("周建", [("2000000102", "城北区解放路20号")]),
    ]
    assert [customer.matched_cases for customer in found] == [[], []]


def test_one_statement_for_every_key(people, django_assert_num_queries):
    # The keys' statement, then the accounts with their premises.
    for query in ("2000000102", "王建", "建", "解放路", "1234"):
        with django_assert_num_queries(2):
            customer_search(query=query)
    with django_assert_num_queries(0):
        assert customer_search(query="1") == []  # no key applies to one digit


# --- case numbers -------------------------------------------------------------------------


@pytest.fixture
def registered(clerk, people):
    with time_machine.travel(REGISTERED_AT, tick=False):
        return registered_new_connection(clerk, customer=people["zhou"])


@pytest.mark.parametrize(
    "typed",
    ["XZ-20260309-0001", "xz-20260309-0001", "XZ202603090001", "xz 20260309 1", "XZ-20260309-1"],
)
def test_a_case_number_finds_its_customer(registered, typed):
    assert registered.number == "XZ-20260309-0001"

    found = customer_search(query=typed)

    assert names(found) == ["周建"]
    assert [(match.number, match.public_id) for match in found[0].matched_cases] == [
        ("XZ-20260309-0001", registered.public_id)
    ]


def test_a_case_number_comes_first(registered, people):
    people["wang"].contact_address = "XZ-20260309-0001"
    people["wang"].save()

    assert names(customer_search(query="XZ-20260309-0001")) == ["周建", "王建国"]


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("XZ-20260309-0001", "XZ-20260309-0001"),
        ("zx20260309-12", "ZX-20260309-0012"),
        ("GH-20260309-12345", "GH-20260309-12345"),
        ("QQ-20260309-0001", None),  # no kind has this prefix
        ("XZ-2026039-0001", None),
        ("XZ", None),
    ],
)
def test_case_number_shape_comes_from_the_registry(typed, number):
    assert case_number_normalize(typed) == number


def test_an_unknown_case_number_finds_nobody(registered):
    assert customer_search(query="XZ-20260309-0002") == []


# --- the query's shape --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        # (account, ID, mobile, mobile suffix, name fragment, address fragment, address number)
        ("王建", ("", "", "", "", "王建", "王建", "")),
        ("建", ("", "", "", "", "建", "", "")),
        ("12", ("", "", "", "", "", "", "12")),
        ("1234", ("1234", "", "1234", "1234", "", "", "1234")),
        ("13900001234", ("13900001234", "", "13900001234", "", "", "", "13900001234")),
        ("+86 139 0000 1234", ("", "", "13900001234", "", "", "", "8613900001234")),
        (
            "11010519491231002x",
            ("11010519491231002x", "11010519491231002X", "", "", *["11010519491231002x"] * 2, ""),
        ),
        (
            "２０００ ０００ １０２",
            ("2000000102", "", "2000000102", "2000000102", "", "", "2000000102"),
        ),
        ("128号", ("", "", "", "", "128号", "128号", "")),
    ],
)
def test_query_shape(query, shape):
    parsed = search_query_parse(query)

    assert (
        parsed.account_number,
        parsed.id_number,
        parsed.mobile,
        parsed.mobile_suffix,
        parsed.name_fragment,
        parsed.address_fragment,
        parsed.address_number,
    ) == shape


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", ["100%纯净水公司"]),  # % and _ are the characters, not LIKE's wildcards
        ("1_0", ["1_0号仓库"]),
        ("%", ["100%纯净水公司"]),
        ("_", ["1_0号仓库"]),
        ("\\", []),
        ("'; DROP TABLE customers_customer; --", []),
        ("王" * 500, []),
        ("\x00", []),
        ("1\x000\u200b0%", ["100%纯净水公司"]),  # NUL and a zero-width space are dropped
    ],
)
def test_odd_characters_are_just_characters(people, query, expected):
    CustomerFactory(name="100%纯净水公司", mobile="")
    CustomerFactory(name="1_0号仓库", mobile="")
    CustomerFactory(name="1000号仓库", mobile="")

    assert names(customer_search(query=query)) == expected


def test_empty_queries():
    assert search_query_parse("") is None
    assert search_query_parse(" \u3000 ") is None
    assert customer_search(query="   ") == []


# --- PostgreSQL: the bigram functions and the plans ----------------------------------------


needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def _fetch_one(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.postgres
@needs_postgres
def test_bigram_functions():
    assert sorted(_fetch_one("SELECT waterdesk_bigrams(%s)", ["王建国"])) == ["建国", "王建"]
    assert sorted(_fetch_one("SELECT waterdesk_grams(%s)", ["王建国"])) == [
        "国",
        "建",
        "建国",
        "王",
        "王建",
    ]
    assert sorted(_fetch_one("SELECT waterdesk_bigrams(%s)", ["AbC"])) == ["ab", "bc"]
    assert _fetch_one("SELECT waterdesk_bigrams(%s)", ["王"]) == []
    # Numbers of two or more digits are keys of their own in addresses.
    assert sorted(_fetch_one("SELECT waterdesk_address_keys(%s)", ["路128号3栋"])) == [
        "#128",
        "12",
        "28",
        "3栋",
        "8号",
        "号3",
        "路1",
    ]


@pytest.mark.parametrize(
    ("fragment", "numbers", "keys"),
    [
        ("王", False, ["王"]),
        ("王建国", False, ["王建", "建国"]),
        ("128", True, ["#128"]),
        ("解放路128号", True, ["解放", "放路", "路1", "8号", "#128"]),
        ("解放路12", True, ["解放", "放路", "路1"]),  # 12 may be the start of 128
        ("Ab12", False, ["Ab", "b1"]),
    ],
)
def test_gin_keys_of_a_fragment(fragment, numbers, keys):
    assert gin_keys(fragment, numbers=numbers) == keys


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        # A handful of rows: the planner would rightly read the table; make it show what it
        # does once the table is big.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def _search_plan(query: str) -> str:
    """The plan of the statement of ``customer_search(query=query)``."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        customer_search(query=query)
    [(sql, params)] = [(sql, params) for sql, params in statements if "search_rank" in sql]
    return _plan(sql, params)


@pytest.mark.postgres
@needs_postgres
def test_keys_use_their_indexes(people):
    plan = _search_plan("王建")
    assert "Index Only Scan using customer_name_ordered" in plan  # names starting with it
    assert "Bitmap Index Scan on customer_name_grams" in plan
    assert "Bitmap Index Scan on customer_contact_address_keys" in plan
    assert "Bitmap Index Scan on premise_address_keys" in plan
    assert "Seq Scan" not in plan
    plan = _search_plan("1234")
    assert "customer_mobile_reversed" in plan
    assert "customers_customer_mobile" in plan  # the exact mobile
    assert "customers_account_number" in plan
    assert "Seq Scan" not in plan


@pytest.mark.postgres
@needs_postgres
def test_a_common_fragment_is_first_looked_for_in_order(people, monkeypatch):
    monkeypatch.setattr(statement, "SEARCH_WINDOW_ABOVE_ROWS", -1)  # every key counts as common

    plan = _search_plan("王建")

    assert plan.count("Index Only Scan using customer_name_ordered") == 2  # starts; window
    assert "Index Only Scan using customer_contact_address_ordered" in plan
    assert "Index Only Scan using premise_address_ordered" in plan
    assert "Seq Scan" not in plan


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("query", ["王建", "建", "解放路", "人民", "1234", "18", "2000000102"])
def test_the_window_changes_no_result(people, monkeypatch, query):
    AccountFactory(customer=people["hospital"], premise=PremiseFactory(address="城南区人民路18号"))
    expected = names(customer_search(query=query, limit=3))

    monkeypatch.setattr(statement, "SEARCH_WINDOW_ABOVE_ROWS", -1)
    monkeypatch.setattr(statement, "SEARCH_WINDOW", 2)  # holds some of the hits, not all

    assert names(customer_search(query=query, limit=3)) == expected


@pytest.mark.postgres
@needs_postgres
def test_key_statistics_come_from_analyze_through_the_cache(people):
    CustomerFactory.create_batch(6, name=factory.Iterator(["王一", "王二", "王三"]), mobile="")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    search_statistics_refresh()
    KeyStatistics.forget()

    statistics = KeyStatistics()

    assert statistics.rows_with("customer_name_grams", "王") == pytest.approx(9)
    assert statistics.rows_with("customer_name_grams", "王二") == pytest.approx(2)
    assert statistics.rows_with("customer_name_grams", "不在") == 0
    KeyStatistics.forget()


def test_without_statistics_every_key_is_rare(people):
    KeyStatistics.forget()  # the cache is empty in every test

    assert KeyStatistics().rows_with("customer_name_grams", "王") == 0
    KeyStatistics.forget()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite only")
def test_sqlite_has_no_statistics():
    assert search_statistics_refresh() == 0

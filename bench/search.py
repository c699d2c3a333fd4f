"""Benchmark of customer search on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/search.py [--customers 1000000] [--queries 200] [--keep]
        [--reuse]

It never touches the database named in ``DATABASE_URL``: it only takes the server from it,
creates its own database ``waterdesk_bench_search`` there (dropped first if it exists,
dropped again at the end unless ``--keep``; ``--reuse`` measures a kept one again), and
migrates it.

It loads, with ``COPY``, N customers with realistic Chinese names (surnames by their
frequency, one- and two-character given names from common characters; 3 % organisations),
addresses (district, street, house number, housing estate, building, unit, room), mobiles,
resident ID numbers (USCC for organisations), one account and premise each (organisations
one to four), and 0.3 × N cases of the registered kinds. The search indexes of migration
``0005_search_indexes`` are built after the load, as on a database that gets them late.

Then it times each key kind — a surname (one character, what the live search sends after the
first keystroke), a two-character name fragment, a full name, an address fragment (street
and house number), the last 4 digits of a mobile, a full mobile, an ID number, an account
number, a case number — with queries drawn from the loaded data: through the selector
(``customer_search``, limit 20 as on the page, accounts touched) and through the page (the
test client's GET of ``workbench:customers?q=…`` as a logged-in intake clerk, the full page).
Each kind is warmed up with other queries of the same kind first. It prints p50/p95/max per
kind and path, and the same without the time that this process and its PostgreSQL backend
waited for a CPU (other work on a shared machine, from ``/proc/<pid>/schedstat``); the last
line reads ``result: customers=<N> p95_ms_worst=<ms>``: the slowest kind's p95 through the
page, as measured (wall clock).
"""

from __future__ import annotations

import argparse
import importlib
import io
import itertools
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from common import bench_urls as common_bench_urls  # noqa: E402
from common import (  # noqa: E402
    copy_rows,
    create_database,
    drop_databases,
    fast_load,
)
from common import setup_django as common_setup_django  # noqa: E402

BENCH_DB = "waterdesk_bench_search"
SEED = 2026
PAGE_LIMIT = 20  # workbench.views.CUSTOMER_PAGE_LIMIT
OPENED = datetime(2020, 1, 1, tzinfo=UTC)
CASES_PER_CUSTOMER = 0.3
DATA_TABLES = [
    "cases_case",
    "customers_account",
    "customers_premise",
    "customers_customer",
]


def _words(text: str) -> list[str]:
    return text.split()


# Surnames with their share of the population in per mille (the census' order), and a tail.
SURNAMES = (
    "王71 李71 张66 刘54 陈45 杨31 黄22 赵22 吴20 周19 徐16 孙15 马14 朱13 胡13 郭12 何11 "
    "林10 高10 罗10 郑9 梁9 谢8 宋7 唐7 许7 韩7 邓7 冯7 曹6 彭6 曾6 肖6 田6 董6 潘5 袁5 "
    "蔡5 蒋5 余5 于5 杜5 叶5 程4 魏4 苏4 吕4 丁4 任4 卢4 姚4 沈4 钟4 姜3 崔3 谭3 陆3 范3 "
    "汪3 廖3 石3 金3 韦3 贾2 夏2 付2 方2 邹2 熊2 白2 孟2 秦2 邱2 侯1 江1 尹1 薛1 闫1 段1 "
    "雷1 龙1 黎1 史1 陶1 贺1 毛1 郝1 顾1 龚1 邵1 万1 覃1 武1 钱1 戴1 严1 莫1 孔1 向1 常1"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "皇甫"]
# Given-name characters, most common first (weights fall with the rank).
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华建国文辉鹏红玲梅飞斌宇浩凯俊婷雪琳"
    "晶燕鑫宁博健波帅欣佳怡颖雨晨子轩涵萱梓睿宸思雅诗悦一嘉可馨航泽毅昊天凤春云海林峰志成"
    "荣新金玉珍萍莉翠秋亮龙东晓小振德永庆福生祥松清宏彬锋楠瑶琪璐蕾倩蓉慧璇薇露珊瑞迪菲旭"
    "晖炜昕彤琦阳远豪然安乐逸诚信立达哲铭"
)
GIVEN_NAMES = _words(
    "秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉梅 建华 建国 建军 志强 志明 "
    "国强 国华 海燕 晓燕 红梅 丽娟 子涵 梓涵 浩然 宇轩 欣怡 一诺 俊杰 "
    "文博 晓东 春梅 丽华"
)
DISTRICTS = ["城北区", "城南区", "东湖区", "西山区", "高新区", "经开区", "江滨区", "临港区"]
STREET_WORDS = _words(
    "解放 人民 中山 建设 和平 新华 胜利 文化 朝阳 光明 幸福 长江 黄河 "
    "东风 青年 团结 友谊 复兴 振兴 建国 民主 延安 北京 上海 南京 湖滨 "
    "滨江 花园 学府 工业 健康 新民 红旗 跃进 前进 东方 西湖 南湖 北湖 "
    "凤凰 金桥 银河 翠竹 桂花 海棠 梧桐 迎宾 育才"
)
STREET_KINDS = ["路", "街", "大道", "巷"]
ESTATES = _words(
    "幸福家园 阳光花园 锦绣华庭 翠湖苑 金色家园 书香门第 御景湾 紫荆苑 "
    "碧水蓝天 滨江花园 世纪城 香樟园 丽景苑 和谐家园 新城国际 东方明珠苑 "
    "学府雅居 桃源居 怡景园 枫林苑"
)
ORG_WORDS = _words("恒信 华宇 金城 明德 新城 宏达 永安 东方 利民 鸿运 长青 博雅 兴业 安泰")
ORG_KINDS = _words(
    "有限公司 商贸有限公司 物业管理有限公司 中学 小学 人民医院 酒店 超市 餐饮店 幼儿园"
)
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 170 173 175 "
    "176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)
AREA_CODES = _words(
    "110101 110105 110108 120101 310101 310104 320102 320106 330102 330106 340102 350102 "
    "360102 360426 370102 410102 420102 430102 440103 440106 450102 500101 510104 610102"
)

KINDS = [
    ("name_char", "姓（1字）"),
    ("name_fragment", "姓名片段（2字）"),
    ("name_full", "姓名（全）"),
    ("address_fragment", "地址片段"),
    ("mobile_suffix", "手机尾号（4位）"),
    ("mobile_full", "手机号（全）"),
    ("id_number", "证件号码"),
    ("account_number", "户号"),
    ("case_number", "受理编号"),
]
EXACT_KINDS = {"mobile_full", "id_number", "account_number", "case_number"}


# --- the bench database ---------------------------------------------------------------------


def bench_urls() -> tuple[str, str]:
    return common_bench_urls("bench/search.py", "its search indexes are PostgreSQL's", BENCH_DB)


def recreate_database(maintenance_url: str, *, drop_only: bool = False) -> None:
    drop_databases(maintenance_url, BENCH_DB)
    if not drop_only:
        create_database(maintenance_url, BENCH_DB)


def setup_django(bench_url: str) -> None:
    common_setup_django(
        bench_url,
        collect_static=True,
        # The page counts every look-up against the per-user limits; the benchmark's clerk
        # makes thousands a minute.
        WATERDESK_LOOKUPS_PER_MINUTE="100000000",
        WATERDESK_LOOKUP_ALERT_PER_HOUR="100000000",
    )


def search_index_migration():
    return importlib.import_module("waterdesk.customers.migrations.0005_search_indexes")


# --- data -----------------------------------------------------------------------------------


class People:
    """Deterministic generators of names, addresses and numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        pairs = [(item[0], int(item[1:])) for item in SURNAMES.split()]
        self.surnames = [name for name, _ in pairs] + COMPOUND_SURNAMES
        self.surname_weights = list(
            itertools.accumulate([weight for _, weight in pairs] + [0.2] * len(COMPOUND_SURNAMES))
        )
        # The most common given-name character is in about 4 % of the names.
        self.given_weights = list(
            itertools.accumulate(1 / (rank + 15) for rank in range(len(GIVEN_CHARS)))
        )
        self.streets = [
            (DISTRICTS[index % len(DISTRICTS)], f"{word}{kind}")
            for index, (word, kind) in enumerate(
                (word, kind) for word in STREET_WORDS for kind in STREET_KINDS
            )
        ]
        self.mobiles: set[str] = set()
        self.ids: set[str] = set()

    def person_name(self) -> str:
        rng = self.rng
        surname = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        if rng.random() < 0.08:
            return surname + rng.choice(GIVEN_NAMES)
        count = 1 if rng.random() < 0.3 else 2
        return surname + "".join(rng.choices(GIVEN_CHARS, cum_weights=self.given_weights, k=count))

    def organisation_name(self) -> str:
        rng = self.rng
        return (
            rng.choice(["江州", "江州市", *(d[:2] for d in DISTRICTS)])
            + rng.choice(ORG_WORDS)
            + rng.choice(ORG_KINDS)
        )

    def address(self) -> tuple[str, str, str]:
        """(district, street and house number, the full address)."""
        rng = self.rng
        district, street = rng.choice(self.streets)
        house = f"{street}{rng.randint(1, 399)}号"
        rest = ""
        if rng.random() < 0.7:
            rest = (
                f"{rng.choice(ESTATES)}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元"
                f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
            )
        return district, house, f"{district}{house}{rest}"

    def mobile(self) -> str:
        while True:
            value = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if value not in self.mobiles:
                self.mobiles.add(value)
                return value

    def resident_id(self) -> str:
        from stdnum.cn import ric

        rng = self.rng
        while True:
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
            body = f"{rng.choice(AREA_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            value = body + ric.calc_check_digit(body)
            if value not in self.ids:
                self.ids.add(value)
                return value

    def credit_code(self) -> str:
        from stdnum.cn import uscc

        rng = self.rng
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            body = "91" + rng.choice(AREA_CODES) + "".join(rng.choices(alphabet, k=9))
            value = body + uscc.calc_check_digit(body)
            if value not in self.ids:
                self.ids.add(value)
                return value


def build(n: int, samples: int) -> dict[str, list[str]]:
    """Load N customers (and their accounts, premises, cases); return the query samples of
    each kind: twice ``samples`` queries, the first half to warm up, the second to time."""
    from django.db import connection, transaction

    from waterdesk.cases.kinds import all_kinds
    from waterdesk.cases.models import Case
    from waterdesk.customers.models import Account, Customer, Premise, SupplyZone

    rng = random.Random(SEED)
    people = People(rng)
    kinds = sorted(all_kinds(), key=lambda spec: spec.number_prefix)
    started = time.perf_counter()
    customers, premises, accounts, cases = (io.StringIO() for _ in range(4))
    opened = OPENED.isoformat()
    zone, _created = SupplyZone.objects.get_or_create(code="bench", defaults={"name": "压测片区"})
    wanted = 2 * samples
    picks = set(rng.sample(range(1, n + 1), min(n, wanted * 4)))
    queries: dict[str, list[str]] = {kind: [] for kind, _label in KINDS}
    account_id = 0
    case_id = 0
    case_sequences: dict[tuple[str, date], int] = {}
    for index in range(1, n + 1):
        is_organisation = rng.random() < 0.03
        name = people.organisation_name() if is_organisation else people.person_name()
        mobile = people.mobile()
        id_number = people.credit_code() if is_organisation else people.resident_id()
        district, house, address = people.address()
        chance = rng.random()
        contact = address if chance < 0.6 else people.address()[2] if chance < 0.7 else ""
        customers.write(
            f"{index}\t{uuid.uuid4()}\t{'organisation' if is_organisation else 'person'}\t"
            f"{name}\t{id_number}\t{mobile}\t\t{contact}\tf\t{opened}\n"
        )
        numbers = []
        for account in range(rng.randint(1, 4) if is_organisation else 1):
            account_id += 1
            if account:
                district, house, address = people.address()
            premises.write(
                f"{account_id}\t{uuid.uuid4()}\t{address}\t{district}\t{zone.pk}\t{opened}\n"
            )
            number = f"{2000000000 + account_id}"
            numbers.append(number)
            accounts.write(
                f"{account_id}\t{uuid.uuid4()}\t{number}\t{index}\t{account_id}\t"
                f"{'non_residential' if is_organisation else 'residential'}\t3\tactive\t"
                f"\\N\t{opened}\t\\N\n"
            )
        case_numbers = []
        while rng.random() < CASES_PER_CUSTOMER / (1 + CASES_PER_CUSTOMER) or (
            index in picks and not case_numbers
        ):
            spec = rng.choice(kinds)
            day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
            sequence = case_sequences[spec.number_prefix, day] = (
                case_sequences.get((spec.number_prefix, day), 0) + 1
            )
            case_id += 1
            number = f"{spec.number_prefix}-{day:%Y%m%d}-{sequence:04d}"
            case_numbers.append(number)
            at = datetime(day.year, day.month, day.day, 2, tzinfo=UTC).isoformat()
            cases.write(
                f"{case_id}\t{uuid.uuid4()}\t{number}\t{spec.kind}\tcounter\t{index}\t{name}\t"
                f"{mobile}\t\\N\t\\N\t\\N\tnormal\t\t{spec.initial_statuses[0]}\t\t{at}\t"
                f"\\N\t\\N\t1\n"
            )
        if index in picks:
            fragments = [name[start : start + 2] for start in range(len(name) - 1)]
            for kind, value in (
                ("name_char", name[0]),
                ("name_fragment", rng.choice(fragments) if not is_organisation else None),
                ("name_full", name),
                ("address_fragment", house),
                ("mobile_suffix", mobile[-4:]),
                ("mobile_full", mobile),
                ("id_number", id_number),
                ("account_number", numbers[0]),
                ("case_number", rng.choice(case_numbers)),
            ):
                if value and len(queries[kind]) < wanted:
                    queries[kind].append(value)
    generated = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        fast_load(cursor)
        cursor.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
        # Rows are written in the order of the models' columns.
        for model, rows in (
            (Customer, customers),
            (Premise, premises),
            (Account, accounts),
            (Case, cases),
        ):
            columns = ", ".join(field.column for field in model._meta.concrete_fields)
            copy_rows(cursor, model._meta.db_table, columns, rows.getvalue())
        for table in DATA_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    loaded = time.perf_counter() - started - generated
    print(
        f"  loaded {n} customers, {account_id} accounts and premises, {case_id} cases: "
        f"generated {generated:.0f} s, COPY {loaded:.0f} s",
        flush=True,
    )
    return queries


def drop_search_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name in search_index_migration().INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def create_search_indexes() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.schema_editor(atomic=False) as editor:
        search_index_migration().create_search_indexes(None, editor)
    built = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
        cursor.execute(
            "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class "
            "WHERE relname = ANY(%s) ORDER BY relname",
            [list(search_index_migration().INDEXES)],
        )
        sizes = ", ".join(f"{name} {size}" for name, size in cursor.fetchall())
    print(f"  search indexes built in {built:.0f} s: {sizes}", flush=True)


def share_key_statistics() -> None:
    """What the periodic task does every 10 minutes in production (after the ANALYZE)."""
    from waterdesk.customers.search.keys import KeyStatistics
    from waterdesk.customers.tasks import search_statistics_refresh

    search_statistics_refresh()
    KeyStatistics.forget()


def load_samples(samples: int) -> dict[str, list[str]]:
    """Query samples drawn from a database that is already loaded (``--reuse``)."""
    from django.db import connection

    rng = random.Random(SEED)
    wanted = 2 * samples
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM customers_customer")
        (last,) = cursor.fetchone()
        ids = rng.sample(range(1, last + 1), min(last, wanted))
        cursor.execute(
            "SELECT c.id, c.kind, c.name, c.mobile, c.id_number, a.number, p.address, "
            "(SELECT min(number) FROM cases_case WHERE customer_id = c.id) "
            "FROM customers_customer c JOIN customers_account a ON a.customer_id = c.id "
            "JOIN customers_premise p ON p.id = a.premise_id WHERE c.id = ANY(%s)",
            [ids],
        )
        rows = {row[0]: row for row in cursor.fetchall()}
    queries: dict[str, list[str]] = {kind: [] for kind, _label in KINDS}
    for customer_id in ids:
        _id, kind, name, mobile, id_number, number, address, case_number = rows[customer_id]
        district = next(d for d in DISTRICTS if address.startswith(d))
        house = address[len(district) : address.index("号") + 1]
        fragments = [name[start : start + 2] for start in range(len(name) - 1)]
        for key, value in (
            ("name_char", name[0]),
            ("name_fragment", rng.choice(fragments) if kind == "person" else None),
            ("name_full", name),
            ("address_fragment", house),
            ("mobile_suffix", mobile[-4:]),
            ("mobile_full", mobile),
            ("id_number", id_number),
            ("account_number", number),
            ("case_number", case_number),
        ):
            if value:
                queries[key].append(value)
    return {key: values[: len(values) // 2 * 2] for key, values in queries.items()}


# --- measuring ------------------------------------------------------------------------------


def clerk_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from waterdesk.core.models import Department, StaffProfile
    from waterdesk.core.roles import Role

    user, _created = get_user_model().objects.get_or_create(username="bench-clerk")
    user.groups.add(Group.objects.get(name=Role.INTAKE_CLERK))
    department, _created = Department.objects.get_or_create(
        code="bench", defaults={"name": "压测营业厅"}
    )
    StaffProfile.objects.update_or_create(user=user, defaults={"department": department})
    client = Client()
    client.force_login(user)
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Stopwatch:
    """Wall time of one call, and how much of it this process and its PostgreSQL backend
    spent waiting for a CPU (``/proc/<pid>/schedstat``: the run queue's wait): on a shared
    machine that wait is other people's work."""

    def __init__(self):
        self.wall_ms: list[float] = []
        self.queued_ms: list[float] = []

    def time(self, call):
        backend = _backend_pid()
        before = _queued_ns("self") + _queued_ns(backend)
        started = time.perf_counter()
        result = call()
        wall = (time.perf_counter() - started) * 1000
        # A connection closed at the end of a request (CONN_MAX_AGE) counts no wait.
        after = _queued_ns("self") + (_queued_ns(backend) if _backend_pid() == backend else 0)
        self.wall_ms.append(wall)
        self.queued_ms.append(max(0.0, (after - before) / 1e6) if after else 0.0)
        return result

    @property
    def running_ms(self) -> list[float]:
        return [wall - queued for wall, queued in zip(self.wall_ms, self.queued_ms, strict=True)]


def _backend_pid() -> int | None:
    from django.db import connection

    return connection.connection.info.backend_pid if connection.connection else None


def _queued_ns(pid) -> int:
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def measure(queries: dict[str, list[str]]) -> list[tuple]:
    from django.urls import reverse

    from waterdesk.customers.selectors import customer_search

    client = clerk_client()
    url = reverse("workbench:customers")
    rows = []
    for kind, label in KINDS:
        if kind not in queries:
            continue
        values = queries[kind]
        half = len(values) // 2
        warm, timed = values[:half], values[half:]
        for value in warm:
            customer_search(query=value, limit=PAGE_LIMIT)
            client.get(url, {"q": value})
        selector, page, found, results = Stopwatch(), Stopwatch(), 0, []

        def search(value):
            hits = customer_search(query=value, limit=PAGE_LIMIT)
            for customer in hits:
                list(customer.accounts.all())
            return hits

        for value in timed:
            hits = selector.time(lambda value=value: search(value))
            results.append(len(hits))
            found += kind not in EXACT_KINDS or _finds(kind, value, hits)
        for value in timed:
            response = page.time(lambda value=value: client.get(url, {"q": value}))
            if response.status_code != 200:
                sys.exit(f"GET {url}?q={value} answered {response.status_code}")
        rows.append((kind, label, len(timed), found, statistics.median(results), selector, page))
        print(
            f"  {kind:<17} p50 {statistics.median(selector.wall_ms):6.1f} / "
            f"{statistics.median(page.wall_ms):6.1f} ms  p95 "
            f"{percentile(selector.wall_ms, 0.95):6.1f} / {percentile(page.wall_ms, 0.95):6.1f} ms "
            "(selector / page)",
            flush=True,
        )
    return rows


def _finds(kind: str, value: str, hits) -> bool:
    """An exact key finds the customer it was taken from, first."""
    if not hits:
        return False
    first = hits[0]
    if kind == "mobile_full":
        return first.mobile == value
    if kind == "id_number":
        return first.id_number == value
    if kind == "account_number":
        return any(account.number == value for account in first.accounts.all())
    return [match.number for match in first.matched_cases] == [value]


def explain(queries: dict[str, list[str]]) -> None:
    """EXPLAIN ANALYZE of every query of the search for one sample of each kind."""
    from django.db import connection

    from waterdesk.customers.selectors import customer_search

    for kind in queries:
        value = queries[kind][-1]
        print(f"\n=== {kind}: {value}")
        with connection.execute_wrapper(_explaining):
            customer_search(query=value, limit=PAGE_LIMIT)


def _explaining(execute, sql, params, many, context):
    with context["connection"].connection.cursor() as cursor:  # not through the wrapper
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        print("\n".join(f"    {row[0]}" for row in cursor.fetchall()))
    return execute(sql, params, many, context)


def report(n: int, rows: list[tuple]) -> float:
    count = rows[0][2]
    print(f"\n{n} customers; ms per search, {count} queries per kind after as many to warm up")
    print(
        "| key kind           | found | results | selector p50 |   p95 | page p50 |   p95 |   max |"
    )
    print(
        "|--------------------|------:|--------:|-------------:|------:|---------:|------:|------:|"
    )
    worst = 0.0
    for kind, _label, count, found, results, selector, page in rows:
        page_p95 = percentile(page.wall_ms, 0.95)
        worst = max(worst, page_p95)
        print(
            f"| {kind:<18} | {100 * found / count:4.0f}% | {results:7.0f} | "
            f"{statistics.median(selector.wall_ms):12.1f} | "
            f"{percentile(selector.wall_ms, 0.95):5.1f} | {statistics.median(page.wall_ms):8.1f} | "
            f"{page_p95:5.1f} | {max(page.wall_ms):5.1f} |"
        )
    print(
        "\nThe same without the time this process and its PostgreSQL backend waited for a CPU "
        "(other work on the machine):"
    )
    print("| key kind           | selector p50 |   p95 | page p50 |   p95 | waited p95 |")
    print("|--------------------|-------------:|------:|---------:|------:|-----------:|")
    for kind, _label, _count, _found, _results, selector, page in rows:
        print(
            f"| {kind:<18} | {statistics.median(selector.running_ms):12.1f} | "
            f"{percentile(selector.running_ms, 0.95):5.1f} | "
            f"{statistics.median(page.running_ms):8.1f} | "
            f"{percentile(page.running_ms, 0.95):5.1f} | "
            f"{percentile(page.queued_ms, 0.95):10.1f} |"
        )
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers (1000000)")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind (200)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database")
    parser.add_argument(
        "--reuse", action="store_true", help=f"measure a kept {BENCH_DB} again, without loading"
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE one query a kind")
    parser.add_argument(
        "--kinds",
        help="comma-separated key kinds to time (all): " + ", ".join(kind for kind, _ in KINDS),
    )
    args = parser.parse_args()

    maintenance_url, bench_url = bench_urls()
    if not args.reuse:
        recreate_database(maintenance_url)
    try:
        setup_django(bench_url)
        if args.reuse:
            queries = load_samples(args.queries)
            from waterdesk.customers.models import Customer

            n = Customer.objects.count()
        else:
            n = args.customers
            print(f"database {BENCH_DB} (created for this run): loading {n} customers …")
            drop_search_indexes()
            queries = build(n, args.queries)
            create_search_indexes()
        share_key_statistics()
        load = os.getloadavg()
        print(f"load average before measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if args.kinds:
            queries = {kind: queries[kind] for kind in args.kinds.split(",")}
        rows = measure(queries)
        if args.explain:
            explain(queries)
        worst = report(n, rows)
        load = os.getloadavg()
        print(f"load average after measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        if not (args.keep or args.reuse):
            from django.db import connections

            connections.close_all()
            recreate_database(maintenance_url, drop_only=True)
    print(f"result: customers={n} p95_ms_worst={worst:.1f}")


if __name__ == "__main__":
    main()

"""Benchmark of the nightly arrears classification on PostgreSQL (issue 11 §1).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/collection.py [N] [--keep] [--reuse] [--explain]

It never touches the database named in ``DATABASE_URL``: it only takes the server from it,
creates its own database ``waterdesk_bench_collection`` there (dropped first if it exists,
dropped again at the end unless ``--keep``; ``--reuse`` measures a kept one again without
loading), and migrates it.

It loads N accounts (default 1,000,000; customer, premise, account with ``COPY``) and, set-
based in SQL, a year of their ledger as of 10 January 2026:

- a monthly charge for each month of 2025 (issued two days after the month's end, due 20
  days later), 20–300 yuan, 1–5 thousand for 3 % of the accounts (businesses);
- 85 % of the accounts pay every bill, from 15 days before to 10 days after its due date
  (December's only when that day is past); 15 % stop paying from a month of the year
  (uniform), a third of those having paid part of the first unpaid bill since: arrears of
  every age from 19 to 353 days, small to large;
- a fifth of the payments name their bill (a bill-targeted payment); 0.3 % of the
  payments are reversed five days later (a bounced payment: the bill is owed again);
- exemptions (a hospital, a school, a vulnerable household, a bill dispute …) on 2 % of
  the accounts in arrears, a tenth of them expired, some revoked.

The secondary indexes are dropped for the load; the ledger's are built again after it
(the customers' search indexes are not: the classification reads none of them); then
``VACUUM ANALYZE`` and ``CHECKPOINT``. (Bills themselves are not loaded: the charges carry
bill ids, which is all the classification reads of a bill; the load skips the foreign-key
triggers.) It then times ``collection_classify(as_of=2026-01-10)`` in this process and
prints the figures; the last line is ``result: accounts=<N> seconds=<classification>``.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from common import bench_urls, copy_rows, create_database, drop_databases, fast_load  # noqa: E402
from common import setup_django as common_setup_django  # noqa: E402

BENCH_DB = "waterdesk_bench_collection"
AS_OF = date(2026, 1, 10)
SEED = 0.2026
OPENED = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)  # 2025-01-01 00:00 Shanghai


LOADED_TABLES = [
    "customers_customer",
    "customers_premise",
    "customers_account",
    "billing_ledgerentry",
]


def load_accounts(cursor, n: int) -> None:
    """N customers, premises and accounts, with ``COPY``."""
    from waterdesk.customers.models import SupplyZone

    zone, _created = SupplyZone.objects.get_or_create(code="bench", defaults={"name": "压测片区"})
    opened = OPENED.isoformat()
    step = 200_000
    for first in range(1, n + 1, step):
        customers, premises, accounts = io.StringIO(), io.StringIO(), io.StringIO()
        for index in range(first, min(first + step, n + 1)):
            customers.write(
                f"{index}\t{uuid.uuid4()}\tperson\t客户{index}\tB{index:017d}\t"
                f"1380000{index % 10000:04d}\t\t\tf\t[]\t\t{opened}\n"
            )
            premises.write(
                f"{index}\t{uuid.uuid4()}\t压测路{index}号\t城北区\t{zone.pk}\t{opened}\n"
            )
            accounts.write(
                f"{index}\t{uuid.uuid4()}\t{3000000000 + index}\t{index}\t{index}\tresidential\t"
                f"3\tactive\t\\N\t{opened}\t\\N\n"
            )
        copy_rows(
            cursor,
            "customers_customer",
            "id, public_id, kind, name, id_number, mobile, email, contact_address, "
            "is_vulnerable, notice_channels, wechat_openid, created_at",
            customers.getvalue(),
        )
        copy_rows(
            cursor,
            "customers_premise",
            "id, public_id, address, district, zone_id, created_at",
            premises.getvalue(),
        )
        copy_rows(
            cursor,
            "customers_account",
            "id, public_id, number, customer_id, premise_id, usage_category, household_size, "
            "status, route_id, opened_at, opened_by_id",
            accounts.getvalue(),
        )


LEDGER_SQL = [
    # Who pays how: 85 % on time; 15 % stop paying from a month (a third paid part since).
    """
    CREATE TEMP TABLE bench_profile AS
    SELECT id AS account_id,
           random() < 0.15 AS in_arrears,
           1 + floor(random() * 12)::int AS stop_month,
           random() < 0.33 AS paid_part,
           random() < 0.03 AS business
    FROM customers_account
    """,
    """
    CREATE TEMP TABLE bench_bill AS
    SELECT p.account_id, m AS month, (m - 1) * %(n)s + p.account_id AS bill_id,
           round((CASE WHEN p.business THEN 1000 + random() * 4000
                       ELSE 20 + random() * 280 END)::numeric, 2) AS amount,
           (make_date(2025, m, 1) + interval '1 month' + interval '1 day')::date AS issued,
           (make_date(2025, m, 1) + interval '1 month' + interval '21 days')::date AS due,
           p.in_arrears AND m >= p.stop_month AS unpaid,
           p.in_arrears AND p.paid_part AND m = p.stop_month AS part_paid
    FROM bench_profile p CROSS JOIN generate_series(1, 12) AS m
    """,
    # The charges, month by month as the bill runs wrote them.
    """
    INSERT INTO billing_ledgerentry (account_id, kind, amount, bill_id, posted_at, due_date,
        description, reference)
    SELECT account_id, 'charge', amount, bill_id,
           (issued + time '09:00') AT TIME ZONE 'Asia/Shanghai', due, '', ''
    FROM bench_bill ORDER BY month, account_id
    """,
    # The payments (posted by the day classified), in time order.
    """
    INSERT INTO billing_ledgerentry (account_id, kind, amount, bill_id, posted_at, due_date,
        description, reference)
    SELECT account_id, 'payment', -paid, CASE WHEN random() < 0.2 THEN bill_id END, posted,
           NULL, '', 'BENCH'
    FROM (
        SELECT account_id, bill_id,
               CASE WHEN part_paid THEN round((amount * (0.2 + random() * 0.6))::numeric, 2)
                    ELSE amount END AS paid,
               ((due + (floor(random() * 26)::int - 15)) + time '10:00'
                   + (random() * interval '8 hours')) AT TIME ZONE 'Asia/Shanghai' AS posted
        FROM bench_bill WHERE NOT unpaid OR part_paid
    ) AS paying
    WHERE posted < (%(as_of)s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
    ORDER BY posted
    """,
    # Bounced payments: reversed five days later, so the bill is owed again.
    """
    INSERT INTO billing_ledgerentry (account_id, kind, amount, bill_id, reverses_id, posted_at,
        due_date, description, reference)
    SELECT account_id, 'reversal', -amount, bill_id, id, posted_at + interval '5 days',
           ((posted_at + interval '5 days') AT TIME ZONE 'Asia/Shanghai')::date,
           '银行退票', reference
    FROM billing_ledgerentry
    WHERE kind = 'payment' AND random() < 0.003
      AND posted_at + interval '5 days'
          < (%(as_of)s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
    ORDER BY posted_at
    """,
    # Exemptions on 2 % of the accounts in arrears: a tenth expired, a twentieth revoked.
    """
    INSERT INTO collection_collectionexemption (account_id, kind, reason, starts_at, expires_at,
        created_at, revoked_at)
    SELECT account_id,
           (ARRAY['hospital', 'school', 'vulnerable_household', 'bill_dispute', 'complaint',
                  'instalment_plan', 'other'])[1 + floor(random() * 7)::int],
           '压测豁免', date '2025-06-01',
           CASE WHEN random() < 0.1 THEN date '2025-12-01' END, now(),
           CASE WHEN random() < 0.05 THEN now() END
    FROM bench_profile WHERE in_arrears AND random() < 0.02
    """,
]


def build(n: int) -> dict[str, float]:
    from django.db import connection, transaction

    timings = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        fast_load(cursor)
        cursor.execute("SET LOCAL work_mem = '256MB'")
        indexes = {}
        for table in LOADED_TABLES:
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(i.oid)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid = %s::regclass
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
                """,
                [table],
            )
            indexes[table] = cursor.fetchall()
            for name, _definition in indexes[table]:
                cursor.execute(f'DROP INDEX "{name}"')
        load_accounts(cursor, n)
        timings["accounts (COPY)"] = time.perf_counter() - started
        cursor.execute("SELECT setseed(%s)", [SEED])
        for statement in LEDGER_SQL:
            cursor.execute(statement, {"n": n, "as_of": AS_OF})
        timings["ledger (SQL)"] = time.perf_counter() - started - sum(timings.values())
        # The ledger's indexes are built again; the customers' search indexes are not (the
        # classification reads none of them, and they take minutes to build).
        for _name, definition in indexes["billing_ledgerentry"]:
            cursor.execute(definition)
        timings["indexes"] = time.perf_counter() - started - sum(timings.values())
        for table in ("customers_customer", "customers_premise", "customers_account"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    timings["commit"] = time.perf_counter() - started - sum(timings.values())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    timings["vacuum"] = time.perf_counter() - started - sum(timings.values())
    timings["total"] = time.perf_counter() - started
    print(
        "  setup: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()),
        flush=True,
    )
    return timings


def explain() -> None:
    """EXPLAIN ANALYZE of the classification's statements (rolled back)."""
    from django.db import connection, transaction

    from waterdesk.collection.classify import _end_of_day, classify_statements
    from waterdesk.collection.models import ClassificationRun

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        run = ClassificationRun.objects.create(started_at=datetime.now(UTC), as_of=AS_OF)
        cursor.execute("DELETE FROM collection_accountarrears")
        params = {
            "end": _end_of_day(AS_OF),
            "as_of": AS_OF,
            "run": run.pk,
            "now": datetime.now(UTC),
        }
        for statement in classify_statements("postgresql"):
            if statement.lstrip().startswith(("CREATE", "INSERT")):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                print("\n".join(line for (line,) in cursor.fetchall()), flush=True)
            else:
                cursor.execute(statement, params)
        transaction.set_rollback(True)


def measure() -> tuple[float, object]:
    from django.db import connection
    from django.db.models import Count, Sum

    from waterdesk.collection.classify import collection_classify
    from waterdesk.collection.models import AccountArrears

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_account")
        (accounts,) = cursor.fetchone()
        cursor.execute("SELECT kind, count(*) FROM billing_ledgerentry GROUP BY kind ORDER BY 1")
        kinds = cursor.fetchall()
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('billing_ledgerentry'))")
        (size,) = cursor.fetchone()
    print(
        f"  {accounts} accounts; ledger {sum(count for _kind, count in kinds)} entries "
        f"({', '.join(f'{kind} {count}' for kind, count in kinds)}; {size} with indexes)"
    )
    started = time.perf_counter()
    run = collection_classify(as_of=AS_OF)
    seconds = time.perf_counter() - started
    print(
        f"  classified as of {AS_OF}: {run.accounts_classified} accounts in arrears "
        f"({run.accounts_classified / accounts:.1%}) in {seconds:.2f} s "
        f"({accounts / seconds:,.0f} accounts/s)"
    )
    cells = (
        AccountArrears.objects.values("amount_band__name", "age_band__name", "strategy__name")
        .annotate(accounts=Count("pk"), overdue=Sum("overdue_amount"))
        .order_by("amount_band__lower", "age_band__min_days")
    )
    for cell in cells:
        print(
            f"    {cell['amount_band__name']:>10} × {cell['age_band__name']:<8} "
            f"→ {cell['strategy__name']:<5} {cell['accounts']:>8} accounts "
            f"{cell['overdue']:>14,.2f} yuan"
        )
    exempt = AccountArrears.objects.filter(is_exempt=True).count()
    print(f"    exempt: {exempt}")
    return seconds, accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="accounts (1000000)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the statement")
    parser.add_argument("--load-only", action="store_true", help="load (and keep), measure nothing")
    args = parser.parse_args()
    maintenance_url, bench_url = bench_urls(
        "bench/collection.py", "window functions and COPY", BENCH_DB
    )
    if not args.reuse:
        drop_databases(maintenance_url, BENCH_DB)
        create_database(maintenance_url, BENCH_DB)
    try:
        common_setup_django(bench_url)
        if not args.reuse:
            print(f"building {args.n} accounts …", flush=True)
            build(args.n)
        if args.load_only:
            return
        if args.explain:
            explain()
        seconds, accounts = measure()
    finally:
        if not (args.keep or args.reuse or args.load_only):
            from django.db import connections

            connections.close_all()
            drop_databases(maintenance_url, BENCH_DB)
    print(f"result: accounts={accounts} seconds={seconds:.2f}")


if __name__ == "__main__":
    main()

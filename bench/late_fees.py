"""The nightly late-fee posting on PostgreSQL (issue 11 §4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anydb .venv/bin/python bench/late_fees.py [N]

Creates its own database ``waterdesk_bench_fees`` (dropped at the end unless ``--keep``),
loads N accounts with a November read each, bills November
2025 for every account (one bill each, due 2025-12-22, 5.00 yuan a m³), then pays a third
of them in part (30 % on 2026-01-05) and a seventh in full (2026-01-10). It times
``late_fees_post`` for 2026-02-28 (the first run: every bill 2 months overdue), the same
day again (nothing more is posted) and the next day. The last line reads
``result: bills=<posted> seconds=<first run>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from common import bench_urls, create_database, drop_databases, setup_django

BENCH_DB = "waterdesk_bench_fees"


def load(n: int) -> None:
    """N accounts (customer, premise, meter) and a validated November read each, with the
    ORM's bulk inserts; bills, charges and payments set-based."""
    from django.db import connection, transaction
    from django.utils import timezone

    from waterdesk.billing.models import MeterRead, ReadingCycle
    from waterdesk.customers.models import Account, Customer, Meter, Premise, SupplyZone

    now = timezone.now()
    with transaction.atomic():
        zone, _created = SupplyZone.objects.get_or_create(code="bench", defaults={"name": "压测"})
        cycle = ReadingCycle.objects.create(
            code="2025-11",
            period_start=date(2025, 11, 1),
            period_end=date(2025, 11, 30),
            read_from=date(2025, 11, 1),
            read_to=date(2025, 11, 30),
        )
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    kind="person", name=f"客户{i}", id_number=f"B{i:017d}", mobile="13800000000"
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
        premises = Premise.objects.bulk_create(
            [Premise(address=f"压测路{i}号", district="城北区", zone=zone) for i in range(n)],
            batch_size=5000,
        )
        accounts = Account.objects.bulk_create(
            [
                Account(
                    number=f"{3000000000 + i}",
                    customer=customers[i],
                    premise=premises[i],
                    usage_category="residential",
                    opened_at=now,
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
        meters = Meter.objects.bulk_create(
            [
                Meter(serial=f"BM{i:010d}", size_dn=20, premise=premises[i], account=accounts[i])
                for i in range(n)
            ],
            batch_size=5000,
        )
        MeterRead.objects.bulk_create(
            [
                MeterRead(
                    account=accounts[i],
                    meter=meters[i],
                    cycle=cycle,
                    read_on=date(2025, 11, 30),
                    value=10 + i % 30,
                    consumption=5 + i % 30 + (i % 100) / 100,
                    source="amr",
                    status="validated",
                    entered_at=now,
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO billing_bill (id, public_id, number, account_id, kind, cycle_id,
                run_id, period_start, period_end, closing_read_id, volume, amount, issued_at,
                due_date)
            SELECT r.account_id, gen_random_uuid(), '202511-' || a.number, r.account_id,
                   'cycle', r.cycle_id, NULL, date '2025-11-01', r.read_on, r.id, r.consumption,
                   round(r.consumption * 5, 2), timestamptz '2025-12-02 09:00+08',
                   date '2025-12-22'
            FROM billing_meterread r JOIN customers_account a ON a.id = r.account_id
            ORDER BY r.account_id
            """
        )
        cursor.execute(
            """
            INSERT INTO billing_ledgerentry (account_id, kind, amount, bill_id, posted_at,
                due_date, description, reference)
            SELECT account_id, 'charge', amount, id, issued_at, due_date, '', number
            FROM billing_bill ORDER BY id
            """
        )
        cursor.execute(
            """
            INSERT INTO billing_ledgerentry (account_id, kind, amount, posted_at, description,
                reference, idempotency_key)
            SELECT account_id, 'payment', -round(amount * 0.3, 2),
                   timestamptz '2026-01-05 10:00+08', '', 'P' || id, 'bench-part-' || id
            FROM billing_bill WHERE id % 3 = 0
            UNION ALL
            SELECT account_id, 'payment', -amount, timestamptz '2026-01-10 10:00+08', '',
                   'F' || id, 'bench-full-' || id
            FROM billing_bill WHERE id % 7 = 0 AND id % 3 <> 0
            """
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('billing_ledgerentry', 'id'), "
            "(SELECT max(id) FROM billing_ledgerentry) + 1, false)"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(day: date):
    from datetime import datetime

    import time_machine

    from waterdesk.billing.services.late_fees import late_fees_post
    from waterdesk.core.timeutil import LOCAL_TZ

    with time_machine.travel(datetime(day.year, day.month, day.day, 0, 30, tzinfo=LOCAL_TZ)):
        started = time.perf_counter()
        result = late_fees_post(as_of=day)
        seconds = time.perf_counter() - started
    print(
        f"  as_of {day}: accounts={result.accounts} bills={result.bills_posted} "
        f"amount={result.amount_posted} seconds={seconds:.2f}",
        flush=True,
    )
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    maintenance, bench_url = bench_urls("bench/late_fees.py", "set-based SQL", BENCH_DB)
    drop_databases(maintenance, BENCH_DB)
    create_database(maintenance, BENCH_DB)
    try:
        setup_django(bench_url)
        started = time.perf_counter()
        load(options.n)
        print(f"  loaded {options.n} accounts in {time.perf_counter() - started:.1f} s")
        first, seconds = timed(date(2026, 2, 28))
        timed(date(2026, 2, 28))
        timed(date(2026, 3, 1))
        print(f"result: bills={first.bills_posted} seconds={seconds:.2f}")
    finally:
        if not options.keep:
            from django.db import connections

            connections.close_all()
            drop_databases(maintenance, BENCH_DB)


if __name__ == "__main__":
    main()

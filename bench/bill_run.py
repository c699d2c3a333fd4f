"""Benchmark of the bill run on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waterdesk \\
        .venv/bin/python bench/bill_run.py [N] [--sizes 50000,100000,200000] [--chunk-size 2000]
        [--no-history] [--profile] [--keep]

It never touches the database named in ``DATABASE_URL``: it only takes the server from it,
creates its own database ``waterdesk_bench`` there (dropped first if it exists, dropped
again at the end unless ``--keep``), and migrates it.

For each size N it builds, with ``COPY``: N residential accounts (customer, premise,
meter), each with a year of monthly validated reads (2025, 5–30 m³ a month with cents),
on the Beijing annual-tier tariff (0–180 / 180–260 / >260 m³ at 5 / 7 / 9 yuan, three
components). With history (the default) January–November are already billed — bills,
lines and charges generated set-based in SQL — so the run reads back the year-to-date
volume as in production. Then it times the bill run of December, in-process, every chunk
(plan + all chunks, wall clock), and, in the same database, a raw ``COPY`` of exactly the
bill and line rows the run wrote into scratch tables with the same columns, defaults and
indexes (``LIKE … INCLUDING ALL``; no foreign keys). It prints accounts per second and the
ratio raw COPY time ÷ run time (the run's write rate as a fraction of raw COPY's).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import random
import resource
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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

BENCH_DB = "waterdesk_bench"
SNAPSHOT_DB = "waterdesk_bench_snapshot"
YEAR = 2025
SEED = 2025
OPENED = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)  # 2025-01-01 00:00 Shanghai
DATA_TABLES = [
    "billing_ledgerentry",
    "billing_billline",
    "billing_bill",
    "billing_billrunchunk",
    "billing_billrun",
    "billing_meterread",
    "billing_accounttariff",
    "billing_readingcycle",
    "customers_meter",
    "customers_account",
    "customers_premise",
    "customers_customer",
]


# --- the bench database -------------------------------------------------------------------


def bench_urls() -> tuple[str, str]:
    return common_bench_urls(
        "bench/bill_run.py", "COPY, the production database", BENCH_DB, SNAPSHOT_DB
    )


def recreate_database(maintenance_url: str, *, drop_only: bool = False) -> None:
    drop_databases(maintenance_url, SNAPSHOT_DB, BENCH_DB)
    if not drop_only:
        create_database(maintenance_url, BENCH_DB)


def setup_django(bench_url: str) -> None:
    common_setup_django(bench_url)  # chunks run in this process


# --- data ---------------------------------------------------------------------------------


def month_end(month: int) -> date:
    return date(YEAR + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def reset_data(cursor) -> None:
    cursor.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")


def ensure_tariff() -> None:
    from waterdesk.billing.models import Tariff
    from waterdesk.billing.services import tariffs

    if Tariff.objects.filter(code="bench-beijing").exists():
        return
    tariff = tariffs.tariff_create(
        actor=None,
        code="bench-beijing",
        name="北京居民阶梯水价",
        usage_category="residential",
        is_default=True,
    )
    tariffs.tariff_version_create(
        actor=None,
        tariff=tariff,
        effective_from=date(2014, 5, 1),
        tier_basis="annual",
        household_base_size=4,
        tiers=[
            {"index": 1, "upper_bound": Decimal("180")},
            {"index": 2, "upper_bound": Decimal("260")},
            {"index": 3, "upper_bound": None},
        ],
        components=[
            {
                "kind": "water_supply",
                "name": "供水价格",
                "tier_prices": {1: Decimal("2.07"), 2: Decimal("4.07"), 3: Decimal("6.07")},
            },
            {"kind": "water_resource", "name": "水资源费", "flat_price": Decimal("1.57")},
            {"kind": "sewage", "name": "污水处理费", "flat_price": Decimal("1.36")},
        ],
    )


def build(n: int, *, history: bool) -> dict[str, float]:
    """N accounts with a year of reads (and bills for January–November with history)."""
    from django.db import connection, transaction

    from waterdesk.billing.models import ReadingCycle
    from waterdesk.customers.models import SupplyZone

    timings = {}
    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        fast_load(cursor)
        reset_data(cursor)
        zone, _created = SupplyZone.objects.get_or_create(
            code="bench", defaults={"name": "压测片区"}
        )
        for month in range(1, 13):
            ReadingCycle.objects.create(
                id=month,
                code=f"{YEAR}-{month:02d}",
                period_start=date(YEAR, month, 1),
                period_end=month_end(month),
                read_from=date(YEAR, month, 1),
                read_to=month_end(month),
                due_days=20,
            )
        opened = OPENED.isoformat()
        customers, premises, accounts, meters = (io.StringIO() for _ in range(4))
        reads = io.StringIO()
        for index in range(1, n + 1):
            customers.write(
                f"{index}\t{uuid.uuid4()}\tperson\t客户{index}\tB{index:017d}\t"
                f"1380000{index % 10000:04d}\t\t\tf\t{opened}\n"
            )
            premises.write(
                f"{index}\t{uuid.uuid4()}\t压测路{index}号\t城北区\t{zone.pk}\t{opened}\n"
            )
            accounts.write(
                f"{index}\t{uuid.uuid4()}\t{3000000000 + index}\t{index}\t{index}\tresidential\t"
                f"{rng.randint(1, 6)}\tactive\t\\N\t{opened}\t\\N\n"
            )
            meters.write(
                f"{index}\tBM{index:010d}\t20\tinstalled\t{index}\t{index}\t{opened}\t0\t99999\n"
            )
        # Reads month by month, as a reading cycle enters them: all of January, then all of
        # February … (so a cycle's reads share heap pages, as in production).
        values = [0] * (n + 1)
        for month in range(1, 13):
            day = month_end(month).isoformat()
            for index in range(1, n + 1):
                cents = rng.randint(500, 3000)
                values[index] += cents
                value = values[index]
                read_id = (month - 1) * n + index
                previous = "\\N" if month == 1 else str(read_id - n)
                reads.write(
                    f"{read_id}\t{index}\t{index}\t{month}\t{day}\t"
                    f"{value // 100}.{value % 100:02d}\tactual\tamr\tvalidated\t{previous}\t"
                    f"{cents // 100}.{cents % 100:02d}\t[]\t\t\\N\t\\N\t{opened}\t\\N\t\\N\t\n"
                )
        timings["generate"] = time.perf_counter() - started
        copy_rows(
            cursor,
            "customers_customer",
            "id, public_id, kind, name, id_number, mobile, email, contact_address, "
            "is_vulnerable, created_at",
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
        copy_rows(
            cursor,
            "customers_meter",
            "id, serial, size_dn, state, premise_id, account_id, installed_at, "
            "initial_reading, max_reading",
            meters.getvalue(),
        )
        copy_rows(
            cursor,
            "billing_meterread",
            "id, account_id, meter_id, cycle_id, read_on, value, kind, source, status, "
            "previous_id, consumption, issues, note, import_batch_id, entered_by_id, "
            "entered_at, reviewed_by_id, reviewed_at, review_note",
            reads.getvalue(),
        )
        timings["copy"] = time.perf_counter() - started - timings["generate"]
        if history:
            build_history(cursor)
        timings["history"] = time.perf_counter() - started - timings["generate"] - timings["copy"]
        for table in (
            "customers_customer",
            "customers_premise",
            "customers_account",
            "customers_meter",
            "billing_meterread",
            "billing_bill",
            "billing_billline",
            "billing_ledgerentry",
            "billing_readingcycle",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    timings["commit"] = time.perf_counter() - started - sum(timings.values())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, days after the reads
        cursor.execute("CHECKPOINT")
    timings["vacuum"] = time.perf_counter() - started - sum(timings.values())
    timings["total"] = time.perf_counter() - started
    print(
        "  setup: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()),
        flush=True,
    )
    return timings


def build_history(cursor) -> None:
    """Bills, lines and charges of January–November, set-based (what earlier runs wrote)."""
    cursor.execute("SELECT count(*) FROM customers_account")
    (accounts,) = cursor.fetchone()
    cursor.execute(
        """
        CREATE TEMP TABLE bench_history ON COMMIT DROP AS
        SELECT *, volume - t1 - t2 AS t3,
               round(t1 * 2.07, 2) + round(t2 * 4.07, 2) + round((volume - t1 - t2) * 6.07, 2)
               + round(volume * 1.57, 2) + round(volume * 1.36, 2) AS amount
        FROM (
            SELECT *,
                   greatest(0, least(before + volume, 180) - least(before, 180)) AS t1,
                   greatest(0, least(before + volume, 260) - greatest(before, 180)) AS t2
            FROM (
                SELECT r.id AS read_id, r.account_id, r.cycle_id AS month, r.read_on,
                       (r.cycle_id - 1) * %s + r.account_id AS bill_id,
                       r.consumption AS volume,
                       COALESCE(sum(r.consumption) OVER (PARTITION BY r.account_id
                            ORDER BY r.read_on
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
                FROM billing_meterread r WHERE r.cycle_id <= 11
            ) AS reads
        ) AS tiers
        """,
        [accounts],
    )
    cursor.execute(
        """
        INSERT INTO billing_bill (id, public_id, number, account_id, kind, cycle_id, run_id,
            period_start, period_end, closing_read_id, volume, amount, issued_at, due_date)
        SELECT h.bill_id, gen_random_uuid(),
               to_char(h.read_on, 'YYYYMM') || '-' || a.number, h.account_id, 'cycle',
               h.month, NULL, date_trunc('month', h.read_on)::date, h.read_on, h.read_id,
               h.volume, h.amount, h.read_on + 2, h.read_on + 22
        FROM bench_history h JOIN customers_account a ON a.id = h.account_id
        ORDER BY h.bill_id
        """
    )
    cursor.execute(
        """
        INSERT INTO billing_billline (bill_id, component_kind, component_name, tier_index,
            period_start, period_end, volume, unit_price, amount)
        SELECT * FROM (
            SELECT bill_id, 'water_supply', '供水价格', tier, date_trunc('month', read_on)::date,
                   read_on, portion, price, round(portion * price, 2)
            FROM bench_history,
                 LATERAL (VALUES (1, t1, 2.07), (2, t2, 4.07), (3, t3, 6.07))
                     AS t(tier, portion, price)
            WHERE portion > 0
            UNION ALL
            SELECT bill_id, 'water_resource', '水资源费', NULL, date_trunc('month', read_on)::date,
                   read_on, volume, 1.57, round(volume * 1.57, 2) FROM bench_history
            UNION ALL
            SELECT bill_id, 'sewage', '污水处理费', NULL, date_trunc('month', read_on)::date,
                   read_on, volume, 1.36, round(volume * 1.36, 2) FROM bench_history
        ) AS lines ORDER BY 1
        """
    )
    cursor.execute(
        """
        INSERT INTO billing_ledgerentry (account_id, kind, amount, bill_id, posted_at, due_date,
            description, reference)
        SELECT b.account_id, 'charge', b.amount, b.id, b.issued_at, b.due_date, '', b.number
        FROM billing_bill b ORDER BY b.id
        """
    )


# --- measuring ----------------------------------------------------------------------------


def _worker_main(bench_url: str, tasks, done) -> None:
    """A worker process (like a Celery worker): takes chunk ids until it gets None."""
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waterdesk.config.settings")
    import django

    django.setup()
    from waterdesk.billing.services.bill_run import bill_run_process_chunk

    while (chunk_id := tasks.get()) is not None:
        chunk = bill_run_process_chunk(chunk_id=chunk_id)
        done.put(chunk.status if chunk is not None else None)


class WorkerPool:
    """N worker processes started before the clock runs, as Celery workers would be."""

    def __init__(self, size: int, bench_url: str):
        context = multiprocessing.get_context("spawn")
        self.tasks = context.Queue()
        self.done = context.Queue()
        self.processes = [
            context.Process(target=_worker_main, args=(bench_url, self.tasks, self.done))
            for _ in range(size)
        ]
        for process in self.processes:
            process.start()

    def run(self, chunk_ids: list[int], on_chunk) -> None:
        for chunk_id in chunk_ids:
            self.tasks.put(chunk_id)
        for _ in chunk_ids:
            self.done.get()
            on_chunk(None)

    def close(self) -> None:
        for _ in self.processes:
            self.tasks.put(None)
        for process in self.processes:
            process.join()


def time_run(
    chunk_size: int, *, threads: int, pool: WorkerPool | None, profile: bool, progress: bool
) -> tuple[float, object, object]:
    """Plan, start and work the run of December: in this process with ``threads`` threads,
    or with the worker processes of ``pool``. Wall clock from planning to completion."""
    from waterdesk.billing.models import BillRunStatus, ReadingCycle
    from waterdesk.billing.selectors.bills import bill_run_progress
    from waterdesk.billing.services.bill_run import bill_run_create, bill_run_start, bill_run_work

    cycle = ReadingCycle.objects.get(code=f"{YEAR}-12")
    profiler = cProfile.Profile() if profile else None
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = bill_run_create(actor=None, cycle=cycle, chunk_size=chunk_size)
    run = bill_run_start(run=run, enqueue=False)

    def report(_chunk):
        if progress:
            done = bill_run_progress(run)
            elapsed = time.perf_counter() - started
            sys.stderr.write(
                f"\r  {done.processed:>8}/{run.total_accounts} accounts  "
                f"{done.processed / elapsed:8.0f}/s"
            )

    if pool is not None:
        pool.run(list(run.chunks.order_by("index").values_list("pk", flat=True)), report)
    run = bill_run_work(run=run, on_chunk=report, threads=threads)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    python_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    if profiler:
        profiler.disable()
    if progress:
        sys.stderr.write("\n")
    where = f"{len(pool.processes)} worker processes" if pool else f"{threads} thread(s)"
    print(f"  run ({where}): {elapsed:.2f} s wall, {python_cpu:.2f} s CPU in this process")
    if run.status != BillRunStatus.COMPLETED:
        sys.exit(f"the bill run ended {run.status}")
    return elapsed, run, profiler


def time_raw_copy(run) -> tuple[float, int, int]:
    """COPY the run's bill and line rows, exported to memory first, into scratch tables with
    the same columns, defaults and indexes."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_bill, bench_copy_line")
        cursor.execute("CREATE TABLE bench_copy_bill (LIKE billing_bill INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_copy_line (LIKE billing_billline INCLUDING ALL)")
        exports = []
        for query in (
            f"COPY (SELECT * FROM billing_bill WHERE run_id = {run.pk}) TO STDOUT",
            "COPY (SELECT l.* FROM billing_billline l JOIN billing_bill b ON b.id = l.bill_id "
            f"WHERE b.run_id = {run.pk}) TO STDOUT",
        ):
            buffer = io.BytesIO()
            with cursor.copy(query) as copy:
                for data in copy:
                    buffer.write(data)
            exports.append(buffer.getvalue())
        cursor.execute("CHECKPOINT")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, data in zip(("bench_copy_bill", "bench_copy_line"), exports, strict=True):
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(data)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_copy_bill")
        bills = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_copy_line")
        lines = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy_bill, bench_copy_line")
    return elapsed, bills, lines


def print_profile(profiler) -> None:
    stats = pstats.Stats(profiler)
    print("\nProfile of the largest run (top 30 by own time):")
    stats.sort_stats("tottime").print_stats(30)
    print("Top 30 by cumulative time:")
    stats.sort_stats("cumulative").print_stats(30)


def snapshot(maintenance_url: str) -> None:
    """Copy the freshly built database, so that every mode starts from the same state."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SNAPSHOT_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SNAPSHOT_DB} TEMPLATE {BENCH_DB} STRATEGY FILE_COPY")


def restore(maintenance_url: str) -> None:
    import psycopg
    from django.db import connection, connections

    connections.close_all()
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB} TEMPLATE {SNAPSHOT_DB} STRATEGY FILE_COPY")
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=200_000, help="accounts (200000)")
    parser.add_argument("--sizes", help="comma-separated sizes, e.g. 50000,100000,200000")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument(
        "--modes",
        default="threads,processes",
        help="how the chunks are worked, comma-separated: threads (in this process, "
        "--threads of them), processes (--processes worker processes, as Celery workers)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads in-process (2)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--no-history", action="store_true", help="January–November unbilled")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest run")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else [args.n]
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or set(modes) - {"threads", "processes"}:
        sys.exit("--modes takes threads and/or processes")

    maintenance_url, bench_url = bench_urls()
    print(
        f"database {BENCH_DB} (created for this run), chunk size {args.chunk_size}, "
        f"history {'Jan–Nov billed' if not args.no_history else 'none'}"
    )
    recreate_database(maintenance_url)
    try:
        setup_django(bench_url)
        ensure_tariff()
        results = []
        profiler = None
        for size in sizes:
            print(f"building {size} accounts …", flush=True)
            build_times = build(size, history=not args.no_history)
            if len(modes) > 1:
                snapshot(maintenance_url)
            for position, mode in enumerate(modes):
                if position:
                    restore(maintenance_url)
                pool = WorkerPool(args.processes, bench_url) if mode == "processes" else None
                # cProfile sees only the thread it runs in: the profiled run has one thread.
                profile = args.profile and size == max(sizes) and mode == "threads"
                threads = 1 if profile else args.threads
                try:
                    run_seconds, run, run_profiler = time_run(
                        args.chunk_size,
                        threads=threads,
                        pool=pool,
                        profile=profile,
                        progress=not args.quiet,
                    )
                finally:
                    if pool is not None:
                        pool.close()
                profiler = run_profiler or profiler
                copy_seconds, bills, lines = time_raw_copy(run)
                label = (
                    f"{args.processes} processes"
                    if mode == "processes"
                    else f"{threads} thread{'s' if threads > 1 else ''}"
                )

                results.append(
                    (
                        size,
                        build_times["total"],
                        label,
                        run,
                        run_seconds,
                        bills,
                        lines,
                        copy_seconds,
                    )
                )
        print()
        header = (
            f"{'accounts':>9} {'setup s':>8} {'worked by':>12} {'billed':>8} {'bills':>8} "
            f"{'lines':>8} {'run s':>7} {'acc/s':>7} {'raw COPY s':>10} {'COPY/run':>8}"
        )
        print(header)
        print("-" * len(header))
        for size, setup, label, run, run_seconds, bills, lines, copy_seconds in results:
            print(
                f"{size:>9} {setup:>8.1f} {label:>12} {run.billed_accounts:>8} {bills:>8} "
                f"{lines:>8} {run_seconds:>7.2f} {size / run_seconds:>7.0f} "
                f"{copy_seconds:>10.2f} {copy_seconds / run_seconds:>8.2f}"
            )
        print(
            "\nacc/s: accounts billed per second, wall clock of the whole run (plan + every "
            "chunk).\nCOPY/run: time of a raw COPY of the same bill + line rows ÷ run time "
            "(target ≥ 0.2; accounts/s target ≥ 3000).\nthreads: in this process (the "
            "embedded mode and the CLI); processes: worker processes taking the chunks as "
            "Celery workers do (the scaled mode)."
        )
        if profiler is not None:
            print_profile(profiler)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(maintenance_url, drop_only=True)


if __name__ == "__main__":
    main()

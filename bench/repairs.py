"""Benchmark of the repair hotline's intake API and the dispatcher's board on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/repairs.py [--closed 2000000] [--open 20000] [--reports 1500]
        [--clients 16] [--board-requests 100] [--workers 4] [--board-only] [--keep] [--reuse]
        [--explain]

It never touches the database named in ``DATABASE_URL``: it takes the server from it,
creates its own database ``waterdesk_bench_repairs`` (dropped first, and at the end unless
``--keep``; ``--reuse`` measures a kept one again without loading) and migrates it.

It loads with ``COPY`` (rows generated in this process, foreign-key triggers off):

- premises with coordinates spread over the city, each in one of 12 supply zones (a grid);
- the fault catalogue (the seeded one, or the benchmark's seven types), the repair SLA
  policies, 40 crews of three members, and the on-call roster (six crews per 12-hour shift
  from 30 days ago to 2 days ahead);
- ``--closed`` repairs over the last two years (4 % cancelled, the rest completed, followed
  up and closed; 3 % of these failed by a repeat), oldest first, each a case, its repair,
  its caller and — unless cancelled — the crew's signed-off work order;
- ``--open`` repairs of the last three days: 15 % awaiting dispatch, 35 % dispatched,
  15 % on site, 35 % completed waiting for the follow-up call, a third of them with more
  than one caller, their SLA clocks (running, met) and the open work orders of those sent
  out;

then ``VACUUM ANALYZE`` and ``CHECKPOINT``. It starts the scaled mode on this machine —
gunicorn (sync workers, production settings: DEBUG off; ``WATERDESK_BENCH_VIEWS=1`` mounts
``/bench/ping/`` to know when it is up) with tasks sent to Redis (``REDIS_URL``; its
database is emptied first) — and measures:

1. the dispatcher's board ``/desk/repairs/board/`` as a logged-in dispatcher (a session
   cookie), ``--board-requests`` times one after the other (p50 / p95), and its htmx refresh;
2. hotline intake ``POST /api/repairs/`` with a hotline agent's API token from
   ``--clients`` concurrent clients: ``--reports`` reports, 30 % at the premise of an open
   repair of the same fault reported in the last 20 hours (duplicate detection must answer
   409 ``duplicate_suspected`` with candidates; half are then sent again with ``link_to``
   — 200 — and half with ``confirm_new`` — 201), the rest at other premises (201, or 409
   and then ``confirm_new``: a zone-wide fault in a zone that has one open). Every answer
   must be the expected one, and the repairs and callers written must add up.

``--board-only`` measures the board alone (no Redis needed). The last line reads
``result: p99_ms=<intake p99> board_ms=<board p95>`` (intake ``n/a`` with ``--board-only``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from common import (  # noqa: E402
    bench_urls,
    create_database,
    drop_databases,
    gunicorn_start,
    setup_django,
)
from repairs_load import (  # noqa: E402
    SEED,
    fault_catalogue,
    load,
    refresh_kept,
    targets_of_kept,
)

BENCH_DB = "waterdesk_bench_repairs"
PORT = 8766
PING_PATH = "/bench/ping/"
BOARD_PATH = "/desk/repairs/board/"
INTAKE_PATH = "/api/repairs/"


def vacuum() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (size,) = cursor.fetchone()
    print(
        f"  VACUUM ANALYZE, CHECKPOINT: {time.perf_counter() - started:.0f} s; database {size}",
        flush=True,
    )


# --- the server -----------------------------------------------------------------------


def _server_env(bench_url: str, redis_url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "waterdesk.config.settings",
        "WATERDESK_BENCH_VIEWS": "1",
        # The scaled mode: periodic jobs are Celery beat's on another machine, not the web's.
        "WATERDESK_INPROCESS_SCHEDULER": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "REDIS_URL": redis_url,
    }
    env.pop("DEBUG", None)
    return env


SERVER_LOG = ROOT / "var" / "bench_repairs_server.log"


def start_server(bench_url: str, redis_url: str, workers: int) -> subprocess.Popen:
    """gunicorn, its output in ``SERVER_LOG`` (django.request logs every 409 of the
    duplicate reports as a warning)."""
    SERVER_LOG.parent.mkdir(exist_ok=True)
    return gunicorn_start(
        env=_server_env(bench_url, redis_url),
        workers=workers,
        port=PORT,
        ready_path=PING_PATH,
        log=SERVER_LOG.open("w"),
    )


async def _request(method: str, path: str, headers: dict, body: bytes = b""):
    """(status, body, seconds) of one request on its own connection."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    seconds = time.perf_counter() - started
    head_part, _sep, content = response.partition(b"\r\n\r\n")
    return int(head_part.split(b" ", 2)[1]), content, seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * share) - 1)]


# --- the board ------------------------------------------------------------------------


def dispatcher_cookie(user) -> str:
    """A logged-in session of the dispatcher, as the browser holds it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _queued_ns(pid: int) -> int:
    """Nanoseconds the process has waited on the run queue for a CPU (other work)."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _server_pids(server: subprocess.Popen) -> list[int]:
    """The gunicorn workers and the PostgreSQL backends of the bench database (they stay
    connected: CONN_MAX_AGE), and this process."""
    from django.db import connection

    with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
        workers = [int(pid) for pid in children.read().split()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return [os.getpid(), *workers, *backends]


def measure_board(server, cookie: str, requests: int, expected_total: int) -> float:
    """The board page (and its htmx refresh) ``requests`` times, one after the other; p50 /
    p95 as measured, and without the time the server's processes waited for a CPU."""
    wanted = f"在办报修 {expected_total} 件"

    def run(extra: dict, count: int, pids: list[int]) -> tuple[list[float], list[float]]:
        wall, running = [], []
        for _ in range(count):
            queued = sum(_queued_ns(pid) for pid in pids)
            status, content, seconds = asyncio.run(
                _request("GET", BOARD_PATH, {"Cookie": cookie, **extra})
            )
            queued = sum(_queued_ns(pid) for pid in pids) - queued
            if status != 200:
                sys.exit(f"the board answered {status}: {content[:300]!r}")
            if wanted not in content.decode():
                sys.exit(f"the board does not say {wanted!r}")
            wall.append(seconds * 1000)
            running.append(seconds * 1000 - queued / 1e6)
        return wall, running

    run({}, 20, [])  # warm-up: every worker's first requests, its connection
    pids = _server_pids(server)
    results = {}
    for label, extra in (("board page", {}), ("board refresh (htmx)", {"HX-Request": "true"})):
        wall, running = run(extra, requests, pids)
        results[label] = percentile(wall, 0.95)
        print(
            f"{label}: {requests} requests one after the other, p50 "
            f"{statistics.median(wall):.1f} ms, p95 {percentile(wall, 0.95):.1f} ms, max "
            f"{max(wall):.1f} ms; without waiting for a CPU: p50 "
            f"{statistics.median(running):.1f} ms, p95 {percentile(running, 0.95):.1f} ms"
        )
    return results["board page"]


def explain_board() -> None:
    """EXPLAIN ANALYZE of the board's queries (in this process)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from waterdesk.repairs.selectors.board import repair_board

    repair_board(now=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        repair_board(now=timezone.now())
        took = (time.perf_counter() - started) * 1000
    print(f"board selector: {len(queries.captured_queries)} queries, {took:.1f} ms")
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the board's transaction has it
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        for query in queries.captured_queries:
            if not query["sql"].startswith("SELECT"):
                continue  # the transaction and its settings
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
            print(f"--- {query['time']} s  {query['sql'][:160]}")
            print("\n".join(plan))


# --- intake ---------------------------------------------------------------------------


def intake_jobs(targets: list[dict], reports: int) -> list[dict]:
    """``reports`` reports: 30 % duplicates of an open repair (half linked, half confirmed
    new), the rest at random premises."""
    from waterdesk.customers.models import Premise

    rng = random.Random(SEED + 1)
    premises = dict(Premise.objects.values_list("id", "public_id"))
    addresses = dict(Premise.objects.values_list("id", "address"))
    faults = fault_catalogue()
    weights = [fault["share"] for fault in faults]
    jobs = []
    for index in range(reports):
        duplicate = rng.random() < 0.3 and targets
        if duplicate:
            target = rng.choice(targets)
            premise_id, fault = target["premise_id"], target["fault"]
        else:
            premise_id = rng.randint(1, len(premises))
            fault = rng.choices(faults, weights)[0]["code"]
        body = {
            "channel": "phone",
            "contact_name": f"来电{index}",
            "contact_phone": f"137{index:08d}",
            "address": addresses[premise_id],
            "premise": str(premises[premise_id]),
            "fault_type": fault,
            "description": "热线来电报修",
        }
        if rng.random() < 0.03:
            body["green_channel_reason"] = "独居老人"
        jobs.append(
            {
                "body": body,
                "duplicate": bool(duplicate),
                "then": "link" if duplicate and index % 2 == 0 else "confirm",
            }
        )
    return jobs


async def _intake_job(job: dict, token: str, record) -> None:
    headers = {"Authorization": f"Token {token}", "Accept-Language": "zh-hans"}
    body = job["body"]
    status, content, seconds = await _request(
        "POST", INTAKE_PATH, headers, json.dumps(body).encode()
    )
    record(status, seconds)
    if job["duplicate"] and status != 409:
        raise AssertionError(f"a duplicate report got {status}, want 409: {content[:300]!r}")
    if status == 201:
        return
    if status != 409:
        raise AssertionError(f"a report got {status}: {content[:300]!r}")
    answer = json.loads(content)
    candidates = answer.get("details", {}).get("candidates", [])
    if answer.get("code") != "duplicate_suspected" or not candidates:
        raise AssertionError(f"a 409 without candidates: {answer!r}")
    if job["then"] == "link" and job["duplicate"]:
        again = {**body, "link_to": candidates[0]["public_id"]}
        want = 200
    else:
        again = {**body, "confirm_new": True}
        want = 201
    status, content, seconds = await _request(
        "POST", INTAKE_PATH, headers, json.dumps(again).encode()
    )
    record(status, seconds)
    if status != want:
        raise AssertionError(f"a report sent again got {status}, want {want}: {content[:300]!r}")


def run_intake(jobs: list[dict], token: str, clients: int):
    statuses: list[int] = []
    latencies: list[float] = []

    def record(status, seconds):
        statuses.append(status)
        latencies.append(seconds * 1000)

    async def main():
        queue = list(reversed(jobs))

        async def client():
            while queue:
                await _intake_job(queue.pop(), token, record)

        await asyncio.gather(*(client() for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    return statuses, latencies, time.perf_counter() - started


def measure_intake(targets, token: str, reports: int, clients: int) -> float:
    from waterdesk.repairs.models import Repair, RepairContact

    warm = 100
    jobs = intake_jobs(targets, reports + warm)
    run_intake(jobs[:warm], token, clients)
    repairs_before, contacts_before = Repair.objects.count(), RepairContact.objects.count()
    statuses, latencies, elapsed = run_intake(jobs[warm:], token, clients)
    created, linked = statuses.count(201), statuses.count(200)
    conflicts = statuses.count(409)
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(
        f"intake: {reports} reports, {len(latencies)} requests in {elapsed:.2f} s, "
        f"{len(latencies) / elapsed:.0f} requests/s; p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies):.1f} ms; 201 new {created}, 409 duplicate suspected "
        f"{conflicts}, 200 linked {linked}"
    )
    added_repairs = Repair.objects.count() - repairs_before
    added_contacts = RepairContact.objects.count() - contacts_before
    assert created == added_repairs, (created, added_repairs)
    assert created + linked == added_contacts, (created + linked, added_contacts)
    print(
        f"checked: {added_repairs} repairs and {added_contacts} callers written, one per "
        "201 and one per 201 or 200"
    )
    return p99


# --- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--closed", type=int, default=2_000_000)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--premises", type=int, default=0, help="default: closed ÷ 8")
    parser.add_argument("--reports", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--board-requests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--board-only", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    redis_url = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
    subprocess.run(
        [sys.executable, "-c", f"import redis; redis.Redis.from_url({redis_url!r}).flushdb()"],
        check=True,
    )
    maintenance, bench_url = bench_urls(
        "bench/repairs.py", "the board's plans and the intake's locks are PostgreSQL's", BENCH_DB
    )
    if not args.reuse:
        drop_databases(maintenance, BENCH_DB)
        create_database(maintenance, BENCH_DB)
    setup_django(bench_url, collect_static=True)
    print(f"machine: {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}")
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from waterdesk.repairs.models import Repair
    from waterdesk.repairs.selectors.board import OPEN_STATUSES

    if args.reuse:
        refresh_kept()
        targets = targets_of_kept()
    else:
        premises = args.premises or max(1000, args.closed // 8)
        targets = load(closed=args.closed, open_=args.open, premises=premises)
        vacuum()
    dispatcher = get_user_model().objects.get(username="bench-dispatcher")
    token = Token.objects.get(user__username="bench-hotline").key
    open_total = Repair.objects.filter(case__status__in=OPEN_STATUSES).count()
    if args.explain:
        explain_board()
    cookie = dispatcher_cookie(dispatcher)
    from django.db import connections

    connections.close_all()
    print(
        f"gunicorn: {args.workers} sync workers (log: {SERVER_LOG.relative_to(ROOT)}); "
        f"clients: {args.clients}; open repairs {open_total}"
    )
    server = start_server(bench_url, redis_url, args.workers)
    try:
        board_p95 = measure_board(server, cookie, args.board_requests, open_total)
        intake_p99 = None
        if not args.board_only:
            intake_p99 = measure_intake(targets, token, args.reports, args.clients)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    connections.close_all()
    if not args.keep:
        drop_databases(maintenance, BENCH_DB)
    intake = "n/a" if intake_p99 is None else f"{intake_p99:.1f}"
    print(f"result: p99_ms={intake} board_ms={board_p95:.1f}")


if __name__ == "__main__":
    main()

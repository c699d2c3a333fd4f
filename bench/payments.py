"""Benchmark of the gateways' callback endpoint against a running server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/payments.py [--clients 32] [--callbacks 4000] [--workers 4]
        [--celery-workers 0] [--keep]

It never touches the database named in ``DATABASE_URL``: it takes the server from it, creates
its own database ``waterdesk_bench_payments`` (dropped first, and at the end unless
``--keep``) and migrates it. It prepares accounts and one open sandbox order per callback,
starts the scaled mode on this machine — gunicorn (sync workers, production settings: DEBUG
off, ``WATERDESK_BENCH_VIEWS=1`` mounts the bare view ``/bench/ping/``) and Celery on the
Redis of ``REDIS_URL`` (its database is emptied first) — and with ``--clients`` concurrent
clients (asyncio, one connection per request, as a gateway calls) measures:

1. the bare Django JSON view ``/bench/ping/`` (requests per second, latency);
2. signed sandbox callbacks to ``/api/payments/gateways/sandbox/notify/``, each a distinct
   order and transaction id, signed before the clock starts. A callback is answered once its
   verified notification is stored, matched to its order and amount;
3. the worker's part: posting every notification (``payment_record``, the ledger, the order
   paid) and each payment's follow-ups (the received notice, written to the outbox and sent
   by e-mail through Django's dummy backend). By default the worker starts after the last
   callback, as a burst meets workers on other machines, and its time to drain is measured;
   ``--celery-workers N`` runs N worker processes on these two cores during the callbacks.

Every callback must be answered 200, post exactly one payment and every payment have its
received notice (checked at the end, once the worker has drained its queue). The last line
reads ``result: clients=<n> p99_ms=<callback p99> ratio=<callbacks/s ÷ bare view req/s>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
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

BENCH_DB = "waterdesk_bench_payments"
SECRET = "bench-only-sandbox-secret"
PORT = 8765
ACCOUNTS = 200
AMOUNT = Decimal("42.50")
NOTIFY_PATH = "/api/payments/gateways/sandbox/notify/"
PING_PATH = "/bench/ping/"


def prepare(callbacks: int) -> list[tuple[bytes, str]]:
    """Accounts and one open order per callback; the signed notifications to send."""
    from django.utils import timezone

    from waterdesk.customers.models import Account, Customer, Premise, SupplyZone
    from waterdesk.payments.gateways.sandbox import sandbox_notification
    from waterdesk.payments.models import PaymentOrder

    zone = SupplyZone.objects.create(code="bench", name="压测片区")
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            kind="person",
            name=f"压测客户{i}",
            id_number=f"BENCH{i:08d}",
            email=f"bench{i}@waterdesk.test",
        )
        for i in range(ACCOUNTS)
    )
    premises = Premise.objects.bulk_create(
        Premise(address=f"压测路{i}号", district="城北区", zone=zone) for i in range(ACCOUNTS)
    )
    accounts = Account.objects.bulk_create(
        Account(
            number=f"9{i:09d}",
            customer=customer,
            premise=premise,
            usage_category="residential",
            opened_at=now,
        )
        for i, (customer, premise) in enumerate(zip(customers, premises, strict=True))
    )
    orders = PaymentOrder.objects.bulk_create(
        PaymentOrder(
            out_trade_no=f"BENCH{i:010d}",
            gateway="sandbox",
            account=accounts[i % ACCOUNTS],
            amount=AMOUNT,
            created_at=now,
            expires_at=now + timezone.timedelta(hours=2),
        )
        for i in range(callbacks)
    )
    signed = []
    for i, order in enumerate(orders):
        body, headers = sandbox_notification(
            out_trade_no=order.out_trade_no,
            transaction_id=f"SBXBENCH{i:010d}",
            amount=order.amount,
            paid_at=now,
        )
        signed.append((body, headers["X-Sandbox-Signature"]))
    return signed


def _server_env(bench_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "waterdesk.config.settings",
        "WATERDESK_BENCH_VIEWS": "1",
        "WATERDESK_SANDBOX_PAY_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
        "REDIS_URL": os.environ["REDIS_URL"],
        # The received notices go by e-mail (no quiet hours: the run is the same at any
        # hour); the SMTP server is the outside world, here Django's dummy backend.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def start_worker(bench_url: str, concurrency: int) -> subprocess.Popen:
    env = _server_env(bench_url)
    env.pop("DEBUG", None)
    return subprocess.Popen(
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "waterdesk.config",
            "worker",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=ROOT,
    )


def start_server(bench_url: str, workers: int) -> subprocess.Popen:
    env = _server_env(bench_url)
    env.pop("DEBUG", None)
    return gunicorn_start(env=env, workers=workers, port=PORT, ready_path=PING_PATH)


async def _request(path: str, body: bytes | None, signature: str | None) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    if body is None:
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        writer.write(head.encode())
    else:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Sandbox-Signature: {signature}\r\n\r\n"
        )
        writer.write(head.encode() + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    status = int(response.split(b" ", 2)[1])
    return status, time.perf_counter() - started


async def _load(clients: int, jobs: list) -> tuple[list[float], list[int], float]:
    queue = list(reversed(jobs))
    latencies: list[float] = []
    statuses: list[int] = []

    async def client():
        while queue:
            path, body, signature = queue.pop()
            status, seconds = await _request(path, body, signature)
            statuses.append(status)
            latencies.append(seconds)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, statuses, time.perf_counter() - started


def measure(label: str, clients: int, jobs: list) -> tuple[float, float, list[int]]:
    latencies, statuses, elapsed = asyncio.run(_load(clients, jobs))
    ms = sorted(value * 1000 for value in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    rate = len(ms) / elapsed
    print(
        f"{label}: {len(ms)} requests in {elapsed:.2f} s, {rate:.0f}/s, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
    )
    return rate, p99, statuses


def drain(expected: int, timeout: float = 600.0) -> float:
    """Wait until the worker has posted every notification and sent every payment's received
    notice; the seconds it took after the last callback."""
    from waterdesk.notify.models import Notification, NotificationStatus

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        sent = Notification.objects.filter(
            template_key="payment.received", status=NotificationStatus.SENT
        ).count()
        if sent == expected:
            return time.perf_counter() - started
        time.sleep(0.5)
    sys.exit(f"the worker sent {sent} of {expected} received notices within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--callbacks", type=int, default=4000)
    parser.add_argument("--pings", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--celery-workers", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    redis_url = os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    subprocess.run(
        [sys.executable, "-c", f"import redis; redis.Redis.from_url({redis_url!r}).flushdb()"],
        check=True,
    )
    maintenance, bench_url = bench_urls(
        "bench/payments.py", "the callbacks' concurrency is PostgreSQL's", BENCH_DB
    )
    drop_databases(maintenance, BENCH_DB)
    create_database(maintenance, BENCH_DB)
    setup_django(bench_url, WATERDESK_SANDBOX_PAY_SECRET=SECRET)
    os.environ["REDIS_URL"] = redis_url  # setup_django runs this process in-process
    warmup = 200
    signed = prepare(args.callbacks + warmup)
    print(f"machine: {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}")
    print(
        f"gunicorn: {args.workers} sync workers; celery: {args.celery_workers} worker "
        f"process(es) on {redis_url}; clients: {args.clients}"
    )
    from django.db import connections

    connections.close_all()
    worker = start_worker(bench_url, args.celery_workers) if args.celery_workers else None
    server = start_server(bench_url, args.workers)
    try:
        notify = [(NOTIFY_PATH, body, signature) for body, signature in signed]
        ping = [(PING_PATH, None, None)] * args.pings
        measure("warm-up", args.clients, ping[:500] + notify[:warmup])
        ping_rate, _ping_p99, ping_statuses = measure("bare view", args.clients, ping)
        rate, p99, statuses = measure("callbacks", args.clients, notify[warmup:])
        if worker is None:
            worker = start_worker(bench_url, 1)
        drained = drain(args.callbacks + warmup)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    from waterdesk.payments.models import OrderStatus, Payment, PaymentOrder

    assert set(ping_statuses) == {200}, set(ping_statuses)
    assert set(statuses) == {200}, set(statuses)
    posted = Payment.objects.filter(source="sandbox").count()
    paid = PaymentOrder.objects.filter(status=OrderStatus.PAID).count()
    assert posted == paid == args.callbacks + warmup, (posted, paid)
    print(
        f"checked: {posted} payments posted, one per order, and their {posted} received "
        f"notices sent by the worker {drained:.1f} s after the last callback"
    )
    connections.close_all()
    if not args.keep:
        drop_databases(maintenance, BENCH_DB)
    print(f"result: clients={args.clients} p99_ms={p99:.1f} ratio={rate / ping_rate:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark B5: an incident over a supply zone of 100 000 customers on PostgreSQL — every
notice queued, delivered by Celery workers, and the public outage page read by a crowd.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/outage.py [--customers 100000] [--celery-workers 2]
        [--web-workers 4] [--clients 200] [--requests 50] [--direct-requests 10]
        [--load-processes 2] [--nginx-workers 2] [--no-delivery] [--keep]

Like the others it only takes the server from ``DATABASE_URL``: it creates its own database
``waterdesk_bench_outage`` (dropped first, and at the end unless ``--keep``) and migrates
it. Tasks and the cache go to the Redis of ``REDIS_URL`` (its database is emptied first).

1. **Load** (``bulk_create``): N customers, each with one account on its own premise, all
   in one supply zone, the premises spread over three districts; 2 % sensitive (hospitals,
   care homes, schools, registered vulnerable households), 10 % who also chose e-mail, 5 %
   WeChat; then ``VACUUM ANALYZE``.
2. **Queue**: an incident is opened over the zone — its case, the ``Incident`` row, its
   area (``area_record``) and two water points, written directly as the incident service
   would — and ``notice_round_queue(..., urgent=True)`` is timed inside one
   ``transaction.atomic()``, commit included: ``queue_s`` (target < 10 s). Checked: exactly
   one SMS per customer, sensitive customers' first, the round's counts.
3. **Deliver**: two Celery worker processes (``celery -A waterdesk.config worker``,
   started and idle before the round) take the batch fan-out and its chunks from Redis
   and send through the outbox backends (SMS and WeChat log the message, e-mail goes to
   Django's dummy backend: the outside world). ``deliver_s``: from the commit until no row
   of the batch is pending or sending. Checked: every row sent once.
4. **Read**: gunicorn (``--web-workers`` sync workers, production settings) and, in front
   of it, nginx (``/usr/sbin/nginx``, Debian's package) running ``deploy/nginx.conf`` with
   its paths and ports replaced (a temporary directory holds its pid, logs, cache and temp
   files; free ports), as the scaled deployment puts it. ``--clients`` concurrent readers,
   each sending requests one after the other with no think time (the worst case of a
   crowd) on a kept-alive HTTP/1.1 connection accepting gzip, as browsers do (gunicorn's
   sync workers close each connection: a new one per request there). The load generator
   is ``--load-processes`` processes of asyncio raw sockets; its ceiling is measured on
   nginx answering by itself. p50 / p99 latency after a warm-up: gunicorn direct
   (``--direct-requests`` each, and the bare view ``/bench/ping/`` for scale), then
   through nginx (``--requests`` each). ``page_p99_ms`` is through nginx; without nginx
   the bench says how to install it and reports gunicorn direct, labelled so.

The last line reads ``result: customers=<N> queue_s=<…> page_p99_ms=<…>``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # tests.emergency_public_urls (see outage_settings.py)

from common import bench_urls, create_database, drop_databases, gunicorn_start  # noqa: E402

BENCH_DB = "waterdesk_bench_outage"
PORT = 8768
PING_PATH = "/bench/ping/"
PAGE_PATH = "/outages/"
TEMPLATE = "bench.emergency.announcement"
DISTRICTS = ("城东区", "城南区", "城中区")
STREETS = ("人民路", "解放路", "建设路", "新华路", "中山路", "东风路", "和平路", "胜利路")
SERVER_LOG = ROOT / "var" / "bench_outage_server.log"
WORKER_LOG = ROOT / "var" / "bench_outage_worker.log"


def log(message: str) -> None:
    print(message, flush=True)


def setup(bench_url: str, redis_url: str) -> None:
    """Django on the bench database with tasks and the cache on Redis (the scaled mode:
    the round's fan-out goes to the workers, not this process)."""
    os.environ.update(
        {
            "DATABASE_URL": bench_url,
            "DJANGO_SETTINGS_MODULE": "outage_settings",
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY": "bench-only-" + "not-a-production-key-" * 3,
            "REDIS_URL": redis_url,
            "WATERDESK_INPROCESS_SCHEDULER": "0",
            "WATERDESK_BENCH_VIEWS": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)


def _child_env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench"), str(ROOT)]),
    }


# --- load -------------------------------------------------------------------------------


def load(n: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from waterdesk.customers.models import Account, Customer, Premise, SupplyZone
    from waterdesk.notify.models import NotificationTemplate

    rng = random.Random(5)
    sensitive = ("hospital", "care_home", "school", "vulnerable_household")
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        zone = SupplyZone.objects.create(code="east", name="城东片区")
        customers = []
        for i in range(n):
            roll = rng.random()
            channels = ["sms"]
            email = openid = ""
            if roll < 0.10:
                channels.append("email")
                email = f"c{i}@example.cn"
            elif roll < 0.15:
                channels.append("wechat")
                openid = f"oBench{i:012d}"
            customers.append(
                Customer(
                    kind="person",
                    name=f"客户{i}",
                    id_number=f"B{i:017d}",
                    mobile=f"1{rng.choice('3589')}{i:09d}",
                    email=email,
                    wechat_openid=openid,
                    notice_channels=channels,
                    sensitive_category=rng.choice(sensitive) if rng.random() < 0.02 else "",
                )
            )
        customers = Customer.objects.bulk_create(customers, batch_size=5000)
        premises = Premise.objects.bulk_create(
            (
                Premise(
                    address=f"{DISTRICTS[i % 3]}{STREETS[i % 8]}{i // 24 + 1}号",
                    district=DISTRICTS[i % 3],
                    street=STREETS[i % 8],
                    zone=zone,
                )
                for i in range(n)
            ),
            batch_size=5000,
        )
        Account.objects.bulk_create(
            (
                Account(
                    number=f"{4000000000 + i}",
                    customer=customer,
                    premise=premise,
                    usage_category="residential",
                    opened_at=now,
                )
                for i, (customer, premise) in enumerate(zip(customers, premises, strict=True))
            ),
            batch_size=5000,
        )
        body = (
            "【城市供水】{{ area }}因突发管道爆裂停水抢修，预计{{ expected_restoration }}"
            "恢复供水。临时供水点：{{ water_points }}。详询96390。"
        )
        for channel in ("sms", "wechat", "email"):
            NotificationTemplate.objects.create(
                key=TEMPLATE, channel=channel, subject="停水通知", body=body
            )
    log(f"  loaded {n} customers, premises and accounts in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def incident_open():
    """The incident over the zone, as the incident service leaves it (written directly)."""
    from django.db import transaction
    from django.utils import timezone

    from waterdesk.cases.models import Case, Channel
    from waterdesk.customers.models import SupplyZone
    from waterdesk.emergency.models import Incident, WaterPoint
    from waterdesk.emergency.services.area import area_clean, area_record

    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            number="YJ-BENCH-0001",
            kind="incident",
            channel=Channel.PHONE,
            contact_name="调度中心",
            contact_phone="",
            status="active",
            opened_at=now,
        )
        area_record(case=case, area=area_clean(zones=[SupplyZone.objects.get(code="east")]))
        incident = Incident.objects.create(
            case=case,
            incident_type="pipe_burst",
            level=2,
            source="dispatcher",
            title="人民路DN800供水主管爆管",
            description="调度发现城东片区管网压力骤降，巡线确认人民路主管爆裂。",
            public_summary="人民路供水主管爆裂，城东片区停水抢修，请到临时供水点取水。",
            started_at=now - timedelta(minutes=40),
            activated_at=now - timedelta(minutes=30),
            expected_restoration_at=now + timedelta(hours=8),
        )
        for address, district, supplies in (
            ("人民广场东侧", "城东区", "送水车"),
            ("南湖公园北门", "城南区", "桶装水"),
        ):
            WaterPoint.objects.create(
                case=case,
                address=address,
                district=district,
                opening_hours="全天",
                supplies=supplies,
            )
    return incident


# --- queue and deliver ------------------------------------------------------------------


def queue_round(incident) -> tuple[object, float]:
    from django.db import transaction

    from waterdesk.emergency.models import NoticeKind
    from waterdesk.emergency.services.notices import notice_round_queue

    started = time.perf_counter()
    with transaction.atomic():
        notice = notice_round_queue(
            case=incident.case,
            kind=NoticeKind.ANNOUNCEMENT,
            template=TEMPLATE,
            context={},
            actor=None,
            expected_restoration_at=incident.expected_restoration_at,
            urgent=True,
        )
    return notice, time.perf_counter() - started


def check_round(notice, n: int) -> None:
    from django.db.models import Count, Max, Min

    from waterdesk.customers.models import Customer
    from waterdesk.notify.models import Notification

    batch = Notification.objects.filter(batch_key=notice.batch_key)
    sms = batch.filter(channel="sms")
    per_customer = sms.values("customer_id").annotate(count=Count("pk"))
    assert sms.count() == n, (sms.count(), n)
    assert per_customer.count() == n and not per_customer.filter(count__gt=1).exists()
    sensitive_ids = Customer.objects.exclude(sensitive_category="").values("pk")
    last_sensitive = sms.filter(customer_id__in=sensitive_ids).aggregate(last=Max("pk"))["last"]
    first_other = sms.exclude(customer_id__in=sensitive_ids).aggregate(first=Min("pk"))["first"]
    assert last_sensitive < first_other, (last_sensitive, first_other)
    assert notice.customers == n and notice.messages == batch.count()
    channels = dict(batch.values_list("channel").annotate(count=Count("pk")))
    log(
        f"  checked: {n} customers, one SMS each, the {notice.sensitive_customers} sensitive "
        f"first; {notice.messages} messages {channels}"
    )


PROBE_SQL = """
INSERT INTO notify_notification (public_id, template_key, channel, is_urgent,
    recipient_address, customer_id, case_id, subject, body, status, attempts,
    next_attempt_at, last_error, provider_message_id, created_at, dedupe_key, batch_key)
SELECT gen_random_uuid(), %(template)s, ch.channel, true, ch.address, a.id, %(case)s,
       r.subject, r.body, 'pending', 0, %(now)s, '', '', %(now)s,
       %(batch)s || ':c' || a.id, %(batch)s
FROM ({customers}) AS a (id, mobile, email, openid, channels, rank)
CROSS JOIN LATERAL (VALUES
    (1, 'sms', CASE WHEN a.mobile ~ '^1[3-9][0-9]{{9}}$' THEN a.mobile END),
    (2, 'email', CASE WHEN a.channels @> '["email"]' THEN nullif(btrim(a.email), '') END),
    (3, 'wechat', CASE WHEN a.channels @> '["wechat"]' THEN nullif(btrim(a.openid), '') END)
) AS ch (position, channel, address)
JOIN (VALUES ('sms', %(sms_subject)s, %(sms_body)s), ('email', %(email_subject)s,
    %(email_body)s), ('wechat', %(wechat_subject)s, %(wechat_body)s))
    AS r (channel, subject, body) ON r.channel = ch.channel
WHERE ch.address IS NOT NULL
ORDER BY a.rank, a.id, ch.position
ON CONFLICT DO NOTHING
"""


def insert_select_probe(notice) -> float:
    """The same round as one ``INSERT … SELECT`` (a proposal for
    ``notify.notification_queue_bulk`` on PostgreSQL: the rows built by the database from
    the affected customers' query instead of model instances in Python), timed in a
    transaction rolled back after the deferred foreign-key checks. Mobiles that are not
    plain 11-digit numbers would still go through Python (none here). Returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from waterdesk.emergency.services.area import affected_customers, area_of
    from waterdesk.notify.models import Notification

    rendered = {
        channel: (subject, body)
        for channel, subject, body in Notification.objects.filter(batch_key=notice.batch_key)
        .values_list("channel", "subject", "body")
        .distinct()
    }
    customers = affected_customers(area_of(notice.case)).values_list(
        "pk", "mobile", "email", "wechat_openid", "notice_channels", "notice_rank"
    )
    inner, inner_params = customers.query.sql_with_params()
    batch = f"{notice.batch_key}:probe"
    params = {
        "template": TEMPLATE,
        "case": notice.case_id,
        "now": timezone.now(),
        "batch": batch,
        **{
            f"{channel}_{part}": rendered.get(channel, ("", ""))[index]
            for channel in ("sms", "email", "wechat")
            for index, part in enumerate(("subject", "body"))
        },
    }
    # The inner query's positional parameters, named for the outer statement.
    for number, value in enumerate(inner_params):
        params[f"inner{number}"] = value
    inner = inner.replace("%", "%%").replace("%%s", "%s")
    inner = inner % tuple(f"%(inner{number})s" for number in range(len(inner_params)))
    sql = PROBE_SQL.format(customers=inner)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.rowcount
        # The foreign-key checks a commit would run (deferred), before the rollback.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        assert inserted == notice.messages, (inserted, notice.messages)
        transaction.set_rollback(True)
    return elapsed


def start_workers(count: int, concurrency: int) -> list[subprocess.Popen]:
    WORKER_LOG.parent.mkdir(exist_ok=True)
    output = WORKER_LOG.open("w")
    return [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "waterdesk.config",
                "worker",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"bench-outage-{number}@%h",
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env=_child_env(),
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )
        for number in range(count)
    ]


def workers_ready(count: int, timeout: float = 60.0) -> None:
    from waterdesk.config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    sys.exit(f"the Celery workers did not answer within {timeout:.0f} s (see {WORKER_LOG})")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_delivered(notice, committed_at: float, timeout: float) -> tuple[float, int]:
    """(seconds from the commit, messages left): until no row of the batch is pending or
    sending, or ``timeout`` (the rest are left to the periodic dispatch)."""
    from waterdesk.notify.models import Notification, NotificationStatus

    batch = Notification.objects.filter(batch_key=notice.batch_key)
    open_statuses = [NotificationStatus.PENDING, NotificationStatus.SENDING]
    left = notice.messages
    while time.perf_counter() - committed_at < timeout:
        left = batch.filter(status__in=open_statuses).count()
        if left == 0:
            sent = batch.filter(status=NotificationStatus.SENT).count()
            assert sent == notice.messages, (sent, notice.messages)
            break
        time.sleep(2)  # the count reads the batch's rows: not too often
    return time.perf_counter() - committed_at, left


# --- the page ---------------------------------------------------------------------------

NGINX = "/usr/sbin/nginx"
DEPLOY_CONF = ROOT / "deploy" / "nginx.conf"
NGINX_LOG = ROOT / "var" / "bench_outage_nginx.log"
# What deploy/nginx.conf names for a real deployment, and what the bench puts instead.
DEPLOY_PLACEHOLDERS = (
    ("listen 80;", "listen 127.0.0.1:{port};"),
    ("server 127.0.0.1:8000;", "server 127.0.0.1:{upstream};"),
    ("/var/cache/nginx/waterdesk", "{temp}/cache"),
    ("/srv/waterdesk/var/static/", "{static}/"),
)
NGINX_MAIN = """
{user}worker_processes {workers};
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    keepalive_requests 100000;
{deploy}
    # Not in the deployment: nginx answering by itself, the load generator's ceiling.
    server {{
        listen 127.0.0.1:{ceiling};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""
# Like a browser: HTTP/1.1, keep-alive, gzip accepted.
REQUEST = "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _response(reader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _sep, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(part[:-2] for part in parts)
    else:
        body = await reader.read()
    return status, headers, body


async def _fetch(path: str, port: int) -> tuple[int, dict, bytes]:
    """One request without gzip, on its own connection (to check the answer)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    status, headers, body = await _response(reader)
    writer.close()
    return status, headers, body


async def _clients(path: str, port: int, clients: int, requests: int, start_at: float):
    """``clients`` connections, each sending ``requests`` requests one after the other (no
    think time), keeping its connection open as browsers do (reopened when the server
    closes it: gunicorn's sync workers close after each answer). Latency counts from
    writing the request (and connecting, when a new connection is needed) to the last byte
    of the body."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cache: dict[str, int] = {}
    request = REQUEST.format(path=path).encode()

    async def client():
        reader = writer = None
        for _ in range(requests):
            started = time.perf_counter()
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            status, headers, _body = await _response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            label = headers.get("x-cache-status", "-")
            cache[label] = cache.get(label, 0) + 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    while time.time() < start_at:  # all processes begin together
        await asyncio.sleep(0.001)
    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, statuses, cache, time.perf_counter() - began


def _load_process(path, port, clients, requests, start_at, results) -> None:
    results.put(asyncio.run(_clients(path, port, clients, requests, start_at)))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * share) - 1)]


def crowd(
    label: str, path: str, port: int, clients: int, requests: int, processes: int
) -> tuple[float, float, float]:
    """``clients`` readers split over ``processes`` load processes (asyncio, raw sockets);
    returns (p50 ms, p99 ms, requests a second)."""
    import multiprocessing

    # Fresh interpreters (spawn): nothing of this process (Django, its connections, Celery's
    # threads) is carried into them.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 3.0
    shares = [
        clients // processes + (1 if n < clients % processes else 0) for n in range(processes)
    ]
    workers = [
        context.Process(target=_load_process, args=(path, port, share, requests, start_at, results))
        for share in shares
        if share
    ]
    for worker in workers:
        worker.start()
    parts = []
    while len(parts) < len(workers):
        try:
            parts.append(results.get(timeout=5))
        except queue.Empty:
            failed = [worker.exitcode for worker in workers if worker.exitcode]
            if failed or all(worker.exitcode is not None for worker in workers):
                sys.exit(f"a load process ended without its figures (exit codes {failed})")
    for worker in workers:
        worker.join()
    latencies = [value for part in parts for value in part[0]]
    statuses: dict[int, int] = {}
    cache: dict[str, int] = {}
    for part in parts:
        for key, count in part[1].items():
            statuses[key] = statuses.get(key, 0) + count
        for key, count in part[2].items():
            cache[key] = cache.get(key, 0) + count
    elapsed = max(part[3] for part in parts)
    assert set(statuses) == {200}, statuses
    ms = [value * 1000 for value in latencies]
    p50, p99 = statistics.median(ms), percentile(ms, 0.99)
    rate = len(ms) / elapsed
    cached = "" if set(cache) == {"-"} else f", cache {dict(sorted(cache.items()))}"
    log(
        f"  {label}: {len(ms)} requests from {clients} clients ({len(workers)} processes) "
        f"in {elapsed:.2f} s ({rate:.0f}/s), p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(ms):.1f} ms{cached}; load average {os.getloadavg()[0]:.1f}"
    )
    return p50, p99, rate


def nginx_start(temp: Path, *, port: int, upstream: int, ceiling: int, workers: int):
    """nginx with deploy/nginx.conf (its paths and ports replaced), in ``temp``: its own
    pid, logs, cache and temp files, so it needs no root and leaves nothing behind."""
    deploy = DEPLOY_CONF.read_text()
    values = {"port": port, "upstream": upstream, "temp": temp, "static": ROOT / "var" / "static"}
    for old, new in DEPLOY_PLACEHOLDERS:
        assert old in deploy, f"{DEPLOY_CONF} no longer says {old!r}: update the bench"
        deploy = deploy.replace(old, new.format(**values))
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers can open temp's files
    conf = temp / "nginx.conf"
    conf.write_text(
        NGINX_MAIN.format(user=user, workers=workers, temp=temp, ceiling=ceiling, deploy=deploy)
    )
    NGINX_LOG.parent.mkdir(exist_ok=True)
    output = NGINX_LOG.open("w")
    command = [NGINX, "-p", str(temp), "-e", str(temp / "error.log"), "-c", str(conf)]
    subprocess.run([*command, "-t", "-q"], check=True, stdout=output, stderr=output)
    server = subprocess.Popen(command, stdout=output, stderr=output)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if asyncio.run(_fetch("/", ceiling))[0] == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit(f"nginx did not answer within 10 s (see {temp / 'error.log'})")


def read_page(title: str, args) -> tuple[float, str]:
    """(page p99 ms, through what): through nginx as deploy/nginx.conf sets it up, or
    gunicorn directly when nginx is not installed."""
    import tempfile

    SERVER_LOG.parent.mkdir(exist_ok=True)
    env = {**_child_env(), "DJANGO_SETTINGS_MODULE": "outage_settings"}
    server = gunicorn_start(
        env=env,
        workers=args.web_workers,
        port=args.port,
        ready_path=PING_PATH,
        log=SERVER_LOG.open("w"),
    )
    processes = args.load_processes
    try:
        status, headers, body = asyncio.run(_fetch(PAGE_PATH, args.port))
        page = body.decode()
        assert status == 200 and title in page and "人民广场东侧" in page, status
        assert "set-cookie" not in headers and "vary" not in headers, headers
        assert headers["cache-control"] == "public, max-age=30", headers
        log("  gunicorn direct (sync workers close each connection: a new one per request):")
        crowd("warm-up", PAGE_PATH, args.port, args.clients, 2, processes)
        crowd(
            "bare view /bench/ping/",
            PING_PATH,
            args.port,
            args.clients,
            args.direct_requests,
            processes,
        )
        _p50, direct_p99, _rate = crowd(
            f"page {PAGE_PATH}", PAGE_PATH, args.port, args.clients, args.direct_requests, processes
        )
        if not os.path.exists(NGINX):
            log(
                f"  {NGINX} not found: install it (Debian: apt-get install nginx) to measure "
                "the page through nginx as deploy/nginx.conf sets it up; page_p99_ms below "
                "is gunicorn direct"
            )
            return direct_p99, "gunicorn direct (no nginx)"
        with tempfile.TemporaryDirectory(prefix="waterdesk-nginx-") as temp:
            port, ceiling = free_port(), free_port()
            proxy = nginx_start(
                Path(temp),
                port=port,
                upstream=args.port,
                ceiling=ceiling,
                workers=args.nginx_workers,
            )
            try:
                status, headers, body = asyncio.run(_fetch(PAGE_PATH, port))
                assert status == 200 and title in body.decode(), status
                log(
                    f"  through nginx (deploy/nginx.conf, {args.nginx_workers} workers, port "
                    f"{port}; keep-alive, gzip):"
                )
                crowd("warm-up", PAGE_PATH, port, args.clients, 5, processes)
                crowd(
                    "nginx answering by itself (the load generator's ceiling)",
                    "/",
                    ceiling,
                    args.clients,
                    args.requests,
                    processes,
                )
                _p50, p99, _rate = crowd(
                    f"page {PAGE_PATH}", PAGE_PATH, port, args.clients, args.requests, processes
                )
            finally:
                proxy.send_signal(signal.SIGQUIT)  # graceful
                proxy.wait(timeout=30)
        return p99, "through nginx"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def uptime() -> str:
    """The machine's load (``uptime``, in UTC: Django set this process's TZ)."""
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(["uptime"], capture_output=True, text=True, env=env).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--celery-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50, help="per client, through nginx")
    parser.add_argument(
        "--direct-requests", type=int, default=10, help="per client, gunicorn direct"
    )
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument("--nginx-workers", type=int, default=2)
    parser.add_argument("--deliver-timeout", type=float, default=1800.0)
    parser.add_argument(
        "--no-delivery", action="store_true", help="no workers: the queue and the page only"
    )
    parser.add_argument("--database", default=BENCH_DB, help="the scratch database's name")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
    subprocess.run(
        [sys.executable, "-c", f"import redis; redis.Redis.from_url({redis_url!r}).flushdb()"],
        check=True,
    )
    maintenance, bench_url = bench_urls(
        "bench/outage.py", "the notices are queued set-based on PostgreSQL", args.database
    )
    drop_databases(maintenance, args.database)
    create_database(maintenance, args.database)
    setup(bench_url, redis_url)
    log(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"celery: {args.celery_workers} × concurrency {args.worker_concurrency} on {redis_url}; "
        f"gunicorn: {args.web_workers} sync workers"
    )
    load(args.customers)
    incident = incident_open()
    from django.db import connections

    connections.close_all()
    workers = (
        [] if args.no_delivery else start_workers(args.celery_workers, args.worker_concurrency)
    )
    deliver_s = None
    try:
        if workers:
            workers_ready(args.celery_workers)
        log(f"queue: {uptime()}")
        notice, queue_s = queue_round(incident)
        committed_at = time.perf_counter()
        log(f"  notice_round_queue, commit included: {queue_s:.2f} s ({notice.messages} rows)")
        if workers:
            elapsed, left = wait_delivered(notice, committed_at, args.deliver_timeout)
            done = notice.messages - left
            log(
                f"  {done} of {notice.messages} messages delivered by the workers "
                f"{elapsed:.1f} s after the commit ({done / elapsed:.0f} messages/s)"
            )
            deliver_s = elapsed if not left else None
    finally:
        stop(workers)
    check_round(notice, args.customers)
    probe_s = insert_select_probe(notice)
    log(f"  the same round as one INSERT … SELECT, FK checks included: {probe_s:.2f} s")
    connections.close_all()
    log(f"read: {uptime()}")
    page_p99, page_via = read_page(incident.title, args)
    connections.close_all()
    if not args.keep:
        drop_databases(maintenance, args.database)
    if workers:
        log(f"delivery: deliver_s={f'{deliver_s:.1f}' if deliver_s else 'n/a (timed out)'}")
    log(f"page_p99_ms: {page_via}; uptime: {uptime()}")
    log(f"result: customers={args.customers} queue_s={queue_s:.2f} page_p99_ms={page_p99:.1f}")


if __name__ == "__main__":
    main()

"""What the benchmarks share: their scratch databases and loading rows with ``COPY``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent


def bench_urls(script: str, why: str, bench_db: str, *reserved: str) -> tuple[str, str]:
    """(maintenance URL, bench URL) on the server of DATABASE_URL; exits with the reason
    when it is not PostgreSQL or names one of the benchmark's own databases."""
    parsed = urlparse(os.environ.get("DATABASE_URL", ""))
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(
            f"{script} measures PostgreSQL only ({why}).\n"
            "Set DATABASE_URL=postgres://user@host:port/anydb — the benchmark creates and "
            f"drops its own database {bench_db!r} on that server and never touches the "
            "database named in the URL."
        )
    if parsed.path.lstrip("/") in {bench_db, *reserved}:
        sys.exit(
            f"DATABASE_URL must not name {bench_db!r}: it is the benchmark's scratch database."
        )
    maintenance = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    return maintenance, urlunparse(parsed._replace(path=f"/{bench_db}"))


def setup_django(bench_url: str, *, collect_static: bool = False, **environment: str) -> None:
    """Django on the bench database, migrated; tasks run in this process (no Redis).
    ``collect_static``: pages are rendered, as in production, with hashed static names,
    which need ``collectstatic``'s manifest (under var/static). ``environment``: more
    settings for this benchmark."""
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waterdesk.config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production settings (DEBUG off), which refuse to start without a key.
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "not-a-production-key-" * 3)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if collect_static:
        call_command("collectstatic", verbosity=0, interactive=False)


def drop_databases(maintenance_url: str, *names: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def create_database(maintenance_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")


def copy_rows(cursor, table: str, columns: str, text: str) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(text)


def fast_load(cursor) -> None:
    """Skip the foreign-key triggers while loading data that is consistent by construction
    (needs a superuser; otherwise the load is just slower)."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")


def gunicorn_start(*, env: dict, workers: int, port: int, ready_path: str, log=None):
    """The scaled mode's web server on this machine (sync workers, ``--log-level warning``),
    returned once ``ready_path`` answers; exits when it has not within 60 s. ``log``: a file
    for its output (else it goes to this process's)."""
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "waterdesk.config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not answer within 60 s" + (f" (see {log.name})" if log else ""))

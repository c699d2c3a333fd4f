"""A bill run whose process is killed (SIGKILL) in the middle, then resumed: the same bills
as an uninterrupted run, none twice. PostgreSQL only (the CLI runs in a second process
against the test database, which must see committed data)."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from tests import test_billing_run_support as support
from tests.factories import meter_read
from tests.test_billing_run_killed_support import bills_snapshot
from tests.test_billing_run_support import account_with_meter
from waterdesk.billing.models import Bill, BillRun, BillRunChunk, BillRunStatus, LedgerEntry
from waterdesk.billing.services import bill_run as runs

if connection.vendor != "postgresql":
    pytest.skip("needs PostgreSQL", allow_module_level=True)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("beijing"),
]

beijing = support.beijing
cycles = support.cycles

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = 120


def database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def other_sessions() -> set[int]:
    """The backend pids of the other sessions on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def wait_for_sessions_to_end(before: set[int], timeout: float = 30) -> None:
    """A killed client's PostgreSQL backend ends (and drops its row locks) only when it
    notices the closed socket, which takes a moment on a busy machine: until then its
    chunk looks taken by a live worker. Waits until no session but ``before`` is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if other_sessions() <= before:
            return
        time.sleep(0.05)
    raise AssertionError("the killed process's database session did not end")


def start_cli(cycle_code: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("REDIS_URL", None)  # the CLI works the chunks itself
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "bill_run",
            cycle_code,
            "--chunk-size",
            "1",
            "--threads",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_bill_run_resumes_to_exactly_the_bills_of_an_uninterrupted_one(
    billing_clerk, cycles
):
    accounts = [account_with_meter() for _ in range(ACCOUNTS)]
    for index, account in enumerate(accounts):
        meter_read(billing_clerk, account, date(2026, 1, 31), str(5 + index % 40))
    connection.close()  # everything above is committed: the CLI process sees it

    sessions = other_sessions()
    process = start_cli(cycles[1].code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = BillRunChunk.objects.filter(status=BillRunStatus.COMPLETED).count()
        if done >= 10:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    wait_for_sessions_to_end(sessions)

    run = BillRun.objects.get()
    done = run.chunks.filter(status=BillRunStatus.COMPLETED).count()
    assert 10 <= done < ACCOUNTS, "the process must die in the middle of the run"
    assert run.status == BillRunStatus.RUNNING
    # Only whole chunks were written: one bill and one charge per completed chunk.
    assert Bill.objects.count() == LedgerEntry.objects.count() == done

    runs.bill_run_resume(run=run, enqueue=False)  # the killed worker's chunk is an orphan
    resumed = runs.bill_run_work(run=run)
    assert (resumed.status, resumed.billed_accounts) == (BillRunStatus.COMPLETED, ACCOUNTS)
    killed_then_resumed = bills_snapshot()

    # The same cycle billed by an uninterrupted run from the same data gives the same bills.
    LedgerEntry.objects.all().delete()  # test set-up only: nothing in the system deletes
    Bill.objects.all().delete()
    BillRun.objects.all().delete()
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1], chunk_size=50)
    runs.bill_run_start(run=run, enqueue=False)
    assert runs.bill_run_work(run=run).billed_accounts == ACCOUNTS
    assert bills_snapshot() == killed_then_resumed
    assert Bill.objects.count() == len({bill[1] for bill in killed_then_resumed}) == ACCOUNTS

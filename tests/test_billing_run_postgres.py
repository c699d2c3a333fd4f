"""The bill run on PostgreSQL with committed transactions: a run that crashes half-way and
is resumed produces exactly the bills of an uninterrupted run; a chunk being worked on is
never taken twice; a final bill waits for the chunk holding its account.

PostgreSQL only: SQLite serialises every writer, so it shows neither the row locks nor the
races. Threads have their own database connections and close them when done.
"""

import threading
from datetime import date

import pytest
from django.db import connection

from tests import test_billing_run_support as support
from tests.factories import meter_read
from tests.test_billing_run_killed_support import bills_snapshot
from tests.test_billing_run_support import account_with_meter
from waterdesk.billing.models import (
    Bill,
    BillRun,
    BillRunChunk,
    BillRunStatus,
    LedgerEntry,
)
from waterdesk.billing.services import bill_run as runs
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.core.errors import InvalidInput

if connection.vendor != "postgresql":
    pytest.skip("needs PostgreSQL", allow_module_level=True)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("pinned_now", "beijing"),
]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


def in_thread(target, *args, **kwargs):
    """Run ``target`` in a thread with its own connection; the thread and its outcome."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target(*args, **kwargs)
        except Exception as error:  # handed back to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def work_run(actor, cycle, *, chunk_size):
    run = runs.bill_run_create(actor=actor, cycle=cycle, chunk_size=chunk_size)
    runs.bill_run_start(run=run, enqueue=False)
    return runs.bill_run_work(run=run)


@pytest.fixture
def town(billing_clerk, cycles):
    """Seven accounts over four chunks of two, one read in review."""
    accounts = [account_with_meter(initial="50" if index == 5 else "0") for index in range(7)]
    for index, account in enumerate(accounts):
        # 10, 50, 90 … m³; the sixth falls below its meter's initial reading: in review.
        value = "10" if index == 5 else str(10 + 40 * index)
        meter_read(billing_clerk, account, date(2026, 1, 31), value)
    return accounts


def test_a_run_that_crashed_half_way_and_is_resumed_bills_exactly_like_an_uninterrupted_one(
    billing_clerk, cycles, town, monkeypatch
):
    uninterrupted = work_run(billing_clerk, cycles[1], chunk_size=2)
    assert (uninterrupted.status, uninterrupted.billed_accounts) == (BillRunStatus.COMPLETED, 6)
    expected = bills_snapshot()
    # Start again from nothing (test set-up only: nothing in the system deletes bills).
    LedgerEntry.objects.all().delete()
    Bill.objects.all().delete()
    BillRun.objects.all().delete()

    original = runs.bill_drafts_insert
    victim = town[3].pk  # in the second chunk

    def insert_then_crash(drafts, **kwargs):
        ids = original(drafts, **kwargs)
        if any(draft.account_id == victim for draft in drafts):
            raise ConnectionError("worker killed")
        return ids

    monkeypatch.setattr(runs, "bill_drafts_insert", insert_then_crash)
    crashed = work_run(billing_clerk, cycles[1], chunk_size=2)

    assert crashed.status == BillRunStatus.FAILED
    assert list(crashed.chunks.order_by("index").values_list("status", flat=True)) == [
        BillRunStatus.COMPLETED,
        BillRunStatus.FAILED,
        BillRunStatus.COMPLETED,
        BillRunStatus.COMPLETED,
    ]
    # The failed chunk's bills were rolled back with it.
    assert not Bill.objects.filter(account__in=town[2:4]).exists()
    assert Bill.objects.count() == 4

    monkeypatch.setattr(runs, "bill_drafts_insert", original)
    runs.bill_run_resume(run=crashed, enqueue=False)
    resumed = runs.bill_run_work(run=crashed)

    assert (resumed.status, resumed.billed_accounts, resumed.skipped_accounts) == (
        BillRunStatus.COMPLETED,
        6,
        1,
    )
    assert bills_snapshot() == expected
    assert Bill.objects.count() == LedgerEntry.objects.count() == 6
    assert crashed.chunks.get(index=1).attempts == 2


def test_a_chunk_being_worked_on_is_not_taken_twice_nor_reset_by_resume(
    billing_clerk, cycles, town, monkeypatch
):
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1], chunk_size=10)
    runs.bill_run_start(run=run, enqueue=False)
    chunk = run.chunks.get()
    inside = threading.Event()
    release = threading.Event()
    original = runs.billing_inputs_load

    def paused(**kwargs):
        inside.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(runs, "billing_inputs_load", paused)
    worker, outcome = in_thread(runs.bill_run_process_chunk, chunk_id=chunk.pk)
    assert inside.wait(10)

    # A second delivery of the task, and a resume, while the first worker holds the chunk.
    assert runs.bill_run_process_chunk(chunk_id=chunk.pk) is None
    runs.bill_run_resume(run=run, enqueue=False)
    assert BillRunChunk.objects.get(pk=chunk.pk).status == BillRunStatus.RUNNING

    release.set()
    worker.join(10)
    assert "error" not in outcome
    chunk.refresh_from_db()
    run.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.billed, chunk.skipped) == (
        BillRunStatus.COMPLETED,
        1,
        6,
        1,
    )
    assert run.status == BillRunStatus.COMPLETED
    assert Bill.objects.count() == 6


def test_a_final_bill_waits_for_the_chunk_holding_its_account(billing_clerk, cycles, monkeypatch):
    """The run bills January up to the 31st, including a transfer read of the 20th: a final
    bill on that read, asked for meanwhile, waits and is then refused — never two bills
    over the same days."""
    account = account_with_meter()
    transfer = meter_read(billing_clerk, account, date(2026, 1, 20), "10", kind="transfer")
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])
    runs.bill_run_start(run=run, enqueue=False)
    inside = threading.Event()
    release = threading.Event()
    original = runs.billing_inputs_load

    def paused(**kwargs):
        inside.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(runs, "billing_inputs_load", paused)
    worker, _outcome = in_thread(runs.bill_run_process_chunk, chunk_id=run.chunks.get().pk)
    assert inside.wait(10)

    final, final_outcome = in_thread(
        bill_issue_final, actor=billing_clerk, account=account, closing_read=transfer
    )
    final.join(0.5)
    assert final.is_alive()  # waiting for the chunk's lock on the account

    release.set()
    worker.join(10)
    final.join(10)
    assert isinstance(final_outcome.get("error"), InvalidInput)
    assert final_outcome["error"].code == "read_already_billed"
    bill = Bill.objects.get()
    assert (bill.period_start, bill.period_end, bill.volume) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
        20,
    )


def test_two_threads_share_the_chunks_of_a_run(billing_clerk, cycles, town):
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1], chunk_size=2)
    runs.bill_run_start(run=run, enqueue=False)
    seen = []

    run = runs.bill_run_work(run=run, threads=2, on_chunk=seen.append)

    assert (run.status, run.billed_accounts, run.skipped_accounts) == (
        BillRunStatus.COMPLETED,
        6,
        1,
    )
    assert sorted(chunk.index for chunk in seen) == [0, 1, 2, 3]
    assert set(run.chunks.values_list("attempts", flat=True)) == {1}
    assert Bill.objects.count() == LedgerEntry.objects.count() == 6

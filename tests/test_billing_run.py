"""The bill run: who is billed, exact amounts, one bill per account and period, skipped
accounts billed by a later run, chunks, permissions and the run's completion."""

from datetime import date
from decimal import Decimal

import pytest

from tests import test_billing_run_support as support
from tests.factories import AccountFactory, UserFactory, meter_read
from tests.test_billing_run_support import D, account_with_meter, run_cycle
from waterdesk.billing.models import (
    Bill,
    BillKind,
    BillLine,
    BillRun,
    BillRunChunk,
    BillRunStatus,
    LedgerEntry,
    LedgerEntryKind,
    ReadStatus,
)
from waterdesk.billing.selectors.bills import bill_run_progress, bill_run_skipped
from waterdesk.billing.services import bill_run as runs
from waterdesk.billing.services.reading import meter_read_approve
from waterdesk.billing.tasks import bill_run_chunk
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.customers.models import AccountStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


def lines_of(bill):
    return [
        (line.component_name, line.tier_index, line.volume, line.unit_price, line.amount)
        for line in bill.lines.order_by("pk")
    ]


@pytest.fixture
def town(billing_clerk, cycles):
    """January 2026: A used 20 m³, B 200 m³ (crosses tier 1), C's read is negative (in
    review), D has no read, E is closed."""
    accounts = {
        "A": account_with_meter(),
        "B": account_with_meter(),
        "C": account_with_meter(initial="50"),
        "D": account_with_meter(),
        "E": AccountFactory(status=AccountStatus.CLOSED),
    }
    meter_read(billing_clerk, accounts["A"], date(2026, 1, 31), "20")
    meter_read(billing_clerk, accounts["B"], date(2026, 1, 31), "200")
    meter_read(billing_clerk, accounts["C"], date(2026, 1, 31), "10")
    return accounts


def test_a_run_bills_exactly_the_accounts_with_a_validated_read(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    assert run.status == BillRunStatus.COMPLETED
    assert (run.total_accounts, run.billed_accounts, run.skipped_accounts) == (4, 2, 2)
    bills = {bill.account_id: bill for bill in Bill.objects.all()}
    assert set(bills) == {town["A"].pk, town["B"].pk}

    a = bills[town["A"].pk]
    assert a.number == f"202601-{town['A'].number}"
    assert (a.kind, a.cycle_id, a.run_id) == (BillKind.CYCLE, cycles[1].pk, run.pk)
    assert (a.period_start, a.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (a.volume, a.amount) == (D("20.00"), D("100.00"))
    assert a.due_date == date(2026, 4, 30)  # issued 2026-04-10, cycle due in 20 days
    assert lines_of(a) == [
        ("供水价格", 1, D("20.00"), D("2.0700"), D("41.40")),
        ("水资源费", None, D("20.00"), D("1.5700"), D("31.40")),
        ("污水处理费", None, D("20.00"), D("1.3600"), D("27.20")),
    ]

    # The published Beijing case: 200 m³ in a year → 1,040.00.
    b = bills[town["B"].pk]
    assert (b.volume, b.amount) == (D("200.00"), D("1040.00"))
    assert lines_of(b) == [
        ("供水价格", 1, D("180.00"), D("2.0700"), D("372.60")),
        ("供水价格", 2, D("20.00"), D("4.0700"), D("81.40")),
        ("水资源费", None, D("200.00"), D("1.5700"), D("314.00")),
        ("污水处理费", None, D("200.00"), D("1.3600"), D("272.00")),
    ]

    charges = LedgerEntry.objects.filter(kind=LedgerEntryKind.CHARGE).order_by("amount")
    assert [(c.account_id, c.bill_id, c.amount, c.due_date) for c in charges] == [
        (town["A"].pk, a.pk, D("100.00"), date(2026, 4, 30)),
        (town["B"].pk, b.pk, D("1040.00"), date(2026, 4, 30)),
    ]
    assert [c.reference for c in charges] == [a.number, b.number]


def test_skipped_accounts_are_listed_with_their_reason(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    skipped, total = bill_run_skipped(run)

    assert total == 2
    assert [(row.account.number, row.reason) for row in skipped] == sorted(
        [
            (town["C"].number, "read_needs_review"),
            (town["D"].number, "no_validated_read"),
        ]
    )
    assert skipped[0].reason_label


def test_a_second_run_bills_nothing_twice(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    before = list(Bill.objects.order_by("pk").values_list("pk", "number", "amount"))

    second = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    assert second.status == BillRunStatus.COMPLETED
    assert (second.total_accounts, second.billed_accounts, second.skipped_accounts) == (2, 0, 2)
    assert list(Bill.objects.order_by("pk").values_list("pk", "number", "amount")) == before
    assert LedgerEntry.objects.count() == 2


def test_an_account_approved_later_is_billed_by_a_new_run_alone(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    pending = town["C"].reads.get(status=ReadStatus.NEEDS_REVIEW)
    meter_read_approve(actor=billing_clerk, read=pending, consumption="12", note="核实为换表前读数")

    third = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    assert (third.billed_accounts, third.skipped_accounts) == (1, 1)
    bill = Bill.objects.get(run=third)
    assert (bill.account_id, bill.volume, bill.amount) == (town["C"].pk, D("12.00"), D("60.00"))
    assert Bill.objects.count() == 3


def test_annual_tiers_count_the_volume_billed_earlier_in_the_year(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    meter_read(billing_clerk, account, date(2026, 1, 31), "170")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    meter_read(billing_clerk, account, date(2026, 2, 28), "200")

    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)

    february = Bill.objects.get(cycle=cycles[2])
    assert (february.period_start, february.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (february.volume, february.amount) == (D("30.00"), D("190.00"))
    assert lines_of(february) == [
        ("供水价格", 1, D("10.00"), D("2.0700"), D("20.70")),
        ("供水价格", 2, D("20.00"), D("4.0700"), D("81.40")),
        ("水资源费", None, D("30.00"), D("1.5700"), D("47.10")),
        ("污水处理费", None, D("30.00"), D("1.3600"), D("40.80")),
    ]


def test_a_bill_covers_every_unbilled_read_up_to_the_cycle_read(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    """January was never billed (no run): the February bill covers both months."""
    account = account_with_meter()
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    meter_read(billing_clerk, account, date(2026, 2, 28), "45")

    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)

    bill = Bill.objects.get()
    assert (bill.period_start, bill.period_end) == (date(2026, 1, 1), date(2026, 2, 28))
    assert (bill.volume, bill.amount) == (D("45.00"), D("225.00"))
    assert bill.closing_read == account.reads.get(read_on=date(2026, 2, 28))
    # January's cycle has nothing left to bill for it.
    january = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert (january.billed_accounts, january.skipped_accounts) == (0, 1)


def test_chunks_split_the_accounts_by_id_and_each_records_its_counts(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    accounts = [account_with_meter() for _ in range(5)]
    for index, account in enumerate(accounts[:4]):
        meter_read(billing_clerk, account, date(2026, 1, 31), str(10 + index))

    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks, chunk_size=2)

    chunks = list(run.chunks.order_by("index"))
    ids = [account.pk for account in accounts]
    assert [(c.first_account_id, c.last_account_id) for c in chunks] == [
        (ids[0], ids[1]),
        (ids[2], ids[3]),
        (ids[4], ids[4]),
    ]
    assert [(c.status, c.billed, c.skipped, c.attempts) for c in chunks] == [
        (BillRunStatus.COMPLETED, 2, 0, 1),
        (BillRunStatus.COMPLETED, 2, 0, 1),
        (BillRunStatus.COMPLETED, 0, 1, 1),
    ]
    assert sorted(Bill.objects.values_list("amount", flat=True)) == [
        D("50.00"),
        D("55.00"),
        D("60.00"),
        D("65.00"),
    ]
    progress = bill_run_progress(run)
    assert (progress.percent, progress.billed, progress.skipped) == (100, 4, 1)
    assert (progress.chunks_total, progress.chunks_completed) == (3, 3)


def test_a_failing_chunk_fails_the_run_and_resume_finishes_it(
    billing_clerk, cycles, monkeypatch, django_capture_on_commit_callbacks
):
    accounts = [account_with_meter() for _ in range(4)]
    for account in accounts:
        meter_read(billing_clerk, account, date(2026, 1, 31), "10")
    original = runs.bill_drafts_insert
    victim = accounts[2].pk

    def insert_then_crash(drafts, **kwargs):
        ids = original(drafts, **kwargs)
        if any(draft.account_id == victim for draft in drafts):
            raise RuntimeError("worker lost")
        return ids

    monkeypatch.setattr(runs, "bill_drafts_insert", insert_then_crash)
    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks, chunk_size=2)

    assert run.status == BillRunStatus.FAILED
    failed = run.chunks.get(index=1)
    assert (failed.status, failed.error) == (BillRunStatus.FAILED, "RuntimeError: worker lost")
    assert sorted(Bill.objects.values_list("account_id", flat=True)) == [
        accounts[0].pk,
        accounts[1].pk,
    ]
    assert bill_run_progress(run).errors == [(1, "RuntimeError: worker lost")]

    monkeypatch.setattr(runs, "bill_drafts_insert", original)
    with django_capture_on_commit_callbacks(execute=True):
        runs.bill_run_resume(run=run)
    run.refresh_from_db()

    assert (run.status, run.billed_accounts, run.skipped_accounts) == (
        BillRunStatus.COMPLETED,
        4,
        0,
    )
    assert run.chunks.get(index=1).attempts == 2
    assert sorted(Bill.objects.values_list("account_id", flat=True)) == sorted(
        account.pk for account in accounts
    )
    assert LedgerEntry.objects.count() == 4


def test_processing_a_completed_chunk_again_changes_nothing(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    chunk = run.chunks.get()

    assert runs.bill_run_process_chunk(chunk_id=chunk.pk) is None
    assert bill_run_chunk.apply(args=[chunk.pk]).get() is None  # the task, delivered again
    assert Bill.objects.count() == 2
    assert BillRunChunk.objects.get(pk=chunk.pk).attempts == 1


def test_an_orphaned_running_chunk_is_taken_up_by_resume(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    """A worker claimed the chunk and died before billing it."""
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])
    runs.bill_run_start(run=run, enqueue=False)
    chunk = run.chunks.get()
    assert runs._chunk_claim(chunk.pk) is not None  # claimed, then the worker is gone
    # Not stale yet: a second delivery of the task leaves it alone.
    assert runs.bill_run_process_chunk(chunk_id=chunk.pk) is None

    with django_capture_on_commit_callbacks(execute=True):
        runs.bill_run_resume(run=run)

    run.refresh_from_db()
    assert (run.status, run.billed_accounts) == (BillRunStatus.COMPLETED, 2)
    assert run.chunks.get().attempts == 2


def test_run_creation_is_refused_without_permission_or_while_another_runs(
    billing_clerk, cycles, town, reader
):
    with pytest.raises(NotPermitted):
        runs.bill_run_create(actor=reader, cycle=cycles[1])
    assert not BillRun.objects.exists()

    with pytest.raises(InvalidInput) as error:
        runs.bill_run_create(actor=billing_clerk, cycle=cycles[1], chunk_size=0)
    assert error.value.code == "invalid_chunk_size"

    first = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])
    with pytest.raises(IllegalTransition) as error:
        runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])
    assert error.value.code == "run_in_progress"
    assert list(BillRun.objects.all()) == [first]
    assert first.status == BillRunStatus.PENDING

    runs.bill_run_start(run=first, enqueue=False)
    with pytest.raises(IllegalTransition) as error:
        runs.bill_run_start(run=first)
    assert error.value.code == "run_not_pending"


def test_a_closed_cycle_cannot_be_billed(billing_clerk, cycles):
    cycles[1].__class__.objects.filter(pk=cycles[1].pk).update(is_closed=True)
    with pytest.raises(IllegalTransition) as error:
        runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])
    assert error.value.code == "cycle_closed"
    assert not BillRun.objects.exists()


def test_an_account_without_a_price_is_skipped_not_failed(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    """Special-industry accounts with no tariff version in force: counted as not priced."""
    from waterdesk.billing.models import Tariff

    Tariff.objects.filter(usage_category="special").update(is_default=False)
    priced = account_with_meter()
    unpriced = account_with_meter(usage_category="special")
    meter_read(billing_clerk, priced, date(2026, 1, 31), "10")
    meter_read(billing_clerk, unpriced, date(2026, 1, 31), "10")

    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    assert (run.status, run.billed_accounts, run.skipped_accounts) == (
        BillRunStatus.COMPLETED,
        1,
        1,
    )
    skipped, _total = bill_run_skipped(run)
    assert [(row.account.pk, row.reason) for row in skipped] == [(unpriced.pk, "not_priced")]


def test_an_empty_cycle_completes_at_once(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    run = run_cycle(billing_clerk, cycles[3], django_capture_on_commit_callbacks)
    assert (run.status, run.total_accounts, run.chunks.count()) == (BillRunStatus.COMPLETED, 0, 0)


def test_the_system_may_run_billing_without_a_user(
    cycles, town, django_capture_on_commit_callbacks
):
    run = run_cycle(None, cycles[1], django_capture_on_commit_callbacks)
    assert (run.created_by, run.billed_accounts) == (None, 2)
    assert set(LedgerEntry.objects.values_list("created_by", flat=True)) == {None}


def test_bill_lines_add_up_to_the_bill(
    billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    for bill in Bill.objects.all():
        total = sum(BillLine.objects.filter(bill=bill).values_list("amount", flat=True))
        assert total == bill.amount


def test_administrator_may_not_run_billing(cycles, town):
    admin = UserFactory(username="admin2", role=Role.ADMINISTRATOR)
    with pytest.raises(NotPermitted):
        runs.bill_run_create(actor=admin, cycle=cycles[1])
    assert Decimal(BillRun.objects.count()) == 0

"""The bill run: every account of a reading cycle billed once, in chunks, restartably.

Shape
    ``bill_run_create`` plans the run: the accounts still to bill for the cycle (active
    accounts, and any account with a read in the cycle, that have no bill for it), sorted by
    id and cut into chunks of ``chunk_size`` consecutive accounts, stored as id ranges.
    ``bill_run_start`` enqueues one task per chunk after commit: Celery workers share them in
    the scaled mode; in the embedded mode they run in-process, one after another.
    ``bill_run_work`` runs the chunks in the calling process (the CLI, the benchmark).

A chunk
    ``bill_run_process_chunk`` claims the chunk in a short transaction (``FOR UPDATE SKIP
    LOCKED``: pending or failed, or running but stale — a worker that died), then bills it
    in ONE transaction that ends by marking the chunk completed with its counts. A crash
    rolls all of it back, so a restart redoes the chunk without duplicates; the unique
    constraint ``bill_unique_account_period`` is the last guard. The processing transaction
    locks its chunk row (a compare-and-set on the claim's attempt number), so a chunk being
    worked on is skipped by every other claimer, and the accounts of the range
    ``FOR KEY SHARE`` (a final bill takes the account ``FOR UPDATE``: they never overlap).

Speed
    A chunk costs a fixed number of queries, whatever its size: the accounts, the billed-to
    dates, the unbilled reads, the own tariffs, the cumulative volumes, the tariff book;
    pricing runs in memory (``services.bills.Pricer`` reuses the cuts and prices of equal
    inputs); bills, lines and ledger entries are written with ``COPY`` on PostgreSQL.

Skipped accounts
    An account whose cycle read waits for review, that has no validated read in the cycle
    or that cannot be priced is skipped and counted; a later run on the cycle bills only the
    accounts not billed yet (``selectors.bills.bill_run_skipped`` lists them with reasons).

Completion
    When every chunk is completed the run is completed (compare-and-set on its status; its
    counts are the sums of the chunks'); when the others are completed and some failed, the
    run is failed and ``bill_run_resume`` takes it up again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import connection, connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.hooks import bill_run_preparing, bills_issued
from waterdesk.billing.models import (
    BillKind,
    BillRun,
    BillRunChunk,
    BillRunStatus,
    ReadingCycle,
)
from waterdesk.billing.selectors.bills import accounts_to_bill
from waterdesk.billing.services.bills import (
    BillTerms,
    Pricer,
    account_rows,
    bill_drafts_build,
    bill_drafts_insert,
    billing_inputs_load,
    cycle_bill_number,
    cycle_bill_reads,
    due_date_for,
)
from waterdesk.billing.tariff_book import TariffBook
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.tasks import enqueue_on_commit
from waterdesk.customers.models import Account, AccountStatus

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
MAX_CHUNK_SIZE = 50_000
DEFAULT_CHUNK_SIZE = 2000
_OPEN_STATUSES = (BillRunStatus.PENDING, BillRunStatus.RUNNING)

# The task that bills one chunk (``waterdesk.billing.tasks``), by its name.
BILL_RUN_CHUNK_TASK = "waterdesk.billing.tasks.bill_run_chunk"


def _check_may_run(actor) -> None:
    # actor None: the system (management command, benchmark).
    if actor is not None and not actor.has_perm("billing.run_billing"):
        raise NotPermitted()


def _refuse_if_open_run(cycle: ReadingCycle, *, exclude: BillRun | None = None) -> None:
    runs = BillRun.objects.filter(cycle=cycle, status__in=_OPEN_STATUSES)
    if exclude is not None:
        runs = runs.exclude(pk=exclude.pk)
    if runs.exists():
        raise IllegalTransition(
            _("该账期已有正在进行的出账批次，请等待其完成或继续该批次。"), code="run_in_progress"
        )


@transaction.atomic
def bill_run_create(*, actor, cycle: ReadingCycle, chunk_size: int = DEFAULT_CHUNK_SIZE) -> BillRun:
    """Plan a bill run for ``cycle`` (status pending); needs ``billing.run_billing``."""
    _check_may_run(actor)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise InvalidInput(_("每批账户数应为整数。"), code="invalid_chunk_size", field="chunk_size")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInput(
            _("每批账户数应在 1 到 50000 之间。"), code="invalid_chunk_size", field="chunk_size"
        )
    # The cycle row serialises the planning of runs on one cycle.
    cycle = ReadingCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.is_closed:
        raise IllegalTransition(_("该账期已关账，不能出账。"), code="cycle_closed")
    _refuse_if_open_run(cycle)
    bill_run_preparing.notify(cycle=cycle, actor=actor)
    account_ids = list(accounts_to_bill(cycle).order_by("pk").values_list("pk", flat=True))
    run = BillRun.objects.create(
        cycle=cycle,
        chunk_size=chunk_size,
        total_accounts=len(account_ids),
        created_by=actor,
        created_at=timezone.now(),
    )
    BillRunChunk.objects.bulk_create(
        [
            BillRunChunk(
                run=run,
                index=index,
                first_account_id=account_ids[start],
                last_account_id=account_ids[min(start + chunk_size, len(account_ids)) - 1],
            )
            for index, start in enumerate(range(0, len(account_ids), chunk_size))
        ]
    )
    return run


def _enqueue_chunks(run: BillRun) -> None:
    chunk_ids = run.chunks.exclude(status=BillRunStatus.COMPLETED).order_by("index")
    for chunk_id in chunk_ids.values_list("pk", flat=True):
        enqueue_on_commit(BILL_RUN_CHUNK_TASK, chunk_id)


@transaction.atomic
def bill_run_start(*, run: BillRun, enqueue: bool = True) -> BillRun:
    """Pending → running; one task per chunk after commit (``enqueue=False``: the caller
    works the chunks itself with ``bill_run_work``)."""
    started = BillRun.objects.filter(pk=run.pk, status=BillRunStatus.PENDING).update(
        status=BillRunStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        raise IllegalTransition(_("该出账批次已开始。"), code="run_not_pending")
    if enqueue:
        _enqueue_chunks(run)
    _run_finish_if_done(run.pk)
    run.refresh_from_db()
    return run


@transaction.atomic
def bill_run_resume(*, run: BillRun, enqueue: bool = True) -> BillRun:
    """Take up a failed or interrupted run: chunks that failed, are still pending, or were
    left running by a worker that died (not locked by a live one) are queued again."""
    run = BillRun.objects.select_for_update().get(pk=run.pk)
    if run.status == BillRunStatus.COMPLETED:
        raise IllegalTransition(_("该出账批次已完成。"), code="run_completed")
    if run.status == BillRunStatus.PENDING:
        return bill_run_start(run=run, enqueue=enqueue)
    _refuse_if_open_run(run.cycle, exclude=run)
    # A live worker holds its chunk's row lock: the running chunks we can lock are orphans.
    orphans = list(
        BillRunChunk.objects.select_for_update(skip_locked=True)
        .filter(run=run, status=BillRunStatus.RUNNING)
        .values_list("pk", flat=True)
    )
    BillRunChunk.objects.filter(Q(pk__in=orphans) | Q(status=BillRunStatus.FAILED), run=run).update(
        status=BillRunStatus.PENDING
    )
    BillRun.objects.filter(pk=run.pk).update(status=BillRunStatus.RUNNING, finished_at=None)
    if enqueue:
        _enqueue_chunks(run)
    _run_finish_if_done(run.pk)
    run.refresh_from_db()
    return run


def bill_run_work(
    *,
    run: BillRun,
    on_chunk: Callable[[BillRunChunk | None], None] | None = None,
    threads: int = 1,
) -> BillRun:
    """Work every chunk of a running run that is not completed, in this process; ``on_chunk``
    is called after each (the CLI's progress bar).

    With ``threads`` > 1 (PostgreSQL only) that many threads, each with its own database
    connection, take the chunks in turn — the claims make them share the work exactly as
    Celery workers do. One thread prices a chunk while another waits for PostgreSQL to
    write its own, which nearly doubles the rate on two cores.
    """
    chunk_ids = list(
        run.chunks.exclude(status=BillRunStatus.COMPLETED)
        .order_by("index")
        .values_list("pk", flat=True)
    )
    # Other threads have their own connections: they cannot see uncommitted rows, so inside
    # a transaction the chunks are worked in this thread.
    in_one_thread = (
        threads <= 1
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or len(chunk_ids) < 2
    )
    if in_one_thread:
        for chunk_id in chunk_ids:
            chunk = bill_run_process_chunk(chunk_id=chunk_id)
            if on_chunk is not None:
                on_chunk(chunk)
    else:
        _work_in_threads(chunk_ids, threads=threads, on_chunk=on_chunk)
    _run_finish_if_done(run.pk)
    run.refresh_from_db()
    return run


def _work_in_threads(
    chunk_ids: list[int], *, threads: int, on_chunk: Callable[[BillRunChunk | None], None] | None
) -> None:
    pending = deque(chunk_ids)
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    chunk_id = pending.popleft()
                chunk = bill_run_process_chunk(chunk_id=chunk_id)
                if on_chunk is not None:
                    with lock:
                        on_chunk(chunk)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bill-run") as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()


def _chunk_claim(chunk_id: int) -> BillRunChunk | None:
    now = timezone.now()
    with transaction.atomic():
        chunk = (
            BillRunChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=chunk_id, run__status=BillRunStatus.RUNNING)
            .filter(
                Q(status__in=[BillRunStatus.PENDING, BillRunStatus.FAILED])
                | Q(status=BillRunStatus.RUNNING, started_at__lt=now - STALE_AFTER)
            )
            .first()
        )
        if chunk is None:
            return None
        chunk.status = BillRunStatus.RUNNING
        chunk.attempts += 1
        chunk.started_at = now
        chunk.finished_at = None
        chunk.save(update_fields=["status", "attempts", "started_at", "finished_at"])
    return chunk


def bill_run_process_chunk(*, chunk_id: int) -> BillRunChunk | None:
    """Bill one chunk (see the module docstring); safe to call twice and concurrently.

    Returns the chunk (completed, or failed with its error recorded), or None when there
    was nothing to do (completed already, or being worked on by somebody else).
    """
    chunk = _chunk_claim(chunk_id)
    if chunk is None:
        return None
    try:
        with transaction.atomic():
            owned = (
                BillRunChunk.objects.select_for_update(of=("self",))
                .select_related("run", "run__cycle")
                .filter(pk=chunk.pk, status=BillRunStatus.RUNNING, attempts=chunk.attempts)
                .first()
            )
            if owned is None:  # resumed as an orphan and taken by another worker meanwhile
                return None
            billed, skipped = _chunk_bill(owned)
            BillRunChunk.objects.filter(pk=owned.pk).update(
                status=BillRunStatus.COMPLETED,
                billed=billed,
                skipped=skipped,
                finished_at=timezone.now(),
                error="",
            )
    except Exception as error:  # the worker boundary: record the failure, log it, go on
        logger.exception("bill run chunk %s failed", chunk.pk)
        BillRunChunk.objects.filter(
            pk=chunk.pk, status=BillRunStatus.RUNNING, attempts=chunk.attempts
        ).update(
            status=BillRunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
    _run_finish_if_done(chunk.run_id)
    chunk.refresh_from_db()
    return chunk


def _prepare_chunk_transaction(first_id: int, last_id: int) -> None:
    """PostgreSQL: no JIT for the chunk's short queries (compiling costs more than it saves),
    and the accounts of the range locked ``FOR KEY SHARE`` (see ``bill_issue_final``)."""
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers on the whole database
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM customers_account "
            "WHERE id BETWEEN %s AND %s FOR KEY SHARE) AS locked",
            [first_id, last_id],
        )


def _chunk_bill(chunk: BillRunChunk) -> tuple[int, int]:
    """Bill the accounts of a chunk; returns (billed, skipped). Inside the chunk's
    transaction."""
    run = chunk.run
    cycle = run.cycle
    _prepare_chunk_transaction(chunk.first_account_id, chunk.last_account_id)
    accounts = account_rows(
        Account.objects.filter(pk__gte=chunk.first_account_id, pk__lte=chunk.last_account_id),
        cycle_id=cycle.pk,
    )
    inputs = billing_inputs_load(accounts=accounts, up_to=None)
    issued_at = timezone.now()
    terms = BillTerms(
        kind=BillKind.CYCLE,
        due_date=due_date_for(issued_at, cycle.due_days),
        cycle_id=cycle.pk,
        run_id=run.pk,
    )
    requests = []
    skipped = 0
    active = AccountStatus.ACTIVE.value
    for account in accounts.values():
        if account.has_cycle_bill:
            continue
        reads = inputs.reads.get(account.id, ())
        if account.status != active and not any(read.cycle_id == cycle.pk for read in reads):
            continue  # not an account of this run (see ``accounts_to_bill``)
        chosen = cycle_bill_reads(reads, cycle_id=cycle.pk)
        if isinstance(chosen, str):
            skipped += 1
            continue
        requests.append((account, chosen, cycle_bill_number(cycle.code, account.number)))
    drafts, refused = bill_drafts_build(
        requests, terms=terms, inputs=inputs, pricer=Pricer(_tariff_book(run.public_id))
    )
    bill_ids = bill_drafts_insert(drafts, issued_at=issued_at, actor_id=run.created_by_id)
    if bill_ids:
        bills_issued.notify(bill_ids=bill_ids, issued_at=issued_at)
    return len(drafts), skipped + len(refused)


_book_cache: dict[uuid.UUID, tuple[float, TariffBook]] = {}
BOOK_MAX_AGE_SECONDS = 60.0


def _tariff_book(run_id: uuid.UUID) -> TariffBook:
    """The tariff snapshot of a run in this process, reloaded after a minute: the chunks a
    process works in a row price with the same book (loading it costs more than billing a
    hundred accounts)."""
    now = time.monotonic()
    cached = _book_cache.get(run_id)
    if cached is not None and now - cached[0] < BOOK_MAX_AGE_SECONDS:
        return cached[1]
    book = TariffBook.load()
    _book_cache.clear()
    _book_cache[run_id] = (now, book)
    return book


def _run_finish_if_done(run_id: int) -> None:
    """Completed when every chunk is; failed when the others are completed and some failed.
    Compare-and-set on the run's status: of two workers finishing last, one wins."""
    with transaction.atomic():
        counts = BillRunChunk.objects.filter(run_id=run_id).aggregate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(status=BillRunStatus.COMPLETED)),
            failed=Count("pk", filter=Q(status=BillRunStatus.FAILED)),
            billed=Sum("billed", filter=Q(status=BillRunStatus.COMPLETED)),
            skipped=Sum("skipped", filter=Q(status=BillRunStatus.COMPLETED)),
        )
        if counts["completed"] == counts["total"]:
            status = BillRunStatus.COMPLETED
        elif counts["failed"] and counts["completed"] + counts["failed"] == counts["total"]:
            status = BillRunStatus.FAILED
        else:
            return
        BillRun.objects.filter(pk=run_id, status=BillRunStatus.RUNNING).update(
            status=status,
            billed_accounts=counts["billed"] or 0,
            skipped_accounts=counts["skipped"] or 0,
            finished_at=timezone.now(),
        )

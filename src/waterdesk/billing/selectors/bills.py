"""Reads of bill runs and bills: lists, a run's progress and skipped accounts, a bill's
statement (what its page and PDF show)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    SKIP_LABELS,
    SKIP_NEEDS_REVIEW,
    SKIP_NO_READ,
    SKIP_NOT_PRICED,
    Bill,
    BillLine,
    BillRun,
    BillRunChunk,
    BillRunStatus,
    LedgerEntry,
    LedgerEntryKind,
    MeterRead,
    ReadingCycle,
    ReadKind,
    ReadStatus,
)
from waterdesk.billing.selectors.ledger import account_balance, account_open_debts
from waterdesk.core.errors import NotFound
from waterdesk.customers.models import Account, AccountStatus, BillingMode, MeterState

SKIPPED_LIST_LIMIT = 200
SKIP_COVERED = "covered_by_other_bill"
SKIPPED_REASON_LABELS = {**SKIP_LABELS, SKIP_COVERED: _("本期抄表已计入其他账单")}


def _get_or_not_found(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# --- runs ---------------------------------------------------------------------------------


def accounts_to_bill(cycle: ReadingCycle) -> QuerySet[Account]:
    """Accounts a run on ``cycle`` should look at: active ones and any with a validated or
    pending read in the cycle, without a bill for the cycle yet; never a metering point
    (its meter's volume is billed to other accounts through derived reads)."""
    return (
        Account.objects.exclude(billing_mode=BillingMode.METERING_POINT)
        .filter(
            Q(status=AccountStatus.ACTIVE)
            | Exists(
                MeterRead.objects.filter(
                    account_id=OuterRef("pk"),
                    cycle_id=cycle.pk,
                    status__in=[ReadStatus.VALIDATED, ReadStatus.NEEDS_REVIEW],
                )
            )
        )
        .exclude(Exists(Bill.objects.filter(account_id=OuterRef("pk"), cycle_id=cycle.pk)))
    )


def bill_run_list(*, cycle: ReadingCycle | None = None) -> QuerySet[BillRun]:
    runs = BillRun.objects.select_related("cycle", "created_by").order_by("-created_at", "-pk")
    return runs.filter(cycle=cycle) if cycle is not None else runs


def bill_run_get(*, public_id: uuid.UUID | str) -> BillRun:
    return _get_or_not_found(
        BillRun.objects.select_related("cycle", "created_by"), public_id=public_id
    )


def reading_cycles_open() -> QuerySet[ReadingCycle]:
    """Cycles a run may be started for (not closed), latest first."""
    return ReadingCycle.objects.filter(is_closed=False).order_by("-period_start", "-pk")


def reading_cycle_get(*, code: str) -> ReadingCycle:
    return _get_or_not_found(ReadingCycle.objects.all(), code=code)


@dataclass(frozen=True)
class RunProgress:
    status: str
    status_label: str
    total_accounts: int
    billed: int
    skipped: int
    processed: int
    percent: int
    chunks_total: int
    chunks_completed: int
    chunks_running: int
    chunks_failed: int
    errors: list[tuple[int, str]]  # (chunk index, error) of failed chunks
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    accounts_per_second: float | None

    @property
    def is_active(self) -> bool:
        return self.status in (BillRunStatus.PENDING, BillRunStatus.RUNNING)

    @property
    def can_resume(self) -> bool:
        return self.status in (BillRunStatus.FAILED, BillRunStatus.RUNNING)


def bill_run_progress(run: BillRun) -> RunProgress:
    """Counts of the run so far, summed from its chunks (one query)."""
    run.refresh_from_db(fields=["status", "started_at", "finished_at", "total_accounts"])
    done = Q(status=BillRunStatus.COMPLETED)
    counts = BillRunChunk.objects.filter(run=run).aggregate(
        total=Count("pk"),
        completed=Count("pk", filter=done),
        running=Count("pk", filter=Q(status=BillRunStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=BillRunStatus.FAILED)),
        billed=Sum("billed", filter=done),
        skipped=Sum("skipped", filter=done),
    )
    billed, skipped = counts["billed"] or 0, counts["skipped"] or 0
    processed = billed + skipped
    if counts["total"] == 0 or counts["completed"] == counts["total"]:
        percent = 100 if run.status == BillRunStatus.COMPLETED else 0
    else:
        percent = min(99, processed * 100 // max(run.total_accounts, 1))
    errors = list(
        run.chunks.filter(status=BillRunStatus.FAILED)
        .order_by("index")
        .values_list("index", "error")[:20]
    )
    seconds = None
    rate = None
    if run.started_at is not None:
        seconds = ((run.finished_at or timezone.now()) - run.started_at).total_seconds()
        rate = processed / seconds if seconds > 0 else None
    return RunProgress(
        status=run.status,
        status_label=str(BillRunStatus(run.status).label),
        total_accounts=run.total_accounts,
        billed=billed,
        skipped=skipped,
        processed=processed,
        percent=percent,
        chunks_total=counts["total"],
        chunks_completed=counts["completed"],
        chunks_running=counts["running"],
        chunks_failed=counts["failed"],
        errors=errors,
        started_at=run.started_at,
        finished_at=run.finished_at,
        seconds=seconds,
        accounts_per_second=rate,
    )


@dataclass(frozen=True)
class SkippedAccount:
    account: Account
    reason: str

    @property
    def reason_label(self) -> str:
        return str(SKIPPED_REASON_LABELS[self.reason])


def bill_run_skipped(
    run: BillRun, *, limit: int = SKIPPED_LIST_LIMIT
) -> tuple[list[SkippedAccount], int]:
    """Accounts of the run's completed chunks that still have no bill for the cycle, with
    the reason as it stands now (up to ``limit``, by account number), and their count."""
    ranges = list(
        run.chunks.filter(status=BillRunStatus.COMPLETED, skipped__gt=0).values_list(
            "first_account_id", "last_account_id"
        )
    )
    if not ranges:
        return [], 0
    in_ranges = Q()
    for first, last in ranges:
        in_ranges |= Q(pk__range=(first, last))
    cycle_reads = MeterRead.objects.filter(account_id=OuterRef("pk"), cycle_id=run.cycle_id)
    accounts = (
        accounts_to_bill(run.cycle)
        .filter(in_ranges)
        .annotate(
            in_review=Exists(cycle_reads.filter(status=ReadStatus.NEEDS_REVIEW)),
            last_read=Subquery(
                cycle_reads.filter(status=ReadStatus.VALIDATED, consumption__isnull=False)
                .order_by("-read_on")
                .values("read_on")[:1]
            ),
            billed_to=Subquery(
                Bill.objects.filter(account_id=OuterRef("pk"))
                .order_by("-period_end")
                .values("period_end")[:1]
            ),
        )
        .select_related("customer", "premise")
        .order_by("number")
    )
    total = accounts.count()
    rows = []
    for account in accounts[:limit]:
        if account.in_review:
            reason = SKIP_NEEDS_REVIEW
        elif account.last_read is None:
            reason = SKIP_NO_READ
        elif account.billed_to is not None and account.last_read <= account.billed_to:
            reason = SKIP_COVERED
        else:
            reason = SKIP_NOT_PRICED
        rows.append(SkippedAccount(account=account, reason=reason))
    return rows, total


# --- bills --------------------------------------------------------------------------------


def account_billed_until(account: Account) -> date | None:
    """The last day a bill of the account covers (None: never billed)."""
    return Bill.objects.filter(account=account).aggregate(end=Max("period_end"))["end"]


def bill_list_for_account(account: Account) -> QuerySet[Bill]:
    return (
        Bill.objects.filter(account=account).select_related("cycle").order_by("-period_end", "-pk")
    )


def bill_get(*, public_id: uuid.UUID | str) -> Bill:
    return _get_or_not_found(
        Bill.objects.select_related(
            "account", "account__customer", "account__premise", "cycle", "closing_read"
        ),
        public_id=public_id,
    )


def account_get(*, public_id: uuid.UUID | str) -> Account:
    return _get_or_not_found(
        Account.objects.select_related("customer", "premise"), public_id=public_id
    )


@dataclass(frozen=True)
class BillStatement:
    """What a bill shows: its lines, the reads it covers, the opening and closing register
    values, whether an estimate is in it, and the balance brought forward, of which
    ``late_fees`` are the late fees (net of waivers) posted since the previous bill."""

    bill: Bill
    lines: list[BillLine]
    reads: list[MeterRead]
    opening_value: Decimal | None
    opening_date: date | None
    closing_value: Decimal
    closing_date: date
    is_estimated: bool
    balance_brought_forward: Decimal
    total_due: Decimal
    late_fees: Decimal = Decimal("0.00")


def bill_reads_covered(bill: Bill) -> list[MeterRead]:
    """The validated reads a bill covers: after the account's previous bill, up to and
    including its closing read."""
    previous_end = Bill.objects.filter(
        account_id=bill.account_id, period_end__lt=bill.period_end
    ).aggregate(last=Max("period_end"))["last"]
    reads = MeterRead.objects.filter(
        account_id=bill.account_id,
        status=ReadStatus.VALIDATED,
        consumption__isnull=False,
        read_on__lte=bill.period_end,
    )
    if previous_end is not None:
        reads = reads.filter(read_on__gt=previous_end)
    return list(reads.select_related("previous", "meter").order_by("read_on", "pk"))


def bill_statement(bill: Bill) -> BillStatement:
    """The opening and closing register values are those of the meter read in the field
    when the bill covers any such read; derived reads (allocated shares, flat-fee volumes,
    on virtual meters) add volume, not register values."""
    lines = list(bill.lines.order_by("pk"))
    reads = bill_reads_covered(bill)
    closing = bill.closing_read
    metered = [read for read in reads if read.meter.state != MeterState.VIRTUAL]
    if metered and closing.meter_id not in {read.meter_id for read in metered}:
        closing = metered[-1]
    first = metered[0] if metered else (reads[0] if reads else closing)
    opening = first.previous
    charge_moment = bill.issued_at
    brought_forward = account_balance(bill.account, before=charge_moment)
    previous = (
        Bill.objects.filter(account_id=bill.account_id, issued_at__lt=charge_moment)
        .order_by("-issued_at")
        .values_list("issued_at", flat=True)
        .first()
    )
    late_fees = LedgerEntry.objects.filter(
        account_id=bill.account_id, kind=LedgerEntryKind.LATE_FEE, posted_at__lt=charge_moment
    )
    if previous is not None:
        late_fees = late_fees.filter(posted_at__gte=previous)
    return BillStatement(
        bill=bill,
        lines=lines,
        reads=reads,
        opening_value=opening.value if opening is not None else None,
        opening_date=opening.read_on if opening is not None else None,
        closing_value=closing.value,
        closing_date=closing.read_on,
        is_estimated=any(
            read.kind == ReadKind.ESTIMATED or "estimated" in (read.issues or []) for read in reads
        ),
        balance_brought_forward=brought_forward,
        total_due=brought_forward + bill.amount,
        late_fees=late_fees.aggregate(total=Sum("amount"))["total"] or Decimal("0.00"),
    )


def bill_ledger_entries(bill: Bill) -> QuerySet[LedgerEntry]:
    """The ledger entries naming a bill: its charge, credit notes, reversals."""
    return (
        LedgerEntry.objects.filter(bill=bill)
        .select_related("created_by")
        .order_by("posted_at", "pk")
    )


@dataclass(frozen=True)
class NoticeItem:
    """One line of a fee notice: what is left unpaid of a bill (with its late fees), or of
    a charge that names no bill (a debit adjustment)."""

    bill: Bill | None
    description: str
    due: date
    unpaid: Decimal


@dataclass(frozen=True)
class FeeNotice:
    """What a fee notice (缴费通知单) shows for an account on a day: the unpaid items,
    oldest due first, their total, and the credit when nothing is owed."""

    items: list[NoticeItem]
    total_due: Decimal
    credit: Decimal


def account_fee_notice(account: Account, *, as_of: date) -> FeeNotice:
    """The account's unpaid bills and charges on ``as_of`` (payments settle the oldest
    debts first, as in the aging); a bill's late fees are added to its line."""
    debts, credit = account_open_debts(account, as_of=as_of)
    bills = Bill.objects.in_bulk({debt.bill_id for debt in debts if debt.bill_id is not None})
    items: list[NoticeItem] = []
    by_bill: dict[int, int] = {}  # bill id -> index in items
    for debt in debts:
        if debt.bill_id is None:
            items.append(
                NoticeItem(
                    bill=None, description=debt.description, due=debt.due, unpaid=debt.unpaid
                )
            )
        elif debt.bill_id in by_bill:
            index = by_bill[debt.bill_id]
            earlier = items[index]
            items[index] = NoticeItem(
                bill=earlier.bill,
                description=earlier.description,
                due=min(earlier.due, debt.due),
                unpaid=earlier.unpaid + debt.unpaid,
            )
        else:
            by_bill[debt.bill_id] = len(items)
            bill = bills[debt.bill_id]
            items.append(
                NoticeItem(bill=bill, description=bill.number, due=debt.due, unpaid=debt.unpaid)
            )
    return FeeNotice(
        items=items,
        total_due=sum((item.unpaid for item in items), Decimal("0.00")),
        credit=credit,
    )

"""Reads for correcting a read: which bill covers it, the meter's next read, its
corrections, the reads a user may pick from."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from waterdesk.billing.models import Bill, MeterRead, MeterReadCorrection, ReadStatus
from waterdesk.billing.selectors.reading import _reads
from waterdesk.customers.models import Account


def meter_read_bill(read: MeterRead) -> Bill | None:
    """The bill that covers ``read``, or None while it can still change.

    A bill covers its closing read and every read of its account up to that day: the reads
    before its last day, and those of its last day that existed when it was issued. A read
    entered later on a bill's last day is never billed (a bill covers the days after the
    previous bill's last day), so it is not covered either.
    """
    closing = Bill.objects.filter(closing_read=read).first()
    if closing is not None:
        return closing
    bill = (
        Bill.objects.filter(account_id=read.account_id, period_end__gte=read.read_on)
        .order_by("period_end", "pk")
        .first()
    )
    return bill if _first_bill_covers(bill, read) else None


def _first_bill_covers(bill: Bill | None, read: MeterRead) -> bool:
    """``bill``, the account's first bill ending on or after the read's day, covers the
    read: unless it ends that day and the read was entered after it was issued."""
    if bill is None:
        return False
    return not (bill.period_end == read.read_on and read.entered_at >= bill.issued_at)


def reads_open_to_correction(reads: list[MeterRead]) -> set[int]:
    """The pks of ``reads`` that no bill covers and no later read of their meter follows
    (``meter_read_bill`` and ``meter_read_later`` for a whole page, in two queries)."""
    if not reads:
        return set()
    first_day = min(read.read_on for read in reads)
    bills: dict[int, list[Bill]] = {}
    for bill in Bill.objects.filter(
        account_id__in={read.account_id for read in reads}, period_end__gte=first_day
    ).order_by("period_end", "pk"):
        bills.setdefault(bill.account_id, []).append(bill)
    latest: dict[tuple[int, int], tuple] = {}
    for meter_id, account_id, read_on, pk in (
        MeterRead.objects.filter(meter_id__in={read.meter_id for read in reads})
        .filter(read_on__gte=first_day)
        .exclude(status=ReadStatus.REJECTED)
        .values_list("meter_id", "account_id", "read_on", "pk")
    ):
        key = (meter_id, account_id)
        latest[key] = max(latest.get(key, (read_on, pk)), (read_on, pk))
    open_reads = set()
    for read in reads:
        account_bills = bills.get(read.account_id, [])
        if any(bill.closing_read_id == read.pk for bill in account_bills):
            continue
        first = next((b for b in account_bills if b.period_end >= read.read_on), None)
        if _first_bill_covers(first, read):
            continue
        if latest.get((read.meter_id, read.account_id), (read.read_on, read.pk)) > (
            read.read_on,
            read.pk,
        ):
            continue
        open_reads.add(read.pk)
    return open_reads


def meter_read_later(read: MeterRead) -> MeterRead | None:
    """The next read of the same meter on the account after ``read`` (not rejected)."""
    return (
        MeterRead.objects.filter(meter_id=read.meter_id, account_id=read.account_id)
        .exclude(status=ReadStatus.REJECTED)
        .filter(Q(read_on__gt=read.read_on) | Q(read_on=read.read_on, pk__gt=read.pk))
        .order_by("read_on", "pk")
        .first()
    )


def meter_read_corrections(read: MeterRead) -> QuerySet[MeterReadCorrection]:
    return read.corrections.select_related("corrected_by").order_by("corrected_at", "pk")


def reads_recent_for_user(
    user, *, account: Account | None = None, limit: int = 50
) -> list[MeterRead]:
    """The latest reads the user may see: of one account, or those the user entered."""
    scope = {"account": account} if account is not None else {"entered_by": user}
    reads = _reads().select_related("entered_by").filter(**scope)
    return list(reads.order_by("-read_on", "-pk")[:limit])

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
    if bill is None:
        return None
    if bill.period_end == read.read_on and read.entered_at >= bill.issued_at:
        return None
    return bill


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

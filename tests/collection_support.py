"""Hand-made ledgers for the collection tests: bills and entries written straight into the
ledger (the classification reads nothing else), each at a chosen moment."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tests.factories import AccountFactory, MeterFactory
from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind, MeterRead
from waterdesk.core.timeutil import LOCAL_TZ

_numbers = itertools.count(1)


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware moment of ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def bill(account, *, amount, due: date, issued: date | None = None) -> Bill:
    """A bill and its charge: issued 20 days before ``due`` unless ``issued``."""
    issued = issued or due - timedelta(days=20)
    number = next(_numbers)
    meter = MeterFactory(premise=account.premise, account=account)
    read = MeterRead.objects.create(
        account=account,
        meter=meter,
        read_on=issued,
        value=Decimal("0"),
        source="manual",
        status="validated",
        entered_at=moment(issued),
    )
    made = Bill.objects.create(
        number=f"T{number:08d}",
        account=account,
        period_start=issued - timedelta(days=30),
        period_end=issued,
        closing_read=read,
        volume=Decimal("0"),
        amount=Decimal(amount),
        issued_at=moment(issued),
        due_date=due,
    )
    entry(account, LedgerEntryKind.CHARGE, amount, posted=moment(issued), due=due, bill=made)
    return made


def entry(
    account, kind, amount, *, posted: datetime, due: date | None = None, bill=None, reverses=None
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=Decimal(amount),
        posted_at=posted.astimezone(UTC),
        due_date=due,
        bill=bill,
        reverses=reverses,
    )


def charge(account, amount, *, due: date) -> LedgerEntry:
    """A debt without a bill (a debit adjustment) posted 20 days before it is due."""
    return entry(
        account,
        LedgerEntryKind.ADJUSTMENT,
        amount,
        posted=moment(due - timedelta(days=20)),
        due=due,
    )


def payment(account, amount, *, on: date, bill=None) -> LedgerEntry:
    return entry(account, LedgerEntryKind.PAYMENT, -Decimal(amount), posted=moment(on), bill=bill)


def account_owing(amount, *, due: date):
    """An account whose only debt, ``amount`` yuan, fell due on ``due``."""
    account = AccountFactory()
    charge(account, amount, due=due)
    return account


def late_fee(bill, amount, *, on: date) -> LedgerEntry:
    """A late fee on ``bill`` as the late-fee run posts it: due the day it is posted."""
    return entry(
        bill.account, LedgerEntryKind.LATE_FEE, amount, posted=moment(on, hour=1), due=on, bill=bill
    )


def waiver(bill, amount, *, on: date) -> LedgerEntry:
    """A waiver of ``amount`` of ``bill``'s late fees (a negative late fee naming the bill)."""
    return entry(
        bill.account, LedgerEntryKind.LATE_FEE, -Decimal(amount), posted=moment(on), bill=bill
    )

"""Reads of the account ledger: balance, aging and the statement.

Aging (账龄) applies payments and credits to the oldest debts first (FIFO):

1. The entries posted on or before the ``as_of`` day (Asia/Shanghai) count. An entry and
   its reversal, both in that set, cancel each other and are left out.
2. Debts are the entries with a positive amount (charges, late fees, debit adjustments),
   each due on its ``due_date`` (a bill's due date; an entry without one is due the day it
   was posted). Credits are the negative entries (payments, credit notes, credit
   adjustments), whatever their own date.
3. A payment that names a bill (the payer chose which bills to pay) settles that bill's
   debts first; a late-fee waiver (a negative late fee naming a bill) settles that bill's
   late fees first, never its charges. What is left of them joins the other credits.
   Their sum (credit notes too, whatever bill they name) then settles the remaining
   debts in order of due date (then posting time): the oldest debt first.
4. What is left of each debt goes to a bucket by the days it is overdue on ``as_of``:
   not yet due (0 or less), 1–30, 31–90, 91–180 and more than 180 days. Credit left over
   after every debt is settled is reported as ``credit``.

So ``sum(buckets) − credit`` is the balance on ``as_of``.

Prepaid settlements (预存抵扣, ``services.prepayment``) are zero-sum pairs of PREPAID
entries naming the bill they settled: the credit drawn (> 0) and the same amount applied
to the bill (< 0), posted together. They record which bill a prepayment paid and leave
the balance as it was; aging leaves them out, so it is exactly what it would be without
them (the credit they record settles the bill by rule 3 already, oldest first). The
statement shows each pair as one row: the amount applied, the balance unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Sum
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.core.money import MONEY_PLACES, MONEY_SUM_MAX_DIGITS
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Account

ZERO = Decimal("0.00")

AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    # (key, the most days overdue in the bucket; None: no limit)
    ("not_due", 0),
    ("days_1_30", 30),
    ("days_31_90", 90),
    ("days_91_180", 180),
    ("over_180", None),
)

AGING_LABELS = {
    "not_due": _("未到期"),
    "days_1_30": _("逾期1–30天"),
    "days_31_90": _("逾期31–90天"),
    "days_91_180": _("逾期91–180天"),
    "over_180": _("逾期180天以上"),
}


def account_balance(account: Account, *, before: datetime | None = None) -> Decimal:
    """What the account owes (> 0) or has in credit (< 0): the sum of its ledger; with
    ``before``, of the entries posted before that moment."""
    entries = LedgerEntry.objects.filter(account=account)
    if before is not None:
        entries = entries.filter(posted_at__lt=before)
    # Summed with more digits than a column has: no balance is refused for its size.
    total = entries.aggregate(
        total=Sum(
            "amount",
            output_field=DecimalField(max_digits=MONEY_SUM_MAX_DIGITS, decimal_places=2),
        )
    )["total"]
    return ZERO if total is None else Decimal(total).quantize(MONEY_PLACES)


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class OpenDebt:
    """What is left unpaid of one debt (a charge, late fee or debit adjustment) on a day."""

    bill_id: int | None
    description: str
    due: date
    unpaid: Decimal  # what is left of it after the credits (> 0)


def ledger_settle(entries) -> tuple[list[tuple[object, date, Decimal]], Decimal]:
    """Steps 1–3 of the module docstring on ``entries`` (ledger entries, or any objects with
    their ``pk``, ``kind``, ``amount``, ``due_date``, ``posted_at``, ``reverses_id`` and
    ``bill_id``), already cut to the ``as_of`` day: every debt as ``(entry, due, unpaid)``
    oldest due first (``unpaid`` may be 0), and the credit left over. Pure: no database."""
    entries = sorted(entries, key=lambda entry: (entry.posted_at, entry.pk))
    ids = {entry.pk for entry in entries}
    cancelled = set()
    for entry in entries:
        if entry.reverses_id is not None and entry.reverses_id in ids:
            cancelled |= {entry.pk, entry.reverses_id}
    debts = []
    credit = ZERO
    targeted: dict[int, Decimal] = {}  # bill id -> payments that name it
    waived: dict[int, Decimal] = {}  # bill id -> late-fee waivers that name it
    for entry in entries:
        if entry.pk in cancelled or entry.kind == LedgerEntryKind.PREPAID:
            continue  # a prepaid pair sums to zero and records what rule 3 does anyway
        if entry.amount > 0:
            due = entry.due_date or local(entry.posted_at).date()
            debts.append([due, entry.posted_at, entry.pk, entry, entry.amount])
        elif entry.bill_id is not None and entry.kind == LedgerEntryKind.PAYMENT:
            targeted[entry.bill_id] = targeted.get(entry.bill_id, ZERO) - entry.amount
        elif entry.bill_id is not None and entry.kind == LedgerEntryKind.LATE_FEE:
            waived[entry.bill_id] = waived.get(entry.bill_id, ZERO) - entry.amount
        else:
            credit -= entry.amount
    debts.sort(key=lambda debt: debt[:3])
    for debt in debts:
        bill_id = debt[3].bill_id
        if waived.get(bill_id) and debt[3].kind == LedgerEntryKind.LATE_FEE:
            settled = min(waived[bill_id], debt[4])
            waived[bill_id] -= settled
            debt[4] -= settled
        if targeted.get(bill_id):
            settled = min(targeted[bill_id], debt[4])
            targeted[bill_id] -= settled
            debt[4] -= settled
    credit += sum(targeted.values(), ZERO) + sum(waived.values(), ZERO)
    result = []
    for due, _posted, _pk, entry, left in debts:
        settled = min(credit, left)
        credit -= settled
        result.append((entry, due, left - settled))
    return result, credit


def account_open_debts(account: Account, *, as_of: date) -> tuple[list[OpenDebt], Decimal]:
    """Steps 1–3 of the module docstring: the debts left unpaid on ``as_of``, oldest due
    first, and the credit left over after every debt is settled (what a fee notice lists;
    ``account_aging`` sorts them by age)."""
    entries = list(
        LedgerEntry.objects.filter(account=account, posted_at__lt=_end_of_day(as_of)).only(
            "pk", "kind", "amount", "due_date", "posted_at", "reverses_id", "bill_id", "description"
        )
    )
    debts, credit = ledger_settle(entries)
    unpaid = [
        OpenDebt(bill_id=entry.bill_id, description=entry.description, due=due, unpaid=left)
        for entry, due, left in debts
        if left
    ]
    return unpaid, credit


def account_aging(account: Account, *, as_of: date) -> dict[str, Decimal]:
    """The balance on ``as_of`` by age (see the module docstring): the keys of
    ``AGING_BUCKETS`` plus ``credit`` and ``balance``."""
    debts, credit = account_open_debts(account, as_of=as_of)
    result = {key: ZERO for key, _limit in AGING_BUCKETS}
    for debt in debts:
        overdue = (as_of - debt.due).days
        for key, limit in AGING_BUCKETS:
            if limit is None or overdue <= limit:
                result[key] += debt.unpaid
                break
    result["credit"] = credit
    result["balance"] = sum((result[key] for key, _limit in AGING_BUCKETS), ZERO) - credit
    return result


@dataclass(frozen=True)
class StatementRow:
    entry: LedgerEntry
    balance: Decimal  # the running balance after this entry


def account_statement(account: Account, *, limit: int | None = None) -> list[StatementRow]:
    """The account's ledger in posting order with the running balance after each entry;
    with ``limit``, only the latest ``limit`` rows (their balances still count everything
    before them). A prepaid pair is one row, the amount applied to the bill (< 0): its
    drawn half (> 0, posted first) is counted in the balance but not listed, so the row's
    balance is the same as the row's before it."""
    entries = LedgerEntry.objects.filter(account=account).select_related("bill", "reverses")
    ordered = list(entries.order_by("posted_at", "pk"))
    rows = []
    balance = ZERO
    for entry in ordered:
        balance += entry.amount
        if entry.kind == LedgerEntryKind.PREPAID and entry.amount > 0:
            continue
        rows.append(StatementRow(entry=entry, balance=balance))
    return rows[-limit:] if limit else rows

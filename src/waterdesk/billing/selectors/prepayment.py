"""Reads of prepaid balances (预存): the policy, an account's prepaid state for the
customer's page, and the balances report of the finance office.

An account's prepaid balance is its credit: what it has paid beyond all it owes (the
negative of ``selectors.ledger.account_balance``). Its settlements are the PREPAID pairs
``services.prepayment`` posts when bills are issued; the applied half (< 0) names the bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum

from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind, PrepaymentPolicy
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.money import MONEY_PLACES, MONEY_SUM_MAX_DIGITS
from waterdesk.customers.models import Account

ZERO = Decimal("0.00")
RECENT_SETTLEMENTS = 5


def prepayment_policy() -> PrepaymentPolicy:
    """The policy row, or the defaults while none was saved."""
    return PrepaymentPolicy.objects.filter(pk=1).first() or PrepaymentPolicy(pk=1)


def _sum_field():
    # Summed with more digits than a column has: no balance is refused for its size.
    return DecimalField(max_digits=MONEY_SUM_MAX_DIGITS, decimal_places=2)


def account_balances(account_ids, *, up_to: datetime | None = None) -> dict[int, Decimal]:
    """The balance (``account_balance``) of each of ``account_ids`` in one query, with
    ``up_to`` of the entries posted then or before; an account without entries is left out
    (its balance is 0)."""
    entries = LedgerEntry.objects.filter(account_id__in=list(account_ids))
    if up_to is not None:
        entries = entries.filter(posted_at__lte=up_to)
    rows = (
        entries.values("account_id")
        .annotate(total=Sum("amount", output_field=_sum_field()))
        .values_list("account_id", "total")
    )
    return {account_id: Decimal(total).quantize(MONEY_PLACES) for account_id, total in rows}


@dataclass(frozen=True)
class Settlement:
    """One bill settled from a prepaid balance."""

    posted_at: datetime
    bill: Bill | None
    amount: Decimal  # what the balance paid of the bill (> 0)


def settlements_of(account: Account, *, limit: int = RECENT_SETTLEMENTS) -> list[Settlement]:
    """The latest settlements from the account's prepaid balance (the applied halves of
    the PREPAID pairs, with their bills), newest first."""
    entries = (
        LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.PREPAID, amount__lt=0)
        .select_related("bill")
        .order_by("-posted_at", "-pk")[:limit]
    )
    return [
        Settlement(posted_at=entry.posted_at, bill=entry.bill, amount=-entry.amount)
        for entry in entries
    ]


@dataclass(frozen=True)
class AccountPrepayment:
    """What the customer's page shows of an account's prepaid balance."""

    balance: Decimal  # the prepaid balance (>= 0)
    threshold: Decimal
    is_below_threshold: bool
    settlements: list[Settlement] = field(default_factory=list)


def account_prepayment(account: Account) -> AccountPrepayment:
    """The account's prepaid balance, its latest settlements and whether it is below the
    policy's threshold (an account with no balance left is below it once it had one)."""
    balance = max(-account_balance(account), ZERO)
    threshold = prepayment_policy().low_balance_threshold
    settlements = settlements_of(account)
    return AccountPrepayment(
        balance=balance,
        threshold=threshold,
        is_below_threshold=balance < threshold and (balance > 0 or bool(settlements)),
        settlements=settlements,
    )


@dataclass(frozen=True)
class PrepaymentRow:
    account: Account
    balance: Decimal  # the prepaid balance (> 0)
    last_settled_at: datetime | None
    last_settled_amount: Decimal | None
    last_settled_bill: str
    is_below_threshold: bool


@dataclass(frozen=True)
class PrepaymentReport:
    rows: list[PrepaymentRow]
    threshold: Decimal
    total_balance: Decimal
    accounts: int
    below_threshold: int


def prepayment_report() -> PrepaymentReport:
    """Every account holding a prepaid balance (credit), largest first, with its last
    settlement and whether it is below the threshold; and the totals. A fixed number of
    queries whatever the number of accounts."""
    threshold = prepayment_policy().low_balance_threshold
    credits = (
        LedgerEntry.objects.values("account_id")
        .annotate(total=Sum("amount", output_field=_sum_field()))
        .filter(total__lt=0)
        .values_list("account_id", "total")
    )
    balances = {account_id: -Decimal(total).quantize(MONEY_PLACES) for account_id, total in credits}
    last_applied = LedgerEntry.objects.filter(
        account_id=OuterRef("pk"), kind=LedgerEntryKind.PREPAID, amount__lt=0
    ).order_by("-posted_at", "-pk")
    accounts = (
        Account.objects.filter(pk__in=list(balances))
        .select_related("customer", "premise")
        .annotate(
            last_settled_id=Subquery(last_applied.values("pk")[:1]),
        )
    )
    accounts = list(accounts)
    last_ids = [account.last_settled_id for account in accounts if account.last_settled_id]
    last_entries = {
        entry.pk: entry
        for entry in LedgerEntry.objects.filter(pk__in=last_ids).select_related("bill")
    }
    rows = []
    for account in accounts:
        balance = balances[account.pk]
        last = last_entries.get(account.last_settled_id)
        rows.append(
            PrepaymentRow(
                account=account,
                balance=balance,
                last_settled_at=last.posted_at if last else None,
                last_settled_amount=-last.amount if last else None,
                last_settled_bill=last.bill.number if last and last.bill_id else "",
                is_below_threshold=balance < threshold,
            )
        )
    rows.sort(key=lambda row: (-row.balance, row.account.number))
    return PrepaymentReport(
        rows=rows,
        threshold=threshold,
        total_balance=sum((row.balance for row in rows), ZERO),
        accounts=len(rows),
        below_threshold=sum(1 for row in rows if row.is_below_threshold),
    )

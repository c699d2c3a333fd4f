"""Prepaid balances (预存): new bills settled from an account's credit when they are issued,
and a notice when the balance left falls below the policy's threshold.

An account's prepaid balance is its credit (a payment beyond what it owed, e.g. 600 元
paid at the counter in advance). The ledger already applies credit to the oldest debts
(``selectors.ledger``), so settling a bill changes neither the balance nor the aging; what
it adds is the record of *which* bill the prepayment paid and how much, on the statement
and the customer's page. Rules:

1. When bills are issued (``hooks.bills_issued``: a bill run's chunk, a final bill) and
   ``PrepaymentPolicy.settles_automatically``, each account holding credit before them has
   its new bills settled oldest first (period end, then id): each gets what is left of the
   credit, up to its amount; a bill partly covered gets what there is, the rest is owed.
2. A settlement is a zero-sum pair of PREPAID entries naming the bill, posted at the
   bill's issue time: the credit drawn (+amount, key ``prepaid:<bill>:drawn``) and the
   amount applied to the bill (−amount, key ``prepaid:<bill>``). A bill is settled at most
   once: a bill with PREPAID entries is skipped and the keys are unique, so issuing the same
   bills to the listener again writes nothing.
3. One pass per 5,000 bills (a bill run's chunk is one pass at the default chunk size):
   the bills, the entries already posted for them and the balances of their accounts are
   read in a fixed number of queries and the entries written in one bulk insert.
4. An account whose balance was at or above ``low_balance_threshold`` before the
   settlement and is below it after gets one notice (``billing.prepaid_low``, on the
   policy's channel, deduplicated by the bill that crossed): one per crossing — the next
   bills start below the line and send nothing until a payment lifts the balance above it
   again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind, PrepaymentNoticeChannel
from waterdesk.billing.selectors.prepayment import account_balances, prepayment_policy
from waterdesk.customers.models import Account
from waterdesk.notify.services import notification_queue

ZERO = Decimal("0.00")
NOTICE_TEMPLATE = "billing.prepaid_low"
BATCH_SIZE = 5000


def _settlement_pair(
    *, account_id: int, bill_id: int, number: str, amount: Decimal, at: datetime
) -> list[LedgerEntry]:
    common = {
        "account_id": account_id,
        "kind": LedgerEntryKind.PREPAID,
        "bill_id": bill_id,
        "posted_at": at,
        "reference": number,
    }
    return [
        # The drawn half first: the statement folds it into the applied half after it.
        LedgerEntry(
            amount=amount,
            description=f"预存余额转出，抵扣账单 {number}",
            idempotency_key=f"prepaid:{bill_id}:drawn",
            **common,
        ),
        LedgerEntry(
            amount=-amount,
            description=f"预存抵扣账单 {number}",
            idempotency_key=f"prepaid:{bill_id}",
            **common,
        ),
    ]


@transaction.atomic(savepoint=False)
def prepaid_settle_issued(*, bill_ids, issued_at: datetime) -> int:
    """The ``bills_issued`` listener (rules 1–4 of the module docstring), inside the
    issuing transaction. Returns how many bills were settled (in whole or in part)."""
    policy = prepayment_policy()
    if not policy.settles_automatically or not bill_ids:
        return 0
    ids = list(bill_ids)
    # Batches keep every ``IN`` list within SQLite's bound on a query's parameters (a run's
    # chunk may hold up to 50,000 accounts); a later batch's balance already counts the
    # earlier batches' charges, so its credit is what they left.
    return sum(
        _settle_batch(ids[start : start + BATCH_SIZE], issued_at=issued_at, policy=policy)
        for start in range(0, len(ids), BATCH_SIZE)
    )


def _settle_batch(ids: list[int], *, issued_at: datetime, policy) -> int:
    settled_before = set(
        LedgerEntry.objects.filter(kind=LedgerEntryKind.PREPAID, bill_id__in=ids).values_list(
            "bill_id", flat=True
        )
    )
    bills = [
        bill
        for bill in Bill.objects.filter(pk__in=ids, amount__gt=0)
        .order_by("account_id", "period_end", "pk")
        .values("pk", "account_id", "number", "amount", "issued_at")
        if bill["pk"] not in settled_before
    ]
    if not bills:
        return 0
    by_account: dict[int, list[dict]] = defaultdict(list)
    for bill in bills:
        by_account[bill["account_id"]].append(bill)
    # The balance at the issue (its charges included): what was posted later is no part of
    # it (a listener run again after later payments finds the same credit).
    balances = account_balances(
        by_account, up_to=max(issued_at, *(bill["issued_at"] for bill in bills))
    )
    entries: list[LedgerEntry] = []
    crossings: dict[int, tuple[Decimal, Decimal, dict]] = {}
    threshold = policy.low_balance_threshold
    for account_id, account_bills in by_account.items():
        new_charges = sum((bill["amount"] for bill in account_bills), ZERO)
        credit_before = -(balances.get(account_id, ZERO) - new_charges)
        if credit_before <= 0:
            continue  # no prepaid balance before these bills
        credit = credit_before
        last_settled = None
        for bill in account_bills:
            if credit <= 0:
                break
            amount = min(credit, bill["amount"])
            credit -= amount
            entries += _settlement_pair(
                account_id=account_id,
                bill_id=bill["pk"],
                number=bill["number"],
                amount=amount,
                at=bill["issued_at"] or issued_at,
            )
            last_settled = (bill, amount)
        if credit_before >= threshold > credit and last_settled is not None:
            crossings[account_id] = (credit, credit_before - credit, last_settled[0])
    # ignore_conflicts: a racing listener for the same bills (same keys) adds nothing.
    LedgerEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)
    if crossings:
        _notify_low_balance(crossings, threshold=threshold, channel=policy.notice_channel)
    return len(entries) // 2


def _notify_low_balance(
    crossings: dict[int, tuple[Decimal, Decimal, dict]], *, threshold: Decimal, channel: str
) -> None:
    """Rule 4: one notice per account that crossed the threshold now, deduplicated by the
    bill that crossed it (so a repeat of the same issue sends nothing)."""
    options: dict = {}
    if channel == PrepaymentNoticeChannel.PREFERENCE:
        options["by_preference"] = True
    elif channel == PrepaymentNoticeChannel.SMS:
        options["channels"] = ["sms"]
    accounts = Account.objects.filter(pk__in=list(crossings)).select_related("customer")
    for account in accounts:
        balance, settled, bill = crossings[account.pk]
        notification_queue(
            template=NOTICE_TEMPLATE,
            context={
                "account": account.number,
                "balance": f"{balance:.2f}",
                "threshold": f"{threshold:.2f}",
                "bill_number": bill["number"],
                "settled": f"{settled:.2f}",
            },
            customer=account.customer,
            dedupe_key=f"prepaid-low:{bill['pk']}",
            **options,
        )

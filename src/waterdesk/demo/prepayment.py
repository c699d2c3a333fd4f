"""Prepaid balances (预存) in the demo city, after the billing office's runs: four accounts
that had nothing to pay before the last two bill runs (or the last one) and paid nothing
since paid in advance online two days before their first of those bills, and their bills
were settled from the balance as the runs issued them (``services.prepayment``, each at
its run's moment):

- ``ample``: 500.00 in advance, its bills settled, the balance well above the threshold;
- ``low``: enough for its bills and 30.00 more: a bill takes the balance below the
  threshold (50.00), so its owner got the low-balance notice;
- ``closed``: its bills and 150.00 more in advance, its bills settled, then the account
  was closed two hours ago by ``billing1``: the 150.00 left waits as a refund for a
  supervisor's approval;
- ``short``: 20.00 in advance: the first bill was settled in part, the rest is owed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Min, Q

from waterdesk.billing.models import Bill, BillRun, BillRunStatus, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.prepayment import prepaid_settle_issued
from waterdesk.customers.models import Account, AccountStatus
from waterdesk.customers.services import account_close
from waterdesk.demo.clock import at
from waterdesk.payments.models import PaymentChannel, PaymentMethod
from waterdesk.payments.services.record import payment_record

SOURCE = "demo-prepayment"
ROLES = ("ample", "low", "closed", "short")


def _candidates(runs: list[BillRun], *, wanted: int) -> list[tuple[Account, list[Bill]]]:
    """Active accounts billed by every one of ``runs`` that owed nothing before the first
    and have nothing else on their ledger since (no payment, no adjustment), whose customer
    has no case (no collection case about the bills the prepayment pays), by number."""
    first_issue = runs[0].bills.aggregate(first=Min("issued_at"))["first"]
    bills: dict[int, list[Bill]] = {}
    for bill in Bill.objects.filter(run__in=runs).order_by("issued_at", "pk"):
        bills.setdefault(bill.account_id, []).append(bill)
    twice = [account_id for account_id, billed in bills.items() if len(billed) == len(runs)]
    busy = set(
        LedgerEntry.objects.filter(account_id__in=twice, posted_at__gte=first_issue)
        .exclude(kind=LedgerEntryKind.CHARGE)
        .values_list("account_id", flat=True)
    )
    accounts = (
        Account.objects.filter(pk__in=twice, status=AccountStatus.ACTIVE)
        .exclude(pk__in=busy)
        .exclude(Q(customer__mobile="") | Q(premise__isnull=True))
        .exclude(customer__cases__isnull=False)  # no case tells another story of them
        .select_related("customer")
        .order_by("number")
    )
    chosen = []
    for account in accounts:
        if account_balance(account, before=first_issue) == 0:
            chosen.append((account, bills[account.pk]))
        if len(chosen) == wanted:
            break
    return chosen


def seed_prepayment(*, billing_clerk, now: datetime) -> dict[str, Account]:
    """The accounts above by role (fewer when the city has too few that fit)."""
    runs = list(
        BillRun.objects.filter(status=BillRunStatus.COMPLETED)
        .annotate(issued=Max("bills__issued_at"))
        .filter(issued__isnull=False)
        .order_by("-issued")[:2]
    )[::-1]
    if not runs:
        return {}
    # Most demo customers pay each bill: those who paid nothing since the last two runs are
    # few, the rest come from the last run alone (one settlement each).
    chosen = _candidates(runs, wanted=len(ROLES)) if len(runs) == 2 else []
    taken = {account.pk for account, _bills in chosen}
    chosen += [
        (account, bills)
        for account, bills in _candidates(runs[-1:], wanted=len(ROLES))
        if account.pk not in taken
    ][: len(ROLES) - len(chosen)]
    first_issue = min(bills[0].issued_at for _account, bills in chosen) if chosen else now
    seeded: dict[str, Account] = {}
    for index, (role, (account, bills)) in enumerate(zip(ROLES, chosen, strict=False)):
        paid_at = bills[0].issued_at - timedelta(days=2)
        amount = {
            "ample": Decimal("500.00"),
            "low": sum((bill.amount for bill in bills), Decimal("30.00")),
            "closed": sum((bill.amount for bill in bills), Decimal("150.00")),
            "short": Decimal("20.00"),
        }[role]
        with at(paid_at + timedelta(minutes=index)):
            payment_record(
                account=account,
                amount=amount,
                channel=PaymentChannel.ONLINE,
                method=PaymentMethod.SCAN,
                source=SOURCE,
                external_id=f"{SOURCE}-{account.number}",
                note="预存水费",
            )
        seeded[role] = account
    # The settlements as each run issued its bills.
    for run in runs:
        run_bills = list(
            Bill.objects.filter(run=run, account__in=list(seeded.values())).order_by("pk")
        )
        if run_bills:
            issued_at = run_bills[0].issued_at
            with at(issued_at):
                prepaid_settle_issued(bill_ids=[bill.pk for bill in run_bills], issued_at=issued_at)
    if "closed" in seeded:
        with at(max(now - timedelta(hours=2), first_issue)):
            seeded["closed"] = account_close(
                actor=billing_clerk, account=seeded["closed"], reason="房屋出售，客户申请销户"
            )
    return seeded

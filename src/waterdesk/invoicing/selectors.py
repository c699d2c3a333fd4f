"""Reads of invoicing: which bills are paid, which a payment settled, which have no
invoice yet (the reconciliation list 已缴未开票), the invoice lists.

A bill is **paid** when its charges (the ledger's ``charge`` entries naming it) are fully
settled by the account's credits, applied as ``billing.selectors.ledger.ledger_settle``
applies them (a payment naming the bill first, then the oldest debts first). A payment
**settled** a bill when the bill is paid counting the ledger up to and including the
payment's entries and was not paid without them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import ledger_settle
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account
from waterdesk.invoicing.models import Invoice, InvoiceBill, InvoiceTitle, TitleKind

LEDGER_FIELDS = ("pk", "kind", "amount", "due_date", "posted_at", "reverses_id", "bill_id")


def _paid_bill_ids(entries) -> set[int]:
    """The bills whose charges ``entries`` settle in full (at least one charge each)."""
    debts, _credit = ledger_settle(entries)
    charged: set[int] = set()
    unpaid: set[int] = set()
    for entry, _due, left in debts:
        if entry.kind != LedgerEntryKind.CHARGE or entry.bill_id is None:
            continue
        charged.add(entry.bill_id)
        if left > 0:
            unpaid.add(entry.bill_id)
    return charged - unpaid


def paid_bill_ids(account_ids) -> dict[int, set[int]]:
    """Account id → the ids of its paid bills, as of now (one query)."""
    entries = defaultdict(list)
    for entry in LedgerEntry.objects.filter(account_id__in=list(account_ids)).only(*LEDGER_FIELDS):
        entries[entry.account_id].append(entry)
    return {account_id: _paid_bill_ids(rows) for account_id, rows in entries.items()}


def bills_settled_by_payment(payment) -> list[Bill]:
    """The bills ``payment`` settled in full (see the module docstring), oldest first."""
    own = list(payment.entries.only("pk", "posted_at"))
    if not own:
        return []
    own_ids = {entry.pk for entry in own}
    last = max((entry.posted_at, entry.pk) for entry in own)
    entries = [
        entry
        for entry in LedgerEntry.objects.filter(account_id=payment.account_id).only(*LEDGER_FIELDS)
        if (entry.posted_at, entry.pk) <= last
    ]
    with_payment = _paid_bill_ids(entries)
    without = _paid_bill_ids([entry for entry in entries if entry.pk not in own_ids])
    return list(Bill.objects.filter(pk__in=with_payment - without).order_by("period_end", "pk"))


def live_invoice_exists(bill_ref: str = "pk") -> Exists:
    return Exists(InvoiceBill.objects.filter(bill_id=OuterRef(bill_ref), is_live=True))


@dataclass(frozen=True)
class UninvoicedBill:
    bill: Bill
    account: Account


def bills_paid_without_invoice(*, account: Account | None = None) -> list[UninvoicedBill]:
    """The reconciliation list 已缴未开票: paid bills on no live invoice, by account number
    then period. Reads the ledgers of the accounts that have bills without a live invoice
    (two queries plus one for the bills)."""
    candidates = Bill.objects.annotate(invoiced=live_invoice_exists()).filter(invoiced=False)
    if account is not None:
        candidates = candidates.filter(account=account)
    account_ids = set(candidates.values_list("account_id", flat=True).distinct())
    paid = paid_bill_ids(account_ids)
    wanted = set().union(*paid.values()) if paid else set()
    bills = candidates.filter(pk__in=wanted).select_related("account__customer")
    return [
        UninvoicedBill(bill=bill, account=bill.account)
        for bill in bills.order_by("account__number", "period_end", "pk")
    ]


def account_invoice_title(account: Account) -> InvoiceTitle:
    """The account's title, or the default (unsaved): the customer's name as an individual."""
    title = InvoiceTitle.objects.filter(account=account).first()
    if title is not None:
        return title
    return InvoiceTitle(
        account=account,
        kind=TitleKind.INDIVIDUAL,
        name=account.customer.name,
        email=account.customer.email,
        auto_issue=True,
    )


def invoice_by_public_id(public_id) -> Invoice | None:
    return (
        Invoice.objects.select_related("account__customer", "payment", "reverses", "requested_by")
        .filter(public_id=public_id)
        .first()
    )


def invoices_list(
    *, state: str = "", day: date | None = None, account_number: str = "", limit: int = 200
):
    invoices = Invoice.objects.select_related("account", "reverses").order_by(
        "-requested_at", "-pk"
    )
    if state:
        invoices = invoices.filter(state=state)
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
        invoices = invoices.filter(
            Q(requested_at__gte=start, requested_at__lt=start + timedelta(days=1))
            | Q(issued_at__gte=start, issued_at__lt=start + timedelta(days=1))
        )
    if account_number:
        invoices = invoices.filter(account__number=account_number.strip())
    return invoices[:limit]


def account_latest_invoices(account: Account, *, limit: int = 5) -> list[Invoice]:
    return list(Invoice.objects.filter(account=account).order_by("-requested_at", "-pk")[:limit])


ZERO = Decimal("0.00")

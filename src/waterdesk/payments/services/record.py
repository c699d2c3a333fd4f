"""Recording a payment, exactly once, whatever channel it came through.

Every channel (the counter, a gateway's callback, a bank result file, a kiosk) ends in
``payment_record``, after checking its own permissions or signatures:

1. ``(source, external_id)`` is unique: a repeat — sequential or concurrent, caught by the
   unique constraint — returns the payment recorded the first time (``created`` False),
   provided it names the same account and amount; otherwise it is refused.
2. A payment at an office takes the next receipt number of that office and year under a row
   lock in the same transaction; a rollback gives the number back, so there are no gaps.
3. Ledger entries (``billing.services.ledger.ledger_post_new_payment``): with chosen bills, one
   entry per bill up to what is unpaid of it (oldest due first), the rest in one entry that
   settles the oldest debts; otherwise one entry. Overpayment stays on the account as
   credit and settles the next bill.
4. What follows a new payment (the payment-received notice, a transfer waiting for the old
   owner to settle) is enqueued after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.ledger import account_open_debts
from waterdesk.billing.services.ledger import ledger_post_new_payment
from waterdesk.collection.services.payments import collection_payment_received
from waterdesk.core.errors import InvalidInput
from waterdesk.core.money import money_validate
from waterdesk.core.tasks import enqueue_on_commit
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.payments.models import (
    Office,
    Payment,
    ReceiptSequence,
)

# What follows a new payment (``payments.services.notices.payment_followups``), by name.
PAYMENT_FOLLOWUPS_TASK = "waterdesk.payments.tasks.payment_followups"

EXTERNAL_ID_MAX_LENGTH = 64
SOURCE_MAX_LENGTH = 40
NOTE_MAX_LENGTH = 200


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    created: bool  # False: this was a repeat of a payment recorded before


def receipt_number_format(office: Office, year: int, value: int) -> str:
    """``HQ-2026-000123``: the office's code, the year and the office's sequence."""
    return f"{office.code.upper()}-{year}-{value:06d}"


def _next_receipt_number(office: Office, *, year: int) -> str:
    sequence, _created = ReceiptSequence.objects.get_or_create(office=office, year=year)
    sequence = ReceiptSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return receipt_number_format(office, year, sequence.last_value)


def _clean_external_id(value) -> str:
    text = str(value or "").strip()
    if not text or len(text) > EXTERNAL_ID_MAX_LENGTH:
        raise InvalidInput(
            _("交易流水号应为 1 到 64 个字符。"),
            code="invalid_transaction_id",
            field="external_id",
        )
    return text


def _repeat(existing: Payment, *, account: Account, amount: Decimal) -> Recorded:
    if existing.account_id != account.pk or existing.amount != amount:
        raise InvalidInput(
            _("该交易流水号已用于另一笔不同的缴费。"),
            code="transaction_id_reused",
            field="external_id",
        )
    return Recorded(payment=existing, created=False)


def _post_entries(payment: Payment, bills: list[Bill], *, as_of) -> None:
    reference = payment.receipt_number or payment.external_id
    remaining = payment.amount
    parts: dict[int | None, tuple[Bill | None, Decimal]] = {}
    if bills:
        chosen = {bill.pk: bill for bill in bills}
        debts, _credit = account_open_debts(payment.account, as_of=as_of)
        for debt in debts:  # oldest due first
            if remaining <= 0:
                break
            bill = chosen.get(debt.bill_id)
            if bill is None:
                continue
            part = min(remaining, debt.unpaid)
            remaining -= part
            earlier = parts.get(bill.pk)
            parts[bill.pk] = (bill, part + (earlier[1] if earlier else Decimal(0)))
    if remaining > 0:
        parts[None] = (None, remaining)
    posted = ledger_post_new_payment(
        account=payment.account,
        parts=list(parts.values()),
        reference=reference[:64],
        key=f"payment:{payment.public_id}",
        recorded_by=payment.cashier,
    )
    Payment.entries.through.objects.bulk_create(
        Payment.entries.through(payment_id=payment.pk, ledgerentry_id=entry.pk) for entry in posted
    )


@transaction.atomic
def payment_record(
    *,
    account: Account,
    amount,
    channel: str,
    method: str,
    source: str,
    external_id: str,
    office: Office | None = None,
    cashier=None,
    bills: Iterable[Bill] = (),
    tendered=None,
    note: str = "",
    received_at: datetime | None = None,
) -> Recorded:
    """Record money received for ``account`` once per ``(source, external_id)`` (see the
    module docstring). Callers check who may record it; this checks the money."""
    value = money_validate(amount, field="amount")
    if value <= 0:
        raise InvalidInput(_("缴费金额应大于零。"), code="invalid_amount", field="amount")
    key = _clean_external_id(external_id)
    source = str(source)[:SOURCE_MAX_LENGTH]
    chosen = list(bills)
    if any(bill.account_id != account.pk for bill in chosen):
        raise InvalidInput(_("所选账单不属于此账户。"), code="bill_wrong_account", field="bills")
    change = None
    if tendered is not None:
        tendered = money_validate(tendered, field="tendered")
        if tendered < value:
            raise InvalidInput(
                _("实收现金少于应收金额。"), code="tendered_too_little", field="tendered"
            )
        change = tendered - value
    now = received_at or timezone.now()
    payment = Payment(
        account=account,
        amount=value,
        channel=channel,
        method=method,
        source=source,
        external_id=key,
        office=office,
        cashier=cashier,
        received_at=now,
        business_date=local(now).date(),
        tendered=tendered,
        change=change,
        note=str(note or "").strip()[:NOTE_MAX_LENGTH],
    )
    # Inserted unless the (source, external id) is there already — a repeat, or a concurrent
    # request that committed first (PostgreSQL's ON CONFLICT DO NOTHING waits for it) —, then
    # read back: the row is ours when it carries our public id.
    Payment.objects.bulk_create([payment], ignore_conflicts=True)
    stored = Payment.objects.get(source=source, external_id=key)
    if stored.public_id != payment.public_id:
        return _repeat(stored, account=account, amount=value)
    payment.pk = stored.pk
    if office is not None:
        payment.receipt_number = _next_receipt_number(office, year=payment.business_date.year)
        payment.save(update_fields=["receipt_number"])
    if chosen:
        payment.bills.add(*chosen)
    _post_entries(payment, chosen, as_of=payment.business_date)
    # In the same transaction: a payment stops the dunning ladder, cancels a disconnection
    # not yet carried out, or orders the reconnection at once.
    collection_payment_received(
        account=account,
        amount=value,
        at=now,
        reference=payment.receipt_number or payment.external_id,
    )
    # Called explicitly, after the commit: the received notice, a transfer waiting for the
    # old owner to settle (a rollback enqueues nothing).
    enqueue_on_commit(PAYMENT_FOLLOWUPS_TASK, payment.pk)
    return Recorded(payment=payment, created=True)

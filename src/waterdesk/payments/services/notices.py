"""What the customer is told about payments, and what follows a payment.

- **After a payment** (``payment_followups``, run by a task enqueued on the commit of
  ``payment_record``): the payment-received notice (once per payment) and any ownership
  transfer of the account waiting for the old owner to settle moves on
  (``applications.transfer.transfers_settle_paid``).
- **Payment notices** (缴费提醒, ``payment_notices_send_due``, a periodic job): for every
  bill due within ``PaymentNoticePolicy.days_before_due`` days (today included, never after
  the due date: a day the job missed is caught up), of which something is still unpaid,
  one notice per bill on the customer's chosen channels, stating the amount, the due date
  and how to pay with the payment link. Non-urgent SMS wait for the morning (``notify``'s
  quiet hours).

Both are safe to run twice: each notice has a dedupe key.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from waterdesk.applications.transfer import transfers_settle_paid
from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.ledger import account_balance, account_open_debts
from waterdesk.core.money import to_money
from waterdesk.core.pdf import payment_url
from waterdesk.core.timeutil import local
from waterdesk.notify.models import Notification
from waterdesk.notify.services import notification_queue
from waterdesk.payments.hooks import payment_posted
from waterdesk.payments.models import Payment, PaymentNoticePolicy, PaymentStatus

logger = logging.getLogger(__name__)

NOTICE_TEMPLATE = "payment.notice"
RECEIVED_TEMPLATE = "payment.received"
ZERO = Decimal("0.00")


def notice_dedupe_key(bill_number: str) -> str:
    return f"payment_notice:{bill_number}"


def received_dedupe_key(payment: Payment) -> str:
    return f"payment_received:{payment.public_id}"


def balance_text(balance: Decimal) -> str:
    """The balance after a payment in words for the customer (texts are Chinese)."""
    if balance > 0:
        return f"账户尚欠{balance:.2f}元"
    if balance < 0:
        return f"账户余额{-balance:.2f}元，将用于抵扣下期水费"
    return "账户已结清"


def payment_link(*, account, bill_number: str, amount: Decimal) -> str:
    """Where the customer pays online: the address the bill's payment QR code encodes
    (``WATERDESK_PAYMENT_QR_URL``, else the public pay page of the account on
    ``WATERDESK_SITE_URL``); "" when neither is configured."""
    return payment_url(
        account=account.number, bill=bill_number, amount=amount, account_public_id=account.public_id
    )


# --- after a payment ---------------------------------------------------------------------


def payment_received_notify(*, payment: Payment) -> list[Notification]:
    """Queue the payment-received notice to the account's customer, once per payment."""
    account = payment.account
    balance = to_money(account_balance(account))
    return notification_queue(
        template=RECEIVED_TEMPLATE,
        context={
            "customer_name": account.customer.name,
            "account_number": account.number,
            "amount": f"{payment.amount:.2f}",
            "receipt": payment.receipt_number or payment.external_id,
            "received_at": local(payment.received_at).strftime("%Y-%m-%d %H:%M"),
            "balance_text": balance_text(balance),
        },
        customer=account.customer,
        dedupe_key=received_dedupe_key(payment),
        by_preference=True,
    )


def payment_followups(*, payment_id: int) -> list[str]:
    """What follows a new payment: the received notice, then any transfer of the account
    waiting for settlement (completed when nothing is owed any more). Reloads the payment;
    a voided or reversed payment is left alone. Returns the transfer cases completed."""
    payment = Payment.objects.select_related("account__customer").filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.POSTED:
        return []
    with transaction.atomic():
        payment_received_notify(payment=payment)
    payment_posted.notify_each(payment=payment)
    return transfers_settle_paid(account=payment.account)


# --- payment notices before the due date ---------------------------------------------------


def bills_to_notice(*, today: date, days_before_due: int) -> list[Bill]:
    """Bills due from today to ``days_before_due`` days ahead that have no notice yet
    (two queries, whatever the number of bills)."""
    bills = list(
        Bill.objects.filter(
            due_date__gte=today, due_date__lte=today + timedelta(days=days_before_due)
        )
        .select_related("account__customer")
        .order_by("due_date", "pk")
    )
    keys = {notice_dedupe_key(bill.number): bill for bill in bills}
    noticed = set(
        Notification.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True)
    )
    return [bill for key, bill in keys.items() if key not in noticed]


def payment_notices_send_due(*, today: date | None = None) -> list[str]:
    """Queue the payment notice of every bill due soon that still has money unpaid (see the
    module docstring). The open debts are worked out once per account; each account's
    notices are one transaction. Returns the numbers of the bills noticed now."""
    policy = PaymentNoticePolicy.current()
    if not policy.enabled:
        return []
    today = today or local(timezone.now()).date()
    by_account: dict[int, list[Bill]] = defaultdict(list)
    for bill in bills_to_notice(today=today, days_before_due=policy.days_before_due):
        by_account[bill.account_id].append(bill)
    noticed = []
    for bills in by_account.values():
        account = bills[0].account
        debts, _credit = account_open_debts(account, as_of=today)
        unpaid: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for debt in debts:
            if debt.bill_id is not None:
                unpaid[debt.bill_id] += debt.unpaid
        with transaction.atomic():
            for bill in bills:
                amount = unpaid.get(bill.pk, ZERO)
                if amount <= 0:
                    continue  # paid already: no notice
                notification_queue(
                    template=NOTICE_TEMPLATE,
                    context={
                        "customer_name": account.customer.name,
                        "account_number": account.number,
                        "bill_number": bill.number,
                        "amount": f"{amount:.2f}",
                        "due_date": bill.due_date.strftime("%Y-%m-%d"),
                        "pay_url": payment_link(
                            account=account, bill_number=bill.number, amount=amount
                        ),
                    },
                    customer=account.customer,
                    dedupe_key=notice_dedupe_key(bill.number),
                    by_preference=True,
                )
                noticed.append(bill.number)
    if noticed:
        logger.info("payments: %s payment notice(s) queued", len(noticed))
    return noticed

"""Online payments: orders, the gateways' callbacks, the cash office's exceptions and the
reconciliation of the gateways' daily statements.

The callback (``gateway_callback_handle``) is the only way money comes in online:

1. the gateway's adapter verifies and parses the request (a bad signature is refused with the
   gateway's failure answer, logged, nothing posted);
2. a notification of an unpaid state is acknowledged and logged, nothing posted;
3. the order is found by ``out_trade_no`` and its amount compared with the notification's (a
   mismatch is refused and flagged for the cash office as a ``PaymentException``);
4. ``payment_record(source=<gateway>, external_id=<transaction id>)`` posts it exactly once —
   the unique ``(source, external_id)`` of ``Payment`` settles concurrent repeats — and the
   order is marked paid by a compare-and-set; a repeat is answered with success too.

Every callback leaves one ``GatewayNotification`` row, whatever came of it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.ledger import account_balance, account_open_debts
from waterdesk.core.errors import DomainError, IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.payments.gateways import (
    Answer,
    CallbackRequest,
    MalformedNotification,
    Notification,
    StatementError,
    VerificationFailed,
    gateway_get,
)
from waterdesk.payments.models import (
    DiscrepancyKind,
    ExceptionKind,
    GatewayNotification,
    NotificationOutcome,
    OrderStatus,
    Payment,
    PaymentChannel,
    PaymentException,
    PaymentOrder,
    StatementDiscrepancy,
    StatementImport,
)
from waterdesk.payments.services.record import payment_record

DETAIL_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 300


# --- orders -------------------------------------------------------------------------------


def out_trade_no_new() -> str:
    """``WD20260305101213a1b2c3d4``: ours, unique, at most 32 characters (both gateways)."""
    return f"WD{local(timezone.now()):%Y%m%d%H%M%S}{secrets.token_hex(4)}"


def _amount_due(account: Account, bills: list[Bill]) -> Decimal:
    if not bills:
        return account_balance(account)
    debts, _credit = account_open_debts(account, as_of=timezone.localdate())
    chosen = {bill.pk for bill in bills}
    return sum((debt.unpaid for debt in debts if debt.bill_id in chosen), Decimal("0.00"))


@transaction.atomic
def payment_order_create(
    *, account: Account, gateway: str, bills: Iterable[Bill] | None = None
) -> PaymentOrder:
    """An open order for what the account owes (or what is unpaid of the chosen bills), to
    pay through ``gateway``; refused when nothing is due. Customers start it from the public
    pay page, so there is no actor."""
    if gateway_get(gateway) is None:
        raise InvalidInput(_("不支持该支付渠道。"), code="unknown_gateway", field="gateway")
    chosen = list(bills or ())
    if any(bill.account_id != account.pk for bill in chosen):
        raise InvalidInput(_("所选账单不属于此账户。"), code="bill_wrong_account", field="bills")
    amount = _amount_due(account, chosen)
    if amount <= 0:
        raise IllegalTransition(_("该账户目前没有应缴金额。"), code="nothing_due")
    now = timezone.now()
    order = PaymentOrder.objects.create(
        out_trade_no=out_trade_no_new(),
        gateway=gateway,
        account=account,
        amount=amount,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.WATERDESK_PAYMENT_ORDER_MINUTES),
    )
    if chosen:
        order.bills.add(*chosen)
    return order


def payment_orders_close_expired() -> int:
    """Close the open orders whose time is up (the pay page offers a new one); the number
    closed. A gateway's late notification for a closed order still posts — the customer's
    money was taken — and the order becomes paid (``notification_post``)."""
    return PaymentOrder.objects.filter(
        status=OrderStatus.OPEN, payment__isnull=True, expires_at__lt=timezone.now()
    ).update(status=OrderStatus.CLOSED)


# --- callbacks ----------------------------------------------------------------------------


def _log(code: str, outcome: str, *, remote_addr: str, note=None, order=None, **fields):
    values = {}
    if note is not None:
        values = {
            "out_trade_no": note.out_trade_no[:64],
            "transaction_id": note.transaction_id[:64],
            "amount": note.amount,
        }
    values.update(fields)
    GatewayNotification.objects.create(
        gateway=code,
        outcome=outcome,
        order=order,
        remote_addr=remote_addr[:45],
        received_at=timezone.now(),
        **values,
    )


def _flag(kind: str, *, source: str, reference: str, amount, detail: str) -> PaymentException:
    """One open exception per (kind, source, reference) — a unique constraint —: a
    gateway's retries, even concurrent ones, add none."""
    open_one = {"kind": kind, "source": source, "reference": reference[:140]}
    try:
        with transaction.atomic():
            return PaymentException.objects.create(
                **open_one,
                amount=amount,
                detail=detail[:DETAIL_MAX_LENGTH],
                created_at=timezone.now(),
            )
    except IntegrityError:
        return PaymentException.objects.get(**open_one, resolved_at__isnull=True)


@dataclass(frozen=True)
class CallbackResult:
    outcome: str
    answer: Answer
    payment: Payment | None = None


def gateway_callback_handle(
    *, code: str, request: CallbackRequest, remote_addr: str = ""
) -> CallbackResult:
    """Handle one callback of gateway ``code`` (see the module docstring)."""
    gateway = gateway_get(code)
    if gateway is None:
        raise InvalidInput(_("不支持该支付渠道。"), code="unknown_gateway")
    try:
        note = gateway.parse_notification(request)
    except VerificationFailed as error:
        _log(code, NotificationOutcome.BAD_SIGNATURE, remote_addr=remote_addr, detail=error.detail)
        return CallbackResult(NotificationOutcome.BAD_SIGNATURE, gateway.answer_failure("验签失败"))
    except MalformedNotification as error:
        _log(code, NotificationOutcome.MALFORMED, remote_addr=remote_addr, detail=error.detail)
        return CallbackResult(NotificationOutcome.MALFORMED, gateway.answer_failure("格式错误"))
    if not note.succeeded:
        # Nothing was paid (yet): acknowledged so that the gateway stops sending it.
        _log(code, NotificationOutcome.NOT_SUCCESS, remote_addr=remote_addr, note=note,
             detail=note.status[:DETAIL_MAX_LENGTH])  # fmt: skip
        return CallbackResult(NotificationOutcome.NOT_SUCCESS, gateway.answer_success())
    return notification_post(code=code, note=note, remote_addr=remote_addr)


@transaction.atomic
def notification_post(*, code: str, note: Notification, remote_addr: str = "") -> CallbackResult:
    """Steps 3–4 for a notification its gateway has verified (the demo seeds through it)."""
    gateway = gateway_get(code)
    found = (
        PaymentOrder.objects.select_related("account")
        .annotate(
            has_bills=Exists(
                PaymentOrder.bills.through.objects.filter(paymentorder_id=OuterRef("pk"))
            )
        )
        .filter(out_trade_no=note.out_trade_no, gateway=code)
        # Unique: no ORDER BY, which could lead PostgreSQL down the primary key instead.
        .order_by()[:1]
    )
    order = found[0] if found else None
    if order is None:
        _flag(ExceptionKind.UNKNOWN_ORDER, source=code, reference=note.transaction_id,
              amount=note.amount, detail=f"out_trade_no={note.out_trade_no}")  # fmt: skip
        _log(code, NotificationOutcome.UNKNOWN_ORDER, remote_addr=remote_addr, note=note)
        return CallbackResult(
            NotificationOutcome.UNKNOWN_ORDER, gateway.answer_failure("订单不存在")
        )
    if note.amount != order.amount:
        detail = f"out_trade_no={order.out_trade_no} order={order.amount} paid={note.amount}"
        _flag(ExceptionKind.AMOUNT_MISMATCH, source=code, reference=note.transaction_id,
              amount=note.amount, detail=detail)  # fmt: skip
        _log(code, NotificationOutcome.AMOUNT_MISMATCH, remote_addr=remote_addr, note=note,
             order=order, detail=detail)  # fmt: skip
        return CallbackResult(
            NotificationOutcome.AMOUNT_MISMATCH, gateway.answer_failure("金额不符")
        )
    try:
        # payment_record is atomic itself: a refusal rolls back its own savepoint only.
        recorded = payment_record(
            account=order.account,
            amount=note.amount,
            channel=PaymentChannel.ONLINE,
            method=gateway.method,
            source=code,
            external_id=note.transaction_id,
            bills=order.bills.all() if order.has_bills else (),
            note=f"{gateway.label} {order.out_trade_no}",
            received_at=note.paid_at,
        )
    except DomainError as error:
        detail = f"{error.code}: {error.message}"
        _flag(ExceptionKind.REFUSED, source=code, reference=note.transaction_id,
              amount=note.amount, detail=detail)  # fmt: skip
        _log(code, NotificationOutcome.REFUSED, remote_addr=remote_addr, note=note, order=order,
             detail=detail)  # fmt: skip
        return CallbackResult(NotificationOutcome.REFUSED, gateway.answer_failure("入账被拒"))
    payment = recorded.payment
    # Compare-and-set: only an unpaid order becomes paid, by this payment.
    PaymentOrder.objects.filter(pk=order.pk, payment__isnull=True).update(
        status=OrderStatus.PAID, paid_at=payment.received_at, payment=payment
    )
    outcome = NotificationOutcome.POSTED if recorded.created else NotificationOutcome.DUPLICATE
    _log(code, outcome, remote_addr=remote_addr, note=note, order=order, payment=payment)
    return CallbackResult(outcome, gateway.answer_success(), payment)


# --- the cash office's exceptions ---------------------------------------------------------


@transaction.atomic
def payment_exception_resolve(*, actor, exception: PaymentException, note: str) -> PaymentException:
    """Close an exception with what was done about it (a refund, a manual posting …)."""
    if not actor.has_perm("payments.resolve_paymentexception"):
        raise NotPermitted()
    text = str(note or "").strip()
    if not text or len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(_("请填写处理说明（300 字以内）。"), code="note_required", field="note")
    updated = PaymentException.objects.filter(pk=exception.pk, resolved_at__isnull=True).update(
        resolved_by=actor, resolved_at=timezone.now(), resolution_note=text
    )
    if not updated:
        raise IllegalTransition(_("该异常已处理。"), code="already_resolved")
    exception.refresh_from_db()
    return exception


# --- reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    statement: StatementImport
    created: bool  # False: this very file was imported before; nothing changed


def _statement_date(lines) -> date:
    days = Counter(local(line.paid_at).date() for line in lines if line.paid_at is not None)
    if not days:
        raise InvalidInput(
            _("无法从对账单确定对账日期，请指定。"), code="statement_date_required", field="date"
        )
    return days.most_common(1)[0][0]


def statement_import(
    *,
    actor,
    gateway: str,
    file_name: str,
    content: bytes,
    statement_date: date | None = None,
) -> Imported:
    """Import a gateway's daily statement and reconcile it with the payments from that
    gateway on that day: matched, missing on our side, missing on the gateway's side, amounts
    that differ; each difference is also flagged for the cash office. The same file again
    changes nothing (its SHA-256 is unique). ``actor`` None: the scheduled job."""
    if actor is not None and not actor.has_perm("payments.resolve_paymentexception"):
        raise NotPermitted()
    adapter = gateway_get(gateway)
    if adapter is None:
        raise InvalidInput(_("不支持该支付渠道。"), code="unknown_gateway", field="gateway")
    digest = hashlib.sha256(content).hexdigest()
    existing = StatementImport.objects.filter(sha256=digest).first()
    if existing is not None:
        return Imported(existing, created=False)
    try:
        lines = adapter.parse_statement(content)
    except StatementError as error:
        raise InvalidInput(
            _("对账单无法读取：%(detail)s") % {"detail": error.detail},
            code="statement_unreadable",
            field="file",
        ) from error
    day = statement_date or _statement_date(lines)
    try:
        with transaction.atomic():
            return Imported(_reconcile(actor, gateway, day, file_name, digest, lines), True)
    except IntegrityError:  # the same file, imported by someone else at the same moment
        return Imported(StatementImport.objects.get(sha256=digest), created=False)


def _reconcile(actor, gateway: str, day: date, file_name: str, digest: str, lines):
    statement = StatementImport.objects.create(
        gateway=gateway,
        statement_date=day,
        file_name=file_name[:200],
        sha256=digest,
        lines=len(lines),
        imported_by=actor,
        imported_at=timezone.now(),
    )
    ids = [line.transaction_id for line in lines]
    ours = {
        payment.external_id: payment
        for payment in Payment.objects.filter(source=gateway, business_date=day)
    }
    ours.update(
        (payment.external_id, payment)
        for payment in Payment.objects.filter(source=gateway, external_id__in=ids)
    )
    found: list[StatementDiscrepancy] = []
    matched = 0
    for line in lines:
        payment = ours.get(line.transaction_id)
        common = {
            "statement": statement,
            "transaction_id": line.transaction_id[:64],
            "out_trade_no": line.out_trade_no[:64],
            "gateway_amount": line.amount,
            "line_number": line.line_number,
        }
        if payment is None:
            found.append(StatementDiscrepancy(kind=DiscrepancyKind.MISSING_HERE, **common))
        elif payment.amount != line.amount:
            found.append(
                StatementDiscrepancy(
                    kind=DiscrepancyKind.AMOUNT_DIFFERS,
                    our_amount=payment.amount,
                    payment=payment,
                    **common,
                )
            )
        else:
            matched += 1
    listed = set(ids)
    for external_id, payment in sorted(ours.items()):
        if payment.business_date == day and external_id not in listed:
            found.append(
                StatementDiscrepancy(
                    statement=statement,
                    kind=DiscrepancyKind.MISSING_THERE,
                    transaction_id=external_id,
                    our_amount=payment.amount,
                    payment=payment,
                )
            )
    StatementDiscrepancy.objects.bulk_create(found)
    for item in found:
        _flag(
            item.kind,
            source=gateway,
            reference=item.transaction_id,
            amount=item.gateway_amount if item.gateway_amount is not None else item.our_amount,
            detail=f"{day:%Y-%m-%d} {file_name}"[:DETAIL_MAX_LENGTH],
        )
    kinds = Counter(item.kind for item in found)
    statement.matched = matched
    statement.missing_here = kinds[DiscrepancyKind.MISSING_HERE]
    statement.missing_there = kinds[DiscrepancyKind.MISSING_THERE]
    statement.amount_differs = kinds[DiscrepancyKind.AMOUNT_DIFFERS]
    statement.save(update_fields=["matched", "missing_here", "missing_there", "amount_differs"])
    return statement

"""Online payments: orders, the gateways' callbacks, the cash office's exceptions and the
reconciliation of the gateways' daily statements.

Money comes in online in two steps, so that a gateway is answered at once, however many
call together, and every payment is still posted exactly once:

1. **The callback** (``gateway_callback_handle``): the gateway's adapter verifies and parses
   the request (a bad signature is refused with the gateway's failure answer, logged,
   nothing posted); a notification of an unpaid state is acknowledged and logged; otherwise
   ``notification_accept`` finds the order by ``out_trade_no`` and compares the amounts in
   the one statement that stores the notification. A notification that matches its order
   is ``received`` — durable before the gateway hears success —; an unknown order or a
   different amount is refused with the failure answer and flagged for the cash office as
   a ``PaymentException``.
2. **Posting** (``gateway_notifications_post``, the task the callback kicks after its
   commit, coalesced, and a periodic sweep): each received notification, in its own
   transaction, goes through ``payment_record(source=<gateway>, external_id=<transaction
   id>)`` — the unique ``(source, external_id)`` of ``Payment`` settles repeats, concurrent
   or not —, the order is marked paid by a compare-and-set, and the notification's outcome
   becomes posted, duplicate or refused (flagged). In-process (the embedded mode) the post
   follows the callback's commit directly.

Every callback leaves one ``GatewayNotification`` row, whatever came of it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.ledger import account_balance, account_open_debts
from waterdesk.core.errors import DomainError, IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.tasks import coalesced_run_started, enqueue_coalesced_on_commit
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

logger = logging.getLogger(__name__)

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

# The task that posts the received notifications (``payments.tasks``), by name.
POST_TASK = "waterdesk.payments.tasks.gateway_notifications_post"
# Received notifications posted by one run of it; a run that had more enqueues the next.
POST_RUN_LIMIT = 2000


def _log(code: str, outcome: str, *, remote_addr: str, note=None, **fields):
    values = {}
    if note is not None:
        values = {
            "out_trade_no": note.out_trade_no[:64],
            "transaction_id": note.transaction_id[:64],
            "amount": note.amount,
            "paid_at": note.paid_at,
        }
    values.update(fields)
    GatewayNotification.objects.create(
        gateway=code,
        outcome=outcome,
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
    notification: int | None = None  # the GatewayNotification stored for an accepted one


def gateway_callback_handle(
    *, code: str, request: CallbackRequest, remote_addr: str = ""
) -> CallbackResult:
    """Handle one callback of gateway ``code`` (step 1 of the module docstring)."""
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
    return notification_accept(code=code, note=note, remote_addr=remote_addr)


@functools.cache
def _accept_sql() -> str:
    """One statement, the whole of an accepted callback's work in the database: the
    notification stored with its order found by ``out_trade_no`` and its outcome decided by
    comparing the amounts (exact: both are decimals)."""
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(GatewayNotification._meta.db_table)} "
        "(gateway, outcome, out_trade_no, transaction_id, amount, paid_at, order_id, detail,"
        " remote_addr, received_at) "
        "SELECT %s, CASE WHEN o.id IS NULL THEN %s WHEN o.amount = %s THEN %s ELSE %s END,"
        " %s, %s, %s, %s, o.id, '', %s, %s "
        f"FROM (SELECT 1 AS one) AS one LEFT JOIN {quote(PaymentOrder._meta.db_table)} AS o"
        " ON o.out_trade_no = %s AND o.gateway = %s "
        "RETURNING id, outcome, order_id"
    )


def notification_accept(*, code: str, note: Notification, remote_addr: str = "") -> CallbackResult:
    """Store a notification its gateway has verified, matched to its order (step 1); posting
    follows after the commit. Also where the demo enters notifications of gateways it has
    no keys for."""
    gateway = gateway_get(code)
    ops = connection.ops
    amount = ops.adapt_decimalfield_value(note.amount)
    with connection.cursor() as cursor:
        cursor.execute(
            _accept_sql(),
            [
                code,
                NotificationOutcome.UNKNOWN_ORDER.value,
                amount,
                NotificationOutcome.RECEIVED.value,
                NotificationOutcome.AMOUNT_MISMATCH.value,
                note.out_trade_no[:64],
                note.transaction_id[:64],
                amount,
                ops.adapt_datetimefield_value(note.paid_at),
                remote_addr[:45],
                ops.adapt_datetimefield_value(timezone.now()),
                note.out_trade_no,
                code,
            ],
        )
        notification_id, outcome, order_id = cursor.fetchone()
    if outcome == NotificationOutcome.RECEIVED:
        enqueue_coalesced_on_commit(POST_TASK)
        return CallbackResult(outcome, gateway.answer_success(), notification_id)
    if outcome == NotificationOutcome.UNKNOWN_ORDER:
        _flag(ExceptionKind.UNKNOWN_ORDER, source=code, reference=note.transaction_id,
              amount=note.amount, detail=f"out_trade_no={note.out_trade_no}")  # fmt: skip
        return CallbackResult(outcome, gateway.answer_failure("订单不存在"), notification_id)
    order_amount = PaymentOrder.objects.values_list("amount", flat=True).get(pk=order_id)
    detail = f"out_trade_no={note.out_trade_no} order={order_amount} paid={note.amount}"
    GatewayNotification.objects.filter(pk=notification_id).update(detail=detail)
    _flag(ExceptionKind.AMOUNT_MISMATCH, source=code, reference=note.transaction_id,
          amount=note.amount, detail=detail)  # fmt: skip
    return CallbackResult(outcome, gateway.answer_failure("金额不符"), notification_id)


def gateway_notifications_post(*, limit: int = POST_RUN_LIMIT) -> int:
    """Post the received notifications, oldest first, each in its own transaction (step 2);
    how many this run posted or found to be repeats. Safe to run twice and side by side:
    a notification another run holds is skipped. One that fails unexpectedly is logged and
    left received for the next run; the others go on."""
    coalesced_run_started(POST_TASK)
    done = 0
    last = 0
    while done < limit:
        waiting = list(
            GatewayNotification.objects.filter(outcome=NotificationOutcome.RECEIVED, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[: min(200, limit - done)]
        )
        if not waiting:
            return done
        for notification_id in waiting:
            last = notification_id
            try:
                done += notification_post(notification_id=notification_id) is not None
            except Exception:
                logger.exception("gateway notification %s could not be posted", notification_id)
    enqueue_coalesced_on_commit(POST_TASK)  # more than one run's share: the next run
    return done


def order_awaiting_posting(order: PaymentOrder) -> bool:
    """The gateway has told us the order is paid, and its posting is still to come."""
    return GatewayNotification.objects.filter(
        order=order, outcome=NotificationOutcome.RECEIVED
    ).exists()


@transaction.atomic
def notification_post(*, notification_id: int) -> str | None:
    """Post one received notification (step 2); its new outcome, or None when it is not
    waiting (posted already, or held by another run)."""
    notification = (
        GatewayNotification.objects.select_for_update(skip_locked=True)
        .filter(pk=notification_id, outcome=NotificationOutcome.RECEIVED)
        .first()
    )
    if notification is None:
        return None
    code = notification.gateway
    gateway = gateway_get(code)
    order = PaymentOrder.objects.select_related("account").get(pk=notification.order_id)
    bills = list(order.bills.all())
    try:
        # payment_record is atomic itself: a refusal rolls back its own savepoint only.
        recorded = payment_record(
            account=order.account,
            amount=notification.amount,
            channel=PaymentChannel.ONLINE,
            method=gateway.method,
            source=code,
            external_id=notification.transaction_id,
            bills=bills,
            note=f"{gateway.label} {order.out_trade_no}",
            received_at=notification.paid_at,
        )
    except DomainError as error:
        detail = f"{error.code}: {error.message}"[:DETAIL_MAX_LENGTH]
        _flag(ExceptionKind.REFUSED, source=code, reference=notification.transaction_id,
              amount=notification.amount, detail=detail)  # fmt: skip
        notification.outcome = NotificationOutcome.REFUSED
        notification.detail = detail
        notification.save(update_fields=["outcome", "detail"])
        return notification.outcome
    payment = recorded.payment
    # Compare-and-set: only an unpaid order becomes paid, by this payment.
    PaymentOrder.objects.filter(pk=order.pk, payment__isnull=True).update(
        status=OrderStatus.PAID, paid_at=payment.received_at, payment=payment
    )
    notification.outcome = (
        NotificationOutcome.POSTED if recorded.created else NotificationOutcome.DUPLICATE
    )
    notification.payment = payment
    notification.save(update_fields=["outcome", "payment"])
    return notification.outcome


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

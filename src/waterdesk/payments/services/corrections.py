"""Voids and reversals of payments: asked for by one person, decided by another.

- A **void** (当日作废) is the cashier's own payment, on the day it was taken, before the
  cashier's daily close; it is approved by someone with ``payments.approve_correction``.
- A **reversal** (冲正) cancels any posted payment later (a bank's chargeback, money paid to
  the wrong account); the billing office asks (``billing.post_adjustment``), a supervisor
  approves.

Approval writes one reversing ledger entry per entry of the payment
(``billing.services.ledger.ledger_reverse``) and marks the payment voided or reversed; the
receipt keeps its number. Nothing is deleted.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.services.ledger import ledger_reverse
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.payments.hooks import payment_cancelled
from waterdesk.payments.models import (
    CorrectionKind,
    CorrectionStatus,
    DailyClose,
    Payment,
    PaymentCorrection,
    PaymentStatus,
)

REASON_MAX_LENGTH = 200


def _clean_reason(value, *, field: str = "reason", message=None) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(message or _("请填写原因。"), code="reason_required", field=field)
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            _("内容过长（最多 %(limit)s 个字符）。") % {"limit": REASON_MAX_LENGTH},
            code="too_long",
            field=field,
        )
    return text


def day_is_closed(*, cashier, business_date) -> bool:
    """Whether ``cashier`` has closed ``business_date`` (submitted the daily close)."""
    return DailyClose.objects.filter(cashier=cashier, business_date=business_date).exists()


def _check_void_allowed(payment: Payment, *, now) -> None:
    if payment.cashier_id is None or payment.office_id is None:
        raise IllegalTransition(
            _("只有柜台收费可以当日作废；其他渠道的缴费请申请冲正。"), code="void_not_counter"
        )
    if payment.business_date != local(now).date():
        raise IllegalTransition(
            _("只能作废当天的收费；以前的收费请由账务员申请冲正。"), code="void_not_same_day"
        )
    if day_is_closed(cashier=payment.cashier, business_date=payment.business_date):
        raise IllegalTransition(
            _("该收费员当日已日结，不能再作废；请由账务员申请冲正。"), code="day_closed"
        )


@transaction.atomic
def payment_correction_request(
    *, actor, payment: Payment, kind: str, reason: str
) -> PaymentCorrection:
    """Ask for a void (the cashier who took it, the same day, before the close) or a
    reversal (the billing office). Needs a reason; one open request per payment."""
    text = _clean_reason(reason, message=_("请填写作废或冲正的原因。"))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    now = timezone.now()
    if kind == CorrectionKind.VOID:
        if actor is None or not actor.has_perm("payments.take_payment"):
            raise NotPermitted()
        if payment.cashier_id != actor.pk:
            raise NotPermitted(_("只有收取这笔款项的收费员可以申请作废。"), code="not_own_payment")
        _check_void_allowed(payment, now=now)
    elif kind == CorrectionKind.REVERSAL:
        if actor is None or not actor.has_perm("billing.post_adjustment"):
            raise NotPermitted()
    else:
        raise InvalidInput(_("未知的更正类型。"), code="invalid_kind", field="kind")
    if payment.status != PaymentStatus.POSTED:
        raise IllegalTransition(_("这笔缴费已作废或冲正。"), code="payment_not_posted")
    if payment.corrections.filter(status=CorrectionStatus.REQUESTED).exists():
        raise IllegalTransition(
            _("这笔缴费已有待审批的申请，请等待主管审批。"), code="correction_pending"
        )
    try:
        with transaction.atomic():
            return PaymentCorrection.objects.create(
                payment=payment,
                kind=kind,
                reason=text,
                requested_by=actor,
                requested_at=now,
            )
    except IntegrityError as error:
        raise IllegalTransition(
            _("这笔缴费已有待审批的申请，请等待主管审批。"), code="correction_pending"
        ) from error


def request_for_decision(actor, model, request):
    """``request`` (a correction or a refund: ``status``, ``requested_by``) locked for a
    decision by ``actor``: someone with ``payments.approve_correction``, not its requester,
    while it is still waiting."""
    if actor is None or not actor.has_perm("payments.approve_correction"):
        raise NotPermitted()
    request = model.objects.select_for_update().get(pk=request.pk)
    if request.status != CorrectionStatus.REQUESTED:
        raise IllegalTransition(_("该申请已审批。"), code="already_decided")
    if request.requested_by_id == actor.pk:
        raise NotPermitted(_("不能审批自己提出的申请，请由另一位主管审批。"), code="own_request")
    return request


@transaction.atomic
def payment_correction_approve(
    *, actor, correction: PaymentCorrection, note: str = ""
) -> PaymentCorrection:
    """Approve: reverse the payment's ledger entries and mark it voided or reversed. A void
    is checked again (still the same day, the day still open)."""
    correction = request_for_decision(actor, PaymentCorrection, correction)
    payment = Payment.objects.select_for_update().get(pk=correction.payment_id)
    now = timezone.now()
    if correction.kind == CorrectionKind.VOID:
        _check_void_allowed(payment, now=now)
    if payment.status != PaymentStatus.POSTED:
        raise IllegalTransition(_("这笔缴费已作废或冲正。"), code="payment_not_posted")
    label = (
        _("作废收据 %(number)s：%(reason)s")
        if correction.kind == CorrectionKind.VOID
        else _("冲正缴费 %(number)s：%(reason)s")
    )
    description = str(label % {"number": str(payment), "reason": correction.reason})[:200]
    for entry in payment.entries.order_by("pk"):
        ledger_reverse(actor=None, entry=entry, reason=description, recorded_by=actor)
    payment.status = (
        PaymentStatus.VOIDED if correction.kind == CorrectionKind.VOID else PaymentStatus.REVERSED
    )
    payment.save(update_fields=["status"])
    correction.status = CorrectionStatus.APPROVED
    correction.decided_by = actor
    correction.decided_at = now
    correction.decision_note = str(note or "").strip()[:REASON_MAX_LENGTH]
    correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    payment_cancelled.notify(payment=payment, correction=correction, actor=actor)
    return correction


@transaction.atomic
def payment_correction_reject(
    *, actor, correction: PaymentCorrection, note: str
) -> PaymentCorrection:
    """Reject with a note saying why; the payment stays posted."""
    text = _clean_reason(note, field="note", message=_("请填写驳回理由。"))
    correction = request_for_decision(actor, PaymentCorrection, correction)
    correction.status = CorrectionStatus.REJECTED
    correction.decided_by = actor
    correction.decided_at = timezone.now()
    correction.decision_note = text
    correction.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return correction

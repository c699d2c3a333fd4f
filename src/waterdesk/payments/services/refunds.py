"""Refunds of an account's credit (退款): asked for by the billing office
(``billing.post_adjustment``), decided by a supervisor (``payments.approve_correction``,
never the one who asked).

The amount may not exceed the credit: at the request, the credit less the refunds still
waiting for a decision; at the approval, the credit then, checked again under a row lock
on the account, so that two approvals cannot pay the same credit out twice. Approval posts
a debit adjustment "退款" (``billing.services.ledger.ledger_post_refund``) that takes up
the credit; a rejection needs a note. A refused step writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_refund
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import money_validate, to_money
from waterdesk.customers.models import Account
from waterdesk.payments.models import Refund, RefundMethod, RefundStatus
from waterdesk.payments.services.corrections import (
    REASON_MAX_LENGTH,
    _clean_reason,
    request_for_decision,
)

ZERO = Decimal("0.00")
PAYEE_MAX_LENGTH = 100


def account_credit(account: Account) -> Decimal:
    """What the account holds beyond all it owes (0 when it owes money)."""
    return max(-to_money(account_balance(account)), ZERO)


def refundable(account: Account) -> Decimal:
    """The credit less the refunds of the account still waiting for a decision."""
    pending = Refund.objects.filter(account=account, status=RefundStatus.REQUESTED).aggregate(
        total=Sum("amount")
    )["total"]
    return max(account_credit(account) - (pending or ZERO), ZERO)


def _lock_account(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


def _exceeds(amount: Decimal, available: Decimal):
    return IllegalTransition(
        _("退款金额 %(amount)s 元超过账户可退余额 %(available)s 元。")
        % {"amount": f"{amount:.2f}", "available": f"{available:.2f}"},
        code="refund_exceeds_credit",
        details={"available": f"{available:.2f}"},
    )


@transaction.atomic
def refund_request(
    *,
    actor,
    account: Account,
    amount,
    reason: str,
    method: str,
    payee_bank_account: str = "",
) -> Refund:
    """Ask to pay ``amount`` of the account's credit back (cash, or a bank transfer to the
    payee's account, which is then required)."""
    if actor is None or not actor.has_perm("billing.post_adjustment"):
        raise NotPermitted()
    value = money_validate(amount, field="amount")
    if value <= 0:
        raise InvalidInput(_("退款金额应大于零。"), code="invalid_amount", field="amount")
    text = _clean_reason(reason, message=_("请填写退款原因。"))
    if method not in RefundMethod.values:
        raise InvalidInput(_("请选择退款方式。"), code="invalid_method", field="method")
    payee = " ".join(str(payee_bank_account or "").split())
    if method == RefundMethod.BANK_TRANSFER and not payee:
        raise InvalidInput(
            _("银行转账退款请填写收款银行账户。"), code="payee_required", field="payee_bank_account"
        )
    if len(payee) > PAYEE_MAX_LENGTH:
        raise InvalidInput(
            _("内容过长（最多 %(limit)s 个字符）。") % {"limit": PAYEE_MAX_LENGTH},
            code="too_long",
            field="payee_bank_account",
        )
    account = _lock_account(account)  # serialises the requests of one account
    available = refundable(account)
    if value > available:
        raise _exceeds(value, available)
    return Refund.objects.create(
        account=account,
        amount=value,
        reason=text,
        method=method,
        payee_bank_account=payee if method == RefundMethod.BANK_TRANSFER else "",
        requested_by=actor,
        requested_at=timezone.now(),
    )


@transaction.atomic
def refund_approve(*, actor, refund: Refund, note: str = "") -> Refund:
    """Approve: the credit is checked again under the account's row lock, then the refund
    is posted to the ledger."""
    refund = request_for_decision(actor, Refund, refund)
    account = _lock_account(refund.account)
    available = account_credit(account)
    if refund.amount > available:
        raise _exceeds(refund.amount, available)
    refund.entry = ledger_post_refund(
        account=account,
        amount=refund.amount,
        reason=f"退款：{refund.reason}"[:REASON_MAX_LENGTH],
        reference=f"TK{refund.pk:06d}",
        idempotency_key=f"refund:{refund.public_id}",
        recorded_by=actor,
    )
    refund.status = RefundStatus.APPROVED
    refund.decided_by = actor
    refund.decided_at = timezone.now()
    refund.decision_note = str(note or "").strip()[:REASON_MAX_LENGTH]
    refund.save(update_fields=["entry", "status", "decided_by", "decided_at", "decision_note"])
    return refund


@transaction.atomic
def refund_reject(*, actor, refund: Refund, note: str) -> Refund:
    """Reject with a note saying why; nothing is posted."""
    text = _clean_reason(note, field="note", message=_("请填写驳回理由。"))
    refund = request_for_decision(actor, Refund, refund)
    refund.status = RefundStatus.REJECTED
    refund.decided_by = actor
    refund.decided_at = timezone.now()
    refund.decision_note = text
    refund.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return refund


CLOSING_REASON = "销户退还预存余额"


def refund_request_on_close(*, account: Account, actor) -> Refund | None:
    """The ``customers.hooks.account_closed`` listener: a closed account's prepaid balance
    is never lost. What is refundable (the credit less refunds waiting for a decision) is
    asked to be refunded in cash, requested by whoever closed the account (the closing is
    the request's authority, so no ``billing.post_adjustment`` is needed here); the billing
    office may change nothing of it, a supervisor other than the closer approves or
    rejects it like any refund. Inside the closing transaction, on the account's row
    already locked by the closing. Nothing to refund: nothing written, None."""
    available = refundable(account)
    if available <= 0:
        return None
    return Refund.objects.create(
        account=account,
        amount=available,
        reason=CLOSING_REASON,
        method=RefundMethod.CASH,
        requested_by=actor,
        requested_at=timezone.now(),
    )

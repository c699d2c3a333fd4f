"""Demo data of payment notices and refunds: a few customers' notice channels (one with a
WeChat openid), the payment notices of the bills due soon, a payment received online with
its notice, and refunds of that payment's credit in every state (approved, rejected,
waiting for a supervisor)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.customers.services import customer_update
from waterdesk.demo.clock import at
from waterdesk.payments.models import PaymentChannel, PaymentMethod
from waterdesk.payments.services.notices import payment_followups, payment_notices_send_due
from waterdesk.payments.services.record import payment_record
from waterdesk.payments.services.refunds import refund_approve, refund_reject, refund_request

PREFERENCES = [
    # (channels, WeChat openid)
    (["sms", "wechat"], "oDemoWx3fK9sQ2nV7bL1"),
    (["email"], ""),
    (["sms"], ""),
]
ADVANCE = "80.00"  # paid in advance online: the credit the refunds come from


def _staff(role: str):
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=role)
        .order_by("username")
        .first()
    )


def seed_notices(*, now: datetime) -> None:
    billing_clerk = _staff(Role.BILLING_CLERK)
    supervisor = _staff(Role.SUPERVISOR)
    accounts = list(Account.objects.select_related("customer").order_by("pk")[:40])
    # Notice channels: the first customers chose theirs at the counter.
    for account, (channels, openid) in zip(accounts, PREFERENCES, strict=False):
        customer_update(
            actor=billing_clerk,
            customer=account.customer,
            notice_channels=channels,
            wechat_openid=openid,
        )
    # A customer who owes nothing pays in advance online yesterday: the received notice.
    # (One who hears by SMS: the notice is visible in the demo's outbox.)
    paid_up = next(
        a
        for a in Account.objects.select_related("customer").filter(pk__in=[a.pk for a in accounts])
        if account_balance(a) == 0 and "sms" in a.customer.notice_channels
    )
    yesterday = now - timedelta(days=1)
    with at(yesterday.replace(hour=10)):
        payment = payment_record(
            account=paid_up,
            amount=ADVANCE,
            channel=PaymentChannel.ONLINE,
            method=PaymentMethod.SANDBOX,
            source="sandbox",
            external_id=f"DEMO-{local(yesterday).strftime('%Y%m%d')}-0001",
            note="预存水费",
        ).payment
        payment_followups(payment_id=payment.pk)
    # Refunds of that credit: one approved, one rejected, one waiting for a supervisor.
    if billing_clerk is not None and supervisor is not None:
        with at(yesterday.replace(hour=14)):
            approved = refund_request(
                actor=billing_clerk,
                account=paid_up,
                amount="30.00",
                reason="客户多预存，申请退回部分款项",
                method="bank_transfer",
                payee_bank_account="中国工商银行 6222 0210 0100 8866",
            )
            rejected = refund_request(
                actor=billing_clerk,
                account=paid_up,
                amount="20.00",
                reason="客户申请现金退款",
                method="cash",
            )
        with at(yesterday.replace(hour=16)):
            refund_approve(actor=supervisor, refund=approved, note="核对银行账户无误")
            refund_reject(actor=supervisor, refund=rejected, note="请客户本人携带身份证件办理")
        with at(now - timedelta(hours=1)):
            refund_request(
                actor=billing_clerk,
                account=paid_up,
                amount="25.00",
                reason="客户搬离，申请退回余额",
                method="cash",
            )
    # This morning's payment notices for the bills due within the policy's days.
    with at(local(now).replace(hour=8, minute=30)):
        payment_notices_send_due()

"""Online payments in the demo city: paid orders through WeChat Pay, Alipay and the sandbox,
an order still open, one amount that did not match its order (an open exception for the cash
office), and the sandbox's statement of the day imported with one line missing on each side.

The demo has no merchant keys: WeChat Pay's and Alipay's notifications enter after their
verification (``notification_accept``); the sandbox's are signed and verified as on the site.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.demo.clock import at
from waterdesk.payments.gateways import CallbackRequest, Notification
from waterdesk.payments.gateways.sandbox import sandbox_notification
from waterdesk.payments.services.gateways import (
    gateway_callback_handle,
    gateway_notifications_post,
    notification_accept,
    payment_order_create,
    statement_import,
)


def _owing(count: int) -> list[Account]:
    found = []
    for account in Account.objects.order_by("-pk")[:200]:
        if account_balance(account) > 0:
            found.append(account)
            if len(found) == count:
                break
    return found


def _verified(code: str, order, transaction_id: str, moment, *, amount=None):
    note = Notification(
        out_trade_no=order.out_trade_no,
        transaction_id=transaction_id,
        amount=order.amount if amount is None else amount,
        paid_at=moment,
        status="SUCCESS",
        succeeded=True,
    )
    accepted = notification_accept(code=code, note=note, remote_addr="demo")
    gateway_notifications_post()  # the worker's part, now: the seed is one transaction
    return accepted


def _sandbox_paid(order, transaction_id: str, moment):
    body, headers = sandbox_notification(
        out_trade_no=order.out_trade_no,
        transaction_id=transaction_id,
        amount=order.amount,
        paid_at=moment,
    )
    accepted = gateway_callback_handle(
        code="sandbox", request=CallbackRequest(body=body, headers=headers), remote_addr="demo"
    )
    gateway_notifications_post()
    return accepted


def seed_gateways(*, billing_clerk, now: datetime) -> None:
    accounts = _owing(7)
    if len(accounts) < 7:
        return
    day = local(now).replace(hour=8, minute=0, second=0, microsecond=0)
    if day > now:
        day -= timedelta(days=1)
    moments = [day + timedelta(minutes=17 * i) for i in range(7)]
    with at(moments[0]):
        order = payment_order_create(account=accounts[0], gateway="wechat")
        _verified("wechat", order, f"42000012{day:%Y%m%d}0000000001", moments[0])
    with at(moments[1]):
        order = payment_order_create(account=accounts[1], gateway="alipay")
        _verified("alipay", order, f"{day:%Y%m%d}22001412340000000001", moments[1])
    sandbox_orders = []
    for index in (2, 3):
        with at(moments[index]):
            order = payment_order_create(account=accounts[index], gateway="sandbox")
            _sandbox_paid(order, f"SBXDEMO{index:04d}", moments[index])
            sandbox_orders.append(order)
    with at(moments[4]):
        payment_order_create(account=accounts[4], gateway="wechat")  # left open
    with at(moments[5]):
        order = payment_order_create(account=accounts[5], gateway="alipay")
        _verified(
            "alipay",
            order,
            f"{day:%Y%m%d}22001412340000000009",
            moments[5],
            amount=order.amount - Decimal("1.00"),
        )
    # The sandbox's statement of the day: the first sandbox payment, a payment it took that
    # never reached us, and not our second one.
    first = sandbox_orders[0]
    content = (
        "transaction_id,out_trade_no,amount,paid_at\n"
        f"SBXDEMO0002,{first.out_trade_no},{first.amount:.2f},{moments[2].isoformat()}\n"
        f"SBXDEMO0099,WD{day:%Y%m%d}0930000000ff,36.80,{moments[6].isoformat()}\n"
    ).encode()
    with at(moments[6] + timedelta(hours=3)):
        statement_import(
            actor=billing_clerk,
            gateway="sandbox",
            file_name=f"sandbox-{day:%Y%m%d}.csv",
            content=content,
            statement_date=day.date(),
        )

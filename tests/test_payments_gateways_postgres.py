"""Fifty identical gateway callbacks at the same moment: exactly one payment and one ledger
entry, and every one of them answered with success (PostgreSQL: SQLite serialises writers,
so it cannot show the race)."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from tests.payments_support import D
from tests.test_payments_gateways_support import (
    alipay_key,
    gateway_settings,
    platform_key,
    post_sandbox,
    wechat_notification,
    wechat_transaction,
)
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.payments.models import GatewayNotification, OrderStatus, Payment
from waterdesk.payments.services.gateways import payment_order_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("beijing", "gateway_settings"),
]
__all__ = ["alipay_key", "gateway_settings", "platform_key"]

CALLBACKS = 50


def test_fifty_identical_wechat_callbacks_post_one_payment(billed, platform_key):
    account, _bills = billed
    order = payment_order_create(account=account, gateway="wechat")
    body, headers = wechat_notification(wechat_transaction(order), platform_key)
    barrier = threading.Barrier(CALLBACKS)
    statuses: list = [None] * CALLBACKS

    def call(index):
        try:
            barrier.wait(timeout=20)
            response = Client().post(
                "/api/payments/gateways/wechat/notify/",
                body,
                content_type="application/json",
                **headers,
            )
            statuses[index] = response.status_code
        except Exception as exc:  # the outcome under test
            statuses[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLBACKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert statuses == [204] * CALLBACKS
    payment = Payment.objects.get()
    assert payment.amount == order.amount
    assert LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.PAYMENT).count() == 1
    assert account_balance(account) == D("0.00")
    order.refresh_from_db()
    assert (order.status, order.payment) == (OrderStatus.PAID, payment)
    outcomes = list(GatewayNotification.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == ["duplicate"] * (CALLBACKS - 1) + ["posted"]


def test_a_notification_another_run_holds_is_skipped_not_waited_for(billed, monkeypatch):
    from waterdesk.payments.services import gateways
    from waterdesk.payments.services.gateways import gateway_notifications_post

    account, _bills = billed
    order = payment_order_create(account=account, gateway="sandbox")
    # Accepted; its posting is left to the runs below (no kick, as if no worker listened).
    monkeypatch.setattr(gateways, "enqueue_coalesced_on_commit", lambda name: None)
    assert post_sandbox(Client(), order, "SBX-HELD").status_code == 200
    notification = GatewayNotification.objects.get()
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                GatewayNotification.objects.select_for_update().get(pk=notification.pk)
                held.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=20)
        assert gateway_notifications_post() == 0
        assert not Payment.objects.exists()
    finally:
        release.set()
        holder.join(timeout=20)
    assert gateway_notifications_post() == 1
    notification.refresh_from_db()
    assert (notification.outcome, notification.payment) == ("posted", Payment.objects.get())
    assert account_balance(account) == D("0.00")

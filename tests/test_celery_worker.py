"""The scaled mode: tasks go through Redis to a real Celery worker."""

import datetime as dt
import time
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from tests.factories import CustomerFactory, registered_new_connection
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.notify.models import Notification

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the scaled mode)"),
]


# Outside the SMS quiet hours (21:00-08:00 Asia/Shanghai), which would defer the SMS. The
# worker runs in a thread of this process, so it sees the same pinned clock.
DAYTIME = dt.datetime(2026, 3, 2, 10, 30, tzinfo=LOCAL_TZ)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_notifications_are_delivered_by_a_worker_through_redis(clerk):
    from celery.contrib.testing.worker import start_worker

    from waterdesk.config.celery import app

    assert not app.conf.task_always_eager
    with (
        time_machine.travel(DAYTIME, tick=True),
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        customer = CustomerFactory()
        case = registered_new_connection(clerk, customer=customer, contact_phone=customer.mobile)
        queued = Notification.objects.filter(case=case)
        assert queued.count() == 2
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and queued.exclude(status="sent").exists():
            time.sleep(0.2)
    assert sorted(queued.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gateway_callbacks_are_posted_by_a_worker_through_redis(settings):
    """Callbacks are answered once stored; one coalesced kick through Redis has the worker
    post them all, a repeat exactly once."""
    from celery.contrib.testing.worker import start_worker
    from django.test import Client
    from django.utils import timezone

    from tests.factories import AccountFactory
    from tests.test_payments_gateways_support import post_sandbox
    from waterdesk.config.celery import app
    from waterdesk.payments.models import GatewayNotification, OrderStatus, Payment, PaymentOrder

    settings.WATERDESK_SANDBOX_PAY_SECRET = "worker-test-secret"
    now = timezone.now()
    orders = [
        PaymentOrder.objects.create(
            out_trade_no=f"WDWORKER{i}",
            gateway="sandbox",
            account=AccountFactory(),
            amount=Decimal("12.30"),
            created_at=now,
            expires_at=now + dt.timedelta(hours=2),
        )
        for i in range(3)
    ]
    calls = [orders[0], orders[1], orders[2], orders[0]]  # the first one sent twice
    with time_machine.travel(DAYTIME, tick=True):
        for order in calls:
            response = post_sandbox(Client(), order, f"SBX{order.out_trade_no}", paid_at=now)
            assert response.status_code == 200
        # Nothing posts before a worker runs: the callbacks only stored the notifications.
        assert (
            list(GatewayNotification.objects.values_list("outcome", flat=True)) == ["received"] * 4
        )
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deadline = time.monotonic() + 30
            waiting = GatewayNotification.objects.filter(outcome="received")
            while time.monotonic() < deadline and waiting.exists():
                time.sleep(0.2)
    assert sorted(GatewayNotification.objects.values_list("outcome", flat=True)) == [
        "duplicate",
        "posted",
        "posted",
        "posted",
    ]
    assert Payment.objects.count() == 3
    assert set(PaymentOrder.objects.values_list("status", flat=True)) == {OrderStatus.PAID}

"""Delivery through the HTTP SMS gateway backend against a real local HTTP server (the
gateway mock): payload, retries with back-off, giving up, claims, stuck workers, admin retry."""

import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection

from tests.factories import CustomerFactory, UserFactory
from waterdesk.config.celery import app as celery_app
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.notify import services
from waterdesk.notify.admin import NotificationAdmin, NotificationTemplateForm
from waterdesk.notify.backends import DeliveryError, HttpSmsBackend
from waterdesk.notify.models import Notification, NotificationStatus
from waterdesk.notify.services import (
    SendOutcome,
    notification_dispatch_due,
    notification_queue,
    notification_retry_now,
    notification_send,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
APPROVED_SMS = (
    "【城市水务】您的报装申请（XZ-20260302-0007）已审批通过，我们将尽快核定安装工程费用并通知您。"
)


class Gateway:
    """What the fake SMS gateway saw, and how many of the next calls it should refuse."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures_to_serve = 0
        self.delay_seconds = 0.0
        self.lock = threading.Lock()


@pytest.fixture
def gateway(settings):
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(state.delay_seconds)
            with state.lock:
                state.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers["Authorization"],
                        "content_type": self.headers["Content-Type"],
                        "json": payload,
                    }
                )
                number = len(state.requests)
                failing = state.failures_to_serve > 0
                if failing:
                    state.failures_to_serve -= 1
            status, answer = (
                (503, {"error": "busy"}) if failing else (200, {"message_id": f"gw-{number}"})
            )
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WATERDESK_SMS_BACKEND = "http"
    settings.WATERDESK_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/v1/sms"
    settings.WATERDESK_SMS_GATEWAY_TOKEN = "gateway-secret"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _eager_celery():
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _daytime(time_machine):
    """Outside the SMS quiet hours unless a test moves the clock."""
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def sms_customer(db):
    return CustomerFactory(name="李四", mobile="13800138000", email="")


def queue_approved(customer, **kwargs) -> Notification:
    (notification,) = notification_queue(
        template="new_connection.approved",
        context={"case_number": "XZ-20260302-0007"},
        customer=customer,
        **kwargs,
    )
    return notification


def attempt_log(notification):
    return list(notification.attempt_log.values_list("number", "outcome", "error"))


def test_http_gateway_gets_the_message_with_token_and_idempotency_key(
    gateway, sms_customer, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)

    assert gateway.requests == [
        {
            "path": "/v1/sms",
            "authorization": "Bearer gateway-secret",
            "content_type": "application/json; charset=utf-8",
            "json": {
                "to": "13800138000",
                "content": APPROVED_SMS,
                "idempotency_key": str(notification.public_id),
            },
        }
    ]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_message_id == "gw-1"
    assert notification.sent_at == T0
    assert notification.attempts == 1
    assert attempt_log(notification) == [(1, "sent", "")]


def test_failure_then_retry_with_backoff_then_success(
    gateway, sms_customer, django_capture_on_commit_callbacks, time_machine
):
    gateway.failures_to_serve = 1
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.last_error == "SMS gateway: HTTP 503"
    assert notification.next_attempt_at == T0 + timedelta(minutes=2)
    assert notification.sent_at is None
    assert len(gateway.requests) == 1

    # Not due yet: the sweep schedules nothing.
    time_machine.move_to(T0 + timedelta(minutes=1, seconds=59), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notification_dispatch_due() == 0
    assert callbacks == []
    assert len(gateway.requests) == 1

    time_machine.move_to(T0 + timedelta(minutes=2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_dispatch_due() == 1

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert notification.provider_message_id == "gw-2"
    assert notification.sent_at == T0 + timedelta(minutes=2)
    assert [r["json"]["idempotency_key"] for r in gateway.requests] == [
        str(notification.public_id)
    ] * 2
    assert attempt_log(notification) == [(1, "failed", "SMS gateway: HTTP 503"), (2, "sent", "")]


def test_gives_up_after_max_attempts(
    gateway, sms_customer, settings, django_capture_on_commit_callbacks, time_machine
):
    settings.WATERDESK_NOTIFY_MAX_ATTEMPTS = 3
    gateway.failures_to_serve = 100
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)
    notification.refresh_from_db()
    assert notification.next_attempt_at == T0 + timedelta(minutes=2)

    time_machine.move_to(T0 + timedelta(minutes=2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification_dispatch_due()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 2)
    assert notification.next_attempt_at == T0 + timedelta(minutes=6)

    time_machine.move_to(T0 + timedelta(minutes=6), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification_dispatch_due()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert notification.last_error == "SMS gateway: HTTP 503"
    assert notification.sent_at is None
    assert [row[:2] for row in attempt_log(notification)] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
    ]

    # Given up means given up: later sweeps and stray task runs do nothing.
    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notification_dispatch_due() == 0
    assert callbacks == []
    assert notification_send(notification_id=notification.pk) == SendOutcome.SKIPPED
    assert len(gateway.requests) == 3


def test_backoff_doubles_and_is_capped_at_six_hours():
    assert [services._backoff(n) for n in (1, 2, 3, 8, 9, 20)] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=256),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


def test_retry_that_lands_in_quiet_hours_waits_for_the_morning(
    gateway, sms_customer, django_capture_on_commit_callbacks, time_machine
):
    gateway.failures_to_serve = 1
    time_machine.move_to(datetime(2026, 3, 2, 20, 59, tzinfo=LOCAL_TZ), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at == datetime(2026, 3, 3, 8, 0, tzinfo=LOCAL_TZ)


def test_second_send_of_the_same_row_sends_nothing(
    gateway, sms_customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = queue_approved(sms_customer)
    assert len(callbacks) == 1

    assert notification_send(notification_id=notification.pk) == SendOutcome.SENT
    assert notification_send(notification_id=notification.pk) == SendOutcome.SKIPPED
    assert len(gateway.requests) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_send_of_a_missing_row_is_skipped(db):
    assert notification_send(notification_id=987654) == SendOutcome.SKIPPED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL: concurrent connections",
)
def test_two_workers_sending_the_same_row_at_once_send_it_once(gateway, sms_customer):
    gateway.delay_seconds = 0.3
    notification = Notification.objects.create(
        template_key="new_connection.approved",
        channel="sms",
        recipient_address="13800138000",
        customer=sms_customer,
        body=APPROVED_SMS,
        next_attempt_at=T0,
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait(timeout=5)
            outcomes.append(notification_send(notification_id=notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(gateway.requests) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.attempt_log.count() == 1


def test_stuck_sending_row_is_handed_back_after_ten_minutes(
    gateway, sms_customer, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        notification = queue_approved(sms_customer)
    # A worker claimed the row and died before reporting (the claim a real send makes).
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, attempts=1, last_attempt_at=T0
    )

    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notification_dispatch_due() == 0
    assert callbacks == []
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING

    time_machine.move_to(T0 + timedelta(minutes=10, seconds=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_dispatch_due() == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert [row[:2] for row in attempt_log(notification)] == [(1, "interrupted"), (2, "sent")]
    assert len(gateway.requests) == 1


def test_stuck_row_on_its_last_attempt_is_given_up(
    sms_customer, settings, django_capture_on_commit_callbacks, time_machine
):
    settings.WATERDESK_NOTIFY_MAX_ATTEMPTS = 2
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        notification = queue_approved(sms_customer)
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, attempts=2, last_attempt_at=T0
    )
    time_machine.move_to(T0 + timedelta(minutes=11), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notification_dispatch_due() == 0
    assert callbacks == []
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 2)
    assert notification.last_error == "worker did not report a result; attempt abandoned"


def test_unreachable_gateway_is_a_delivery_error(sms_customer):
    notification = Notification(
        channel="sms", recipient_address="13800138000", body="x", next_attempt_at=T0
    )
    # A port nobody listens on: bind, read the number, close.
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    with pytest.raises(DeliveryError, match="SMS gateway: "):
        HttpSmsBackend(f"http://127.0.0.1:{port}/v1/sms", "t", timeout=2).send(notification)


def test_retry_now_gives_a_given_up_row_one_more_attempt(
    gateway, sms_customer, settings, django_capture_on_commit_callbacks, time_machine
):
    settings.WATERDESK_NOTIFY_MAX_ATTEMPTS = 1
    gateway.failures_to_serve = 1
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    request = _admin_request(admin_user)
    model_admin = NotificationAdmin(Notification, admin.site)
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.retry_now(request, Notification.objects.filter(pk=notification.pk))

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)
    assert notification.sent_at == T0 + timedelta(hours=1)
    assert [str(m) for m in request._messages] == ["已安排 1 条通知重新发送。"]


def test_retry_now_leaves_sent_rows_alone(
    gateway, sms_customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_approved(sms_customer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = notification_retry_now(notification_ids=[notification.pk], actor=None)
    assert count == 0
    assert callbacks == []
    assert len(gateway.requests) == 1


def test_admin_rows_are_read_only(db):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    request = _admin_request(admin_user)
    model_admin = NotificationAdmin(Notification, admin.site)
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_change_permission(request) is True  # the list, for "retry now"
    assert model_admin.has_change_permission(request, Notification()) is False


def test_template_form_rejects_broken_syntax(db):
    form = NotificationTemplateForm(
        data={"key": "x.y", "channel": "sms", "subject": "", "body": "{% if %}坏模板"}
    )
    assert form.is_valid() is False
    assert list(form.errors) == ["body"]
    assert form.errors["body"][0].startswith("模板语法错误：")


def _admin_request(user):
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/notify/notification/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request

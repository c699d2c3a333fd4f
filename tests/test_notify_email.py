"""E-mail through Django's SMTP backend to a real SMTP server (aiosmtpd) on 127.0.0.1."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.factories import CustomerFactory
from waterdesk.config.celery import app as celery_app
from waterdesk.notify.models import Notification, NotificationStatus
from waterdesk.notify.services import notification_queue


class Mailbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def _eager_celery():
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "service@water.example.cn"
    return settings


@pytest.fixture
def smtp_server(smtp_settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    yield mailbox
    controller.stop()


def test_email_arrives_at_a_real_smtp_server(db, smtp_server, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="王五", mobile="", email="wangwu@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_queue(
            template="new_connection.fee_assessed",
            context={
                "case_number": "XZ-20260302-0003",
                "amount": "1,280.00",
                "due_date": "2026年3月20日",
                "payment_methods": "营业厅、银行转账",
            },
            customer=customer,
        )

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "service@water.example.cn"
    assert envelope.rcpt_tos == ["wangwu@example.cn"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    # Django folds the encoded subject onto a continuation line; the parser keeps its space.
    assert message["Subject"].strip() == "安装工程费用缴费通知（XZ-20260302-0003）"
    assert message["To"] == "wangwu@example.cn"
    assert message["Message-ID"] == notification.provider_message_id
    assert message.get_content().replace("\r\n", "\n") == (
        "您好：\n\n您的用水报装申请（受理编号XZ-20260302-0003）安装工程费用已核定。\n"
        "金额：1,280.00元\n缴费期限：2026年3月20日\n缴费方式：营业厅、银行转账\n\n"
        "本费用仅为安装工程费用，不收取任何接入类费用。\n\n"
        "城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）\n"
    )


def test_smtp_server_down_is_a_failed_attempt_to_retry(
    db, smtp_settings, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(mobile="", email="zhao@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notification_queue(
            template="new_connection.approved",
            context={"case_number": "XZ-20260302-0004"},
            customer=customer,
        )
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.last_error.startswith("SMTP: ConnectionRefusedError")
    assert notification.sent_at is None
    assert list(Notification.objects.values_list("status", flat=True)) == ["pending"]

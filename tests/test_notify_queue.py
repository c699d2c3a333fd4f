"""Queueing: recipients, rendering, dedupe, transactions and quiet hours (outbox SMS backend,
Django's locmem e-mail backend)."""

from datetime import datetime

import pytest
from django.core import mail
from django.db import transaction

from tests.factories import CustomerFactory, UserFactory
from waterdesk.applications.models import ApplicationKind
from waterdesk.cases.models import Case, Channel
from waterdesk.config.celery import app as celery_app
from waterdesk.core.models import StaffProfile
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.notify.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
)
from waterdesk.notify.services import (
    SendOutcome,
    notification_dispatch_due,
    notification_queue,
    notification_send,
    quiet_hours_end,
)

REGISTERED_SMS = (
    "【城市水务】张三您好，您的用水报装申请已受理，受理编号XZ-20260302-0001，"
    "预计2026年3月16日前办结。"
)
REGISTERED_CONTEXT = {"customer_name": "张三", "expected_completion": "2026年3月16日"}


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Run tasks in-process whatever REDIS_URL says, and use the logging SMS backend."""
    settings.WATERDESK_SMS_BACKEND = "outbox"
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _daytime(time_machine):
    """Outside the SMS quiet hours unless a test moves the clock."""
    time_machine.move_to(at_local(2026, 3, 2, 10, 0), tick=False)


@pytest.fixture
def customer(db):
    return CustomerFactory(name="张三", mobile="13800138000", email="zhangsan@example.cn")


def make_case(customer=None, contact_phone="13800138000", number="XZ-20260302-0001") -> Case:
    return Case.objects.create(
        number=number,
        kind=ApplicationKind.NEW_CONNECTION,
        channel=Channel.COUNTER,
        customer=customer,
        contact_name="张三",
        contact_phone=contact_phone,
        status="registered",
        opened_at=datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ),
    )


def at_local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def rows():
    return list(
        Notification.objects.order_by("channel").values_list(
            "channel", "recipient_address", "status", "attempts"
        )
    )


def test_rolled_back_transaction_leaves_no_row_and_sends_nothing(
    customer, django_capture_on_commit_callbacks
):
    case = make_case(customer)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queued = notification_queue(
            template="new_connection.registered", context=REGISTERED_CONTEXT, case=case
        )
        assert len(queued) == 2
        raise RuntimeError("the business write failed")

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_committed_queue_is_sent_once_after_commit(
    customer, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(at_local(2026, 3, 2, 10, 0), tick=False)
    case = make_case(customer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = notification_queue(
            template="new_connection.registered", context=REGISTERED_CONTEXT, case=case
        )
        # Nothing leaves before the commit.
        assert mail.outbox == []
        assert {n.status for n in queued} == {NotificationStatus.PENDING}

    assert len(callbacks) == 2
    assert rows() == [
        ("email", "zhangsan@example.cn", "sent", 1),
        ("sms", "13800138000", "sent", 1),
    ]
    sms = Notification.objects.get(channel=NotificationChannel.SMS)
    assert sms.body == REGISTERED_SMS
    assert sms.customer == customer
    assert sms.case == case
    assert sms.template_key == "new_connection.registered"
    assert sms.provider_message_id.startswith("outbox-")
    assert sms.sent_at == at_local(2026, 3, 2, 10, 0)
    assert [(a.number, a.outcome) for a in sms.attempt_log.all()] == [(1, "sent")]
    assert list(case.notifications.order_by("channel").values_list("channel", flat=True)) == [
        "email",
        "sms",
    ]

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhangsan@example.cn"]
    assert message.subject == "用水报装申请已受理（XZ-20260302-0001）"
    assert message.body.startswith(
        "张三您好：\n\n您的用水报装申请已受理。\n受理编号：XZ-20260302-0001\n"
        "预计办结日期：2026年3月16日\n"
    )
    email = Notification.objects.get(channel=NotificationChannel.EMAIL)
    assert message.extra_headers["Message-ID"] == email.provider_message_id

    # A second run of the same task (e.g. a redelivery) finds it sent and does nothing.
    assert notification_send(notification_id=sms.pk) == SendOutcome.SKIPPED
    assert len(mail.outbox) == 1
    assert rows()[1] == ("sms", "13800138000", "sent", 1)


def test_same_dedupe_key_twice_queues_one_row_per_address(
    customer, django_capture_on_commit_callbacks
):
    case = make_case(customer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = notification_queue(
            template="new_connection.approved",
            context={},
            case=case,
            dedupe_key=f"case:{case.pk}:approved",
        )
        second = notification_queue(
            template="new_connection.approved",
            context={},
            case=case,
            dedupe_key=f"case:{case.pk}:approved",
        )
    assert len(first) == 2
    assert second == []
    assert len(callbacks) == 2
    assert rows() == [
        ("email", "zhangsan@example.cn", "sent", 1),
        ("sms", "13800138000", "sent", 1),
    ]
    assert len(mail.outbox) == 1


def test_dedupe_does_not_swallow_a_new_address(customer, django_capture_on_commit_callbacks):
    case = make_case(customer)
    with django_capture_on_commit_callbacks(execute=False):
        notification_queue(
            template="new_connection.approved", context={}, case=case, dedupe_key="k1"
        )
        other = CustomerFactory(mobile="13900139000", email="")
        queued = notification_queue(
            template="new_connection.approved", context={}, customer=other, dedupe_key="k1"
        )
    assert [(n.channel, n.recipient_address) for n in queued] == [("sms", "13900139000")]
    assert Notification.objects.count() == 3


def test_without_customer_the_case_contact_mobile_gets_an_sms(
    db, django_capture_on_commit_callbacks
):
    case = make_case(customer=None, contact_phone="+86 139-0013-9000")
    with django_capture_on_commit_callbacks(execute=True):
        queued = notification_queue(
            template="new_connection.rejected", context={"reason": "地址不在供水范围"}, case=case
        )
    assert [(n.channel, n.recipient_address, n.customer) for n in queued] == [
        ("sms", "13900139000", None)
    ]
    assert Notification.objects.get().body == (
        "【城市水务】很抱歉，您的报装申请（XZ-20260302-0001）未予批准，原因：地址不在供水范围。"
        "如有疑问请咨询营业厅。"
    )


def test_landline_contact_gets_nothing(db, django_capture_on_commit_callbacks):
    case = make_case(customer=None, contact_phone="010-12345678")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = notification_queue(template="new_connection.approved", context={}, case=case)
    assert queued == []
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_customer_without_mobile_falls_back_to_case_contact_mobile(
    db, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(mobile="", email="")
    case = make_case(customer, contact_phone="13700137000")
    with django_capture_on_commit_callbacks(execute=False):
        queued = notification_queue(template="new_connection.approved", context={}, case=case)
    assert [(n.channel, n.recipient_address, n.customer) for n in queued] == [
        ("sms", "13700137000", customer)
    ]


def test_staff_user_gets_email_and_sms_not_the_customer(
    customer, django_capture_on_commit_callbacks
):
    case = make_case(customer)
    staff = UserFactory(username="surveyor1", email="surveyor1@waterdesk.test")
    StaffProfile.objects.filter(user=staff).update(mobile="13600136000")
    staff.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        queued = notification_queue(
            template="sla.breached",
            context={"milestone": "联系客户", "due_at": "2026-03-03 17:30"},
            case=case,
            user=staff,
            urgent=True,
        )
    assert [(n.channel, n.recipient_address, n.recipient_user, n.customer) for n in queued] == [
        ("email", "surveyor1@waterdesk.test", staff, None),
        ("sms", "13600136000", staff, None),
    ]
    assert queued[1].body == (
        "【城市水务】超时提醒：工单XZ-20260302-0001的“联系客户”已于2026-03-03 17:30超时，"
        "请立即处理。"
    )
    assert [m.to for m in mail.outbox] == [["surveyor1@waterdesk.test"]]
    assert mail.outbox[0].subject == "超时提醒：工单XZ-20260302-0001“联系客户”已超时"


def test_user_without_profile_or_email_gets_nothing(db, django_capture_on_commit_callbacks):
    staff = UserFactory(username="nomail", email="")
    StaffProfile.objects.filter(user=staff).delete()
    staff.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = notification_queue(
            template="sla.at_risk",
            context={"case_number": "XZ-1", "milestone": "勘查", "due_at": "明天"},
            user=staff,
        )
    assert queued == []
    assert callbacks == []


def test_channel_without_template_is_skipped(customer, django_capture_on_commit_callbacks):
    NotificationTemplate.objects.filter(key="new_connection.approved", channel="email").delete()
    case = make_case(customer)
    with django_capture_on_commit_callbacks(execute=True):
        queued = notification_queue(template="new_connection.approved", context={}, case=case)
    assert [n.channel for n in queued] == ["sms"]
    assert mail.outbox == []


def test_unknown_template_key_queues_nothing(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = notification_queue(template="no.such.key", context={}, customer=customer)
    assert queued == []
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_email_disabled_setting_queues_sms_only(
    customer, settings, django_capture_on_commit_callbacks
):
    settings.WATERDESK_EMAIL_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        queued = notification_queue(
            template="new_connection.approved",
            context={"case_number": "XZ-20260302-0001"},
            customer=customer,
        )
    assert [n.channel for n in queued] == ["sms"]


# --- quiet hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (at_local(2026, 3, 2, 20, 59, 59), None),
        (at_local(2026, 3, 2, 21, 0), at_local(2026, 3, 3, 8, 0)),
        (at_local(2026, 3, 2, 23, 59), at_local(2026, 3, 3, 8, 0)),
        (at_local(2026, 3, 3, 0, 0), at_local(2026, 3, 3, 8, 0)),
        (at_local(2026, 3, 3, 7, 59, 59), at_local(2026, 3, 3, 8, 0)),
        (at_local(2026, 3, 3, 8, 0), None),
    ],
)
def test_quiet_hours_end(local_time, expected):
    assert quiet_hours_end(local_time) == expected


def test_sms_queued_at_night_waits_for_eight_o_clock(
    customer, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(at_local(2026, 3, 2, 22, 30), tick=False)
    case = make_case(customer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_queue(template="new_connection.approved", context={}, case=case)

    # The e-mail goes at once; the SMS is not even scheduled.
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    sms = Notification.objects.get(channel=NotificationChannel.SMS)
    assert (sms.status, sms.attempts) == (NotificationStatus.PENDING, 0)
    assert sms.next_attempt_at == at_local(2026, 3, 3, 8, 0)

    time_machine.move_to(at_local(2026, 3, 3, 7, 59), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_dispatch_due() == 0
    sms.refresh_from_db()
    assert sms.status == NotificationStatus.PENDING

    time_machine.move_to(at_local(2026, 3, 3, 8, 0), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_dispatch_due() == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (NotificationStatus.SENT, 1)
    assert sms.sent_at == at_local(2026, 3, 3, 8, 0)


def test_urgent_sms_is_sent_at_night(customer, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(at_local(2026, 3, 2, 23, 15), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_queue(
            template="new_connection.approved",
            context={"case_number": "XZ-20260302-0001"},
            customer=customer,
            urgent=True,
        )
    assert len(callbacks) == 2
    assert rows() == [
        ("email", "zhangsan@example.cn", "sent", 1),
        ("sms", "13800138000", "sent", 1),
    ]


def test_send_that_comes_due_in_quiet_hours_is_deferred_without_an_attempt(
    customer, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(at_local(2026, 3, 2, 20, 50), tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        (sms,) = notification_queue(
            template="new_connection.approved",
            context={"case_number": "XZ-20260302-0001"},
            customer=CustomerFactory(mobile="13800138001", email=""),
        )
    # The worker only gets to it after 21:00 (a busy queue).
    time_machine.move_to(at_local(2026, 3, 2, 21, 5), tick=False)
    assert notification_send(notification_id=sms.pk) == SendOutcome.DEFERRED
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.provider_message_id) == ("pending", 0, "")
    assert sms.next_attempt_at == at_local(2026, 3, 3, 8, 0)
    assert sms.attempt_log.count() == 0

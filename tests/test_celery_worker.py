"""The scaled mode: tasks go through Redis to a real Celery worker."""

import datetime as dt
import time

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

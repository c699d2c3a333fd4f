"""Celery entry points; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.notify import services


@shared_task(name="waterdesk.notify.tasks.notification_send", ignore_result=True)
def notification_send(notification_id: int) -> str:
    return str(services.notification_send(notification_id=notification_id))


@shared_task(name="waterdesk.notify.tasks.notification_dispatch_due", ignore_result=True)
def notification_dispatch_due() -> int:
    return services.notification_dispatch_due()


@shared_task(name="waterdesk.notify.tasks.notification_send_batch", ignore_result=True)
def notification_send_batch(batch_key: str) -> int:
    return services.notification_send_batch(batch_key=batch_key)


@shared_task(name="waterdesk.notify.tasks.notification_send_many", ignore_result=True)
def notification_send_many(notification_ids: list[int]) -> int:
    return services.notification_send_many(notification_ids=notification_ids)

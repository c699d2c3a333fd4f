"""Celery entry points of payments; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.payments.services import notices


@shared_task(name="waterdesk.payments.tasks.payment_followups", ignore_result=True)
def payment_followups(payment_id: int) -> list[str]:
    return notices.payment_followups(payment_id=payment_id)


@shared_task(name="waterdesk.payments.tasks.payment_notices_send_due", ignore_result=True)
def payment_notices_send_due() -> list[str]:
    return notices.payment_notices_send_due()

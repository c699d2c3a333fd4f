from celery import shared_task

from waterdesk.applications.intake import applications_withdraw_stale as _withdraw_stale


@shared_task(name="waterdesk.applications.tasks.applications_withdraw_stale")
def applications_withdraw_stale() -> list[str]:
    return _withdraw_stale()

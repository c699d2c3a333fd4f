from celery import shared_task

from waterdesk.applications.services import new_connection_withdraw_stale as _withdraw_stale


@shared_task(name="waterdesk.applications.tasks.new_connection_withdraw_stale")
def new_connection_withdraw_stale() -> list[str]:
    return _withdraw_stale()

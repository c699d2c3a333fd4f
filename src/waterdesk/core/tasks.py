"""Scheduling of background work after the current transaction commits.

Tasks get primary keys, reload what they need and are safe to run twice. With REDIS_URL
unset Celery runs them eagerly (in-process) once the transaction has committed, so the
embedded mode and the scaled mode share one code path.

A service names its task by its registered name (``"waterdesk.notify.tasks.notification_send"``)
rather than importing the tasks module, which imports the service: the tasks module is the
caller, the service the callee, and no import goes both ways. Each app imports its tasks
module when it is ready, so the name is registered in every process.
"""

from functools import partial

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Run ``task`` (a Celery task, or a registered task's name) after the commit."""
    if isinstance(task, str):
        transaction.on_commit(partial(_delay_by_name, task, *args, **kwargs))
    else:
        transaction.on_commit(partial(task.delay, *args, **kwargs))


def _delay_by_name(name: str, *args, **kwargs) -> None:
    current_app.tasks[name].delay(*args, **kwargs)

"""Scheduling of background work after the current transaction commits.

Tasks get primary keys, reload what they need and are safe to run twice. With REDIS_URL
unset Celery runs them eagerly (in-process) once the transaction has committed, so the
embedded mode and the scaled mode share one code path.
"""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(partial(task.delay, *args, **kwargs))

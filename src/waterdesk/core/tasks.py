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
from django.core.cache import cache
from django.db import transaction

# How long a waiting run of a coalesced task stands for the commits after it (see below).
COALESCE_SECONDS = 60


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Run ``task`` (a Celery task, or a registered task's name) after the commit."""
    if isinstance(task, str):
        transaction.on_commit(partial(_delay_by_name, task, *args, **kwargs))
    else:
        transaction.on_commit(partial(task.delay, *args, **kwargs))


def _delay_by_name(name: str, *args, **kwargs) -> None:
    current_app.tasks[name].delay(*args, **kwargs)


def enqueue_coalesced_on_commit(name: str) -> None:
    """Run the registered task ``name`` after the commit, unless a run of it is already
    waiting: for a task that does all the work there is (rows a commit left in a waiting
    state), so that a burst of commits costs one run, not one message each.

    The waiting run is a cache key (Redis in the scaled mode), set here with ``add`` and
    cleared by the task with ``coalesced_run_started`` before it looks for work: a commit
    made after that look sets the key again and enqueues the next run. A kick that fails
    (Redis away) is logged and dropped after the commit — the work is in the database, and
    the task's periodic run picks it up. In-process (eager) tasks always run."""

    def kick() -> None:  # a named function: Django logs a robust callback's failure by name
        if current_app.conf.task_always_eager or cache.add(
            _coalesce_key(name), 1, COALESCE_SECONDS
        ):
            current_app.tasks[name].delay()

    kick.__qualname__ = f"coalesced kick of {name}"
    transaction.on_commit(kick, robust=True)


def _coalesce_key(name: str) -> str:
    return f"waterdesk:coalesced-run:{name}"


def coalesced_run_started(name: str) -> None:
    """Called by a coalesced task as it starts, before it looks for work."""
    if not current_app.conf.task_always_eager:
        cache.delete(_coalesce_key(name))

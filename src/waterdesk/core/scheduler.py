"""In-process periodic scheduler for the embedded mode.

Without Redis there is no Celery beat, so the web process itself runs the periodic jobs of
``settings.CELERY_BEAT_SCHEDULE`` (SLA sweep, notification dispatch, …) in one daemon thread.
The jobs are the same task functions beat would send to the workers; they are written to be
safe to run twice, so an occasional overlap (two gunicorn workers each running a scheduler)
costs time, not correctness.

Only interval schedules (seconds, ``timedelta`` or ``celery.schedules.schedule``) are
supported; other entries are logged and skipped.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Upper bound of one sleep, so that a stop request or a late apps registry is noticed.
_MAX_SLEEP_SECONDS = 30.0
# Delay before the first run, so that the server finishes starting before the first sweep.
DEFAULT_INITIAL_DELAY_SECONDS = 10.0

_lock = threading.Lock()
_scheduler: InProcessScheduler | None = None


@dataclass
class ScheduledJob:
    """One entry of the beat schedule with its next due time (monotonic clock)."""

    name: str
    task_name: str
    interval: float
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    next_run: float = 0.0


def resolve_task(task_name: str) -> Callable[..., Any]:
    """Find a task by its Celery name: a dotted import path or a name in Celery's registry."""
    try:
        return import_string(task_name)
    except ImportError as exc:
        import_error = exc
    from celery import current_app

    current_app.loader.import_default_modules()  # runs the app's task autodiscovery
    try:
        return current_app.tasks[task_name]
    except KeyError:
        # Keep the import error as the cause: it is usually the real problem.
        raise ImportError(f"no task named {task_name!r}") from import_error


def _interval_seconds(schedule: Any) -> float | None:
    if isinstance(schedule, bool):
        return None
    if isinstance(schedule, int | float):
        seconds = float(schedule)
    elif isinstance(schedule, timedelta):
        seconds = schedule.total_seconds()
    elif isinstance(getattr(schedule, "run_every", None), timedelta):  # celery.schedules.schedule
        seconds = schedule.run_every.total_seconds()
    else:
        return None
    return seconds if seconds > 0 else None


def jobs_from_beat_schedule(beat_schedule: Mapping[str, Mapping[str, Any]]) -> list[ScheduledJob]:
    jobs = []
    for name, entry in beat_schedule.items():
        interval = _interval_seconds(entry.get("schedule"))
        if interval is None or not entry.get("task"):
            logger.warning(
                "in-process scheduler: skipping %r (only interval schedules are supported)", name
            )
            continue
        jobs.append(
            ScheduledJob(
                name=name,
                task_name=entry["task"],
                interval=interval,
                args=tuple(entry.get("args", ())),
                kwargs=dict(entry.get("kwargs", {})),
            )
        )
    return jobs


class InProcessScheduler:
    """Runs interval jobs in one daemon thread until ``stop()``."""

    def __init__(
        self,
        beat_schedule: Mapping[str, Mapping[str, Any]],
        *,
        initial_delay: float = DEFAULT_INITIAL_DELAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = jobs_from_beat_schedule(beat_schedule)
        self._clock = clock
        first_run = clock() + initial_delay
        for job in self.jobs:
            job.next_run = first_run
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("scheduler already started")
        self._thread = threading.Thread(
            target=self.run_forever, name="waterdesk-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        # ready() of the app that starts us runs before the registry is complete.
        while not apps.ready:
            if self._stop.wait(0.1):
                return
        logger.info(
            "in-process scheduler started: %s",
            ", ".join(f"{job.name} every {job.interval:g}s" for job in self.jobs) or "no jobs",
        )
        while not self._stop.is_set():
            sleep_for = self.run_pending()
            self._stop.wait(min(sleep_for, _MAX_SLEEP_SECONDS))

    def run_pending(self) -> float:
        """Run every due job once; return the seconds until the next one is due."""
        for job in self.jobs:
            if self._stop.is_set():
                break
            if self._clock() >= job.next_run:
                started = self._clock()
                self._run_job(job)
                # Measured from the start of this run, and never catching up missed runs.
                job.next_run = max(started + job.interval, self._clock())
        if not self.jobs:
            return _MAX_SLEEP_SECONDS
        return max(0.0, min(job.next_run for job in self.jobs) - self._clock())

    def _run_job(self, job: ScheduledJob) -> None:
        close_old_connections()
        try:
            task = resolve_task(job.task_name)
            task(*job.args, **job.kwargs)
        except Exception:  # a task wrapper: one failing run must not stop the scheduler
            logger.exception("in-process scheduler: %s (%s) failed", job.name, job.task_name)
        finally:
            close_old_connections()


def is_serving_process() -> bool:
    """True in the process that serves requests, not in its parent or in other commands.

    runserver's autoreloader runs the server in a child marked with RUN_MAIN; gunicorn marks
    its processes with SERVER_SOFTWARE (with --preload the master runs the one scheduler).
    """
    if os.environ.get("RUN_MAIN") == "true":
        return True
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return True
    argv = sys.argv[1:]
    return bool(argv) and argv[0] == "runserver" and "--noreload" in argv


def start_inprocess_scheduler(
    *, initial_delay: float = DEFAULT_INITIAL_DELAY_SECONDS
) -> InProcessScheduler | None:
    """Start the embedded-mode scheduler once per process; no-op where it must not run."""
    global _scheduler
    if not getattr(settings, "WATERDESK_INPROCESS_SCHEDULER", False):
        return None
    if not is_serving_process():
        return None
    with _lock:
        if _scheduler is None:
            _scheduler = InProcessScheduler(
                getattr(settings, "CELERY_BEAT_SCHEDULE", {}), initial_delay=initial_delay
            )
            _scheduler.start()
        return _scheduler


def stop_inprocess_scheduler(timeout: float | None = 5.0) -> None:
    """Stop the process's scheduler (tests; a clean shutdown)."""
    global _scheduler
    with _lock:
        scheduler, _scheduler = _scheduler, None
    if scheduler is not None:
        scheduler.stop(timeout)

import logging
import sys
import threading
import time
from datetime import timedelta

import pytest
from celery import current_app, shared_task
from celery.schedules import crontab, schedule

from waterdesk.core import scheduler as scheduler_module
from waterdesk.core.scheduler import (
    InProcessScheduler,
    is_serving_process,
    jobs_from_beat_schedule,
    resolve_task,
    start_inprocess_scheduler,
    stop_inprocess_scheduler,
)

THIS_MODULE = __name__
CALLS: list[str] = []
THIRD_CALL = threading.Event()


def record_call(label: str) -> None:
    CALLS.append(label)
    if len(CALLS) == 3:
        THIRD_CALL.set()


def failing_task() -> None:
    CALLS.append("boom")
    raise RuntimeError("task failed")


@shared_task(name="waterdesk-tests.scheduler-probe")
def registry_only_task() -> str:
    return "probe"


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _reset_state(monkeypatch):
    CALLS.clear()
    THIRD_CALL.clear()
    monkeypatch.delenv("RUN_MAIN", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.setattr(sys, "argv", ["pytest"])
    yield
    stop_inprocess_scheduler()


@pytest.fixture
def autodiscovery(monkeypatch):
    """Count Celery autodiscovery runs instead of importing every app's tasks module."""
    runs = []
    monkeypatch.setattr(current_app.loader, "import_default_modules", lambda: runs.append(1))
    return runs


@pytest.fixture
def closed_connections(monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler_module, "close_old_connections", lambda: calls.append(1))
    return calls


def test_jobs_from_beat_schedule_reads_interval_entries_and_skips_others(caplog):
    beat_schedule = {
        "seconds": {"task": "a.b", "schedule": 300.0},
        "integer": {"task": "a.c", "schedule": 60, "args": ["x"], "kwargs": {"y": 1}},
        "delta": {"task": "a.d", "schedule": timedelta(minutes=2)},
        "celery-schedule": {"task": "a.e", "schedule": schedule(run_every=timedelta(seconds=45))},
        "cron": {"task": "a.f", "schedule": crontab(minute=0)},
        "zero": {"task": "a.g", "schedule": 0},
        "no-task": {"schedule": 10},
    }

    with caplog.at_level(logging.WARNING, logger="waterdesk.core.scheduler"):
        jobs = jobs_from_beat_schedule(beat_schedule)

    assert [(job.name, job.task_name, job.interval, job.args, job.kwargs) for job in jobs] == [
        ("seconds", "a.b", 300.0, (), {}),
        ("integer", "a.c", 60.0, ("x",), {"y": 1}),
        ("delta", "a.d", 120.0, (), {}),
        ("celery-schedule", "a.e", 45.0, (), {}),
    ]
    skipped = [record.getMessage() for record in caplog.records]
    assert skipped == [
        f"in-process scheduler: skipping {name!r} (only interval schedules are supported)"
        for name in ("cron", "zero", "no-task")
    ]


def test_run_pending_runs_each_job_at_its_interval(closed_connections):
    clock = FakeClock(100.0)
    scheduler = InProcessScheduler(
        {
            "every-10s": {"task": f"{THIS_MODULE}.record_call", "schedule": 10, "args": ["a"]},
            "every-25s": {
                "task": f"{THIS_MODULE}.record_call",
                "schedule": timedelta(seconds=25),
                "kwargs": {"label": "b"},
            },
        },
        initial_delay=5,
        clock=clock,
    )

    assert scheduler.run_pending() == 5.0
    assert CALLS == []

    sleeps = []
    for now in (105.0, 115.0, 125.0, 130.0):
        clock.now = now
        sleeps.append(scheduler.run_pending())

    assert CALLS == ["a", "b", "a", "a", "b"]
    assert sleeps == [10.0, 10.0, 5.0, 5.0]
    # Django's request bracket around every run: close stale connections before and after.
    assert len(closed_connections) == 10


def test_run_pending_does_not_catch_up_missed_runs(closed_connections):
    clock = FakeClock(0.0)
    scheduler = InProcessScheduler(
        {"every-10s": {"task": f"{THIS_MODULE}.record_call", "schedule": 10, "args": ["a"]}},
        initial_delay=0,
        clock=clock,
    )
    scheduler.run_pending()
    clock.now = 95.0  # the process was suspended for nine intervals

    assert scheduler.run_pending() == 10.0
    assert CALLS == ["a", "a"]


def test_failing_or_unknown_task_is_logged_and_other_jobs_still_run(
    caplog, closed_connections, autodiscovery
):
    clock = FakeClock(0.0)
    scheduler = InProcessScheduler(
        {
            "boom": {"task": f"{THIS_MODULE}.failing_task", "schedule": 10},
            "missing": {"task": "waterdesk.nowhere.tasks.nothing", "schedule": 10},
            "fine": {"task": f"{THIS_MODULE}.record_call", "schedule": 10, "args": ["ok"]},
        },
        initial_delay=0,
        clock=clock,
    )

    with caplog.at_level(logging.ERROR, logger="waterdesk.core.scheduler"):
        scheduler.run_pending()
        clock.now = 10.0
        scheduler.run_pending()

    assert CALLS == ["boom", "ok", "boom", "ok"]
    assert [record.getMessage() for record in caplog.records] == [
        f"in-process scheduler: boom ({THIS_MODULE}.failing_task) failed",
        "in-process scheduler: missing (waterdesk.nowhere.tasks.nothing) failed",
    ] * 2
    assert isinstance(caplog.records[0].exc_info[1], RuntimeError)
    assert isinstance(caplog.records[1].exc_info[1], ImportError)
    assert len(closed_connections) == 12


def test_resolve_task_by_import_path_and_by_celery_registry_name(autodiscovery):
    assert resolve_task(f"{THIS_MODULE}.record_call") is record_call
    assert autodiscovery == []

    assert resolve_task("waterdesk-tests.scheduler-probe")() == "probe"
    assert autodiscovery == [1]

    with pytest.raises(ImportError) as excinfo:
        resolve_task("waterdesk-tests.absent")
    assert str(excinfo.value) == "no task named 'waterdesk-tests.absent'"
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_thread_runs_jobs_until_stopped():
    scheduler = InProcessScheduler(
        {"fast": {"task": f"{THIS_MODULE}.record_call", "schedule": 0.01, "args": ["tick"]}},
        initial_delay=0,
    )
    scheduler.start()
    try:
        assert THIRD_CALL.wait(timeout=5)
    finally:
        scheduler.stop(timeout=5)

    assert scheduler.is_running is False
    calls_after_stop = len(CALLS)
    time.sleep(0.05)
    assert len(CALLS) == calls_after_stop
    assert set(CALLS) == {"tick"}


@pytest.mark.parametrize(
    ("environ", "argv", "expected"),
    [
        ({"RUN_MAIN": "true"}, ["manage.py", "runserver"], True),
        ({}, ["manage.py", "runserver"], False),  # the autoreloader's parent process
        ({}, ["manage.py", "runserver", "--noreload"], True),
        ({"SERVER_SOFTWARE": "gunicorn/23.0.0"}, ["gunicorn"], True),
        ({}, ["manage.py", "migrate"], False),
        ({}, ["celery", "worker"], False),
    ],
)
def test_is_serving_process(monkeypatch, environ, argv, expected):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", argv)

    assert is_serving_process() is expected


def _scheduler_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "waterdesk-scheduler"]


def test_start_inprocess_scheduler_starts_one_thread_in_the_serving_process(settings, monkeypatch):
    settings.WATERDESK_INPROCESS_SCHEDULER = True
    settings.CELERY_BEAT_SCHEDULE = {
        "fast": {"task": f"{THIS_MODULE}.record_call", "schedule": 0.01, "args": ["tick"]}
    }
    monkeypatch.setenv("RUN_MAIN", "true")

    first = start_inprocess_scheduler(initial_delay=0)
    second = start_inprocess_scheduler(initial_delay=0)

    assert first is second
    assert first.is_running is True
    assert len(_scheduler_threads()) == 1
    assert _scheduler_threads()[0].daemon is True
    assert THIRD_CALL.wait(timeout=5)

    stop_inprocess_scheduler()
    assert first.is_running is False
    assert _scheduler_threads() == []


def test_start_inprocess_scheduler_is_off_when_disabled(settings, monkeypatch):
    settings.WATERDESK_INPROCESS_SCHEDULER = False
    monkeypatch.setenv("RUN_MAIN", "true")

    assert start_inprocess_scheduler(initial_delay=0) is None
    assert _scheduler_threads() == []


def test_start_inprocess_scheduler_is_off_outside_the_serving_process(settings):
    settings.WATERDESK_INPROCESS_SCHEDULER = True

    assert start_inprocess_scheduler(initial_delay=0) is None
    assert _scheduler_threads() == []

"""Coalesced runs: many commits, one waiting run of a task that does all the work there is."""

import pytest
from django.core.cache import cache
from django.test import TestCase

from waterdesk.config.celery import app
from waterdesk.core import tasks
from waterdesk.core.tasks import coalesced_run_started, enqueue_coalesced_on_commit

NAME = "waterdesk.payments.tasks.gateway_notifications_post"

pytestmark = pytest.mark.django_db


@pytest.fixture
def delays(monkeypatch):
    """The runs sent to the broker (the task's ``delay``), recorded instead."""
    sent: list[str] = []
    monkeypatch.setattr(app.tasks[NAME], "delay", lambda: sent.append(NAME))
    return sent


def commit_kicks(count):
    with TestCase.captureOnCommitCallbacks(execute=True):
        for _ in range(count):
            enqueue_coalesced_on_commit(NAME)


def test_a_burst_of_commits_sends_one_run_until_that_run_starts(delays, monkeypatch):
    app.conf.task_always_eager = False  # the scaled mode (restored after each test)
    commit_kicks(5)
    assert delays == [NAME]
    coalesced_run_started(NAME)  # the run clears the mark before it looks for work
    commit_kicks(3)
    assert delays == [NAME, NAME]


def test_in_process_every_commit_runs_the_task(delays):
    assert app.conf.task_always_eager
    commit_kicks(3)
    assert delays == [NAME] * 3
    assert cache.get(tasks._coalesce_key(NAME)) is None


def test_a_kick_that_fails_after_the_commit_is_logged_not_raised(delays, monkeypatch, caplog):
    app.conf.task_always_eager = False

    class Unavailable:
        def add(self, *args, **kwargs):
            raise ConnectionError("Redis is away")

    monkeypatch.setattr(tasks, "cache", Unavailable())
    commit_kicks(1)
    assert delays == []
    assert f"coalesced kick of {NAME}" in caplog.text and "Redis is away" in caplog.text

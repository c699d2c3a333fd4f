import copy
import datetime as dt
import os
import uuid

import pytest
import time_machine
from django.db import DEFAULT_DB_ALIAS, connections
from pytest_django.plugin import blocking_manager_key

from tests.factories import DepartmentFactory, SupplyZoneFactory, UserFactory
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ


@pytest.fixture(autouse=True)
def _test_clock():
    """With ``WATERDESK_TEST_CLOCK`` set (an ISO datetime with offset, e.g.
    ``2026-12-02T03:00:00+08:00``) every test starts at that moment and the clock ticks on
    from there, so that CI finds tests that pass only at some hours. Tests that pin their own
    time still do: the innermost travel wins."""
    moment = os.environ.get("WATERDESK_TEST_CLOCK")
    if not moment:
        yield
        return
    with time_machine.travel(dt.datetime.fromisoformat(moment), tick=True):
        yield


@pytest.fixture(autouse=True)
def _fast_test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Counters kept in the cache (look-up limits, token failures) start at zero in every
    # test: a fresh key prefix per test, on locmem and on the shared Redis alike.
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Run tasks in-process even when REDIS_URL is set, except in tests that start a real
    worker (marked ``celery_worker``)."""
    from waterdesk.config.celery import app

    eager = request.node.get_closest_marker("celery_worker") is None
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = eager, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return marker is not None and marker.kwargs.get("transaction", False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Put back the migrations' seed data (groups, checklist, calendar, SLA policies,
    templates …) after a transactional test: its closing flush empties every table, which
    would break the tests that run after it on the same worker. Transactional tests must use
    ``serialized_rollback=True`` so that the seed data is serialized when the database is
    created."""
    result = yield
    # After the session's last test the test database itself is gone: nothing to restore.
    if _is_transactional(item) and nextitem is not None:
        assert item.get_closest_marker("django_db").kwargs.get("serialized_rollback"), (
            f"{item.nodeid}: transactional tests need django_db(serialized_rollback=True)"
        )
        connection = connections[DEFAULT_DB_ALIAS]
        contents = connection._test_serialized_contents
        with item.config.stash[blocking_manager_key].unblock():
            connection.creation.deserialize_db_from_string(contents)
    return result


# Two plain working weeks, no holiday near (Asia/Shanghai).
MONDAY_MORNING = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
TUESDAY_MORNING = dt.datetime(2026, 3, 10, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def frozen_monday():
    """The clock stopped at Monday 2 March 2026, 10:00; the test moves it with ``shift``."""
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def frozen_tuesday():
    """The clock stopped at Tuesday 10 March 2026, 09:00; the test moves it with ``shift``."""
    with time_machine.travel(TUESDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def department(db):
    return DepartmentFactory()


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk", role=Role.INTAKE_CLERK)


@pytest.fixture
def surveyor(db):
    return UserFactory(username="surveyor", role=Role.SURVEYOR)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", role=Role.REVIEWER)


@pytest.fixture
def approver(db):
    return UserFactory(username="approver", role=Role.APPROVER)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", role=Role.ADMINISTRATOR)


@pytest.fixture
def reader(db):
    return UserFactory(username="reader", role=Role.METER_READER)


@pytest.fixture
def billing_clerk(db):
    return UserFactory(username="billing", role=Role.BILLING_CLERK)


@pytest.fixture
def outsider(db):
    """A logged-in staff user with no role at all."""
    return UserFactory(username="outsider")


@pytest.fixture
def staff(
    clerk, surveyor, reviewer, approver, supervisor, administrator, outsider, reader, billing_clerk
):
    """Every role by name, with an outsider: the users a role check is walked through."""
    return {
        "clerk": clerk,
        "surveyor": surveyor,
        "reviewer": reviewer,
        "approver": approver,
        "supervisor": supervisor,
        "administrator": administrator,
        "outsider": outsider,
        "reader": reader,
        "billing": billing_clerk,
    }


@pytest.fixture
def zone(db):
    return SupplyZoneFactory()

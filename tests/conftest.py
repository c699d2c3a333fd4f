import copy
import datetime as dt
import os
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db import DEFAULT_DB_ALIAS, connections
from pytest_django.plugin import blocking_manager_key

from tests import payments_support
from tests import test_billing_run_support as billing_run_support
from tests.factories import DepartmentFactory, SupplyZoneFactory, UserFactory, meter_read
from waterdesk.billing.models import Bill
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.payments.models import CashierPost, Office


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


# --- payments (tests/payments_support.py has the helpers) ------------------------------------

beijing = billing_run_support.beijing
cycles = billing_run_support.cycles


@pytest.fixture
def billed(billing_clerk, cycles, django_capture_on_commit_callbacks):
    """An account with bills of 100.00 (Jan, due 02-25), 150.00 (Feb, due 03-25) and
    50.00 (Mar, due 04-25); nothing paid."""
    account = billing_run_support.account_with_meter()
    capture = django_capture_on_commit_callbacks
    for month, (day, value, run_day) in enumerate(
        [
            (dt.date(2026, 1, 31), "20", (2026, 2, 5)),
            (dt.date(2026, 2, 28), "50", (2026, 3, 5)),
            (dt.date(2026, 3, 31), "60", (2026, 4, 5)),
        ],
        start=1,
    ):
        with payments_support.at(*run_day):
            meter_read(billing_clerk, account, day, value)
            billing_run_support.run_cycle(billing_clerk, cycles[month], capture)
    bills = list(Bill.objects.filter(account=account).order_by("period_end"))
    assert [(b.amount, b.due_date) for b in bills] == [
        (Decimal("100.00"), dt.date(2026, 2, 25)),
        (Decimal("150.00"), dt.date(2026, 3, 25)),
        (Decimal("50.00"), dt.date(2026, 4, 25)),
    ]
    return account, bills


@pytest.fixture
def office(db):
    return Office.objects.create(code="HQ", name="总部营业厅", address="解放路1号")


@pytest.fixture
def cashier(office):
    user = UserFactory(username="cashier", role=Role.CASHIER)
    CashierPost.objects.create(user=user, office=office)
    return user


@pytest.fixture
def second_supervisor(db):
    return UserFactory(username="supervisor2", role=Role.SUPERVISOR)

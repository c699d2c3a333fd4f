"""Settings rows read once per request (``core.memo``), and the one-query permission check
(``core.auth.ModelBackend``)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from waterdesk.core.memo import memo_get, request_memo
from waterdesk.core.roles import Role
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import CalendarDay, CalendarDayKind

pytestmark = pytest.mark.django_db

DAY = dt.date(2031, 5, 6)


def test_without_a_request_every_call_loads():
    calls = []
    assert memo_get("key", lambda: calls.append(1) or len(calls)) == 1
    assert memo_get("key", lambda: calls.append(1) or len(calls)) == 2


def test_inside_a_request_the_calendar_is_read_once_and_forgotten_when_it_changes():
    with request_memo():
        with CaptureQueriesContext(connection) as first:
            calendar = load_calendar()
        with CaptureQueriesContext(connection) as again:
            assert load_calendar() is calendar
        assert (len(first.captured_queries), len(again.captured_queries)) == (3, 0)
        assert calendar.is_working_day(DAY)

        # A holiday saved in the same request: the next read sees it.
        CalendarDay.objects.create(date=DAY, kind=CalendarDayKind.HOLIDAY, name="测试假日")
        with CaptureQueriesContext(connection) as after_change:
            changed = load_calendar()
        assert len(after_change.captured_queries) == 3
        assert not changed.is_working_day(DAY)
    # Another request reads afresh.
    with request_memo(), CaptureQueriesContext(connection) as next_request:
        load_calendar()
    assert len(next_request.captured_queries) == 3


def test_a_request_reads_the_calendar_once_whatever_asks_for_it(client):
    user = UserFactory(role=Role.SUPERVISOR)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/calendar/due/?hours=4&start=2031-05-06T09:00").status_code == 200
    calendar_reads = [q for q in queries.captured_queries if '"sla_calendarday"' in q["sql"]]
    assert len(calendar_reads) == 1


def test_permissions_of_the_user_and_their_role_in_one_query():
    user = UserFactory(role=Role.HOTLINE_AGENT)
    user.user_permissions.add(Permission.objects.get(codename="view_faulttype"))
    user = type(user).objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("repairs.view_faulttype")  # their own
        assert user.has_perm("repairs.intake_repair")  # their role's
        assert not user.has_perm("repairs.dispatch_repair")
    assert len(queries.captured_queries) == 1


def test_an_inactive_user_holds_no_permission():
    user = UserFactory(role=Role.HOTLINE_AGENT, is_active=False)
    with CaptureQueriesContext(connection) as queries:
        assert not user.has_perm("repairs.intake_repair")
    assert len(queries.captured_queries) == 0


def test_the_case_url_filter_is_the_url_tag():
    from django.urls import reverse, set_script_prefix

    from waterdesk.workbench.templatetags.workbench_tags import case_url

    public_id = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    assert case_url(public_id) == reverse("workbench:case", args=[public_id])
    set_script_prefix("/water/")  # the site under a path: the pattern of that prefix
    try:
        assert case_url(public_id) == reverse("workbench:case", args=[public_id])
        assert case_url(public_id).startswith("/water/desk/")
    finally:
        set_script_prefix("/")

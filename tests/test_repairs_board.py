"""The dispatcher's board: the order of the open repairs, the counts, the crews, who may
see it, the htmx refresh, and a query count that does not grow with the repairs."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.payments_support import SHANGHAI, at
from tests.repairs_board_support import a_clock, a_repair, an_order, crew, on_call
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.fieldwork.models import WorkOrderStatus as O
from waterdesk.repairs.models import RepairStatus as S
from waterdesk.repairs.models import Urgency
from waterdesk.repairs.selectors.board import repair_board
from waterdesk.sla.models import ClockState

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
URGENT, GENERAL = Urgency.URGENT, Urgency.GENERAL


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def pinned():
    with at(2026, 3, 10, 10, 0):
        yield NOW


@pytest.fixture
def world(pinned):
    """Eight open repairs (named by the letter of their place on the board), two closed, and
    four crews: X on call with two orders, Y off duty with one open order and a repair
    completed today, W idle, Z inactive."""
    x, y, w = crew("x", name="抢修一班"), crew("y", name="抢修二班"), crew("w", name="抢修三班")
    z = crew("z", active=False)
    on_call(x, NOW.replace(hour=8), NOW.replace(hour=20))
    on_call(y, NOW - timedelta(days=1, hours=2), NOW - timedelta(hours=14))
    on_call(z, NOW.replace(hour=8), NOW.replace(hour=20))
    r = {}
    # Awaiting dispatch: urgent and green, no clock; urgent; general and green; general.
    r["J"] = a_repair(reported_at=NOW - minutes(2), urgency=URGENT, green=True, callers=3)
    r["B"] = a_repair(reported_at=NOW - minutes(5), urgency=URGENT, fault_code="t_burst")
    a_clock(r["B"], "dispatch", started_at=NOW - minutes(5), due_at=NOW + minutes(10))
    r["C"] = a_repair(reported_at=NOW - minutes(60), green=True)
    a_clock(r["C"], "contact", started_at=NOW - minutes(60), due_at=NOW + minutes(120))
    r["A"] = a_repair(reported_at=NOW - minutes(60))
    a_clock(r["A"], "contact", started_at=NOW - minutes(60), due_at=NOW + minutes(180))
    # In the field: urgent, arrival at risk (55 of 60 minutes gone); general and green,
    # overdue; general on site, no clock.
    r["D"] = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(70), urgency=URGENT)
    a_clock(r["D"], "arrive", started_at=NOW - minutes(55), due_at=NOW + minutes(5))
    a_clock(
        r["D"],
        "dispatch",
        started_at=NOW - minutes(70),
        due_at=NOW - minutes(55),
        state=ClockState.MET,
    )
    an_order(r["D"], x, status=O.EN_ROUTE, assigned_at=NOW - minutes(60))
    r["F"] = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(300), green=True)
    a_clock(r["F"], "contact", started_at=NOW - minutes(300), due_at=NOW - minutes(60))
    an_order(r["F"], x, status=O.ACCEPTED, assigned_at=NOW - minutes(30))
    r["E"] = a_repair(status=S.ON_SITE, reported_at=NOW - minutes(400))
    an_order(r["E"], y, status=O.ARRIVED, assigned_at=NOW - minutes(380))
    # Completed today by Y, waiting for the follow-up call.
    r["G"] = a_repair(
        status=S.COMPLETED,
        reported_at=NOW - minutes(200),
        urgency=URGENT,
        completed_at=NOW.replace(hour=9),
        completed_by=y,
    )
    a_clock(r["G"], "follow_up", started_at=NOW.replace(hour=9), due_at=NOW + timedelta(days=3))
    an_order(
        r["G"],
        y,
        status=O.SIGNED_OFF,
        assigned_at=NOW - minutes(190),
        closed_at=NOW.replace(hour=9),
    )
    # Closed yesterday (completed by Y then) and cancelled: not on the board.
    yesterday = NOW - timedelta(days=1)
    r["H"] = a_repair(
        status=S.CLOSED, reported_at=yesterday, completed_at=yesterday, completed_by=y
    )
    r["I"] = a_repair(status=S.CANCELLED, reported_at=NOW - minutes(30), urgency=URGENT)
    return {"repairs": r, "crews": {"x": x, "y": y, "w": w, "z": z}}


def numbers(world, *letters) -> list[str]:
    return [world["repairs"][letter].case.number for letter in letters]


def test_open_repairs_in_the_board_order(world):
    board = repair_board(now=NOW)
    assert [row.case.number for row in board.rows] == numbers(
        world, "J", "B", "C", "A", "D", "F", "E", "G"
    )
    assert board.total == board.matching == 8
    assert (board.page, board.pages, board.first_shown, board.last_shown) == (1, 1, 1, 8)


def test_rows_carry_deadline_crew_and_callers(world):
    rows = {row.case.number: row for row in repair_board(now=NOW).rows}
    number = dict(zip("JBCADFEG", numbers(world, *"JBCADFEG"), strict=True))
    d, f, e, g, j, b = (rows[number[letter]] for letter in "DFEGJB")
    assert (d.milestone, d.next_due_at, d.is_at_risk, d.is_overdue) == (
        "arrive",
        NOW + minutes(5),
        True,
        False,
    )
    assert (d.crew.code, d.order.status) == ("x", O.EN_ROUTE)
    assert (f.is_overdue, f.is_at_risk, f.css_class, f.crew.code) == (True, False, "overdue", "x")
    assert (e.next_due_at, e.crew.code, e.order.status) == (None, "y", O.ARRIVED)
    # Completed: the order is closed; the crew is the one that completed it.
    assert (g.crew.code, g.order, g.milestone) == ("y", None, "follow_up")
    assert (j.crew, j.callers, j.next_due_at) == (None, 3, None)
    assert (b.milestone, b.is_at_risk, b.is_overdue, b.callers) == ("dispatch", False, False, 1)


def test_counts_cover_every_open_repair(world):
    board = repair_board(now=NOW)
    assert board.by_status == [
        ("awaiting_dispatch", "待派单", 4),
        ("dispatched", "已派单", 2),
        ("on_site", "现场处理中", 1),
        ("completed", "已完工待回访", 1),
    ]
    assert board.by_urgency == [("urgent", "紧急", 4), ("general", "一般", 4)]
    assert (board.green, board.overdue) == (3, 1)


def test_filters_narrow_the_rows_not_the_counts(world):
    board = repair_board(now=NOW, status="dispatched")
    assert [row.case.number for row in board.rows] == numbers(world, "D", "F")
    assert (board.matching, board.total, board.status) == (2, 8, "dispatched")
    board = repair_board(now=NOW, urgency="urgent")
    assert [row.case.number for row in board.rows] == numbers(world, "J", "B", "D", "G")
    board = repair_board(now=NOW, status="awaiting_dispatch", urgency="general")
    assert [row.case.number for row in board.rows] == numbers(world, "C", "A")
    assert board.matching == 2
    # Unknown values (a closed status among them) are ignored.
    board = repair_board(now=NOW, status="closed", urgency="whenever")
    assert (board.status, board.urgency, len(board.rows)) == ("", "", 8)


@pytest.mark.parametrize(
    ("page", "letters"),
    [(1, "JBC"), (2, "ADF"), (3, "EG"), (4, "EG"), (0, "JBC")],  # past the end: the last
)
def test_pages_follow_the_order_across_the_tiers(world, monkeypatch, page, letters):
    monkeypatch.setattr("waterdesk.repairs.selectors.board.PAGE_SIZE", 3)
    board = repair_board(now=NOW, page=page)
    assert [row.case.number for row in board.rows] == numbers(world, *letters)
    assert (board.matching, board.pages) == (8, 3)


def test_pages_of_a_filter(world, monkeypatch):
    monkeypatch.setattr("waterdesk.repairs.selectors.board.PAGE_SIZE", 3)
    board = repair_board(now=NOW, urgency="general", page=2)
    assert [row.case.number for row in board.rows] == numbers(world, "E")  # C A F | E
    assert (board.matching, board.pages, board.first_shown, board.last_shown) == (4, 2, 4, 4)


def test_crews_with_duty_current_job_and_todays_completed(world):
    crews = repair_board(now=NOW).crews
    assert [line.crew.code for line in crews] == ["x", "y", "w"]  # on call, busy, idle
    x, y, w = crews
    repairs = world["repairs"]
    assert x.on_call_until == NOW.replace(hour=20)
    assert (x.open_count, x.status_counts) == (2, {"en_route": 1, "accepted": 1})
    assert [item.order.case_id for item in x.orders] == [repairs["D"].pk, repairs["F"].pk]
    assert x.current.order.case_id == repairs["D"].pk
    assert x.status_summary == [("已接单", 1), ("已出发", 1)]
    assert (x.completed_today, x.more) == (0, 0)
    assert (y.is_on_call, y.open_count, y.current.order.case_id) == (False, 1, repairs["E"].pk)
    assert y.completed_today == 1  # G today; H yesterday does not count
    assert (w.is_on_call, w.open_count, w.current, w.orders, w.completed_today) == (
        False,
        0,
        None,
        [],
        0,
    )


def test_current_job_is_the_latest_taken_order_when_none_is_under_way(pinned):
    team = crew("solo")
    older = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(90))
    newer = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(40))
    done = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(20))
    an_order(older, team, status=O.ASSIGNED, assigned_at=NOW - minutes(80))
    an_order(newer, team, status=O.ACCEPTED, assigned_at=NOW - minutes(30))
    an_order(done, team, status=O.WORK_DONE, assigned_at=NOW - minutes(10))
    (line,) = repair_board(now=NOW).crews
    assert [item.order.case_id for item in line.orders] == [newer.pk, older.pk, done.pk]
    assert line.current.order.case_id == newer.pk


def test_only_work_done_is_no_current_job(pinned):
    team = crew("solo")
    done = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(20))
    an_order(done, team, status=O.WORK_DONE, assigned_at=NOW - minutes(10))
    (line,) = repair_board(now=NOW).crews
    assert (line.open_count, line.current) == (1, None)


def test_a_crew_lists_its_first_orders_and_counts_the_rest(pinned):
    team = crew("busy")
    for index in range(7):
        repair = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(100 - index))
        an_order(repair, team, status=O.ASSIGNED, assigned_at=NOW - minutes(90 - index))
    (line,) = repair_board(now=NOW).crews
    assert (line.open_count, len(line.orders), line.more) == (7, 3, 4)
    assert [item.order.assigned_at for item in line.orders] == [
        NOW - minutes(90 - index) for index in (6, 5, 4)
    ]


def selects(queries) -> int:
    return sum(query["sql"].startswith("SELECT") for query in queries.captured_queries)


def test_the_board_costs_the_same_queries_for_more_repairs(world):
    with CaptureQueriesContext(connection) as before:
        repair_board(now=NOW)
    team = world["crews"]["w"]
    for index in range(6):
        repair = a_repair(status=S.DISPATCHED, reported_at=NOW - minutes(index), callers=2)
        a_clock(repair, "arrive", started_at=NOW - minutes(index), due_at=NOW + minutes(50))
        an_order(repair, team, status=O.ACCEPTED, assigned_at=NOW - minutes(index))
    with CaptureQueriesContext(connection) as after:
        board = repair_board(now=NOW)
    assert board.total == 14
    # The counts, one ordering query per tier shown (three here), the shown rows with
    # their clocks, the calendar, their orders and callers, the crews.
    assert selects(after) == selects(before) == 19


def test_no_repairs_no_crews(pinned):
    board = repair_board(now=NOW)
    assert (board.rows, board.total, board.overdue, board.crews) == ([], 0, 0, [])


# --- the page ------------------------------------------------------------------------


@pytest.fixture
def users(db):
    return {
        "dispatcher": UserFactory(username="board-dispatcher", role=Role.DISPATCHER),
        "supervisor": UserFactory(username="board-supervisor", role=Role.SUPERVISOR),
        "crew": UserFactory(username="board-crew", role=Role.CREW_MEMBER),
        "clerk": UserFactory(username="board-clerk", role=Role.INTAKE_CLERK),
        "hotline": UserFactory(username="board-hotline", role=Role.HOTLINE_AGENT),
    }


URL = "/desk/repairs/board/"


def test_the_url():
    assert reverse("workbench:repair_board") == URL


@pytest.mark.parametrize("who", ["dispatcher", "supervisor"])
def test_dispatchers_and_supervisors_see_the_board(client, users, world, who):
    client.force_login(users[who])
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    repairs = world["repairs"]
    positions = [page.index(f'data-case="{repairs[letter].case.number}"') for letter in "JBCADFEG"]
    assert positions == sorted(positions)
    assert repairs["H"].case.number not in page and repairs["I"].case.number not in page
    assert f'hx-get="{URL}" hx-trigger="every 30s"' in page
    assert '<meta http-equiv="refresh" content="30">' in page  # without JavaScript
    assert "在办报修 8 件" in page and "已超时 1 件" in page and "绿色通道 3" in page
    assert 'data-crew="x"' in page and "值班至 20:00" in page and 'data-crew="z"' not in page
    assert reverse("workbench:case", args=[repairs["J"].case.public_id]) in page


@pytest.mark.parametrize("who", ["crew", "clerk", "hotline"])
def test_the_board_is_refused_to_others(client, users, world, who):
    client.force_login(users[who])
    response = client.get(URL)
    assert response.status_code == 403
    assert world["repairs"]["J"].case.number not in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get(URL)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={URL}")


def test_the_refresh_gets_the_board_without_the_page(client, users, world):
    client.force_login(users["dispatcher"])
    response = client.get(URL + "?status=dispatched", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "hx-trigger" not in page
    repairs = world["repairs"]
    assert f'data-case="{repairs["D"].case.number}"' in page
    assert f'data-case="{repairs["J"].case.number}"' not in page
    assert "HX-Request" in response["Vary"]


def test_the_page_keeps_its_filter_in_the_refresh(client, users, world):
    client.force_login(users["dispatcher"])
    page = client.get(URL + "?urgency=urgent").content.decode()
    assert f'hx-get="{URL}?urgency=urgent"' in page
    assert '<option value="urgent" selected>' in page


def test_the_board_pages_keeping_its_filters(client, users, world, monkeypatch):
    monkeypatch.setattr("waterdesk.repairs.selectors.board.PAGE_SIZE", 3)
    client.force_login(users["dispatcher"])
    page = client.get(URL + "?urgency=general").content.decode()
    assert "第 1–3 件，共 4 件" in page and "第 1 / 2 页" in page
    assert page.count("data-case=") == 3
    assert f'href="{URL}?urgency=general&amp;page=2" rel="next"' in page
    page = client.get(URL + "?urgency=general&page=2").content.decode()
    assert "第 4–4 件，共 4 件" in page and 'rel="prev"' in page and 'rel="next"' not in page
    assert f'hx-get="{URL}?urgency=general&amp;page=2"' in page


def test_a_case_of_another_kind_is_not_counted(world, pinned):
    other = Case.objects.create(
        kind="inquiry",
        number="ZX-TEST-1",
        channel="phone",
        contact_name="甲",
        contact_phone="13900139000",
        status="awaiting_dispatch",
        opened_at=NOW,
    )
    assert other.pk
    board = repair_board(now=NOW)
    assert board.total == 8 and other.number not in [row.case.number for row in board.rows]


def test_dispatchers_land_on_the_board_and_find_it_in_the_header(client):
    """The board is the repair kind's desk page (``KindSpec.desk_pages``): its holders land
    there and see it in the header; a hotline agent neither."""
    dispatcher = UserFactory(username="dispatcher-home", role=Role.DISPATCHER)
    hotline = UserFactory(username="hotline-home", role=Role.HOTLINE_AGENT)
    board = reverse("workbench:repair_board")
    client.force_login(dispatcher)
    assert client.get(reverse("workbench:home")).url == board
    assert f'href="{board}"' in client.get(reverse("workbench:queue")).content.decode()
    client.force_login(hotline)
    assert client.get(reverse("workbench:home")).url == reverse("workbench:queue")
    assert f'href="{board}"' not in client.get(reverse("workbench:queue")).content.decode()

"""The repair columns of the customer's page: fault, urgency, address, reported and
completed, the failed mark and the crew, loaded for all of a customer's repairs at once."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CustomerFactory, PremiseFactory, registered_new_connection
from tests.payments_support import SHANGHAI, at
from tests.repairs_board_support import a_repair, an_order, crew
from waterdesk.cases import kinds
from waterdesk.cases.kinds import CustomerPanel, KindSpec
from waterdesk.fieldwork.models import WorkOrderStatus as O
from waterdesk.repairs.models import RepairStatus as S
from waterdesk.repairs.models import Urgency
from waterdesk.repairs.selectors.panel import repair_details
from waterdesk.repairs.workflow import REPAIR

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
PANEL = "repairs/partials/customer_panel.html"


@pytest.fixture
def pinned():
    with at(2026, 3, 10, 10, 0):
        yield NOW


@pytest.fixture
def world(pinned):
    """A customer's premise with three repairs: one completed by crew Y in February and
    failed by a repeat, the repeat now with crew X on the way, and a cancelled one."""
    customer = CustomerFactory(name="李娟")
    premise = PremiseFactory(address="城北区解放路8号")
    x, y = crew("x", name="抢修一班"), crew("y", name="抢修二班")
    first = a_repair(
        status=S.CLOSED,
        reported_at=datetime(2026, 2, 20, 8, 0, tzinfo=SHANGHAI),
        completed_at=datetime(2026, 2, 20, 15, 30, tzinfo=SHANGHAI),
        completed_by=y,
        customer=customer,
        premise=premise,
        address=premise.address,
    )
    an_order(
        first,
        y,
        status=O.SIGNED_OFF,
        assigned_at=datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI),
        closed_at=datetime(2026, 2, 20, 15, 30, tzinfo=SHANGHAI),
    )
    repeat = a_repair(
        status=S.DISPATCHED,
        reported_at=NOW - timedelta(hours=1),
        urgency=Urgency.URGENT,
        fault_code="t_burst",
        customer=customer,
        premise=premise,
        address=premise.address,
    )
    first.failed, first.failed_by = True, repeat.case
    first.save(update_fields=["failed", "failed_by"])
    an_order(repeat, x, status=O.EN_ROUTE, assigned_at=NOW - timedelta(minutes=50))
    cancelled = a_repair(
        status=S.CANCELLED,
        reported_at=NOW - timedelta(days=3),
        customer=customer,
        premise=premise,
        address=premise.address,
    )
    return {"customer": customer, "first": first, "repeat": repeat, "cancelled": cancelled}


def test_details_of_each_repair(world):
    first, repeat, cancelled = world["first"], world["repeat"], world["cancelled"]
    details = repair_details([first.case, repeat.case, cancelled.case])
    assert set(details) == {first.pk, repeat.pk, cancelled.pk}
    done = details[first.pk]
    assert (done.fault, done.urgency_label, done.is_urgent, done.address) == (
        "测试漏水",
        "一般",
        False,
        "城北区解放路8号",
    )
    assert (done.reported_at, done.completed_at) == (
        datetime(2026, 2, 20, 8, 0, tzinfo=SHANGHAI),
        datetime(2026, 2, 20, 15, 30, tzinfo=SHANGHAI),
    )
    assert (done.failed, done.failed_by_number, done.crew.code) == (
        True,
        repeat.case.number,
        "y",
    )
    on_the_way = details[repeat.pk]
    assert (on_the_way.fault, on_the_way.urgency_label, on_the_way.is_urgent) == (
        "测试爆管",
        "紧急",
        True,
    )
    assert (on_the_way.completed_at, on_the_way.failed, on_the_way.failed_by_number) == (
        None,
        False,
        "",
    )
    assert on_the_way.crew.code == "x"  # the crew of the open order
    assert details[cancelled.pk].crew is None


def test_two_queries_for_any_number_and_nothing_for_other_kinds(world, clerk):
    other = registered_new_connection(clerk)
    cases = [world["first"].case, world["repeat"].case, world["cancelled"].case, other]
    with CaptureQueriesContext(connection) as queries:
        details = repair_details(cases)
    assert other.pk not in details and len(details) == 3
    assert len(queries.captured_queries) == 2  # the repairs, their open orders
    with CaptureQueriesContext(connection) as queries:
        assert repair_details([other]) == {}
    assert len(queries.captured_queries) == 1


@pytest.fixture
def registered():
    """The repair kind as the customer page sees it: the real registration once merged,
    else a stand-in with this panel for the length of the test."""
    if "repair" in {spec.kind for spec in kinds.all_kinds()}:
        spec = kinds.kind_spec("repair")
        assert spec.customer_panel.template == PANEL
        assert spec.customer_panel.details is repair_details
        yield spec
        return
    spec = KindSpec(
        kind="repair",
        label="报修",
        number_prefix="BXTEST",
        statuses=S,
        workflow=REPAIR,
        actions={},
        customer_panel=CustomerPanel(template=PANEL, details=repair_details),
    )
    kinds._REGISTRY["repair"] = spec
    yield spec
    kinds._REGISTRY.pop("repair", None)


def test_the_customer_page_shows_the_repairs(client, supervisor, world, registered):
    client.force_login(supervisor)
    response = client.get(reverse("workbench:customer", args=[world["customer"].public_id]))
    assert response.status_code == 200
    assert PANEL in [template.name for template in response.templates]
    (panel,) = [panel for panel in response.context["panels"] if panel.spec.kind == "repair"]
    first, repeat, cancelled = world["first"], world["repeat"], world["cancelled"]
    # Open first, then the most recently closed (the shell's order): cancelled on 8 March,
    # the first closed on 21 February.
    assert [row.case for row in panel.rows] == [repeat.case, cancelled.case, first.case]
    html = response.content.decode()
    start = html.index('data-kind="repair"')
    section = html[start : html.index("</article>", start)]
    first_row = section[section.index(f'data-case="{first.case.number}"') :]
    first_row = first_row[: first_row.index("</tr>")]
    assert "测试漏水" in first_row and "data-failed" in first_row
    assert f"返修报修 {repeat.case.number}" in first_row
    assert "2026-02-20 08:00" in first_row and "2026-02-20 15:30" in first_row
    assert "抢修二班" in first_row
    repeat_row = section[section.index(f'data-case="{repeat.case.number}"') :]
    repeat_row = repeat_row[: repeat_row.index("</tr>")]
    assert "测试爆管" in repeat_row and "紧急" in repeat_row and "未完工" in repeat_row
    assert "抢修一班" in repeat_row and "data-failed" not in repeat_row

"""The repair pass rate per crew and month: completed in the (local) month, failed by a
repeat, the share that passed in per cent — counted in one aggregate query."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.payments_support import SHANGHAI
from tests.repairs_board_support import a_repair, crew
from waterdesk.repairs.models import RepairStatus as S
from waterdesk.repairs.selectors.pass_rate import (
    PassRateRow,
    month_bounds,
    pass_rate,
    repair_pass_rate,
)

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def completed(team, when: datetime, *, failed: bool = False, status=S.CLOSED):
    repeat = None
    if failed:
        repeat = a_repair(status=S.AWAITING_DISPATCH, reported_at=when + timedelta(days=5)).case
    return a_repair(
        status=status,
        reported_at=when - timedelta(hours=3),
        completed_at=when,
        completed_by=team,
        failed_by=repeat,
    )


@pytest.fixture
def world(db):
    """March 2026 (Asia/Shanghai): crew A completes 7 repairs, 2 of them failed; crew B 3,
    none failed; crew C completes only in February and April; one repair completed by no
    crew. The month's edges are local midnights."""
    a, b, c = crew("a", name="甲班"), crew("b", name="乙班"), crew("c", name="丙班")
    for day in (1, 5, 9, 14, 20):
        completed(a, local(2026, 3, day, 10, 0))
    completed(a, local(2026, 3, 31, 23, 59), failed=True)  # last minute of March
    completed(a, local(2026, 3, 1, 0, 0), failed=True)  # first minute of March
    completed(a, local(2026, 2, 28, 23, 59), failed=True)  # February: not counted
    completed(a, local(2026, 4, 1, 0, 0))  # April: not counted
    for day in (2, 3):
        completed(b, local(2026, 3, day, 16, 0))
    completed(b, local(2026, 3, 4, 16, 0), status=S.COMPLETED)  # awaiting its follow-up
    completed(c, local(2026, 2, 10, 9, 0))
    completed(c, local(2026, 4, 10, 9, 0), failed=True)
    a_repair(
        status=S.CLOSED, reported_at=local(2026, 3, 6, 8, 0), completed_at=local(2026, 3, 6, 9, 0)
    )
    # Open and cancelled repairs of March never count.
    a_repair(status=S.DISPATCHED, reported_at=local(2026, 3, 7, 8, 0))
    a_repair(status=S.CANCELLED, reported_at=local(2026, 3, 8, 8, 0))
    return {"a": a, "b": b, "c": c}


def test_per_crew_for_the_month(world):
    a, b = world["a"], world["b"]
    assert repair_pass_rate(month=MARCH) == [
        # 7 completed, 2 failed: 5 / 7 = 71.428… %
        PassRateRow(MARCH, a.pk, "a", "甲班", 7, 2, Decimal("71.43")),
        PassRateRow(MARCH, b.pk, "b", "乙班", 3, 0, Decimal("100.00")),
    ]


def test_any_day_names_its_month(world):
    assert repair_pass_rate(month=date(2026, 3, 17)) == repair_pass_rate(month=MARCH)


def test_one_crew(world):
    (row,) = repair_pass_rate(month=MARCH, crew=world["a"])
    assert (row.completed, row.failed, row.passed, row.rate) == (7, 2, 5, Decimal("71.43"))


def test_a_crew_that_completed_nothing_has_no_rate(world):
    c = world["c"]
    assert repair_pass_rate(month=MARCH, crew=c) == [
        PassRateRow(MARCH, c.pk, "c", "丙班", 0, 0, None)
    ]
    assert repair_pass_rate(month=date(2026, 4, 1)) == [
        PassRateRow(date(2026, 4, 1), world["a"].pk, "a", "甲班", 1, 0, Decimal("100.00")),
        # The repeat that failed April's repair: one of one failed.
        PassRateRow(date(2026, 4, 1), c.pk, "c", "丙班", 1, 1, Decimal("0.00")),
    ]
    assert repair_pass_rate(month=date(2025, 12, 1)) == []


def test_one_aggregate_query(world):
    with CaptureQueriesContext(connection) as queries:
        repair_pass_rate(month=MARCH)
    # The fault types (a dozen rows at most), then the aggregate.
    assert len(queries.captured_queries) == 2
    assert "GROUP BY" in queries.captured_queries[-1]["sql"]


def test_the_rate_rounds_half_up():
    assert pass_rate(8, 1) == Decimal("87.50")
    assert pass_rate(3, 1) == Decimal("66.67")
    assert pass_rate(6, 5) == Decimal("16.67")
    assert pass_rate(200, 1) == Decimal("99.50")
    assert pass_rate(0, 0) is None


def test_month_bounds_are_local_midnights():
    assert month_bounds(date(2026, 12, 31)) == (local(2026, 12, 1), local(2027, 1, 1))
    assert month_bounds(date(2026, 2, 1)) == (local(2026, 2, 1), local(2026, 3, 1))

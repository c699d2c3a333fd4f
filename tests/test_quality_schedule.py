"""The sampling schedule (R-Q2): each active plan makes one sample per matching point and
period, due from the period's first day to its last; a second run adds nothing; the
indicators a sample tests follow its point's type and disinfection; a sample not taken by
the end of its window is overdue and counted. Time pinned in Asia/Shanghai."""

from datetime import date, datetime

import pytest
import time_machine

from tests.quality_support import quality_world
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import (
    Disinfection,
    Frequency,
    Sample,
    SampleStatus,
    SamplingPlan,
    SamplingPoint,
)
from waterdesk.quality.selectors_sampling import day_schedule, overdue_count, plan_summaries
from waterdesk.quality.services.catalogue_rows import DAILY_OUTLET, NETWORK_SEVEN
from waterdesk.quality.services.schedule import (
    period_of,
    sample_codes,
    samples_due,
    samples_overdue,
    samples_schedule,
)

pytestmark = pytest.mark.django_db

D = date


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


@pytest.fixture
def world(db):
    return quality_world()


@pytest.mark.parametrize(
    ("frequency", "day", "window"),
    [
        (Frequency.DAILY, D(2026, 12, 31), (D(2026, 12, 31), D(2026, 12, 31))),
        (Frequency.WEEKLY, D(2026, 12, 2), (D(2026, 11, 30), D(2026, 12, 6))),
        (Frequency.WEEKLY, D(2026, 12, 31), (D(2026, 12, 28), D(2027, 1, 3))),
        (Frequency.TWICE_MONTHLY, D(2026, 12, 1), (D(2026, 12, 1), D(2026, 12, 15))),
        (Frequency.TWICE_MONTHLY, D(2026, 12, 15), (D(2026, 12, 1), D(2026, 12, 15))),
        (Frequency.TWICE_MONTHLY, D(2026, 12, 16), (D(2026, 12, 16), D(2026, 12, 31))),
        (Frequency.TWICE_MONTHLY, D(2027, 2, 20), (D(2027, 2, 16), D(2027, 2, 28))),
        (Frequency.TWICE_MONTHLY, D(2028, 2, 29), (D(2028, 2, 16), D(2028, 2, 29))),
        (Frequency.TWICE_MONTHLY, D(2026, 4, 30), (D(2026, 4, 16), D(2026, 4, 30))),
        (Frequency.MONTHLY, D(2028, 2, 1), (D(2028, 2, 1), D(2028, 2, 29))),
        (Frequency.MONTHLY, D(2027, 2, 28), (D(2027, 2, 1), D(2027, 2, 28))),
        (Frequency.MONTHLY, D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
        (Frequency.QUARTERLY, D(2026, 11, 5), (D(2026, 10, 1), D(2026, 12, 31))),
        (Frequency.QUARTERLY, D(2028, 1, 1), (D(2028, 1, 1), D(2028, 3, 31))),
        (Frequency.HALF_YEARLY, D(2026, 6, 30), (D(2026, 1, 1), D(2026, 6, 30))),
        (Frequency.HALF_YEARLY, D(2026, 7, 1), (D(2026, 7, 1), D(2026, 12, 31))),
        (Frequency.YEARLY, D(2028, 2, 29), (D(2028, 1, 1), D(2028, 12, 31))),
    ],
)
def test_period_windows(frequency, day, window):
    assert period_of(frequency, day) == window


def _by_plan() -> dict:
    return {
        (sample.plan.code, sample.point.code): (sample.due_date, sample.due_by)
        for sample in Sample.objects.select_related("plan", "point")
    }


def test_default_plans_schedule_each_point_once_per_period(world):
    with time_machine.travel(at(D(2026, 12, 2)), tick=False):
        assert samples_schedule() == 5
        assert samples_schedule() == 0  # idempotent
    assert _by_plan() == {
        ("outlet-daily", "east-out"): (D(2026, 12, 2), D(2026, 12, 2)),
        ("outlet-routine-monthly", "east-out"): (D(2026, 12, 1), D(2026, 12, 31)),
        ("outlet-full-half-yearly", "east-out"): (D(2026, 7, 1), D(2026, 12, 31)),
        ("network-twice-monthly", "east-net-1"): (D(2026, 12, 1), D(2026, 12, 15)),
        ("network-twice-monthly", "east-tap-1"): (D(2026, 12, 1), D(2026, 12, 15)),
    }
    # The next day: only the daily plan has a new period.
    assert samples_schedule(D(2026, 12, 3)) == 1
    assert samples_schedule(D(2026, 12, 3)) == 0
    # The second half of the month: the daily sample and the network's second round.
    assert samples_schedule(D(2026, 12, 16)) == 3
    # A new month and half-year.
    assert samples_schedule(D(2027, 1, 1)) == 5
    assert Sample.objects.count() == 14
    assert not Sample.objects.filter(point=world.source).exists()


def test_an_inactive_point_or_plan_is_not_scheduled(world):
    SamplingPoint.objects.filter(pk=world.tap.pk).update(is_active=False)
    SamplingPlan.objects.filter(code="outlet-full-half-yearly").update(is_active=False)
    assert samples_schedule(D(2026, 12, 2)) == 3
    assert not Sample.objects.filter(point=world.tap).exists()


def test_sample_codes_follow_the_points_disinfection_and_scope(world):
    day = D(2026, 12, 2)
    outlet = sample_codes(DAILY_OUTLET, world.outlet, day)
    assert "free_chlorine_outlet" in outlet
    assert not {"chlorine_dioxide_outlet", "total_chlorine_outlet", "ozone_outlet"} & set(outlet)
    assert len(outlet) == 9  # the daily nine: one disinfectant residual
    tap = sample_codes(NETWORK_SEVEN, world.tap, day)
    assert tap == [
        "turbidity",
        "color",
        "odor_taste",
        "free_chlorine_tap",
        "plate_count",
        "total_coliforms",
        "permanganate_index",
    ]
    assert sample_codes(["free_chlorine_outlet"], world.tap, day) == []
    world.outlet.disinfection = Disinfection.CHLORINE_DIOXIDE
    dioxide = sample_codes([*DAILY_OUTLET, "chlorite", "bromate"], world.outlet, day)
    assert "chlorine_dioxide_outlet" in dioxide and "chlorite" in dioxide
    assert "free_chlorine_outlet" not in dioxide and "bromate" not in dioxide
    # Trihalomethanes come with their members; the algal toxin is kept (blooms decide).
    assert sample_codes(["thm_total", "microcystin_lr"], world.tap, day) == [
        "chloroform",
        "bromodichloromethane",
        "dibromochloromethane",
        "bromoform",
        "thm_total",
        "microcystin_lr",
    ]
    # Source water is not judged by the standard: nothing to schedule there.
    assert sample_codes(NETWORK_SEVEN, world.source, day) == []
    # Before the first edition came into force there is no catalogue.
    assert sample_codes(NETWORK_SEVEN, world.tap, D(2020, 1, 1)) == []


def test_overdue_samples_are_listed_and_counted(world):
    samples_schedule(D(2026, 12, 2))
    network = list(Sample.objects.filter(plan__code="network-twice-monthly").order_by("number"))
    daily = Sample.objects.get(plan__code="outlet-daily")
    assert overdue_count(D(2026, 12, 2)) == 0
    assert overdue_count(D(2026, 12, 15)) == 1  # the daily sample of 12-02
    # 12-16: the first half's network samples and the 12-02 daily sample are overdue.
    assert set(samples_overdue(D(2026, 12, 16))) == {*network, daily}
    assert overdue_count(D(2026, 12, 3)) == 1
    # One taken, one cancelled: neither is overdue any more.
    Sample.objects.filter(pk=daily.pk).update(status=SampleStatus.TAKEN)
    Sample.objects.filter(pk=network[0].pk).update(status=SampleStatus.CANCELLED)
    assert overdue_count(D(2026, 12, 16)) == 1
    # The day's list: the overdue network sample and the samples due that day.
    samples_schedule(D(2026, 12, 16))
    due = set(samples_due(D(2026, 12, 16)))
    assert network[1] in due
    groups = day_schedule(D(2026, 12, 16))
    assert [group.point.code for group in groups] == ["east-net-1", "east-out", "east-tap-1"]
    overdue_flags = {s.number: s.is_overdue for g in groups for s in g.samples}
    assert overdue_flags[network[1].number] is True
    assert sum(overdue_flags.values()) == 1
    summaries = {plan.code: plan for plan in plan_summaries(D(2026, 12, 16))}
    assert summaries["network-twice-monthly"].overdue == 1
    assert summaries["network-twice-monthly"].point_count == 2
    assert summaries["outlet-daily"].overdue == 0

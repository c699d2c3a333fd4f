"""Working-time arithmetic over the seeded calendar (official holidays + make-up weekends)."""

import datetime as dt
from decimal import Decimal

import holidays
import pytest

from waterdesk.core.errors import InvalidInput
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla import calendar as sla_calendar
from waterdesk.sla import selectors, services
from waterdesk.sla.calendar import CalendarError, WorkingCalendar, load_calendar
from waterdesk.sla.models import (
    BusinessHours,
    CalendarDay,
    CalendarDayKind,
    CalendarYear,
    SlaPolicy,
)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


# -- seeded data -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_loads_holidays_and_make_up_days_with_chinese_names():
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 14)).kind == CalendarDayKind.WORKDAY
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 28)).kind == CalendarDayKind.WORKDAY
    spring_festival = CalendarDay.objects.get(date=dt.date(2026, 2, 17))
    assert (spring_festival.kind, spring_festival.name) == (CalendarDayKind.HOLIDAY, "春节")
    for year in range(2024, 2028):
        expected = holidays.China(years=year)
        assert CalendarDay.objects.filter(
            date__year=year, kind=CalendarDayKind.HOLIDAY
        ).count() == len([d for d in expected if d.year == year])
        assert CalendarDay.objects.filter(
            date__year=year, kind=CalendarDayKind.WORKDAY
        ).count() == (len([d for d in expected.weekend_workdays if d.year == year]))


@pytest.mark.django_db
def test_seed_confirms_years_with_make_up_days_and_leaves_the_others_provisional():
    confirmed = dict(CalendarYear.objects.values_list("year", "is_confirmed"))
    assert confirmed == {2024: True, 2025: True, 2026: True, 2027: False}
    assert selectors.provisional_years() == [2027]


@pytest.mark.django_db
def test_seed_business_hours_and_default_policies():
    assert list(BusinessHours.objects.order_by("ordering").values_list("start", "end")) == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    ]
    rows = set(
        SlaPolicy.objects.values_list("case_kind", "milestone", "priority", "amount", "unit")
    )
    assert rows == {
        ("new_connection", "contact_customer", "normal", Decimal("1.00"), "working_days"),
        ("new_connection", "contact_customer", "green", Decimal("4.00"), "working_hours"),
        ("new_connection", "complete", "normal", Decimal("10.00"), "working_days"),
        ("new_connection", "complete", "green", Decimal("5.00"), "working_days"),
        ("ownership_transfer", "complete", "normal", Decimal("3.00"), "working_days"),
        ("ownership_transfer", "complete", "green", Decimal("2.00"), "working_days"),
        ("usage_change", "complete", "normal", Decimal("5.00"), "working_days"),
        ("usage_change", "complete", "green", Decimal("3.00"), "working_days"),
        ("inquiry", "answer", "normal", Decimal("1.00"), "working_days"),
        # Repairs run on the calendar, not on business hours (the repair policy may count
        # the contact limit in working hours: its clock says so).
        ("repair", "dispatch", "normal", Decimal("0.25"), "calendar_hours"),
        ("repair", "arrive", "normal", Decimal("1.00"), "calendar_hours"),
        ("repair", "arrive", "green", Decimal("0.75"), "calendar_hours"),
        ("repair", "contact", "normal", Decimal("4.00"), "calendar_hours"),
        ("repair", "contact", "green", Decimal("2.00"), "calendar_hours"),
        ("repair", "follow_up", "normal", Decimal("72.00"), "calendar_hours"),
        ("repair", "follow_up", "green", Decimal("24.00"), "calendar_hours"),
        # Supply restored within 24 calendar hours of the payment (12 in the green channel).
        ("collection", "reconnect", "normal", Decimal("24.00"), "calendar_hours"),
        ("collection", "reconnect", "green", Decimal("12.00"), "calendar_hours"),
        # Complaints: acknowledged in 1 working day, each round replied in 5 (clocks
        # reply_1, reply_2, … under the "reply" policy), the follow-up call in 3.
        ("complaint", "acknowledge", "normal", Decimal("1.00"), "working_days"),
        ("complaint", "reply", "normal", Decimal("5.00"), "working_days"),
        ("complaint", "follow_up", "normal", Decimal("3.00"), "working_days"),
        ("praise", "acknowledge", "normal", Decimal("3.00"), "working_days"),
        ("report", "acknowledge", "normal", Decimal("1.00"), "working_days"),
        ("report", "conclude", "normal", Decimal("15.00"), "working_days"),
        # A low survey score's follow-up.
        ("feedback", "resolve", "normal", Decimal("2.00"), "working_days"),
        # An incident's post-incident review: within 5 working days of the restoration.
        ("incident", "review", "normal", Decimal("5.00"), "working_days"),
        # A short-notice planned outage: a duty manager decides within 2 calendar hours.
        ("outage", "approve", "normal", Decimal("2.00"), "calendar_hours"),
    }


# -- working days ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_acceptance_five_working_days_over_the_2026_spring_festival():
    due = sla_calendar.add_working_days(local(2026, 2, 13, 10, 0), 5)
    assert due == local(2026, 2, 27, 17, 30)


@pytest.mark.django_db
def test_make_up_saturday_is_a_working_day():
    cal = load_calendar()
    assert cal.is_working_day(dt.date(2026, 2, 14)) is True  # make-up Saturday
    assert cal.is_working_day(dt.date(2026, 2, 16)) is False  # Spring Festival, a Monday
    assert cal.is_working_day(dt.date(2026, 3, 7)) is False  # ordinary Saturday
    assert cal.is_working_day(dt.date(2026, 3, 9)) is True  # ordinary Monday
    assert cal.add_working_days(local(2026, 2, 13, 10, 0), 1) == local(2026, 2, 14, 17, 30)
    # Without the make-up Saturday the first working day would be 24 February.
    assert cal.add_working_days(local(2026, 2, 14, 9, 0), 1) == local(2026, 2, 24, 17, 30)


@pytest.mark.django_db
def test_start_day_is_day_zero_whatever_the_time_or_the_day():
    cal = load_calendar()
    # Evening of a Friday: day 0 is Friday, day 1 is Monday.
    assert cal.add_working_days(local(2026, 3, 6, 20, 0), 1) == local(2026, 3, 9, 17, 30)
    # Early morning: still day 0.
    assert cal.add_working_days(local(2026, 3, 9, 7, 0), 1) == local(2026, 3, 10, 17, 30)
    # A Saturday start counts from the Saturday.
    assert cal.add_working_days(local(2026, 3, 7, 11, 0), 1) == local(2026, 3, 9, 17, 30)
    # N = 0: the end of the same working day, or of the next one when it is over.
    assert cal.add_working_days(local(2026, 3, 9, 10, 0), 0) == local(2026, 3, 9, 17, 30)
    assert cal.add_working_days(local(2026, 3, 9, 18, 0), 0) == local(2026, 3, 10, 17, 30)


@pytest.mark.django_db
def test_calendar_is_read_once_per_call(django_assert_num_queries):
    with django_assert_num_queries(3):
        due = sla_calendar.add_working_days(local(2026, 1, 5, 9, 0), 20)
    # 6–9, 12–16, 19–23, 26–30 January are 19 working days; the 20th is Monday 2 February.
    assert due == local(2026, 2, 2, 17, 30)


# -- working hours ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_working_hours_skip_lunch():
    # Wednesday 10:00 + 4h: 10:00–12:00, then 13:30–15:30.
    assert sla_calendar.add_working_hours(local(2026, 3, 4, 10, 0), 4) == local(2026, 3, 4, 15, 30)


@pytest.mark.django_db
def test_working_hours_continue_next_morning_and_after_weekends():
    cal = load_calendar()
    # 16:30 + 4h: one hour today, three tomorrow from 08:30.
    assert cal.add_working_hours(local(2026, 3, 4, 16, 30), 4) == local(2026, 3, 5, 11, 30)
    # Friday 16:00 + 2h: 1.5h on Friday, the rest on Monday.
    assert cal.add_working_hours(local(2026, 3, 6, 16, 0), 2) == local(2026, 3, 9, 9, 0)
    # A start before opening counts from 08:30.
    assert cal.add_working_hours(local(2026, 3, 4, 7, 0), 1) == local(2026, 3, 4, 9, 30)
    # Ending exactly at the end of a period stays there.
    assert cal.add_working_hours(local(2026, 3, 4, 10, 0), 2) == local(2026, 3, 4, 12, 0)
    # Half hours.
    assert cal.add_working_hours(local(2026, 3, 4, 11, 45), Decimal("0.5")) == local(
        2026, 3, 4, 13, 45
    )


@pytest.mark.django_db
def test_working_minutes_between_counts_only_business_hours():
    cal = load_calendar()
    # Wednesday 11:00 → Thursday 09:00: 60 + 240 + 30.
    assert cal.working_minutes_between(local(2026, 3, 4, 11, 0), local(2026, 3, 5, 9, 0)) == 330
    # Over the Spring Festival break: Friday 17:00 → Tuesday 24 Feb 09:00.
    assert cal.working_minutes_between(local(2026, 2, 13, 17, 0), local(2026, 2, 24, 9, 0)) == (
        30 + 450 + 30
    )
    assert cal.working_minutes_between(local(2026, 3, 5, 9, 0), local(2026, 3, 4, 9, 0)) == 0
    assert sla_calendar.add_working_minutes(local(2026, 3, 4, 11, 0), 330) == local(
        2026, 3, 5, 9, 0
    )


def test_calendar_hours_ignore_the_calendar():
    start = local(2026, 2, 13, 10, 0)
    assert sla_calendar.add_calendar_hours(start, 48) == local(2026, 2, 15, 10, 0)
    assert sla_calendar.add_calendar_hours(start, Decimal("0.75")) == local(2026, 2, 13, 10, 45)


# -- due_at and the pure snapshot ------------------------------------------------------------


def test_due_at_adds_paused_minutes_in_the_unit_of_the_clock():
    cal = WorkingCalendar()  # plain weekdays, default business hours, no database
    start = local(2026, 3, 2, 10, 0)  # a Monday
    assert cal.due_at(start, "working_days", 1) == local(2026, 3, 3, 17, 30)
    # A whole working day of pause moves the deadline one working day.
    assert cal.due_at(start, "working_days", 1, paused_minutes=450) == local(2026, 3, 4, 17, 30)
    assert cal.due_at(start, "working_hours", 4, paused_minutes=60) == local(2026, 3, 2, 16, 30)
    assert cal.due_at(start, "calendar_hours", 24, paused_minutes=90) == local(2026, 3, 3, 11, 30)


def test_snapshot_rules_and_bad_arguments():
    cal = WorkingCalendar(
        holidays=frozenset({dt.date(2030, 5, 1)}),
        workdays=frozenset({dt.date(2030, 5, 4)}),
        periods=((dt.time(9, 0), dt.time(17, 0)),),
    )
    assert cal.is_working_day(dt.date(2030, 5, 1)) is False  # a holiday on a Wednesday
    assert cal.is_working_day(dt.date(2030, 5, 4)) is True  # a working Saturday
    assert cal.add_working_hours(local(2030, 4, 30, 16, 0), 2) == local(2030, 5, 2, 10, 0)
    with pytest.raises(CalendarError):
        cal.add_working_days(dt.datetime(2030, 5, 2, 9, 0), 1)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(CalendarError):
        cal.due_at(local(2030, 5, 2, 9, 0), "working_days", Decimal("1.5"))
    with pytest.raises(CalendarError):
        cal.due_at(local(2030, 5, 2, 9, 0), "fortnights", 1)
    with pytest.raises(CalendarError):
        cal.add_working_minutes(local(2030, 5, 2, 9, 0), -1)
    with pytest.raises(CalendarError):
        WorkingCalendar(periods=((dt.time(9, 0), dt.time(12, 0)), (dt.time(11, 0), dt.time(13, 0))))


def test_results_are_aware_and_in_local_time_whatever_the_input_zone():
    cal = WorkingCalendar()
    start_utc = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    due = cal.add_working_hours(start_utc, 1)
    assert due == local(2026, 3, 2, 11, 0)
    assert due.utcoffset() == dt.timedelta(hours=8)


# -- editing the calendar ------------------------------------------------------------------


@pytest.mark.django_db
def test_business_hours_set_changes_the_arithmetic(administrator):
    services.business_hours_set(actor=administrator, periods=[(dt.time(9, 0), dt.time(17, 0))])
    assert list(BusinessHours.objects.values_list("start", "end", "ordering")) == [
        (dt.time(9, 0), dt.time(17, 0), 1)
    ]
    assert sla_calendar.add_working_hours(local(2026, 3, 4, 11, 0), 4) == local(2026, 3, 4, 15, 0)
    assert sla_calendar.add_working_days(local(2026, 3, 4, 11, 0), 1) == local(2026, 3, 5, 17, 0)
    assert BusinessHours.history.filter(history_user=administrator).count() == 2  # change + delete


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("periods", "code"),
    [
        ([], "business_hours_empty"),
        ([(dt.time(12, 0), dt.time(9, 0))], "business_hours_invalid"),
        (
            [(dt.time(8, 0), dt.time(12, 0)), (dt.time(11, 0), dt.time(17, 0))],
            "business_hours_overlap",
        ),
    ],
)
def test_business_hours_set_refuses_bad_periods_and_changes_nothing(administrator, periods, code):
    before = list(BusinessHours.objects.values_list("pk", "start", "end", "ordering"))
    with pytest.raises(InvalidInput) as raised:
        services.business_hours_set(actor=administrator, periods=periods)
    assert raised.value.code == code
    assert list(BusinessHours.objects.values_list("pk", "start", "end", "ordering")) == before


@pytest.mark.django_db
def test_calendar_day_set_records_history_and_refuses_a_bad_kind(administrator):
    day = services.calendar_day_set(
        actor=administrator, date=dt.date(2026, 3, 10), kind="holiday", name="防汛停工"
    )
    assert (day.kind, day.name) == ("holiday", "防汛停工")
    assert day.history.get().history_user == administrator
    assert sla_calendar.is_working_day(dt.date(2026, 3, 10)) is False

    with pytest.raises(InvalidInput) as raised:
        services.calendar_day_set(
            actor=administrator, date=dt.date(2026, 3, 11), kind="sometimes", name=""
        )
    assert raised.value.code == "calendar_day_kind_invalid"
    assert not CalendarDay.objects.filter(date=dt.date(2026, 3, 11)).exists()


@pytest.mark.django_db
def test_entering_a_day_of_an_unknown_year_creates_a_provisional_year(administrator):
    services.calendar_day_set(
        actor=administrator, date=dt.date(2030, 1, 1), kind="holiday", name="元旦"
    )
    assert CalendarYear.objects.get(year=2030).is_confirmed is False
    assert selectors.provisional_years() == [2027, 2030]

"""Working-time arithmetic over the company calendar.

Definitions
-----------
* All arguments and results are aware datetimes; the arithmetic happens in local time
  (Asia/Shanghai, which has no daylight saving time) and results are returned in local time.
* A **working day** is Monday to Friday, minus the ``CalendarDay`` rows of kind "holiday"
  (official holidays and the weekdays given off in exchange), plus the ``CalendarDay`` rows of
  kind "workday" (make-up working weekends, 调休上班).
* **Business hours** are the ``BusinessHours`` periods of every working day (default
  08:30–12:00 and 13:30–17:30). A **working minute** is a minute inside business hours on a
  working day; working time stops over lunch, nights, weekends and holidays.

Deadline conventions
--------------------
* ``calendar_hours``: start + N hours, whatever the calendar says.
* ``working_hours``: N × 60 working minutes counted from the start; a start outside business
  hours begins counting at the next opening. A deadline that falls exactly on the end of a
  period is that end (12:00, not 13:30).
* ``working_days``: **the start day is day 0**, whether or not it is a working day and
  whatever the time of day; a deadline of N working days is the **end of business hours on
  the N-th working day after the start's local date**. Example: a case registered on Friday
  2026-02-13 at 10:00 with 5 working days is due on Friday 2026-02-27 at 17:30 (Saturday
  14 Feb is a make-up working day, 15–23 Feb is the Spring Festival break, 28 Feb is worked).
  N = 0 means the end of business hours of the first working day on or after the start date
  that ends after the start.
* Pauses: time spent paused is measured in the clock's unit (calendar minutes for calendar
  hours, working minutes otherwise) and added to the deadline: calendar minutes are added to
  the base deadline, working minutes are counted on from it (so a working-days clock paused
  for one whole working day is due one working day later, at the end of business hours).

The calendar is read once per call (``load_calendar``: three queries) into an immutable
``WorkingCalendar`` snapshot; pass ``calendar=`` to reuse one snapshot for many computations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from waterdesk.core.memo import memo_get
from waterdesk.core.timeutil import LOCAL_TZ

# A search for the next working day gives up after this many days (a misconfigured calendar
# with no working day at all must not loop forever).
MAX_SEARCH_DAYS = 3660

# The request memo key of the snapshot (``core.memo``).
CALENDAR_MEMO = "sla.calendar"

UNIT_CALENDAR_HOURS = "calendar_hours"
UNIT_WORKING_HOURS = "working_hours"
UNIT_WORKING_DAYS = "working_days"
UNITS = (UNIT_CALENDAR_HOURS, UNIT_WORKING_HOURS, UNIT_WORKING_DAYS)

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)


class CalendarError(ValueError):
    """The arguments or the calendar do not allow the computation."""


def _aware(value: datetime, name: str = "value") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must be an aware datetime")
    return value.astimezone(LOCAL_TZ)


def _as_decimal(value: int | float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def minutes_to_timedelta(minutes: int | float | Decimal) -> timedelta:
    return timedelta(microseconds=int(_as_decimal(minutes) * 60_000_000))


def round_minutes(delta: timedelta) -> int:
    """Whole minutes, rounded half up."""
    minutes = _as_decimal(delta.total_seconds()) / 60 + Decimal("0.5")
    return int(minutes.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class WorkingCalendar:
    """An immutable snapshot of the calendar tables; all arithmetic lives here."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    confirmed_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if not self.periods:
            raise CalendarError("business hours must have at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start >= end or (previous_end is not None and start < previous_end):
                raise CalendarError("business hours must be ordered, non-overlapping periods")
            previous_end = end

    # -- days -------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_provisional(self, year: int) -> bool:
        return year not in self.confirmed_years

    def provisional_years_between(self, start: datetime, end: datetime) -> list[int]:
        first, last = sorted((_aware(start).year, _aware(end).year))
        return [y for y in range(first, last + 1) if self.is_provisional(y)]

    def working_days_in(self, first: date, last: date) -> int:
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def _periods_on(self, day: date) -> Iterable[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return ()
        return (
            (datetime.combine(day, s, tzinfo=LOCAL_TZ), datetime.combine(day, e, tzinfo=LOCAL_TZ))
            for s, e in self.periods
        )

    def end_of_business(self, day: date) -> datetime:
        return datetime.combine(day, self.periods[-1][1], tzinfo=LOCAL_TZ)

    # -- arithmetic -------------------------------------------------------------------------

    def add_calendar_hours(self, start: datetime, hours: int | float | Decimal) -> datetime:
        return _aware(start, "start") + minutes_to_timedelta(_as_decimal(hours) * 60)

    def add_working_minutes(self, start: datetime, minutes: int | float | Decimal) -> datetime:
        remaining = minutes_to_timedelta(minutes)
        if remaining < timedelta(0):
            raise CalendarError("minutes must not be negative")
        current = _aware(start, "start")
        if not remaining:
            return current
        day = current.date()
        for _ in range(MAX_SEARCH_DAYS):
            for period_start, period_end in self._periods_on(day):
                segment_start = max(period_start, current)
                if segment_start >= period_end:
                    continue
                available = period_end - segment_start
                if remaining <= available:
                    return segment_start + remaining
                remaining -= available
            day += timedelta(days=1)
        raise CalendarError("no working time found; check the calendar")

    def add_working_hours(self, start: datetime, hours: int | float | Decimal) -> datetime:
        return self.add_working_minutes(start, _as_decimal(hours) * 60)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        if int(days) != days or days < 0:
            raise CalendarError("working days must be a whole number ≥ 0")
        local_start = _aware(start, "start")
        day, counted = local_start.date(), 0
        for _ in range(MAX_SEARCH_DAYS):
            if days == 0:
                if self.is_working_day(day) and self.end_of_business(day) >= local_start:
                    return self.end_of_business(day)
            else:
                day_is_counted = day != local_start.date() and self.is_working_day(day)
                counted += day_is_counted
                if counted == days:
                    return self.end_of_business(day)
            day += timedelta(days=1)
        raise CalendarError("no working day found; check the calendar")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        start, end = _aware(start, "start"), _aware(end, "end")
        total = timedelta(0)
        if end <= start:
            return total
        day = start.date()
        while day <= end.date():
            for period_start, period_end in self._periods_on(day):
                overlap = min(period_end, end) - max(period_start, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        return round_minutes(self.working_time_between(start, end))

    def time_between(self, start: datetime, end: datetime, unit: str) -> timedelta:
        """The time from ``start`` to ``end`` measured in ``unit`` (never negative)."""
        if unit == UNIT_CALENDAR_HOURS:
            return max(_aware(end, "end") - _aware(start, "start"), timedelta(0))
        if unit in (UNIT_WORKING_HOURS, UNIT_WORKING_DAYS):
            return self.working_time_between(start, end)
        raise CalendarError(f"unknown unit {unit!r}")

    def due_at(
        self,
        start: datetime,
        unit: str,
        amount: int | float | Decimal,
        *,
        paused_minutes: int | float | Decimal = 0,
    ) -> datetime:
        """The deadline of ``amount`` ``unit`` from ``start``, extended by the pauses."""
        if unit == UNIT_CALENDAR_HOURS:
            base = self.add_calendar_hours(start, amount)
            return base + minutes_to_timedelta(paused_minutes)
        if unit == UNIT_WORKING_HOURS:
            return self.add_working_minutes(
                start, _as_decimal(amount) * 60 + _as_decimal(paused_minutes)
            )
        if unit == UNIT_WORKING_DAYS:
            whole = _as_decimal(amount)
            if whole != whole.to_integral_value():
                raise CalendarError("working days must be a whole number")
            base = self.add_working_days(start, int(whole))
            return self.add_working_minutes(base, paused_minutes)
        raise CalendarError(f"unknown unit {unit!r}")


def load_calendar() -> WorkingCalendar:
    """The calendar tables as a snapshot: read once per request (``core.memo``; three
    queries), every time outside one."""
    return memo_get(CALENDAR_MEMO, _read_calendar)


def _read_calendar() -> WorkingCalendar:
    from waterdesk.sla.models import BusinessHours, CalendarDay, CalendarDayKind, CalendarYear

    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (workdays if kind == CalendarDayKind.WORKDAY else holidays).add(day)
    periods = tuple(BusinessHours.objects.order_by("start").values_list("start", "end"))
    confirmed = CalendarYear.objects.filter(is_confirmed=True).values_list("year", flat=True)
    return WorkingCalendar(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        periods=periods or DEFAULT_PERIODS,
        confirmed_years=frozenset(confirmed),
    )


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else load_calendar()


# Module-level helpers: each loads the calendar once unless a snapshot is passed.


def is_working_day(day: date, *, calendar: WorkingCalendar | None = None) -> bool:
    return _calendar(calendar).is_working_day(day)


def add_working_days(
    start: datetime, n: int, *, calendar: WorkingCalendar | None = None
) -> datetime:
    return _calendar(calendar).add_working_days(start, n)


def add_working_hours(
    start: datetime, hours: int | float | Decimal, *, calendar: WorkingCalendar | None = None
) -> datetime:
    return _calendar(calendar).add_working_hours(start, hours)


def add_working_minutes(
    start: datetime, minutes: int | float | Decimal, *, calendar: WorkingCalendar | None = None
) -> datetime:
    return _calendar(calendar).add_working_minutes(start, minutes)


def add_calendar_hours(
    start: datetime, hours: int | float | Decimal, *, calendar: WorkingCalendar | None = None
) -> datetime:
    # Calendar hours ignore the calendar tables: no need to read them.
    return (calendar or WorkingCalendar()).add_calendar_hours(start, hours)


def working_minutes_between(
    a: datetime, b: datetime, *, calendar: WorkingCalendar | None = None
) -> int:
    return _calendar(calendar).working_minutes_between(a, b)


def due_at(
    start: datetime,
    unit: str,
    amount: int | float | Decimal,
    *,
    paused_minutes: int | float | Decimal = 0,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    return _calendar(calendar).due_at(start, unit, amount, paused_minutes=paused_minutes)

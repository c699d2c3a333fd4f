"""Reads of the SLA app: clocks of a case, their progress, and the calendar's state.

Functions that do working-time arithmetic accept ``calendar=`` (a ``WorkingCalendar`` from
``load_calendar()``) so that a page listing many clocks reads the calendar only once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from waterdesk.sla.calendar import WorkingCalendar, load_calendar, minutes_to_timedelta
from waterdesk.sla.models import (
    CalendarDay,
    CalendarDayKind,
    CalendarYear,
    ClockState,
    SlaClock,
    SlaUnit,
)


def case_clocks(case) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(case=case).select_related("policy").order_by("started_at", "pk")


def _clock_reference_time(clock: SlaClock, now: dt.datetime) -> dt.datetime:
    if clock.stopped_at is not None:
        return clock.stopped_at
    if clock.paused_at is not None:
        return clock.paused_at
    return now


def clock_elapsed_ratio(
    clock: SlaClock, now: dt.datetime, *, calendar: WorkingCalendar | None = None
) -> float:
    """The part of the clock's span used up at ``now``, in the clock's unit (0.0 … >1.0).

    Paused time does not count; a paused or stopped clock stays where it was. Working time
    does not advance outside business hours, so a working clock is exactly 1.0 between its
    due time and the next opening: compare ``now`` with ``due_at`` to tell breaches.
    """
    calendar = calendar or load_calendar()
    paused = minutes_to_timedelta(clock.paused_minutes)
    span = calendar.time_between(clock.started_at, clock.due_at, clock.unit) - paused
    reference = _clock_reference_time(clock, now)
    elapsed = calendar.time_between(clock.started_at, reference, clock.unit) - paused
    if span <= dt.timedelta(0):
        return 1.0 if reference >= clock.due_at else 0.0
    if reference > clock.due_at:
        # Working time stops after hours; past the deadline never read as "not yet due".
        elapsed = max(elapsed, span)
    return max(elapsed, dt.timedelta(0)) / span


def clock_status_label(
    clock: SlaClock, now: dt.datetime, *, calendar: WorkingCalendar | None = None
) -> str:
    """One of "met", "breached", "at_risk", "on_track", "paused", "cancelled"."""
    if clock.state in (ClockState.MET, ClockState.BREACHED, ClockState.CANCELLED):
        return str(clock.state)
    if clock.state == ClockState.PAUSED:
        return "paused"
    if now > clock.due_at:
        return "breached"
    ratio = clock_elapsed_ratio(clock, now, calendar=calendar)
    if Decimal(str(ratio)) >= clock.policy.at_risk_ratio:
        return "at_risk"
    return "on_track"


def clock_provisional_years(
    clock: SlaClock, *, calendar: WorkingCalendar | None = None
) -> list[int]:
    """The years without a confirmed holiday schedule that a running clock's deadline was
    counted over (from its start to its due time): the deadline may still move when they
    are confirmed. None for clocks counted in calendar hours, paused or stopped clocks."""
    if clock.state != ClockState.RUNNING or clock.due_at is None:
        return []
    if clock.policy.unit == SlaUnit.CALENDAR_HOURS:
        return []
    calendar = calendar or load_calendar()
    return calendar.provisional_years_between(clock.started_at, clock.due_at)


def provisional_years() -> list[int]:
    """Years in the calendar whose official schedule is not confirmed yet."""
    return list(
        CalendarYear.objects.filter(is_confirmed=False)
        .order_by("year")
        .values_list("year", flat=True)
    )


def calendar_year_overview(year: int, *, calendar: WorkingCalendar | None = None) -> dict:
    """What ``calendar show`` prints: the overrides of ``year`` and working days per month."""
    calendar = calendar or load_calendar()
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    months = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        last = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
        months.append((month, calendar.working_days_in(first, last)))
    calendar_year = CalendarYear.objects.filter(year=year).first()
    return {
        "year": year,
        "calendar_year": calendar_year,
        "is_confirmed": bool(calendar_year and calendar_year.is_confirmed),
        "holidays": [d for d in days if d.kind == CalendarDayKind.HOLIDAY],
        "workdays": [d for d in days if d.kind == CalendarDayKind.WORKDAY],
        "working_days_per_month": months,
        "working_days_total": sum(count for _month, count in months),
    }

"""Writes of the SLA app: clocks on cases, the calendar tables, and the periodic sweep.

Every function is one transaction. Clocks are locked with ``select_for_update`` in primary-key
order; the sweep uses compare-and-set updates so that two sweeps never notify twice.
Calendar edits recompute the deadlines of the open clocks they can affect.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Priority
from waterdesk.core.errors import InvalidInput, NotFound
from waterdesk.core.memo import memo_get
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla.calendar import WorkingCalendar, load_calendar, round_minutes
from waterdesk.sla.models import (
    BusinessHours,
    CalendarDay,
    CalendarDayKind,
    CalendarYear,
    ClockState,
    SlaClock,
    SlaPolicy,
    milestone_label,
)

logger = logging.getLogger(__name__)

_CLOCK_FIELDS_ON_RECOMPUTE = ["due_at", "at_risk_at", "breached_at"]
# The request memo prefix of a kind's active policies (``core.memo``).
POLICIES_MEMO = "sla.policies:"


def _now_or(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise InvalidInput(_("时间必须带时区。"), code="naive_datetime")
    return at


def _policy_for(*, case_kind: str, milestone: str, priority: str) -> SlaPolicy | None:
    """The active policy of the milestone for the priority, else for "normal". The active
    policies of a kind are read once per request (``core.memo``)."""
    policies = memo_get(
        f"{POLICIES_MEMO}{case_kind}",
        lambda: list(SlaPolicy.objects.filter(case_kind=case_kind, is_active=True)),
    )
    by_priority = {
        policy.priority: policy
        for policy in policies
        if policy.milestone == milestone and policy.priority in {priority, Priority.NORMAL}
    }
    return by_priority.get(priority) or by_priority.get(Priority.NORMAL)


def _clock_due(clock: SlaClock, calendar: WorkingCalendar) -> dt.datetime:
    return calendar.due_at(
        clock.started_at, clock.unit, clock.amount, paused_minutes=clock.paused_minutes
    )


def _refresh_flags(clock: SlaClock, calendar: WorkingCalendar, now: dt.datetime) -> None:
    """Clear the at-risk / breached marks that a later deadline made untrue."""
    from waterdesk.sla.selectors import clock_elapsed_ratio

    if clock.breached_at is not None and clock.due_at > now:
        clock.breached_at = None
    if clock.at_risk_at is not None and clock.breached_at is None:
        ratio = clock_elapsed_ratio(clock, now, calendar=calendar)
        if Decimal(str(ratio)) < clock.policy.at_risk_ratio:
            clock.at_risk_at = None


def _locked(queryset):
    # Lock only the clock rows (not the joined policy rows), always in primary-key order.
    return queryset.select_for_update(of=("self",)).select_related("policy").order_by("pk")


# -- clocks ----------------------------------------------------------------------------------


@transaction.atomic
def clock_start(
    *,
    case,
    milestone: str,
    start: dt.datetime | None = None,
    amount: Decimal | int | None = None,
    unit: str | None = None,
    policy_milestone: str | None = None,
) -> SlaClock | None:
    """Start the clock of ``milestone`` on ``case``; None when no active policy applies.

    The policy is looked up by case kind, milestone and the case's priority, falling back
    to the "normal" priority. ``amount`` and ``unit`` replace the policy's time limit when
    the kind keeps a finer one (an inquiry's category); the policy still says whether the
    milestone is timed and when it is at risk. ``policy_milestone`` names the policy when
    one policy times several clocks of a case (the reply of each round of a complaint:
    clocks ``reply_1``, ``reply_2``, … under the policy ``reply``). Idempotent: an existing
    clock is returned unchanged.
    """
    existing = SlaClock.objects.filter(case=case, milestone=milestone).first()
    if existing is not None:
        return existing
    policy = _policy_for(
        case_kind=case.kind, milestone=policy_milestone or milestone, priority=case.priority
    )
    if policy is None:
        return None
    started_at = _now_or(start)
    unit = unit or policy.unit
    amount = policy.amount if amount is None else Decimal(amount)
    due = load_calendar().due_at(started_at, unit, amount)
    try:
        with transaction.atomic():
            return SlaClock.objects.create(
                case=case,
                milestone=milestone,
                policy=policy,
                unit=unit,
                amount=amount,
                started_at=started_at,
                due_at=due,
            )
    except IntegrityError:
        # Somebody started the same clock concurrently: theirs wins.
        return SlaClock.objects.get(case=case, milestone=milestone)


@transaction.atomic
def clocks_pause(*, case, at: dt.datetime | None = None) -> list[SlaClock]:
    """Pause every running clock of ``case`` (e.g. while waiting for the customer)."""
    at = _now_or(at)
    clocks = list(_locked(SlaClock.objects.filter(case=case, state=ClockState.RUNNING)))
    for clock in clocks:
        clock.state = ClockState.PAUSED
        clock.paused_at = max(at, clock.started_at)
        clock.save(update_fields=["state", "paused_at"])
    return clocks


def _end_pause(clock: SlaClock, at: dt.datetime, calendar: WorkingCalendar) -> None:
    paused_for = calendar.time_between(clock.paused_at, max(at, clock.paused_at), clock.unit)
    clock.paused_minutes += round_minutes(paused_for)
    clock.paused_at = None
    clock.due_at = _clock_due(clock, calendar)


@transaction.atomic
def clocks_resume(*, case, at: dt.datetime | None = None) -> list[SlaClock]:
    """Resume the paused clocks of ``case``; the pause (in each clock's unit) moves the due time."""
    at = _now_or(at)
    clocks = list(_locked(SlaClock.objects.filter(case=case, state=ClockState.PAUSED)))
    if not clocks:
        return []
    calendar = load_calendar()
    now = timezone.now()
    for clock in clocks:
        _end_pause(clock, at, calendar)
        clock.state = ClockState.RUNNING
        _refresh_flags(clock, calendar, now)
        clock.save(
            update_fields=["state", "paused_at", "paused_minutes", *_CLOCK_FIELDS_ON_RECOMPUTE]
        )
    return clocks


@transaction.atomic
def clock_stop(*, case, milestone: str, at: dt.datetime | None = None) -> SlaClock | None:
    """Stop the clock of ``milestone``: met, or breached (``is_late``) after its due time.

    None when the case has no such clock; a clock that already stopped is returned unchanged.
    """
    at = _now_or(at)
    clock = _locked(SlaClock.objects.filter(case=case, milestone=milestone)).first()
    if clock is None or not clock.is_open:
        return clock
    if clock.state == ClockState.PAUSED:
        _end_pause(clock, at, load_calendar())
    clock.stopped_at = max(at, clock.started_at)
    clock.is_late = clock.stopped_at > clock.due_at
    clock.state = ClockState.BREACHED if clock.is_late else ClockState.MET
    clock.save(
        update_fields=["state", "stopped_at", "is_late", "paused_at", "paused_minutes", "due_at"]
    )
    return clock


@transaction.atomic
def clocks_cancel(*, case, at: dt.datetime | None = None) -> list[SlaClock]:
    """Cancel every open clock of ``case`` (the case was withdrawn or rejected)."""
    at = _now_or(at)
    clocks = list(_locked(SlaClock.objects.filter(case=case).open()))
    for clock in clocks:
        clock.state = ClockState.CANCELLED
        clock.paused_at = None
        clock.stopped_at = max(at, clock.started_at)
        clock.save(update_fields=["state", "paused_at", "stopped_at"])
    return clocks


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ),
        dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ),
    )


@transaction.atomic
def clocks_recompute(*, year: int | None = None) -> int:
    """Recompute ``due_at`` of the open clocks; returns how many deadlines moved.

    With ``year`` only the clocks whose span touches that year are considered: a deadline
    computed before the year begins never looks at the year's days.
    """
    clocks = SlaClock.objects.open()
    if year is not None:
        first, after = _year_bounds(year)
        clocks = clocks.filter(started_at__lt=after, due_at__gte=first)
    calendar = load_calendar()
    now = timezone.now()
    moved = 0
    for clock in _locked(clocks):
        due = _clock_due(clock, calendar)
        if due == clock.due_at:
            continue
        clock.due_at = due
        _refresh_flags(clock, calendar, now)
        clock.save(update_fields=_CLOCK_FIELDS_ON_RECOMPUTE)
        moved += 1
    if moved:
        logger.info("sla: recomputed %s open deadlines (year=%s)", moved, year)
    return moved


# -- sweep -----------------------------------------------------------------------------------


def _recipients(case) -> list:
    user_model = get_user_model()
    users = {
        user.pk: user
        for user in user_model.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
    }
    if case.assignee_id is not None and case.assignee.is_active:
        users[case.assignee_id] = case.assignee
    return [users[pk] for pk in sorted(users)]


def _notify(clock: SlaClock, template: str) -> None:
    """Put the mark on the case timeline and tell the assignee and the supervisors."""
    from waterdesk.cases.services import case_event_record
    from waterdesk.notify.services import notification_queue

    case_event_record(
        case=clock.case,
        actor=None,
        action=template.replace(".", "_"),
        data={"milestone": clock.milestone, "due_at": clock.due_at.isoformat()},
    )
    context = {
        "case_number": clock.case.number,
        "milestone": milestone_label(clock.milestone, clock.case.kind),
        "milestone_code": clock.milestone,
        "due_at": clock.due_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
    }
    for user in _recipients(clock.case):
        notification_queue(
            template=template,
            context=context,
            case=clock.case,
            user=user,
            dedupe_key=f"{template}:{clock.pk}:{user.pk}",
            urgent=True,  # deadline alerts are not held back by quiet hours
        )


def clocks_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Mark running clocks at risk (elapsed ≥ the policy's ratio) and breached (past due).

    Each mark is a compare-and-set on a NULL column in its own transaction, and only the
    sweep that set it notifies the assignee and the supervisors: running two sweeps at once,
    or twice, never notifies twice. A breached clock keeps running until its milestone stops.
    """
    from waterdesk.sla.selectors import clock_elapsed_ratio

    now = _now_or(now)
    calendar = load_calendar()
    candidates = (
        SlaClock.objects.running()
        .filter(breached_at__isnull=True)
        .filter(Q(at_risk_at__isnull=True) | Q(due_at__lt=now))
        .select_related("policy", "case", "case__assignee")
        .order_by("due_at", "pk")
    )
    counts = {"at_risk": 0, "breached": 0}
    for clock in candidates:
        unchanged = SlaClock.objects.filter(
            pk=clock.pk, state=ClockState.RUNNING, due_at=clock.due_at
        )
        if now > clock.due_at:
            with transaction.atomic():
                marked = unchanged.filter(breached_at__isnull=True).update(
                    breached_at=now,
                    at_risk_at=Coalesce(F("at_risk_at"), Value(now, output_field=DateTimeField())),
                )
                if marked:
                    _notify(clock, "sla.breached")
                    counts["breached"] += 1
            continue
        ratio = clock_elapsed_ratio(clock, now, calendar=calendar)
        if Decimal(str(ratio)) >= clock.policy.at_risk_ratio:
            with transaction.atomic():
                if unchanged.filter(at_risk_at__isnull=True).update(at_risk_at=now):
                    _notify(clock, "sla.at_risk")
                    counts["at_risk"] += 1
    return counts


# -- calendar --------------------------------------------------------------------------------


def official_schedule(year: int) -> tuple[list[tuple[dt.date, str]], list[tuple[dt.date, str]]]:
    """(holidays, make-up working days) of ``year`` from the ``holidays`` package."""
    import holidays as holidays_package

    try:
        china = holidays_package.China(years=year, language="zh_CN")
    except (NotImplementedError, KeyError):  # an older package without Chinese names
        china = holidays_package.China(years=year)
    days_off = sorted((day, str(name)) for day, name in china.items() if day.year == year)
    workdays = sorted(
        (day, "调休上班") for day in getattr(china, "weekend_workdays", ()) if day.year == year
    )
    return days_off, workdays


def _with_history_user(instance, actor):
    instance._history_user = actor
    return instance


def _ensure_year(year: int, *, actor, is_confirmed: bool = False) -> CalendarYear:
    calendar_year = CalendarYear.objects.filter(year=year).first()
    if calendar_year is not None:
        return calendar_year
    calendar_year = _with_history_user(CalendarYear(year=year, is_confirmed=is_confirmed), actor)
    if is_confirmed:
        calendar_year.confirmed_at = timezone.now()
        calendar_year.confirmed_by = actor
    try:
        with transaction.atomic():
            calendar_year.save()
    except IntegrityError:  # created concurrently
        return CalendarYear.objects.get(year=year)
    return calendar_year


def _validate_year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(_("年份必须在 2000 至 2100 之间。"), code="calendar_year_invalid")
    return year


@transaction.atomic
def calendar_year_seed(*, actor, year: int, replace: bool = False) -> CalendarYear:
    """Load the official schedule of ``year`` from the ``holidays`` package.

    Days already in the table are kept (an administrator may have corrected them) unless
    ``replace`` is true, which makes the year's days exactly the package's. A new year is
    confirmed when the package lists make-up working days for it, provisional otherwise;
    an existing year keeps its confirmation.
    """
    _validate_year(year)
    days_off, workdays = official_schedule(year)
    calendar_year = _ensure_year(year, actor=actor, is_confirmed=bool(workdays))
    wanted = {day: (CalendarDayKind.HOLIDAY, name) for day, name in days_off}
    wanted.update({day: (CalendarDayKind.WORKDAY, name) for day, name in workdays})
    existing = {
        day.date: day for day in CalendarDay.objects.filter(date__year=year).select_for_update()
    }
    for day, calendar_day in existing.items():
        if replace and day not in wanted:
            _with_history_user(calendar_day, actor).delete()
    for day, (kind, name) in sorted(wanted.items()):
        current = existing.get(day)
        if current is None:
            _with_history_user(CalendarDay(date=day, kind=kind, name=name), actor).save()
        elif replace and (current.kind, current.name) != (kind, name):
            current.kind, current.name = kind, name
            _with_history_user(current, actor).save()
    clocks_recompute(year=year)
    return calendar_year


@transaction.atomic
def calendar_year_confirm(*, actor, year: int) -> CalendarYear:
    """Mark the official schedule of ``year`` as confirmed and recompute open deadlines."""
    _validate_year(year)
    if not CalendarDay.objects.filter(date__year=year).exists():
        raise InvalidInput(
            _("%(year)s 年还没有任何节假日数据，请先录入或导入后再确认。") % {"year": year},
            code="calendar_year_empty",
        )
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    if calendar_year is None:
        calendar_year = CalendarYear(year=year)
    if not calendar_year.is_confirmed:
        calendar_year.is_confirmed = True
        calendar_year.confirmed_at = timezone.now()
        calendar_year.confirmed_by = actor
        _with_history_user(calendar_year, actor).save()
    clocks_recompute(year=year)
    return calendar_year


@transaction.atomic
def calendar_year_note_set(*, actor, year: int, note: str) -> CalendarYear:
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    if calendar_year is None:
        raise NotFound(code="calendar_year_not_found")
    if calendar_year.note != note:
        calendar_year.note = note
        _with_history_user(calendar_year, actor).save(update_fields=["note"])
    return calendar_year


@transaction.atomic
def calendar_day_set(*, actor, date: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Create or change the override of one date; recompute the deadlines it may move."""
    if kind not in CalendarDayKind.values:
        raise InvalidInput(_("日期类型不正确。"), code="calendar_day_kind_invalid", field="kind")
    name = (name or "").strip()
    if len(name) > CalendarDay._meta.get_field("name").max_length:
        raise InvalidInput(_("名称过长。"), code="calendar_day_name_too_long", field="name")
    _validate_year(date.year)
    _ensure_year(date.year, actor=actor)
    calendar_day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if calendar_day is None:
        calendar_day = CalendarDay(date=date)
    elif (calendar_day.kind, calendar_day.name) == (kind, name):
        return calendar_day
    calendar_day.kind, calendar_day.name = kind, name
    _with_history_user(calendar_day, actor).save()
    clocks_recompute(year=date.year)
    return calendar_day


@transaction.atomic
def calendar_day_delete(*, actor, date: dt.date) -> None:
    """Remove the override of one date (it follows the weekday rule again)."""
    calendar_day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if calendar_day is None:
        raise NotFound(_("该日期没有节假日或调休记录。"), code="calendar_day_not_found")
    _with_history_user(calendar_day, actor).delete()
    clocks_recompute(year=date.year)


def business_hours_validate(periods: Iterable[Sequence[dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """The periods sorted by start time; InvalidInput when empty, inverted or overlapping."""
    cleaned = sorted((start, end) for start, end in periods)
    if not cleaned:
        raise InvalidInput(_("至少需要一个营业时段。"), code="business_hours_empty")
    previous_end = None
    for start, end in cleaned:
        if not isinstance(start, dt.time) or not isinstance(end, dt.time) or start >= end:
            raise InvalidInput(
                _("营业时段的开始时间必须早于结束时间。"), code="business_hours_invalid"
            )
        if previous_end is not None and start < previous_end:
            raise InvalidInput(_("营业时段不能重叠。"), code="business_hours_overlap")
        previous_end = end
    return cleaned


@transaction.atomic
def business_hours_set(*, actor, periods: Iterable[Sequence[dt.time]]) -> list[BusinessHours]:
    """Replace the business-hour periods (kept rows are updated in place, in time order)."""
    cleaned = business_hours_validate(periods)
    rows = list(BusinessHours.objects.select_for_update().order_by("ordering", "start", "pk"))
    result = []
    for position, (start, end) in enumerate(cleaned, start=1):
        row = rows[position - 1] if position <= len(rows) else BusinessHours()
        if row.pk is None or (row.start, row.end, row.ordering) != (start, end, position):
            row.start, row.end, row.ordering = start, end, position
            _with_history_user(row, actor).save()
        result.append(row)
    for surplus in rows[len(cleaned) :]:
        _with_history_user(surplus, actor).delete()
    clocks_recompute()
    return result

"""SLA clocks: start, pause/resume, stop, cancel, recompute after calendar edits, the sweep."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_open
from waterdesk.core.errors import InvalidInput
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.notify.models import Notification
from waterdesk.sla import selectors, services, tasks
from waterdesk.sla.models import CalendarDay, CalendarYear, ClockState, SlaClock, SlaPolicy


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The role-user fixtures hash passwords; the default hasher costs ~0.3 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


@pytest.fixture
def open_case(clerk):
    def make(*, priority="normal", opened_at=None):
        return case_open(
            actor=clerk,
            kind="new_connection",
            status="received",
            channel="counter",
            contact_name="张三",
            contact_phone="13800138000",
            priority=priority,
            green_channel_reason="医院" if priority == "green" else "",
            opened_at=opened_at or local(2026, 3, 2, 10, 0),
        )

    return make


def clock_fields(clock):
    clock.refresh_from_db()
    return {
        "state": clock.state,
        "due_at": clock.due_at,
        "paused_at": clock.paused_at,
        "paused_minutes": clock.paused_minutes,
        "stopped_at": clock.stopped_at,
        "at_risk_at": clock.at_risk_at,
        "breached_at": clock.breached_at,
        "is_late": clock.is_late,
    }


# -- start -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_clock_start_snapshots_the_policy_and_computes_the_due_time(open_case):
    case = open_case()
    clock = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )
    assert (clock.unit, clock.amount, clock.policy.priority) == (
        "working_days",
        Decimal("1.00"),
        "normal",
    )
    assert clock.due_at == local(2026, 3, 3, 17, 30)
    assert clock.state == ClockState.RUNNING
    assert list(case.clocks.all()) == [clock]

    # Editing the policy later does not move the running clock.
    SlaPolicy.objects.filter(pk=clock.policy_id).update(amount=3)
    services.clocks_recompute()
    clock.refresh_from_db()
    assert (clock.amount, clock.due_at) == (Decimal("1.00"), local(2026, 3, 3, 17, 30))


@pytest.mark.django_db
def test_clock_start_is_idempotent(open_case):
    case = open_case()
    first = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))
    again = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 5, 10, 0))
    assert again.pk == first.pk
    assert again.started_at == local(2026, 3, 2, 10, 0)
    assert again.due_at == local(2026, 3, 16, 17, 30)
    assert SlaClock.objects.count() == 1


@pytest.mark.django_db
def test_green_channel_uses_its_own_policy(open_case):
    case = open_case(priority="green")
    clock = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )
    assert (clock.policy.priority, clock.unit) == ("green", "working_hours")
    assert clock.due_at == local(2026, 3, 2, 15, 30)


@pytest.mark.django_db
def test_green_channel_falls_back_to_the_normal_policy(open_case):
    SlaPolicy.objects.create(
        case_kind="new_connection",
        milestone="survey",
        priority="normal",
        amount=3,
        unit="working_days",
    )
    case = open_case(priority="green")
    clock = services.clock_start(case=case, milestone="survey", start=local(2026, 3, 2, 10, 0))
    assert clock.policy.priority == "normal"
    assert clock.due_at == local(2026, 3, 5, 17, 30)


@pytest.mark.django_db
def test_no_active_policy_means_no_clock(open_case):
    case = open_case()
    SlaPolicy.objects.filter(milestone="complete").update(is_active=False)
    assert services.clock_start(case=case, milestone="complete") is None
    assert services.clock_start(case=case, milestone="no_such_milestone") is None
    assert SlaClock.objects.count() == 0


# -- pause, resume, stop, cancel -------------------------------------------------------------


@pytest.mark.django_db
def test_pause_and_resume_shift_a_working_days_clock(open_case):
    case = open_case()
    clock = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))
    assert clock.due_at == local(2026, 3, 16, 17, 30)

    with time_machine.travel(local(2026, 3, 4, 10, 0), tick=False):
        services.clocks_pause(case=case, at=local(2026, 3, 4, 10, 0))
        assert clock_fields(clock)["state"] == ClockState.PAUSED
        assert clock.paused_at == local(2026, 3, 4, 10, 0)
        # The due time shown while paused is the one without the current pause.
        assert clock.due_at == local(2026, 3, 16, 17, 30)

    # Paused from Wednesday 10:00 to Thursday 10:00: one working day (450 working minutes).
    with time_machine.travel(local(2026, 3, 5, 10, 0), tick=False):
        services.clocks_resume(case=case, at=local(2026, 3, 5, 10, 0))
    assert clock_fields(clock) == {
        "state": ClockState.RUNNING,
        "due_at": local(2026, 3, 17, 17, 30),
        "paused_at": None,
        "paused_minutes": 450,
        "stopped_at": None,
        "at_risk_at": None,
        "breached_at": None,
        "is_late": False,
    }


@pytest.mark.django_db
def test_pause_is_measured_in_the_unit_of_each_clock(open_case):
    case = open_case(priority="green")
    working = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 16, 0)
    )
    calendar_policy = SlaPolicy.objects.create(
        case_kind="new_connection",
        milestone="first_reply",
        priority="normal",
        amount=24,
        unit="calendar_hours",
    )
    calendar = services.clock_start(
        case=case, milestone="first_reply", start=local(2026, 3, 2, 16, 0)
    )
    assert calendar.policy == calendar_policy
    assert working.due_at == local(2026, 3, 3, 11, 0)
    assert calendar.due_at == local(2026, 3, 3, 16, 0)

    # Paused overnight, 17:00 → 09:00: 30 + 30 working minutes, 960 calendar minutes.
    services.clocks_pause(case=case, at=local(2026, 3, 2, 17, 0))
    resumed = services.clocks_resume(case=case, at=local(2026, 3, 3, 9, 0))
    assert {c.milestone: c.paused_minutes for c in resumed} == {
        "contact_customer": 60,
        "first_reply": 960,
    }
    working.refresh_from_db()
    calendar.refresh_from_db()
    # 90 working minutes on Monday, 210 on Tuesday: the morning period ends the clock.
    assert working.due_at == local(2026, 3, 3, 12, 0)
    assert calendar.due_at == local(2026, 3, 4, 8, 0)


@pytest.mark.django_db
def test_stop_in_time_is_met_and_late_is_breached(open_case):
    case = open_case()
    contact = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )
    complete = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))

    met = services.clock_stop(case=case, milestone="contact_customer", at=local(2026, 3, 3, 17, 30))
    assert (met.pk, met.state, met.is_late, met.stopped_at) == (
        contact.pk,
        ClockState.MET,
        False,
        local(2026, 3, 3, 17, 30),
    )
    late = services.clock_stop(case=case, milestone="complete", at=local(2026, 3, 17, 9, 0))
    assert (late.pk, late.state, late.is_late) == (complete.pk, ClockState.BREACHED, True)

    # Stopping again changes nothing; an unknown milestone has no clock.
    again = services.clock_stop(case=case, milestone="complete", at=local(2026, 3, 20, 9, 0))
    assert (again.state, again.stopped_at) == (ClockState.BREACHED, local(2026, 3, 17, 9, 0))
    assert services.clock_stop(case=case, milestone="survey") is None


@pytest.mark.django_db
def test_stopping_a_paused_clock_counts_the_pause(open_case):
    case = open_case()
    clock = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )
    services.clocks_pause(case=case, at=local(2026, 3, 2, 11, 0))
    # Without the pause 3 March 17:30 would be the deadline; the pause (Monday 11:00 to
    # Wednesday 08:30: 60 + 240 + 450 working minutes) moves it to Thursday 15:00.
    stopped = services.clock_stop(
        case=case, milestone="contact_customer", at=local(2026, 3, 4, 8, 30)
    )
    assert clock_fields(clock) == {
        "state": ClockState.MET,
        "due_at": local(2026, 3, 5, 15, 0),
        "paused_at": None,
        "paused_minutes": 60 + 240 + 450,
        "stopped_at": local(2026, 3, 4, 8, 30),
        "at_risk_at": None,
        "breached_at": None,
        "is_late": False,
    }
    assert stopped.pk == clock.pk


@pytest.mark.django_db
def test_cancel_stops_every_open_clock_and_leaves_stopped_ones(open_case):
    case = open_case()
    contact = services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )
    complete = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))
    services.clock_stop(case=case, milestone="contact_customer", at=local(2026, 3, 2, 15, 0))
    services.clocks_pause(case=case, at=local(2026, 3, 3, 10, 0))

    cancelled = services.clocks_cancel(case=case, at=local(2026, 3, 4, 10, 0))
    assert [c.pk for c in cancelled] == [complete.pk]
    assert clock_fields(complete)["state"] == ClockState.CANCELLED
    assert (complete.stopped_at, complete.paused_at) == (local(2026, 3, 4, 10, 0), None)
    assert clock_fields(contact)["state"] == ClockState.MET


@pytest.mark.django_db
def test_naive_time_is_refused_and_nothing_is_written(open_case):
    case = open_case()
    with pytest.raises(InvalidInput):
        services.clock_start(
            case=case,
            milestone="complete",
            start=dt.datetime(2026, 3, 2, 10, 0),  # noqa: DTZ001
        )
    assert SlaClock.objects.count() == 0


# -- recompute after calendar edits ----------------------------------------------------------


@pytest.mark.django_db
def test_adding_and_removing_a_holiday_recomputes_open_deadlines(open_case, administrator):
    case = open_case()
    clock = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))
    other = open_case()
    done = services.clock_start(case=other, milestone="complete", start=local(2026, 3, 2, 10, 0))
    services.clock_stop(case=other, milestone="complete", at=local(2026, 3, 6, 10, 0))
    assert clock.due_at == local(2026, 3, 16, 17, 30)

    with time_machine.travel(local(2026, 3, 3, 9, 0), tick=False):
        services.calendar_day_set(
            actor=administrator, date=dt.date(2026, 3, 10), kind="holiday", name="停水抢修日"
        )
    assert clock_fields(clock)["due_at"] == local(2026, 3, 17, 17, 30)
    assert clock_fields(done)["due_at"] == local(2026, 3, 16, 17, 30)  # stopped: untouched

    with time_machine.travel(local(2026, 3, 3, 9, 5), tick=False):
        services.calendar_day_delete(actor=administrator, date=dt.date(2026, 3, 10))
    assert clock_fields(clock)["due_at"] == local(2026, 3, 16, 17, 30)

    # A make-up working Saturday brings the deadline forward.
    with time_machine.travel(local(2026, 3, 3, 9, 10), tick=False):
        services.calendar_day_set(
            actor=administrator, date=dt.date(2026, 3, 7), kind="workday", name="调休上班"
        )
    assert clock_fields(clock)["due_at"] == local(2026, 3, 13, 17, 30)


@pytest.mark.django_db
def test_confirming_a_year_recomputes_its_open_deadlines(open_case, administrator):
    case = open_case(opened_at=local(2027, 2, 1, 10, 0))
    SlaPolicy.objects.create(
        case_kind="new_connection",
        milestone="survey",
        priority="normal",
        amount=5,
        unit="working_days",
    )
    clock = services.clock_start(case=case, milestone="survey", start=local(2027, 2, 1, 10, 0))
    # Provisional 2027: 5 and 8–10 February off; days 1–5 are 2, 3, 4, 11, 12 February.
    assert clock.due_at == local(2027, 2, 12, 17, 30)

    # The official schedule turns out to give 10 February as a working day (entered by an
    # import that did not recompute); confirming the year brings the deadlines up to date.
    CalendarDay.objects.filter(date=dt.date(2027, 2, 10)).delete()
    with time_machine.travel(local(2027, 1, 15, 9, 0), tick=False):
        confirmed = services.calendar_year_confirm(actor=administrator, year=2027)
    assert (confirmed.is_confirmed, confirmed.confirmed_by, confirmed.confirmed_at) == (
        True,
        administrator,
        local(2027, 1, 15, 9, 0),
    )
    assert clock_fields(clock)["due_at"] == local(2027, 2, 11, 17, 30)
    assert selectors.provisional_years() == []


@pytest.mark.django_db
def test_confirming_a_year_without_any_day_is_refused(administrator):
    with pytest.raises(InvalidInput) as raised:
        services.calendar_year_confirm(actor=administrator, year=2031)
    assert raised.value.code == "calendar_year_empty"
    assert not CalendarYear.objects.filter(year=2031).exists()


@pytest.mark.django_db
def test_confirm_limits_recompute_to_clocks_touching_the_year(open_case, administrator):
    case = open_case()
    clock = services.clock_start(case=case, milestone="complete", start=local(2026, 3, 2, 10, 0))
    # Corrupt the stored deadline to see whether a recompute touches the clock.
    SlaClock.objects.filter(pk=clock.pk).update(due_at=local(2026, 3, 20, 17, 30))
    assert services.clocks_recompute(year=2027) == 0
    assert clock_fields(clock)["due_at"] == local(2026, 3, 20, 17, 30)
    assert services.clocks_recompute(year=2026) == 1
    assert clock_fields(clock)["due_at"] == local(2026, 3, 16, 17, 30)


# -- sweep -----------------------------------------------------------------------------------


@pytest.fixture
def assigned_clock(open_case, surveyor, supervisor):
    case = open_case()
    # Arranged directly: the sweep tells whoever owns the case, whatever the owner's role.
    Case.objects.filter(pk=case.pk).update(assignee=surveyor)
    case.refresh_from_db()
    # 1 working day from Monday 10:00: due Tuesday 17:30. Span 360 + 450 = 810 working
    # minutes; 80 % = 648 minutes = Monday's 360 + Tuesday 08:30–12:00 (210) + 78 → 14:48.
    return services.clock_start(
        case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0)
    )


def sla_notifications(template):
    return sorted(
        Notification.objects.filter(template_key=template).values_list(
            "recipient_user__username", "channel", "dedupe_key"
        )
    )


@pytest.mark.django_db
def test_sweep_marks_at_risk_at_80_percent_once(assigned_clock, surveyor, supervisor):
    assert services.clocks_sweep(now=local(2026, 3, 3, 14, 47)) == {"at_risk": 0, "breached": 0}
    assert clock_fields(assigned_clock)["at_risk_at"] is None

    assert services.clocks_sweep(now=local(2026, 3, 3, 14, 48)) == {"at_risk": 1, "breached": 0}
    fields = clock_fields(assigned_clock)
    assert (fields["state"], fields["at_risk_at"], fields["breached_at"]) == (
        ClockState.RUNNING,
        local(2026, 3, 3, 14, 48),
        None,
    )
    assert sla_notifications("sla.at_risk") == [
        ("supervisor", "email", f"sla.at_risk:{assigned_clock.pk}:{supervisor.pk}"),
        ("surveyor", "email", f"sla.at_risk:{assigned_clock.pk}:{surveyor.pk}"),
    ]
    body = Notification.objects.filter(template_key="sla.at_risk").first().body
    assert "联系客户" in body
    assert "2026-03-03 17:30" in body

    # A second sweep changes nothing and notifies nobody.
    assert services.clocks_sweep(now=local(2026, 3, 3, 15, 0)) == {"at_risk": 0, "breached": 0}
    assert clock_fields(assigned_clock)["at_risk_at"] == local(2026, 3, 3, 14, 48)
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_two_overlapping_sweeps_notify_once(assigned_clock, monkeypatch):
    """Another sweep marks the clock between this sweep's read and its write."""
    from waterdesk.sla import selectors as sla_selectors

    real_ratio = sla_selectors.clock_elapsed_ratio
    inner_results = []

    def ratio_then_race(clock, now, **kwargs):
        if not inner_results:
            inner_results.append(None)
            inner_results[0] = services.clocks_sweep(now=now)  # the other worker wins
        return real_ratio(clock, now, **kwargs)

    monkeypatch.setattr(sla_selectors, "clock_elapsed_ratio", ratio_then_race)
    outer = services.clocks_sweep(now=local(2026, 3, 3, 15, 0))
    assert (inner_results[0], outer) == (
        {"at_risk": 1, "breached": 0},
        {"at_risk": 0, "breached": 0},
    )
    assert clock_fields(assigned_clock)["at_risk_at"] == local(2026, 3, 3, 15, 0)
    assert Notification.objects.filter(template_key="sla.at_risk").count() == 2


@pytest.mark.django_db
def test_sweep_marks_breached_once_and_the_clock_keeps_running(
    assigned_clock, surveyor, supervisor
):
    services.clocks_sweep(now=local(2026, 3, 3, 15, 0))
    assert services.clocks_sweep(now=local(2026, 3, 3, 17, 30)) == {"at_risk": 0, "breached": 0}

    assert services.clocks_sweep(now=local(2026, 3, 3, 17, 31)) == {"at_risk": 0, "breached": 1}
    fields = clock_fields(assigned_clock)
    assert (fields["state"], fields["at_risk_at"], fields["breached_at"]) == (
        ClockState.RUNNING,
        local(2026, 3, 3, 15, 0),
        local(2026, 3, 3, 17, 31),
    )
    assert sla_notifications("sla.breached") == [
        ("supervisor", "email", f"sla.breached:{assigned_clock.pk}:{supervisor.pk}"),
        ("surveyor", "email", f"sla.breached:{assigned_clock.pk}:{surveyor.pk}"),
    ]

    assert services.clocks_sweep(now=local(2026, 3, 4, 9, 0)) == {"at_risk": 0, "breached": 0}
    assert clock_fields(assigned_clock)["breached_at"] == local(2026, 3, 3, 17, 31)
    assert Notification.objects.filter(template_key="sla.breached").count() == 2


@pytest.mark.django_db
def test_sweep_finding_a_clock_past_due_marks_it_breached_without_an_at_risk_message(
    assigned_clock,
):
    assert services.clocks_sweep(now=local(2026, 3, 5, 9, 0)) == {"at_risk": 0, "breached": 1}
    fields = clock_fields(assigned_clock)
    assert (fields["at_risk_at"], fields["breached_at"]) == (
        local(2026, 3, 5, 9, 0),
        local(2026, 3, 5, 9, 0),
    )
    assert Notification.objects.filter(template_key="sla.at_risk").count() == 0


@pytest.mark.django_db
def test_sweep_ignores_paused_and_stopped_clocks(assigned_clock, open_case):
    services.clocks_pause(case=assigned_clock.case, at=local(2026, 3, 2, 11, 0))
    other = open_case()
    services.clock_start(case=other, milestone="contact_customer", start=local(2026, 3, 2, 10, 0))
    services.clock_stop(case=other, milestone="contact_customer", at=local(2026, 3, 2, 11, 0))
    assert services.clocks_sweep(now=local(2026, 3, 10, 9, 0)) == {"at_risk": 0, "breached": 0}
    assert SlaClock.objects.filter(at_risk_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_sweep_without_assignee_notifies_the_supervisors_only(open_case, supervisor):
    case = open_case()
    services.clock_start(case=case, milestone="contact_customer", start=local(2026, 3, 2, 10, 0))
    with time_machine.travel(local(2026, 3, 4, 9, 0), tick=False):
        assert tasks.sla_sweep() == {"at_risk": 0, "breached": 1}
    assert sla_notifications("sla.breached") == [
        ("supervisor", "email", f"sla.breached:{case.clocks.get().pk}:{supervisor.pk}"),
    ]


@pytest.mark.django_db
def test_a_later_deadline_clears_the_breach_mark(assigned_clock, administrator):
    services.clocks_sweep(now=local(2026, 3, 3, 17, 31))
    assert clock_fields(assigned_clock)["breached_at"] == local(2026, 3, 3, 17, 31)
    # Tuesday turns out to be a day off: the deadline moves to Wednesday 17:30.
    with time_machine.travel(local(2026, 3, 3, 17, 40), tick=False):
        services.calendar_day_set(
            actor=administrator, date=dt.date(2026, 3, 3), kind="holiday", name="临时停工"
        )
    fields = clock_fields(assigned_clock)
    assert (fields["due_at"], fields["breached_at"], fields["at_risk_at"]) == (
        local(2026, 3, 4, 17, 30),
        None,
        None,
    )


# -- selectors -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_label_and_elapsed_ratio(assigned_clock):
    clock = assigned_clock
    assert selectors.clock_elapsed_ratio(clock, local(2026, 3, 2, 10, 0)) == 0.0
    assert selectors.clock_elapsed_ratio(clock, local(2026, 3, 3, 14, 48)) == pytest.approx(0.8)
    assert selectors.clock_elapsed_ratio(clock, local(2026, 3, 3, 20, 0)) == 1.0
    assert selectors.clock_status_label(clock, local(2026, 3, 2, 16, 0)) == "on_track"
    assert selectors.clock_status_label(clock, local(2026, 3, 3, 14, 48)) == "at_risk"
    assert selectors.clock_status_label(clock, local(2026, 3, 3, 17, 31)) == "breached"

    services.clocks_pause(case=clock.case, at=local(2026, 3, 2, 12, 0))
    clock.refresh_from_db()
    assert selectors.clock_status_label(clock, local(2026, 3, 9, 9, 0)) == "paused"
    assert selectors.clock_elapsed_ratio(clock, local(2026, 3, 9, 9, 0)) == pytest.approx(120 / 810)

    services.clock_stop(case=clock.case, milestone="contact_customer", at=local(2026, 3, 2, 13, 0))
    clock.refresh_from_db()
    assert selectors.clock_status_label(clock, local(2026, 3, 9, 9, 0)) == "met"
    assert [c.pk for c in selectors.case_clocks(clock.case)] == [clock.pk]

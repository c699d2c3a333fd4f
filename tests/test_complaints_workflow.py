"""The complaint's handling (R-K2..R-K4) through its services: routing, interviews, the
investigation report, the handling plan and its measures, the reply and the rounds (with
the escalation past the policy's N), the follow-up call and the closure with its lessons.
Every refusal writes nothing."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict

from tests import complaints_support as cs
from tests.factories import DepartmentFactory, UserFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import (
    ROUNDS_LIMIT,
    Complaint,
    ComplaintPolicy,
    ComplaintRound,
    Interview,
    Investigation,
    Measure,
)
from waterdesk.complaints.services import closing, handling, investigation, plan, rounds
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.notify.models import Notification
from waterdesk.sla.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_monday")]


@pytest.fixture
def staff():
    return cs.complaint_staff()


@pytest.fixture
def case(staff):
    return cs.register(staff.clerk)


def snapshot(case: Case) -> tuple:
    """Everything a complaint's move could write."""
    fresh = Case.objects.get(pk=case.pk)
    complaint = Complaint.objects.get(case=case)
    return (
        (fresh.status, fresh.version, fresh.department_id, fresh.closed_at),
        model_to_dict(complaint),
        list(ComplaintRound.objects.filter(complaint=complaint).values()),
        list(Interview.objects.values()),
        list(Investigation.objects.values()),
        list(Measure.objects.values()),
        CaseEvent.objects.filter(case=case).count(),
        Notification.objects.count(),
        list(SlaClock.objects.filter(case=case).values("milestone", "state", "due_at")),
    )


def refused(error_class, code, call, case: Case):
    before = snapshot(case)
    with pytest.raises(error_class) as caught:
        call()
    assert snapshot(case) == before, "a refusal wrote something"
    if code is not None:
        assert caught.value.code == code
    return caught.value


def actions(case: Case) -> list[str]:
    return list(case.events.order_by("at", "pk").values_list("action", flat=True))


def clocks(case: Case) -> list[tuple[str, str]]:
    return list(case.clocks.order_by("milestone").values_list("milestone", "state"))


# --- the acceptance: two rounds to "satisfied", every record on the timeline ---------------


def test_a_complaint_walked_through_two_rounds_to_satisfied_and_closed(staff, case, frozen_monday):
    responder, handler = staff.responder, staff.handler
    case = handling.complaint_acknowledge(actor=handler, case=case, note="已转抢修中心调查")
    case = cs.interview(responder, case, person="张三", party="complainant")
    case = cs.interview(responder, case)
    case = cs.report(responder, case)
    case = plan.complaint_plan(
        actor=responder,
        case=case,
        department=responder.staff_profile.department,
        owner=responder,
        summary="重新维修，班组质量教育。",
    )
    case = cs.add_measure(responder, case, responder)
    frozen_monday.shift(timedelta(hours=2))
    case = cs.reply(handler, case)
    assert case.status == "awaiting_response"
    case = rounds.complaint_not_satisfied(
        actor=handler, case=case, reason="阀门仍有渗水，要求更换整个阀门。"
    )
    assert (case.status, Complaint.objects.get(case=case).round) == ("investigating", 2)
    case = cs.report(
        responder,
        case,
        facts="复查发现阀体有裂纹。",
        finding="阀体老化，需整体更换。",
        proposal="更换阀门。",
    )
    frozen_monday.shift(timedelta(days=1))
    case = cs.reply(handler, case, reply="已更换整个阀门，经试水无渗漏。")
    case = rounds.complaint_satisfied(actor=handler, case=case, note="投诉人认可")
    measure = cs.the_measure(case)
    case = plan.complaint_measure_done(
        actor=responder, case=case, measure=measure, note="已组织班组学习维修规范"
    )
    case = closing.complaint_follow_up(
        actor=handler, case=case, note="回访：阀门无渗漏，投诉人满意。", satisfaction=4
    )
    case = closing.complaint_close(actor=handler, case=case, lessons="维修完工须试水确认。")

    assert (case.status, case.closed_at is not None) == ("closed", True)
    assert actions(case) == [
        "open",
        "acknowledge",
        "interview",
        "interview",
        "report",
        "plan",
        "add_measure",
        "reply",
        "not_satisfied",
        "report",
        "reply",
        "satisfied",
        "measure_done",
        "follow_up",
        "close",
    ]
    complaint = Complaint.objects.get(case=case)
    first, second = complaint.rounds.order_by("number")
    assert (first.response, second.response, second.reason) == (
        "not_satisfied",
        "satisfied",
        "阀门仍有渗水，要求更换整个阀门。",
    )
    assert (first.investigation.finding, second.investigation.finding) == (
        "投诉属实：维修质量不合格。",
        "阀体老化，需整体更换。",
    )
    assert second.reply == "已更换整个阀门，经试水无渗漏。"
    assert list(first.interviews.values_list("person", "party")) == [
        ("张三", "complainant"),
        ("韩涛", "staff"),
    ]
    assert (complaint.round, complaint.escalation_level, complaint.root_cause) == (
        2,
        0,
        "repair_quality",
    )
    assert (complaint.follow_up_satisfaction, complaint.lessons) == (4, "维修完工须试水确认。")
    assert clocks(case) == [
        ("acknowledge", "met"),
        ("follow_up", "met"),
        ("reply_1", "met"),
        ("reply_2", "met"),
    ]
    # The complainant heard of the registration and of both replies, by SMS.
    assert list(
        Notification.objects.filter(case=case)
        .order_by("pk")
        .values_list("template_key", "channel", "recipient_address")
    ) == [
        ("complaint.registered", "sms", cs.CALLER_PHONE),
        ("complaint.replied", "sms", cs.CALLER_PHONE),
        ("complaint.replied", "sms", cs.CALLER_PHONE),
        # Closed: the satisfaction survey (every complaint is surveyed, surveys/).
        ("survey.invite", "sms", cs.CALLER_PHONE),
    ]
    last = (
        Notification.objects.filter(case=case, template_key="complaint.replied")
        .order_by("pk")
        .last()
    )
    assert f"受理编号{case.number}" in last.body and "已更换整个阀门" in last.body


# --- route -----------------------------------------------------------------------------


def test_route_moves_the_complaint_to_another_department(staff, case):
    business = DepartmentFactory(code="business", name="营业部")
    case = handling.complaint_route(
        actor=staff.handler, case=case, department=business, reason="实为抄表问题"
    )
    assert (case.status, case.department) == ("registered", business)
    event = case.events.get(action="route")
    assert (event.data, event.note) == ({"from": "供水抢修中心", "to": "营业部"}, "实为抄表问题")


def test_route_refusals(staff, case):
    repair = case.department
    refused(
        InvalidInput,
        "same_department",
        lambda: handling.complaint_route(
            actor=staff.handler, case=case, department=repair, reason="x"
        ),
        case,
    )
    business = DepartmentFactory(code="business")
    refused(
        InvalidInput,
        "required",
        lambda: handling.complaint_route(
            actor=staff.handler, case=case, department=business, reason="  "
        ),
        case,
    )
    refused(
        NotPermitted,
        None,
        lambda: handling.complaint_route(
            actor=staff.responder, case=case, department=business, reason="x"
        ),
        case,
    )


# --- investigation ---------------------------------------------------------------------


def test_interview_refusals(staff, case):
    refused(  # not yet acknowledged
        IllegalTransition, None, lambda: cs.interview(staff.responder, case), case
    )
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    refused(
        InvalidInput, "invalid_party", lambda: cs.interview(staff.responder, case, party="x"), case
    )
    refused(
        InvalidInput,
        "held_in_future",
        lambda: cs.interview(staff.responder, case, held_at=case.opened_at + timedelta(hours=2)),
        case,
    )
    refused(
        InvalidInput,
        "held_before_complaint",
        lambda: cs.interview(staff.responder, case, held_at=case.opened_at - timedelta(days=1)),
        case,
    )
    refused(InvalidInput, "required", lambda: cs.interview(staff.responder, case, summary=""), case)
    refused(NotPermitted, None, lambda: cs.interview(staff.clerk, case), case)


def test_a_second_report_of_the_same_round_is_refused(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    case = cs.report(staff.responder, case)
    error = refused(
        InvalidInput,
        "investigation_report_exists",
        lambda: cs.report(staff.responder, case, finding="改了结论"),
        case,
    )
    assert "第 1 轮已提交调查报告" in str(error.message)
    assert not investigation.may_report(case, staff.responder)


def test_report_refusals(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    refused(
        InvalidInput,
        "invalid_root_cause",
        lambda: cs.report(staff.responder, case, root_cause="x"),
        case,
    )
    refused(
        InvalidInput,
        "required",
        lambda: cs.report(staff.responder, case, is_substantiated=None),
        case,
    )
    refused(InvalidInput, "required", lambda: cs.report(staff.responder, case, facts=" "), case)
    assert investigation.may_report(case, staff.responder)


# --- the reply and the rounds -------------------------------------------------------------


def test_a_reply_without_the_rounds_report_is_refused(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    error = refused(
        InvalidInput, "investigation_report_required", lambda: cs.reply(staff.handler, case), case
    )
    assert "尚无调查报告" in str(error.message)


def test_reply_refusals(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    case = cs.report(staff.responder, case)
    refused(InvalidInput, "required", lambda: cs.reply(staff.handler, case, basis=""), case)
    refused(
        InvalidInput, "invalid_channel", lambda: cs.reply(staff.handler, case, channel="fax"), case
    )
    refused(NotPermitted, None, lambda: cs.reply(staff.responder, case), case)


def test_a_12345_transfer_s_reply_is_stored_for_the_platform_not_texted(staff):
    from django.utils import timezone

    case = cs.register(
        None,
        channel="city_hotline",
        city_reference="12345-2026-000123",
        city_deadline=timezone.now() + timedelta(days=2),
    )
    case = cs.walk_to(case, "awaiting_response", staff)
    current = ComplaintRound.objects.get(complaint__case=case, number=1)
    assert (current.reply, current.reply_channel) == ("已重新派工更换阀芯，漏水已止住。", "sms")
    assert list(Notification.objects.filter(case=case).values_list("template_key")) == []


def test_past_the_policy_s_rounds_the_complaint_escalates_and_supervisors_hear(staff, case):
    ComplaintPolicy.objects.update(max_rounds=1)
    case = cs.walk_to(case, "awaiting_response", staff)
    case = rounds.complaint_not_satisfied(actor=staff.handler, case=case, reason="不认可")
    complaint = Complaint.objects.get(case=case)
    assert (complaint.round, complaint.escalation_level) == (2, 1)
    event = case.events.get(action="not_satisfied")
    assert event.data == {"round": 2, "escalated": True, "level": 1}
    told = Notification.objects.filter(template_key="complaint.escalated")
    assert sorted(told.values_list("recipient_user__username", flat=True).distinct()) == [
        staff.supervisor.username
    ]
    assert clocks(case) == [("acknowledge", "met"), ("reply_1", "met"), ("reply_2", "running")]
    # The next round goes to the management.
    case = cs.report(staff.responder, case)
    case = cs.reply(staff.handler, case)
    case = rounds.complaint_not_satisfied(actor=staff.handler, case=case, reason="仍不认可")
    assert Complaint.objects.get(case=case).escalation_level == 2
    assert not handling.may_escalate(case, staff.supervisor)


def test_not_satisfied_refusals(staff, case):
    case = cs.walk_to(case, "awaiting_response", staff)
    refused(
        InvalidInput,
        "required",
        lambda: rounds.complaint_not_satisfied(actor=staff.handler, case=case, reason=""),
        case,
    )
    Complaint.objects.filter(case=case).update(round=ROUNDS_LIMIT)
    ComplaintRound.objects.filter(complaint__case=case).update(number=ROUNDS_LIMIT)
    assert not rounds.may_open_round(Case.objects.get(pk=case.pk), staff.handler)
    refused(
        InvalidInput,
        "rounds_limit",
        lambda: rounds.complaint_not_satisfied(actor=staff.handler, case=case, reason="x"),
        case,
    )


def test_satisfied_starts_the_follow_up_clock(staff, case):
    case = cs.walk_to(case, "resolving", staff)
    current = ComplaintRound.objects.get(complaint__case=case)
    assert (current.response, current.response_by) == ("satisfied", staff.handler)
    assert ("follow_up", "running") in clocks(case)


# --- escalation by hand -----------------------------------------------------------------


def test_a_supervisor_escalates_by_hand(staff, case):
    assert handling.may_escalate(case, staff.supervisor)
    case = handling.complaint_escalate(actor=staff.supervisor, case=case, reason="媒体关注")
    assert (case.status, Complaint.objects.get(case=case).escalation_level) == ("registered", 1)
    assert case.events.get(action="escalate").data == {"from": 0, "to": 1}
    assert Notification.objects.filter(
        template_key="complaint.escalated", recipient_user=staff.supervisor
    ).exists()


def test_escalate_refusals(staff, case):
    refused(
        NotPermitted,
        None,
        lambda: handling.complaint_escalate(actor=staff.handler, case=case, reason="x"),
        case,
    )
    refused(
        InvalidInput,
        "required",
        lambda: handling.complaint_escalate(actor=staff.supervisor, case=case, reason=""),
        case,
    )
    Complaint.objects.filter(case=case).update(escalation_level=2)
    refused(
        InvalidInput,
        "escalation_top",
        lambda: handling.complaint_escalate(actor=staff.supervisor, case=case, reason="x"),
        case,
    )


# --- the plan and its measures ------------------------------------------------------------


def test_plan_and_measure_refusals(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    department = staff.responder.staff_profile.department
    refused(
        InvalidInput,
        "required",
        lambda: plan.complaint_plan(
            actor=staff.responder, case=case, department=department, owner=None, summary="x"
        ),
        case,
    )
    gone = UserFactory(username="gone")
    gone.is_active = False
    gone.save()
    refused(
        InvalidInput,
        "user_inactive",
        lambda: cs.add_measure(staff.responder, case, gone),
        case,
    )
    refused(
        InvalidInput,
        "measure_deadline_past",
        lambda: cs.add_measure(
            staff.responder, case, staff.responder, deadline=cs.days_from_today(-1)
        ),
        case,
    )
    assert not plan.may_mark_measure_done(case, staff.responder)


def test_measure_done_refusals(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    case = cs.add_measure(staff.responder, case, staff.responder)
    measure = cs.the_measure(case)
    other = cs.register(staff.clerk, contact_name="李四")
    other = handling.complaint_acknowledge(actor=staff.handler, case=other)
    refused(
        InvalidInput,
        "measure_invalid",
        lambda: plan.complaint_measure_done(
            actor=staff.responder, case=other, measure=measure, note="x"
        ),
        other,
    )
    refused(
        InvalidInput,
        "required",
        lambda: plan.complaint_measure_done(
            actor=staff.responder, case=case, measure=measure, note=""
        ),
        case,
    )
    case = plan.complaint_measure_done(
        actor=staff.responder, case=case, measure=measure, note="已完成"
    )
    refused(
        InvalidInput,
        "measure_done_already",
        lambda: plan.complaint_measure_done(
            actor=staff.responder, case=case, measure=measure, note="again"
        ),
        case,
    )
    assert case.events.get(action="measure_done").data == {
        "measure": measure.pk,
        "description": "对维修班组进行维修质量教育",
        "late": False,
    }


# --- follow-up and closure ----------------------------------------------------------------


def test_closure_needs_every_measure_done_and_the_follow_up(staff, case):
    case = handling.complaint_acknowledge(actor=staff.handler, case=case)
    case = cs.add_measure(staff.responder, case, staff.responder)
    case = cs.report(staff.responder, case)
    case = cs.reply(staff.handler, case)
    case = rounds.complaint_satisfied(actor=staff.handler, case=case)

    def close():
        return closing.complaint_close(actor=staff.handler, case=case, lessons="经验")

    error = refused(InvalidInput, "measures_open", close, case)
    assert error.details == {"measures": [cs.the_measure(case).pk]}
    case = plan.complaint_measure_done(
        actor=staff.responder, case=case, measure=cs.the_measure(case), note="已落实"
    )
    refused(InvalidInput, "follow_up_required", close, case)
    case = closing.complaint_follow_up(actor=staff.handler, case=case, note="满意", satisfaction=5)
    refused(
        InvalidInput,
        "required",
        lambda: closing.complaint_close(actor=staff.handler, case=case, lessons=""),
        case,
    )
    case = close()
    assert case.status == "closed"


def test_follow_up_refusals(staff, case):
    case = cs.walk_to(case, "resolving", staff)
    refused(
        InvalidInput,
        "invalid_satisfaction",
        lambda: closing.complaint_follow_up(
            actor=staff.handler, case=case, note="x", satisfaction=6
        ),
        case,
    )
    refused(
        InvalidInput,
        "required",
        lambda: closing.complaint_follow_up(
            actor=staff.handler, case=case, note="", satisfaction=3
        ),
        case,
    )
    case = closing.complaint_follow_up(actor=staff.handler, case=case, note="好", satisfaction=3)
    assert not closing.may_follow_up(case, staff.handler)
    refused(
        InvalidInput,
        "follow_up_recorded",
        lambda: closing.complaint_follow_up(
            actor=staff.handler, case=case, note="y", satisfaction=5
        ),
        case,
    )


def test_withdraw_cancels_the_clocks(staff, case):
    case = handling.complaint_withdraw(actor=staff.handler, case=case, reason="投诉人撤回")
    assert case.status == "withdrawn"
    assert {state for _milestone, state in clocks(case)} == {"cancelled"}


def test_a_responder_cannot_take_the_handler_s_moves(staff, case):
    case = cs.walk_to(case, "awaiting_response", staff)
    for call in (
        lambda: rounds.complaint_satisfied(actor=staff.responder, case=case),
        lambda: rounds.complaint_not_satisfied(actor=staff.responder, case=case, reason="x"),
    ):
        refused(NotPermitted, None, call, case)
    assert UserFactory(username="x", role=Role.INTAKE_CLERK).has_perm("complaints.intake_complaint")

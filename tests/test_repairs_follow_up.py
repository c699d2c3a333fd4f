"""After the repair: the follow-up call (closed, or referred to the responsible department
on a low score or a complaint; unanswered calls tried again) and the repair pass rate (a
repeat of the same fault at the same premise within 30 days marks the first repair
failed)."""

from datetime import timedelta

import pytest

from tests.factories import DepartmentFactory, PremiseFactory
from tests.fieldwork_support import crew_with_member
from tests.repairs_support import (
    dispatcher,
    hotline,
    local,
    report,
    the_order,
    tuesday,
    walk_to_arrived,
    walk_to_signed_off,
)
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.repairs.models import FollowUp, Repair
from waterdesk.repairs.services.dispatch import repair_dispatch
from waterdesk.repairs.services.follow_up import repair_follow_up
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "hotline", "tuesday"]


@pytest.fixture
def completed(hotline, dispatcher, tuesday):
    """A leak at a premise, repaired: completed on Tuesday 10 March at 11:35."""
    crew, member = crew_with_member("east", "crew-east", mobile="13700000001")
    premise = PremiseFactory(address="城北区解放路20号")

    def make(**fields) -> Case:
        case = report(hotline, address="", premise=premise, **fields)
        case = repair_dispatch(actor=dispatcher, case=case, crew=crew)
        order = walk_to_arrived(member, the_order(case), tuesday)
        walk_to_signed_off(member, order, tuesday)
        case.refresh_from_db()
        assert case.status == "completed"
        return case

    make.premise = premise
    return make


def test_a_follow_up_call_closes_the_repair(hotline, completed, tuesday):
    case = completed()
    clock = SlaClock.objects.get(case=case, milestone="follow_up")
    assert clock.due_at == local(2026, 3, 13, 11, 35)  # 3 days after completion
    tuesday.shift(timedelta(days=1))

    case = repair_follow_up(
        actor=hotline, case=case, outcome="reached", satisfaction=4, comments="师傅很专业"
    )

    assert (case.status, case.closed_at) == ("closed", local(2026, 3, 11, 11, 35))
    call = FollowUp.objects.get(repair__case=case)
    assert (call.outcome, call.satisfaction, call.referred, call.called_by) == (
        "reached",
        4,
        False,
        hotline,
    )
    clock.refresh_from_db()
    assert clock.state == "met"
    assert not case.events.filter(action="referred").exists()


@pytest.mark.parametrize(
    ("satisfaction", "comments", "data"),
    [
        (2, "", {"satisfaction": 2, "words": []}),
        (
            5,
            "维修还行，但我要投诉接线员态度不好",
            {"satisfaction": 5, "words": ["投诉", "态度不好"]},
        ),
    ],
)
def test_a_low_score_or_a_complaint_goes_to_the_responsible_department(
    hotline, completed, satisfaction, comments, data
):
    case = completed()
    department = DepartmentFactory(code="repair", name="管网维修部")
    Case.objects.filter(pk=case.pk).update(department=department)

    case = repair_follow_up(
        actor=hotline, case=case, outcome="reached", satisfaction=satisfaction, comments=comments
    )

    assert case.status == "closed"
    assert FollowUp.objects.get(repair__case=case).referred is True
    referred = case.events.get(action="referred")
    assert (referred.actor, referred.note, referred.data) == (
        hotline,
        comments,
        {"department": "管网维修部", "department_code": "repair", **data},
    )


def test_unanswered_calls_are_tried_again_and_the_third_closes(hotline, completed, tuesday):
    case = completed()
    for attempt in (1, 2):
        case = repair_follow_up(actor=hotline, case=case, outcome="not_reached")
        assert case.status == "completed"
        assert case.events.filter(action="follow_up_attempt").count() == attempt
    case = repair_follow_up(actor=hotline, case=case, outcome="not_reached", comments="多次未接")
    assert case.status == "closed"
    assert FollowUp.objects.filter(repair__case=case, referred=False).count() == 3


def test_bad_follow_ups_are_refused_with_nothing_changed(hotline, dispatcher, completed):
    case = completed()
    before = (FollowUp.objects.count(), CaseEvent.objects.count())
    refusals = [
        ({"outcome": "reached"}, "satisfaction_required"),
        ({"outcome": "reached", "satisfaction": 6}, "invalid_satisfaction"),
        ({"outcome": "not_reached", "satisfaction": 3}, "satisfaction_not_allowed"),
        ({"outcome": "maybe"}, "invalid_outcome"),
    ]
    for fields, code in refusals:
        with pytest.raises(InvalidInput) as refused:
            repair_follow_up(actor=hotline, case=case, **fields)
        assert refused.value.code == code
    with pytest.raises(NotPermitted):
        repair_follow_up(actor=dispatcher, case=case, outcome="reached", satisfaction=5)
    assert (FollowUp.objects.count(), CaseEvent.objects.count()) == before
    case.refresh_from_db()
    assert case.status == "completed"


def test_no_follow_up_before_completion(hotline):
    case = report(hotline)
    with pytest.raises(IllegalTransition):
        repair_follow_up(actor=hotline, case=case, outcome="reached", satisfaction=5)


def test_a_repeat_fault_within_30_days_marks_the_first_repair_failed(hotline, completed, tuesday):
    first = completed()

    tuesday.shift(timedelta(days=29))
    repeat = report(hotline, address="", premise=completed.premise, description="又漏了")

    # The completed repair is not a duplicate: the repeat is a new repair.
    assert repeat.pk != first.pk
    repair = Repair.objects.get(case=first)
    assert (repair.failed, repair.failed_by) == (True, repeat)
    marked = first.events.get(action="marked_failed")
    assert (marked.actor, marked.data) == (hotline, {"case": repeat.number, "days": 30})
    assert repeat.events.get(action="repeat_of").data == {"case": first.number}


def test_no_failure_after_30_days_or_for_another_fault(hotline, completed, tuesday):
    first = completed()

    tuesday.shift(timedelta(days=30, minutes=1))
    report(hotline, address="", premise=completed.premise)
    report(hotline, address="", premise=completed.premise, fault_code="meter_fault")

    repair = Repair.objects.get(case=first)
    assert (repair.failed, repair.failed_by) == (False, None)
    assert not first.events.filter(action="marked_failed").exists()

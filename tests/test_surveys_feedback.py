"""A low score opens one follow-up case (回访跟进): by the system, routed to the survey's
department, with its 2-working-day clock, resolved with a note by a supervisor or a
complaint handler; a good score opens none."""

from datetime import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, UserFactory
from tests.surveys_support import closed_inquiry, survey_every, token_of
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla.models import SlaClock
from waterdesk.surveys.models import Feedback, Survey, SurveyPolicy
from waterdesk.surveys.services import feedback_resolve, survey_answer

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def counter():
    return DepartmentFactory(code="counter", name="营业厅")


@pytest.fixture
def clerk(counter):
    return UserFactory(username="fb-clerk", role=Role.INTAKE_CLERK, department=counter)


@pytest.fixture
def surveyed(clerk):
    survey_every("inquiry")
    with time_machine.travel(MONDAY, tick=False):
        return closed_inquiry(clerk)


def answer(case, score, comment="") -> Survey:
    with time_machine.travel(MONDAY, tick=False):
        return survey_answer(token=token_of(case), score=score, comment=comment)


def test_a_low_score_opens_one_follow_up_in_the_surveys_department(surveyed, counter):
    survey = answer(surveyed, 2, "答复含糊")
    follow_up = Case.objects.get(kind="feedback")
    assert follow_up.number.startswith("HF-20260302-")
    assert (follow_up.status, follow_up.channel, follow_up.opened_by) == ("open", "system", None)
    assert (follow_up.department, follow_up.contact_phone) == (counter, "13800138000")
    assert follow_up.summary == "满意度评价 2 分：答复含糊"
    assert Feedback.objects.get(case=follow_up).survey == survey
    assert list(follow_up.events.values_list("action", "data")) == [
        ("open", {"channel": "system", "priority": "normal"}),
        ("low_score", {"score": 2, "case": surveyed.number}),
    ]
    clock = SlaClock.objects.get(case=follow_up)
    assert clock.milestone == "resolve"
    assert clock.due_at == datetime(2026, 3, 4, 17, 30, tzinfo=LOCAL_TZ)  # 2 working days


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_good_score_opens_none(surveyed, score):
    answer(surveyed, score)
    assert not Case.objects.filter(kind="feedback").exists()


def test_the_low_score_is_the_policys(surveyed):
    SurveyPolicy.objects.filter(case_kind="inquiry").update(low_score=3)
    answer(surveyed, 3)
    assert Case.objects.filter(kind="feedback").count() == 1


def test_bad_answers_are_refused_and_change_nothing(surveyed):
    for score in (0, 6, "x", None):
        with pytest.raises(InvalidInput) as refused:
            answer(surveyed, score)
        assert refused.value.code == "invalid_score"
    with pytest.raises(InvalidInput) as refused:
        answer(surveyed, 4, "很" * 501)
    assert refused.value.code == "too_long"
    assert Survey.objects.get(case=surveyed).answered_at is None
    assert not Case.objects.filter(kind="feedback").exists()


def test_a_supervisor_or_complaint_handler_resolves_it(surveyed):
    answer(surveyed, 1, "态度差")
    follow_up = Case.objects.get(kind="feedback")
    clerk = UserFactory(username="fb-other-clerk", role=Role.INTAKE_CLERK)
    events = CaseEvent.objects.count()
    with pytest.raises(NotPermitted):
        feedback_resolve(actor=clerk, case=follow_up, note="已回访")
    handler = UserFactory(username="fb-handler", role=Role.COMPLAINT_HANDLER)
    with pytest.raises(InvalidInput):
        feedback_resolve(actor=handler, case=follow_up, note="  ")
    assert CaseEvent.objects.count() == events
    with time_machine.travel(MONDAY.replace(day=3), tick=False):
        resolved = feedback_resolve(
            actor=handler, case=follow_up, note="已电话回访致歉，客户表示理解"
        )
    assert (resolved.status, resolved.is_open) == ("done", False)
    detail = Feedback.objects.get(case=follow_up)
    assert (detail.note, detail.resolved_by) == ("已电话回访致歉，客户表示理解", handler)
    assert SlaClock.objects.get(case=follow_up).state == "met"
    supervisor = UserFactory(username="fb-sup", role=Role.SUPERVISOR)
    with pytest.raises(IllegalTransition):
        feedback_resolve(actor=supervisor, case=follow_up, note="再次回访")
    assert not Survey.objects.filter(case=follow_up).exists()  # no survey of a follow-up


def test_the_follow_up_page_and_its_action(surveyed):
    answer(surveyed, 1, "态度差")
    follow_up = Case.objects.get(kind="feedback")
    supervisor = UserFactory(username="fb-page-sup", role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("workbench:case", args=[follow_up.public_id]))
    assert page.status_code == 200
    assert 'id="feedback"' in page.text and "态度差" in page.text and surveyed.number in page.text
    done = client.post(
        reverse("workbench:case_action", args=[follow_up.public_id, "resolve"]),
        {"resolve-note": "已上门致歉"},
    )
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "done"
    surveyed_page = client.get(reverse("workbench:case", args=[surveyed.public_id]))
    assert follow_up.number in surveyed_page.text  # the survey panel links the follow-up

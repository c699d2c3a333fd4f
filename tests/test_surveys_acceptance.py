"""Issue 12, satisfaction surveys: a survey token works once; the score lands on the case
and its department. A second use of the link is refused with a clear page and changes
nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DepartmentFactory, UserFactory
from tests.surveys_support import closed_inquiry, invitation, survey_every, token_of
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.roles import Role
from waterdesk.notify.models import Notification
from waterdesk.surveys.models import Feedback, Survey
from waterdesk.surveys.selectors import (
    survey_department_average,
    survey_score_of_case,
    survey_scores_by_department,
)
from waterdesk.surveys.services import SurveyAlreadyAnswered, survey_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter():
    return DepartmentFactory(code="counter", name="营业厅")


@pytest.fixture
def clerk(counter):
    return UserFactory(username="sv-clerk", role=Role.INTAKE_CLERK, department=counter)


def snapshot() -> tuple:
    return (
        list(Survey.objects.values_list("pk", "score", "comment", "answered_at")),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Feedback.objects.count(),
        Notification.objects.count(),
    )


def test_a_token_works_once_and_the_score_lands_on_the_case_and_its_department(
    clerk, counter, django_capture_on_commit_callbacks
):
    survey_every("inquiry")
    with django_capture_on_commit_callbacks(execute=True):
        case = closed_inquiry(clerk)
    survey = Survey.objects.get(case=case)
    assert (survey.department, survey.staff, survey.case_kind) == (counter, clerk, "inquiry")
    sms = invitation(case)
    assert (sms.channel, sms.recipient_address) == ("sms", "13800138000")
    token = token_of(case)
    assert survey.token_hash != token and token not in survey.token_hash

    page = reverse("portal:survey", kwargs={"token": token})
    client = Client()
    shown = client.get(page)
    assert shown.status_code == 200
    assert "业务咨询" in shown.text and case.number not in shown.text
    assert case.number[-4:] in shown.text and "张三" not in shown.text

    answered = client.post(page, {"score": "4", "comment": "答复清楚"})
    assert answered.status_code == 200 and "评价已提交，感谢您的评价" in answered.text
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "答复清楚")
    assert survey_score_of_case(case) == 4
    rows = survey_scores_by_department()
    assert [(r.label, r.sent, r.answered, str(r.average), r.distribution) for r in rows] == [
        ("营业厅", 1, 1, "4.00", (0, 0, 0, 1, 0))
    ]
    assert str(survey_department_average(counter)) == "4.00"

    before = snapshot()
    again = client.post(page, {"score": "1", "comment": "改成差评"})
    assert again.status_code == 409
    assert "该问卷已提交，感谢您的评价" in again.text
    assert snapshot() == before
    with pytest.raises(SurveyAlreadyAnswered):
        survey_answer(token=token, score=1, comment="改成差评")
    assert snapshot() == before
    assert survey_score_of_case(case) == 4
    shown_again = client.get(page)
    assert shown_again.status_code == 200 and "该问卷已提交，感谢您的评价" in shown_again.text
    assert 'id="survey-form"' not in shown_again.text


def test_the_case_page_shows_the_score_to_whoever_sees_the_case(clerk):
    survey_every("inquiry")
    case = closed_inquiry(clerk)
    survey_answer(token=token_of(case), score=5, comment="很满意")
    supervisor = UserFactory(username="sv-sup", role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("workbench:case", args=[case.public_id]))
    assert page.status_code == 200
    assert 'id="survey-panel"' in page.text
    assert "5 / 5" in page.text and "很满意" in page.text


def test_an_unsurveyed_case_has_no_panel_and_no_score(clerk):
    survey_every("inquiry")
    case = closed_inquiry(clerk, phone="010-12345678")  # no mobile to text
    assert not Survey.objects.exists()
    assert survey_score_of_case(case) is None
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("workbench:case", args=[case.public_id]))
    assert page.status_code == 200 and 'id="survey-panel"' not in page.text

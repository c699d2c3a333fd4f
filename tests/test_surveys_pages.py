"""The survey pages: the public page's refusals (expired, unknown, rate-limited) and the
supervisors' results with their Excel file (a clerk is refused)."""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import DepartmentFactory, UserFactory
from tests.surveys_support import closed_inquiry, survey_every, token_of
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.surveys.models import Survey
from waterdesk.surveys.selectors import survey_scores_by_kind, survey_scores_by_staff
from waterdesk.surveys.services import survey_answer

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
APRIL = datetime(2026, 4, 1, 10, 0, tzinfo=LOCAL_TZ)


def page_of(token: str) -> str:
    return reverse("portal:survey", kwargs={"token": token})


@pytest.fixture
def clerk():
    return UserFactory(username="pg-clerk", role=Role.INTAKE_CLERK)


def test_an_expired_link_is_refused_and_changes_nothing(clerk):
    survey_every("inquiry")
    with time_machine.travel(MARCH, tick=False):
        case = closed_inquiry(clerk)
    token = token_of(case)
    with time_machine.travel(MARCH + timedelta(days=15), tick=False):
        shown = Client().get(page_of(token))
        posted = Client().post(page_of(token), {"score": "5"})
    assert shown.status_code == posted.status_code == 410
    assert "该问卷链接已过期" in shown.text and "该问卷链接已过期" in posted.text
    assert Survey.objects.get(case=case).answered_at is None


def test_an_unknown_link_is_not_found():
    response = Client().get(page_of("no-such-token-at-all"))
    assert response.status_code == 404 and "问卷链接无效" in response.text


def test_an_invalid_answer_shows_the_form_again(clerk):
    survey_every("inquiry")
    case = closed_inquiry(clerk)
    response = Client().post(page_of(token_of(case)), {"score": "9"})
    assert response.status_code == 400 and 'id="survey-form"' in response.text
    assert Survey.objects.get(case=case).answered_at is None


def test_submissions_are_limited_per_client_address(clerk, settings):
    settings.WATERDESK_PUBLIC_LOOKUP_LIMIT = 2
    survey_every("inquiry")
    case = closed_inquiry(clerk)
    client = Client()
    page = page_of(token_of(case))
    assert [client.post(page, {"score": "9"}).status_code for _ in range(2)] == [400, 400]
    limited = client.post(page, {"score": "5"})
    assert limited.status_code == 429 and "提交过于频繁" in limited.text
    assert Survey.objects.get(case=case).answered_at is None
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(page, {"score": "5"}).status_code == 200


@pytest.fixture
def results(clerk):
    """Two departments' surveys in March and April: 5 and 3 at the counter, 1 at billing
    (a follow-up), one unanswered."""
    survey_every("inquiry")
    billing = DepartmentFactory(code="billing_dept", name="收费科")
    cashier = UserFactory(username="pg-billing", role=Role.INTAKE_CLERK, department=billing)
    with time_machine.travel(MARCH, tick=False):
        first, second = closed_inquiry(clerk), closed_inquiry(clerk)
        survey_answer(token=token_of(first), score=5)
        survey_answer(token=token_of(second), score=3)
    with time_machine.travel(APRIL, tick=False):
        third, _unanswered = closed_inquiry(cashier), closed_inquiry(cashier)
        survey_answer(token=token_of(third), score=1, comment="等太久")
    return {"clerk": clerk, "cashier": cashier}


def test_the_results_by_staff_and_kind(results):
    staff = [(r.key, r.sent, r.answered, str(r.average)) for r in survey_scores_by_staff()]
    assert staff == [(results["clerk"].pk, 2, 2, "4.00"), (results["cashier"].pk, 2, 1, "1.00")]
    (kind,) = survey_scores_by_kind()
    assert (kind.label, kind.sent, kind.answered, str(kind.average)) == ("业务咨询", 4, 3, "3.00")
    assert kind.distribution == (1, 0, 1, 0, 1)
    assert str(kind.response_rate) == "75.0"


def test_a_supervisor_reads_the_results_and_a_clerk_is_refused(results, clerk):
    supervisor = UserFactory(username="pg-sup", role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("workbench:survey_results"))
    assert page.status_code == 200
    text = page.text
    assert "收费科" in text and "2026-03" in text and "2026-04" in text
    march = client.get(
        reverse("workbench:survey_results"), {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert "2026-04" not in march.text and "4.00" in march.text
    refused = Client()
    refused.force_login(clerk)
    assert refused.get(reverse("workbench:survey_results")).status_code == 403
    assert refused.get(reverse("workbench:survey_results_xlsx")).status_code == 403


def test_the_excel_file(results):
    supervisor = UserFactory(username="pg-sup-x", role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    response = client.get(reverse("workbench:survey_results_xlsx"))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["按部门", "按人员", "按业务类型", "按月份"]
    rows = list(book["按月份"].iter_rows(values_only=True))
    assert rows == [
        (
            "月份",
            "发送数",
            "回复数",
            "回复率（%）",
            "平均分",
            "1 分",
            "2 分",
            "3 分",
            "4 分",
            "5 分",
        ),
        ("2026-03", 2, 2, 100, 4, 0, 0, 1, 0, 1),
        ("2026-04", 2, 1, 50, 1, 1, 0, 0, 0, 0),
    ]

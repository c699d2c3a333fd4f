"""Staff pages: access for the allowed role, other roles and anonymous users; my queue,
the supervisor page, customer search, the case page, attachments and the receipt PDF."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from tests.clients import client_for
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    UserFactory,
    registered_new_connection,
)
from waterdesk.cases.models import Attachment, CaseEvent
from waterdesk.core.roles import Role
from waterdesk.sla.models import CalendarYear
from waterdesk.sla.selectors import provisional_years
from waterdesk.workbench.context import workbench

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
WEDNESDAY_2PM = datetime(2026, 3, 11, 14, 0, tzinfo=SHANGHAI)
WEDNESDAY_3PM = datetime(2026, 3, 11, 15, 0, tzinfo=SHANGHAI)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


def register(clerk, *, at, materials=("id_card", "property_certificate"), **overrides):
    with time_machine.travel(at, tick=False):
        return registered_new_connection(clerk, materials_received=list(materials), **overrides)


@pytest.fixture
def cases(clerk):
    """At Wednesday 15:00: one overdue, one at risk, one on track, one paused."""
    return {
        "overdue": register(clerk, at=MONDAY),  # contact due Tuesday 17:30
        "at_risk": register(clerk, at=TUESDAY),  # contact due Wednesday 17:30, 83 % used
        "on_track": register(clerk, at=WEDNESDAY_2PM),  # contact due Thursday 17:30
        "paused": register(clerk, at=WEDNESDAY_2PM, materials=["id_card"]),
    }


def numbers(rows) -> list[str]:
    return [row.case.number for row in rows]


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "allowed", "refused"),
    [
        ("workbench:queue", "clerk", "outsider"),
        ("workbench:intake", "clerk", "reviewer"),
        ("workbench:customers", "surveyor", "outsider"),
        ("workbench:supervisor", "supervisor", "clerk"),
    ],
)
def test_page_access(client, request, url_name, allowed, refused):
    url = reverse(url_name)
    assert client.get(url).status_code == 302
    assert client.get(url)["Location"] == f"/login/?next={url}"

    client.force_login(request.getfixturevalue(refused))
    response = client.get(url)
    assert response.status_code == 403
    assert "您没有执行此操作的权限。" in response.content.decode()

    client.force_login(request.getfixturevalue(allowed))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "username", ["clerk", "surveyor", "reviewer", "approver", "supervisor", "administrator"]
)
def test_every_role_has_a_queue(client, request, username):
    client.force_login(request.getfixturevalue(username))
    assert client.get(reverse("workbench:queue")).status_code == 200


def test_case_page_access(client, clerk, reviewer, outsider):
    case = register(clerk, at=TUESDAY)
    url = reverse("workbench:case", args=[case.public_id])
    assert client.get(url)["Location"] == f"/login/?next={url}"

    client.force_login(outsider)
    assert client.get(url).status_code == 403

    # A reviewer of another department: the registered case is not in their scope.
    stranger = UserFactory(
        username="stranger",
        role=Role.REVIEWER,
        department=DepartmentFactory(code="south", name="城南营业所"),
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404

    client.force_login(reviewer)  # same department: may look, may not act
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["actions"] == []

    client.force_login(clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert [p.action for p in response.context["actions"]] == ["assign_survey", "withdraw"]


def test_a_case_outside_the_scope_is_403_in_the_own_department_and_404_elsewhere(
    client, clerk, reader
):
    """A meter reader of the clerk's department may know the department's new connection
    exists (403, saying why and whom to ask); a reviewer of another department may not
    (404, as for a case that does not exist). The API answers alike."""
    case = register(clerk, at=TUESDAY)
    stranger = UserFactory(
        username="stranger",
        role=Role.REVIEWER,
        department=DepartmentFactory(code="south", name="城南营业所"),
    )
    page = reverse("workbench:case", args=[case.public_id])
    api = f"/api/cases/{case.public_id}/"

    client.force_login(reader)
    refused = client.get(page)
    assert refused.status_code == 403
    assert "该工单属于本部门，但不在您的办理范围内" in refused.content.decode()
    assert "请联系服务监督员或工单经办人" in refused.content.decode()
    response = client_for(reader).get(api)
    assert (response.status_code, response.json()["code"]) == (403, "case_not_in_scope")

    client.force_login(stranger)
    assert client.get(page).status_code == 404
    response = client_for(stranger).get(api)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")

    # Neither learns anything else: an unknown id is 404 for both.
    unknown = reverse("workbench:case", args=["00000000-0000-4000-8000-000000000000"])
    for user in (reader, stranger):
        client.force_login(user)
        assert client.get(unknown).status_code == 404


def test_chinese_data_is_marked_only_in_pages_of_another_language():
    template = Template("{% load workbench_tags %}{{ name|zh_text }}|{{ word|zh_text }}")
    context = Context({"name": "李建华<b>", "word": "Residential"})
    with translation.override("en"):
        assert template.render(context) == '<span lang="zh-Hans">李建华&lt;b&gt;</span>|Residential'
    with translation.override("zh-hans"):
        assert template.render(context) == "李建华&lt;b&gt;|Residential"


def test_case_page_for_an_unknown_case_is_404(client, clerk):
    client.force_login(clerk)
    url = reverse("workbench:case", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(url).status_code == 404


def test_case_action_by_anonymous_user_redirects_and_changes_nothing(client, clerk, surveyor):
    case = register(clerk, at=TUESDAY)
    url = reverse("workbench:case_action", args=[case.public_id, "assign_survey"])

    response = client.post(url, {"assign_survey-surveyor": surveyor.pk})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    case.refresh_from_db()
    assert case.status == "registered"
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["open"]


# --- my queue -------------------------------------------------------------------------


def test_queue_highlights_overdue_and_at_risk_cases(client, clerk, cases):
    client.force_login(clerk)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(reverse("workbench:queue"))

    assert response.status_code == 200
    rows = response.context["rows"]
    by_number = {row.case.number: row for row in rows}
    assert numbers(rows) == [
        cases["overdue"].number,
        cases["at_risk"].number,
        cases["on_track"].number,
        cases["paused"].number,
    ]
    assert response.context["counts"] == {"total": 4, "at_risk": 1, "overdue": 1}
    assert by_number[cases["overdue"].number].css_class == "overdue"
    assert by_number[cases["at_risk"].number].css_class == "at-risk"
    assert by_number[cases["on_track"].number].css_class == ""
    assert by_number[cases["paused"].number].is_paused is True
    assert by_number[cases["at_risk"].number].next_due_at == datetime(
        2026, 3, 11, 17, 30, tzinfo=SHANGHAI
    )
    html = response.content.decode()
    assert f'<tr class="overdue" data-case="{cases["overdue"].number}">' in html
    assert f'<tr class="at-risk" data-case="{cases["at_risk"].number}">' in html
    assert "2026-03-11 17:30" in html  # local time
    assert 'hx-trigger="every 60s"' in html


def test_queue_puts_green_channel_first(client, clerk):
    normal = register(clerk, at=MONDAY)
    green = register(clerk, at=TUESDAY, priority="green", green_channel_reason="医院")
    client.force_login(clerk)
    with time_machine.travel(TUESDAY, tick=False):
        response = client.get(reverse("workbench:queue"))
    assert numbers(response.context["rows"]) == [green.number, normal.number]
    assert "绿色通道" in response.content.decode()


def test_queue_refresh_is_a_partial(client, clerk, cases):
    client.force_login(clerk)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(reverse("workbench:queue"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert cases["overdue"].number in html
    assert "HX-Request" in response["Vary"]


def test_queue_partial_after_logout_redirects_the_whole_page(client):
    response = client.get(reverse("workbench:queue"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/desk/"


def test_queue_of_a_role_without_work_is_empty(client, reviewer, cases):
    client.force_login(reviewer)
    response = client.get(reverse("workbench:queue"))
    assert response.context["rows"] == []
    assert response.context["counts"] == {"total": 0, "at_risk": 0, "overdue": 0}
    html = response.content.decode()
    assert "您名下暂无在办工单；可从下方团队待办中领取。" in html
    assert "暂无待领取的工单。" in html


# --- supervisor -----------------------------------------------------------------------


def test_supervisor_sees_every_open_case_with_counts_per_status(client, supervisor, cases):
    client.force_login(supervisor)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(reverse("workbench:supervisor"))

    assert response.status_code == 200
    assert numbers(response.context["rows"]) == [
        cases["overdue"].number,
        cases["at_risk"].number,
        cases["on_track"].number,
        cases["paused"].number,
    ]
    assert response.context["counts"] == {"total": 4, "at_risk": 1, "overdue": 1}
    assert [(r["value"], r["label"], r["count"]) for r in response.context["status_counts"]] == [
        ("new_connection:materials_pending", "待补材料", 1),
        ("new_connection:registered", "待派勘查", 3),
    ]


def test_supervisor_filter_by_status_is_an_htmx_partial(client, supervisor, cases):
    client.force_login(supervisor)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(
            reverse("workbench:supervisor"),
            {"status": "new_connection:materials_pending", "kind": ""},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert numbers(response.context["rows"]) == [cases["paused"].number]


def test_supervisor_ignores_an_unknown_filter(client, supervisor, cases):
    client.force_login(supervisor)
    response = client.get(reverse("workbench:supervisor"), {"status": "nonsense"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 4


# --- customers ------------------------------------------------------------------------


def test_customer_search_results_are_masked_for_every_role(client, clerk, surveyor):
    customer = CustomerFactory(name="赵六", mobile="13912345678")
    masked = customer.id_number[:6] + "********" + customer.id_number[-4:]

    for user in (surveyor, clerk):
        client.force_login(user)
        html = client.get(reverse("workbench:customers"), {"q": "赵六"}).content.decode()
        assert masked in html
        assert "139****5678" in html
        assert customer.id_number not in html
        assert "13912345678" not in html
    assert "选择" not in html  # no pick buttons outside intake


def test_customer_search_without_match(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("workbench:customer_search"), {"q": "不存在的人"})
    assert response.context["results"] == []
    assert "未找到与“不存在的人”匹配的客户。" in response.content.decode()


def test_customer_search_partial_refused_to_outsiders(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("workbench:customer_search"), {"q": "x"}).status_code == 403


# --- case page ------------------------------------------------------------------------


def test_case_page_shows_clocks_timeline_and_details(client, clerk, cases):
    case = cases["at_risk"]
    client.force_login(clerk)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(reverse("workbench:case", args=[case.public_id]))

    html = response.content.decode()
    assert [
        (clock.milestone, status, years) for clock, status, years in response.context["clocks"]
    ] == [
        ("contact_customer", "at_risk", []),
        ("complete", "on_track", []),
    ]
    assert "联系客户" in html
    assert "全程办结" in html
    assert 'data-clock-status="at_risk">临近超时' in html
    assert [event.action for event in response.context["timeline"]] == ["open"]
    assert "受理登记" in html
    assert case.customer.name in html


def test_case_page_of_a_paused_case_shows_the_notice(client, clerk, cases):
    client.force_login(clerk)
    response = client.get(reverse("workbench:case", args=[cases["paused"].public_id]))
    html = response.content.decode()
    assert "一次性告知书" in html
    assert "房产证明" in html
    assert [status for _clock, status, _years in response.context["clocks"]] == [
        "paused",
        "paused",
    ]


def test_attachment_upload_and_download(client, clerk):
    case = register(clerk, at=TUESDAY)
    client.force_login(clerk)
    upload = SimpleUploadedFile("房产证.pdf", PDF, content_type="application/pdf")

    response = client.post(
        reverse("workbench:attachment_add", args=[case.public_id]),
        {"file": upload, "material_code": "property_certificate"},
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get(case=case)
    assert attachment.original_name == "房产证.pdf"
    assert attachment.material_code == "property_certificate"
    download = client.get(
        reverse("workbench:attachment", args=[case.public_id, attachment.public_id])
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_attachment_of_a_forbidden_type_is_refused(client, clerk):
    case = register(clerk, at=TUESDAY)
    client.force_login(clerk)
    upload = SimpleUploadedFile("note.pdf", b"just text", content_type="application/pdf")

    response = client.post(
        reverse("workbench:attachment_add", args=[case.public_id]), {"file": upload}
    )

    assert response.status_code == 400
    assert "不支持的文件类型，请上传 PDF、JPEG 或 PNG 文件。" in response.content.decode()
    assert not Attachment.objects.exists()
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["open"]


def test_attachment_over_the_limit_is_refused(client, clerk, settings):
    settings.WATERDESK_ATTACHMENT_MAX_BYTES = 10
    case = register(clerk, at=TUESDAY)
    client.force_login(clerk)
    upload = SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")

    response = client.post(
        reverse("workbench:attachment_add", args=[case.public_id]), {"file": upload}
    )

    assert response.status_code == 400
    assert "文件过大" in response.content.decode()
    assert not Attachment.objects.exists()


def test_attachment_upload_refused_without_permission(client, clerk, reviewer):
    case = register(clerk, at=TUESDAY)
    client.force_login(reviewer)
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("workbench:attachment_add", args=[case.public_id]), {"file": upload}
    )
    assert response.status_code == 403
    assert not Attachment.objects.exists()


# --- receipt --------------------------------------------------------------------------


def test_receipt_is_a_pdf_with_the_case_number(client, clerk):
    case = register(clerk, at=TUESDAY)
    client.force_login(clerk)

    response = client.get(reverse("workbench:document", args=[case.public_id, "receipt"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="receipt-{case.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert case.number in text


def test_receipt_access(client, clerk, reviewer, supervisor):
    case = register(clerk, at=TUESDAY)
    url = reverse("workbench:document", args=[case.public_id, "receipt"])
    assert client.get(url)["Location"] == f"/login/?next={url}"
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(supervisor)
    assert client.get(url).status_code == 200


# --- context processor ----------------------------------------------------------------


def test_the_provisional_calendar_banner_is_for_those_who_confirm_the_calendar(
    client, clerk, administrator
):
    CalendarYear.objects.update_or_create(year=2099, defaults={"is_confirmed": False})
    assert 2099 in provisional_years()

    assert 'id="provisional-calendar"' not in client.get(reverse("login")).content.decode()
    client.force_login(clerk)
    assert (
        'id="provisional-calendar"' not in client.get(reverse("workbench:queue")).content.decode()
    )

    client.force_login(administrator)
    response = client.get(reverse("workbench:queue"))
    assert list(response.context["provisional_years"]) == provisional_years()
    html = response.content.decode()
    assert 'id="provisional-calendar"' in html
    years = "、".join(str(year) for year in provisional_years())
    assert f"{years} 年节假日安排尚未确认，落在其中的时限为暂定。" in html


# New Year's Eve 2026: the next deadlines fall in 2027, whose holidays are not confirmed.
NEW_YEARS_EVE = datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)


def test_deadlines_in_a_provisional_year_say_so_beside_them(client, clerk):
    assert CalendarYear.objects.get(year=2027).is_confirmed is False
    assert CalendarYear.objects.get(year=2026).is_confirmed is True
    late = register(clerk, at=NEW_YEARS_EVE)
    early = register(clerk, at=TUESDAY)
    with time_machine.travel(NEW_YEARS_EVE, tick=False):
        client.force_login(clerk)
        queue = client.get(reverse("workbench:queue"))
        page = client.get(reverse("workbench:case", args=[late.public_id]))

    rows = {row.case.number: row.provisional_years for row in queue.context["rows"]}
    assert rows == {late.number: [2027], early.number: []}
    html = queue.content.decode()
    assert html.count('data-provisional="2027"') == 1
    assert "暂定：截止时间落在节假日安排尚未确认的年份，确认后可能调整。" in html
    assert [(clock.milestone, years) for clock, _status, years in page.context["clocks"]] == [
        ("contact_customer", [2027]),
        ("complete", [2027]),
    ]
    assert "暂定：2027 年节假日安排尚未确认，确认后可能调整" in page.content.decode()


def test_provisional_years_are_read_once_per_request_and_only_when_used(
    django_assert_num_queries,
):
    request = RequestFactory().get("/")
    context = workbench(request)
    with django_assert_num_queries(0):
        workbench(request)
    template = Template("{% if provisional_years %}{{ provisional_years|join:',' }}{% endif %}")
    with django_assert_num_queries(1):
        template.render(Context(context))
        template.render(Context(workbench(request)))
    assert "_workbench_provisional_years" in vars(request)


def test_queue_with_time_passing_keeps_counting(client, clerk):
    register(clerk, at=MONDAY)
    client.force_login(clerk)
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        response = client.get(reverse("workbench:queue"))
    assert response.context["counts"] == {"total": 1, "at_risk": 0, "overdue": 1}

"""The inquiry pages walked by an intake clerk: the intake page (answered at once, or recorded
for the department), the case page with its answer and withdraw forms and the links that
turn an open inquiry into an application; refused for roles without the permission."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import CustomerFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.inquiries.models import Inquiry, InquiryCategory
from waterdesk.inquiries.services import inquiry_register
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=LOCAL_TZ)
INTAKE_URL = "/desk/intake/inquiry/"
QUESTION = "上月水费为什么比平时高？"
ANSWER = "上月为两个月合并抄表，账单无误。"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def category(code: str = "billing") -> InquiryCategory:
    return InquiryCategory.objects.get(code=code)


def intake_data(**overrides) -> dict:
    data = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "email": "",
        "customer": "",
        "category": str(category().pk),
        "question": QUESTION,
        "answer": "",
        "priority": "normal",
        "green_channel_reason": "",
    }
    data.update(overrides)
    return data


def recorded(clerk) -> Case:
    return inquiry_register(
        actor=clerk,
        channel="phone",
        contact_name="张三",
        contact_phone="13800138000",
        category=category("connection"),
        question="新房报装需要带什么材料？",
    )


def counts() -> tuple:
    return (
        Case.objects.count(),
        Inquiry.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


# --- intake -------------------------------------------------------------------------------


def test_the_intake_page_is_the_kinds_registered_page(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("workbench:intake_inquiry"))

    assert reverse("workbench:intake_inquiry") == INTAKE_URL
    assert response.status_code == 200
    assert [str(label) for _pk, label in response.context["form"].fields["category"].choices] == [
        "请选择",
        "账单缴费（1 个工作日内答复）",
        "用水报装（1 个工作日内答复）",
        "水质（1 个工作日内答复）",
        "停水（1 个工作日内答复）",
        "其他（1 个工作日内答复）",
    ]
    page = response.content.decode()
    assert 'action="/desk/intake/inquiry/"' in page
    assert f'hx-get="{reverse("workbench:customer_search")}?pick=1"' in page
    # The intake tabs of the shell know the kind from the registry.
    assert f'href="{INTAKE_URL}" aria-current="page"' in page


def test_an_inquiry_answered_at_the_counter_is_registered_and_closed(client, clerk):
    client.force_login(clerk)
    customer = CustomerFactory(name="张三")

    response = client.post(
        INTAKE_URL,
        intake_data(channel="counter", customer=str(customer.public_id), answer=ANSWER),
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert (case.kind, case.status, case.customer, case.closed_at) == (
        "inquiry",
        "answered",
        customer,
        FRIDAY,
    )
    detail = case.inquiry
    assert (detail.answer, detail.answered_by, detail.answered_at, detail.answer_channel) == (
        ANSWER,
        clerk,
        FRIDAY,
        "on_the_spot",
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "已答复并办结，受理编号 ZX-20260306-0001。" in content
    assert 'id="inquiry-answer">上月为两个月合并抄表，账单无误。</dd>' in content
    assert 'id="inquiry-answer-channel">当场答复</dd>' in content
    assert 'id="inquiry-follow-ups"' not in content  # closed: nothing to turn into


def test_a_recorded_inquiry_is_shown_with_its_deadline_and_answer_form(client, clerk):
    client.force_login(clerk)

    response = client.post(INTAKE_URL, intake_data())

    case = Case.objects.get()
    assert (case.status, case.closed_at) == ("awaiting_answer", None)
    page = client.get(response["Location"])
    content = page.content.decode()
    assert "已受理，受理编号 ZX-20260306-0001，请答复部门于 2026-03-09 17:30 前答复。" in content
    assert 'id="inquiry-deadline">2026-03-09 17:30</dd>' in content
    assert 'id="inquiry-reply-channel">短信</dd>' in content
    assert [panel.action for panel in page.context["actions"]] == ["answer", "withdraw"]


def test_the_intake_form_names_a_blank_question(client, clerk):
    client.force_login(clerk)
    before = counts()

    response = client.post(INTAKE_URL, intake_data(question="   "))

    assert response.status_code == 400
    assert response.context["form"].errors["question"] == ["该字段是必填项。"]
    assert counts() == before


def test_a_service_refusal_lands_on_its_field(client, clerk):
    client.force_login(clerk)
    before = counts()

    response = client.post(INTAKE_URL, intake_data(channel="email", contact_phone=""))

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "电子邮件咨询须填写客户的电子邮箱，答复将发送至该邮箱。"
    ]
    assert counts() == before


@pytest.mark.parametrize("role", ["reader", "reviewer", "approver", "billing", "outsider"])
def test_the_intake_page_is_refused_without_the_permission(client, staff, role):
    client.force_login(staff[role])
    before = counts()

    assert client.get(INTAKE_URL).status_code == 403
    assert client.post(INTAKE_URL, intake_data(answer=ANSWER)).status_code == 403
    assert counts() == before


# --- the case page ---------------------------------------------------------------------------


def test_the_clerk_answers_from_the_case_page(client, clerk, _frozen):
    case = recorded(clerk)
    _frozen.shift(timedelta(hours=1))
    client.force_login(clerk)

    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "answer"]),
        {"answer-answer": "请携带身份证和房产证原件。"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_at) == ("answered", FRIDAY + timedelta(hours=1))
    assert list(
        Notification.objects.filter(case=case, template_key="inquiry.answered").values_list(
            "channel", "recipient_address"
        )
    ) == [("sms", "13800138000")]


def test_the_clerk_withdraws_from_the_case_page(client, clerk):
    case = recorded(clerk)
    client.force_login(clerk)

    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "withdraw"]),
        {"withdraw-reason": "客户已在网上营业厅查到答案。"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert case.events.get(action="withdraw").note == "客户已在网上营业厅查到答案。"


def test_an_open_inquiry_links_to_the_application_intake_pages(client, clerk):
    case = recorded(clerk)
    client.force_login(clerk)

    content = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()

    follows = f"?follows={case.public_id}"
    for label, url_name in [
        ("新装开户", "workbench:intake"),
        ("水表过户", "workbench:intake_transfer"),
        ("用水性质变更", "workbench:intake_usage_change"),
    ]:
        assert f'href="{reverse(url_name)}{follows}">转为{label}</a>' in content
    assert f'href="{INTAKE_URL}{follows}"' not in content


def test_the_application_page_opened_from_an_inquiry_converts_it(client, clerk, zone):
    case = recorded(clerk)
    client.force_login(clerk)
    customer = CustomerFactory(name="张三")

    form = client.get(f"{reverse('workbench:intake')}?follows={case.public_id}")
    assert form.context["form"]["contact_name"].value() == "张三"
    assert form.context["form"]["summary"].value() == "新房报装需要带什么材料？"
    response = client.post(
        reverse("workbench:intake"),
        {
            "follows": str(case.public_id),
            "customer": str(customer.public_id),
            "channel": "phone",
            "contact_name": "张三",
            "contact_phone": "13800138000",
            "premise_address": "城北区解放路 18 号",
            "zone": str(zone.pk),
            "district": "城北区",
            "requested_usage": "residential",
            "requested_size_dn": "20",
            "household_size": "3",
            "materials_received": ["id_card", "property_certificate"],
            "priority": "normal",
            "green_channel_reason": "",
            "summary": "新房报装需要带什么材料？",
        },
    )

    assert response.status_code == 302
    case.refresh_from_db()
    application = Case.objects.get(kind="new_connection")
    assert case.status == "converted"
    assert Inquiry.objects.get(case=case).converted_to == application
    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert (
        f'已转为新装开户 <a href="{reverse("workbench:case", args=[application.public_id])}">'
        f"{application.number}</a>"
    ) in page


def test_a_surveyor_answers_but_cannot_withdraw(client, clerk, surveyor):
    case = recorded(clerk)
    client.force_login(surveyor)

    page = client.get(reverse("workbench:case", args=[case.public_id]))
    assert page.status_code == 200
    assert [panel.action for panel in page.context["actions"]] == ["answer"]
    # A surveyor registers no application: no link to turn the inquiry into one.
    assert 'id="inquiry-follow-ups"' not in page.content.decode()
    refused = client.post(
        reverse("workbench:case_action", args=[case.public_id, "withdraw"]),
        {"withdraw-reason": "不需要了"},
    )
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.status == "awaiting_answer"


def test_a_meter_reader_does_not_see_inquiries(client, clerk, reader):
    case = recorded(clerk)
    client.force_login(reader)

    # The department's case: the reader may know it exists, so the page says why not (403).
    page = client.get(reverse("workbench:case", args=[case.public_id]))
    assert page.status_code == 403
    assert "该工单属于本部门，但不在您的办理范围内" in page.content.decode()
    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "answer"]),
        {"answer-answer": ANSWER},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "awaiting_answer"

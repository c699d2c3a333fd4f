"""Inquiries through the REST API: the intake endpoint the shell builds from the kind's
registration (``POST /api/inquiries/``), the answer and withdraw actions, the ``inquiry``
detail of the case — each for the roles allowed and refused, with nothing changed, for the
others."""

from datetime import datetime, timedelta

import pytest
import time_machine

from tests.clients import client_for
from tests.factories import CustomerFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.inquiries.models import Inquiry
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=LOCAL_TZ)
ANSWER = "上月为两个月合并抄表，账单无误。"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def payload(**overrides) -> dict:
    data = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "category": "billing",
        "question": "上月水费为什么比平时高？",
    }
    data.update(overrides)
    return data


def action_url(case_id, action: str) -> str:
    return f"/api/cases/{case_id}/actions/{action}/"


def counts() -> tuple:
    return (
        Case.objects.count(),
        Inquiry.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def registered(staff) -> str:
    response = client_for(staff["clerk"]).post("/api/inquiries/", payload(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["public_id"]


def test_an_inquiry_answered_at_intake(staff):
    customer = CustomerFactory(name="张三")

    response = client_for(staff["clerk"]).post(
        "/api/inquiries/",
        payload(channel="counter", customer=str(customer.public_id), answer=ANSWER),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["kind"], body["status"], body["status_display"]) == (
        "ZX-20260306-0001",
        "inquiry",
        "answered",
        "已答复",
    )
    assert body["closed_at"] == "2026-03-06T10:00:00+08:00"
    assert body["inquiry"] == {
        "category": {"code": "billing", "name": "账单缴费", "reply_days": 1},
        "question": "上月水费为什么比平时高？",
        "email": "",
        "answer": ANSWER,
        "answered_by": {"username": "clerk", "full_name": staff["clerk"].get_full_name()},
        "answered_at": "2026-03-06T10:00:00+08:00",
        "answer_channel": "on_the_spot",
        "converted_to": None,
    }
    assert body["clocks"] == []
    assert body["available_actions"] == []
    assert Notification.objects.count() == 0


def test_the_department_answers_through_the_api(staff, _frozen):
    case_id = registered(staff)
    _frozen.shift(timedelta(hours=3))

    response = client_for(staff["billing"]).post(
        action_url(case_id, "answer"), {"answer": ANSWER}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "answered"
    assert body["inquiry"]["answered_by"]["username"] == "billing"
    assert body["inquiry"]["answer_channel"] == "sms"
    assert [(c["milestone"], c["state"], c["due_at"]) for c in body["clocks"]] == [
        ("answer", "met", "2026-03-09T17:30:00+08:00")
    ]
    case = Case.objects.get(public_id=case_id)
    assert list(
        Notification.objects.filter(case=case)
        .order_by("template_key")
        .values_list("template_key", "channel", "recipient_address")
    ) == [
        ("inquiry.answered", "sms", "13800138000"),
        ("inquiry.registered", "sms", "13800138000"),
    ]


def test_an_open_inquiry_offers_answer_and_withdraw_to_the_clerk(staff):
    case_id = registered(staff)

    body = client_for(staff["clerk"]).get(f"/api/cases/{case_id}/").json()

    assert [a["action"] for a in body["available_actions"]] == ["answer", "withdraw"]
    assert body["inquiry"]["answered_at"] is None
    assert body["new_connection"] is None


def test_the_clerk_withdraws_through_the_api(staff):
    case_id = registered(staff)

    response = client_for(staff["clerk"]).post(
        action_url(case_id, "withdraw"), {"reason": "客户已自行查明。"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"


def test_an_e_mail_address_is_shown_masked(staff):
    response = client_for(staff["clerk"]).post(
        "/api/inquiries/",
        payload(channel="email", contact_phone="", email="zhang.san@example.cn"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["inquiry"]["email"] == "z***@example.cn"


@pytest.mark.parametrize("role", ["reader", "reviewer", "approver", "billing", "surveyor"])
def test_intake_is_refused_for_other_roles(staff, role):
    before = counts()

    response = client_for(staff[role]).post(
        "/api/inquiries/", payload(answer=ANSWER), format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert counts() == before


def test_a_supervisor_sees_the_inquiry_but_may_not_answer_it(staff):
    case_id = registered(staff)
    before = counts()

    supervisor = client_for(staff["supervisor"])
    assert supervisor.get(f"/api/cases/{case_id}/").status_code == 200
    response = supervisor.post(action_url(case_id, "answer"), {"answer": ANSWER}, format="json")

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert counts() == before


def test_the_billing_clerk_may_answer_but_not_withdraw(staff):
    case_id = registered(staff)
    before = counts()

    response = client_for(staff["billing"]).post(
        action_url(case_id, "withdraw"), {"reason": "不需要了"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert counts() == before


@pytest.mark.parametrize("role", ["reader", "outsider"])
def test_roles_outside_the_case_do_not_see_it(staff, role):
    case_id = registered(staff)
    before = counts()

    # A reader of the case's department is told that it is not theirs and shown nothing of
    # it; a user who works no case at all does not learn that it exists.
    expected = (403, "case_not_in_scope") if role == "reader" else (404, "not_found")
    client = client_for(staff[role])
    detail = client.get(f"/api/cases/{case_id}/")
    assert (detail.status_code, detail.json()["code"]) == expected
    response = client.post(action_url(case_id, "answer"), {"answer": ANSWER}, format="json")

    assert (response.status_code, response.json()["code"]) == expected
    assert counts() == before


def test_a_blank_answer_is_refused_naming_the_field(staff):
    case_id = registered(staff)
    before = counts()

    response = client_for(staff["clerk"]).post(
        action_url(case_id, "answer"), {"answer": "  "}, format="json"
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("required", "answer")
    assert counts() == before


def test_a_missing_question_is_refused_by_the_schema(staff):
    before = counts()

    response = client_for(staff["clerk"]).post(
        "/api/inquiries/", payload(question=""), format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert list(body["fields"]) == ["question"]
    assert counts() == before


def test_an_unknown_category_is_refused(staff):
    response = client_for(staff["clerk"]).post(
        "/api/inquiries/", payload(category="tariffs"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["category"]
    assert Case.objects.count() == 0


def test_the_schema_documents_the_intake_and_the_actions(staff):
    schema = client_for(staff["clerk"]).get("/api/schema/?format=json").json()

    intake = schema["paths"]["/api/inquiries/"]["post"]
    assert intake["summary"] == "Register an inquiry (业务咨询)"
    body = intake["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/InquiryIntake"
    assert "/api/cases/{public_id}/actions/answer/" in schema["paths"]
    assert "inquiry" in schema["components"]["schemas"]["CaseDetail"]["properties"]


def test_an_application_registered_through_the_api_follows_the_inquiry(staff, zone):
    from tests.test_api_new_connection import intake_payload

    inquiry_id = registered(staff)
    clerk = client_for(staff["clerk"])

    response = clerk.post(
        "/api/new-connections/", intake_payload(follows=inquiry_id), format="json"
    )

    assert response.status_code == 201, response.json()
    application = Case.objects.get(public_id=response.json()["public_id"])
    inquiry = Case.objects.get(public_id=inquiry_id)
    assert (inquiry.status, inquiry.closed_at is not None) == ("converted", True)
    assert inquiry.inquiry.converted_to == application
    assert list(application.events.filter(action="follows").values_list("data", flat=True)) == [
        {"case": inquiry.number, "kind": "inquiry"}
    ]
    assert list(inquiry.events.filter(action="followed_up").values_list("data", flat=True)) == [
        {"case": application.number, "kind": "new_connection"}
    ]


def test_an_application_cannot_follow_an_unknown_case(staff, zone):
    from tests.test_api_new_connection import intake_payload

    clerk = client_for(staff["clerk"])
    before = counts()

    response = clerk.post(
        "/api/new-connections/",
        intake_payload(follows="00000000-0000-4000-8000-000000000000"),
        format="json",
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid_follow_up", "follows")
    assert counts() == before


def test_an_application_following_an_answered_inquiry_leaves_it_answered(staff, zone):
    from tests.test_api_new_connection import intake_payload

    clerk = client_for(staff["clerk"])
    answered = clerk.post("/api/inquiries/", payload(answer=ANSWER), format="json").json()

    response = clerk.post(
        "/api/new-connections/", intake_payload(follows=answered["public_id"]), format="json"
    )

    assert response.status_code == 201, response.json()
    inquiry = Case.objects.get(public_id=answered["public_id"])
    assert (inquiry.status, inquiry.inquiry.converted_to) == ("answered", None)
    assert inquiry.events.filter(action="followed_up").count() == 1

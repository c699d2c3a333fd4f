"""Complaints through the REST API: the intake the shell builds from the registration
(``POST /api/complaints/``) and the handling actions (``POST /api/cases/{id}/actions/…``)
walked to closure, refusals with their codes and nothing changed, and the ``complaint``
detail of the case."""

import pytest

from tests import complaints_support as cs
from tests.clients import client_for
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import Complaint, Measure
from waterdesk.notify.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_monday")]


@pytest.fixture
def staff():
    return cs.complaint_staff()


def payload(**overrides) -> dict:
    data = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "category": "repair",
        "matter": "维修后仍漏水。",
        "demand": "尽快修好。",
        "department_concerned": "repair",
    }
    data.update(overrides)
    return data


def act(user, case_id, action: str, data: dict | None = None):
    return client_for(user).post(
        f"/api/cases/{case_id}/actions/{action}/", data or {}, format="json"
    )


def counts() -> tuple:
    return (Case.objects.count(), CaseEvent.objects.count(), Notification.objects.count())


def test_a_complaint_registered_and_walked_to_closure_through_the_api(staff):
    linked = cs.register(staff.clerk, contact_name="李四")
    response = client_for(staff.clerk).post(
        "/api/complaints/", payload(linked_case=linked.number), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    case_id = body["public_id"]
    assert (body["status"], body["complaint"]["linked_case"], body["complaint"]["round"]) == (
        "registered",
        linked.number,
        1,
    )
    handler, responder = staff.handler, staff.responder
    steps = [
        (handler, "acknowledge", {"note": "受理"}),
        (
            responder,
            "interview",
            {
                "person": "张三",
                "party": "complainant",
                "held_at": "2026-03-02T10:00:00+08:00",
                "summary": "仍漏水",
            },
        ),
        (
            responder,
            "report",
            {
                "facts": "阀芯未换",
                "process": "现场查看",
                "finding": "属实",
                "proposal": "更换",
                "root_cause": "repair_quality",
                "is_substantiated": True,
            },
        ),
        (
            responder,
            "plan",
            {"department": "repair", "owner": responder.username, "summary": "重新维修"},
        ),
        (
            responder,
            "add_measure",
            {"description": "班组培训", "owner": responder.username, "deadline": "2026-03-09"},
        ),
        (handler, "reply", {"reply": "已更换阀芯", "basis": "服务规范", "reply_channel": "sms"}),
        (handler, "satisfied", {}),
    ]
    for user, action, data in steps:
        response = act(user, case_id, action, data)
        assert response.status_code == 200, (action, response.json())
    measure = Measure.objects.get(complaint__case__public_id=case_id)
    response = act(handler, case_id, "close", {"lessons": "完工试水"})
    assert (response.status_code, response.json()["code"]) == (400, "measures_open")
    response = act(responder, case_id, "measure_done", {"measure": measure.pk, "note": "已培训"})
    assert response.status_code == 200
    response = act(handler, case_id, "close", {"lessons": "完工试水"})
    assert (response.status_code, response.json()["code"]) == (400, "follow_up_required")
    response = act(handler, case_id, "follow_up", {"note": "满意", "satisfaction": 5})
    assert response.status_code == 200
    response = act(handler, case_id, "close", {"lessons": "完工试水"})
    assert response.status_code == 200
    detail = response.json()
    assert detail["status"] == "closed"
    complaint = detail["complaint"]
    assert complaint["lessons"] == "完工试水"
    assert [r["investigation"]["finding"] for r in complaint["rounds"]] == ["属实"]
    assert complaint["rounds"][0]["interviews"][0]["person"] == "张三"
    assert complaint["measures"][0]["done_note"] == "已培训"


def test_a_reply_without_a_report_is_refused_with_its_code(staff):
    case = cs.walk_to(cs.register(staff.clerk), "investigating", staff)
    before = counts()
    response = act(
        staff.handler, case.public_id, "reply", {"reply": "x", "basis": "y", "reply_channel": "sms"}
    )
    assert (response.status_code, response.json()["code"]) == (
        400,
        "investigation_report_required",
    )
    assert counts() == before
    assert Complaint.objects.get(case=case).rounds.get().replied_at is None


def test_roles_refused_before_the_input(staff):
    case = cs.walk_to(cs.register(staff.clerk), "investigating", staff)
    before = counts()
    assert act(staff.clerk, case.public_id, "report", {}).status_code in (403, 404)
    assert act(staff.responder, case.public_id, "reply", {}).status_code == 403
    assert act(staff.handler, case.public_id, "escalate", {"reason": "x"}).status_code == 403
    assert counts() == before


def test_intake_refusals_write_nothing(staff):
    before = counts()
    response = client_for(staff.clerk).post(
        "/api/complaints/", payload(linked_case="BX-20260101-9999"), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "linked_case_invalid")
    response = client_for(staff.clerk).post(
        "/api/complaints/", payload(channel="city_hotline"), format="json"
    )
    assert response.status_code == 400
    response = client_for(staff.responder).post("/api/complaints/", payload(), format="json")
    assert response.status_code == 403
    assert counts() == before

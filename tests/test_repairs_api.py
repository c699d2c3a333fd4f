"""Repairs through the REST API: ``POST /api/repairs/`` (201 new, 409 ``duplicate_suspected``
with nothing written, 200 with ``link_to``), the repair detail of the case, and the
dispatch and follow-up actions — for the roles allowed and refused."""

from datetime import timedelta

import pytest

from tests.clients import client_for
from tests.factories import AccountFactory, PremiseFactory
from tests.fieldwork_support import crew_with_member
from tests.repairs_support import TUESDAY, dispatcher, hotline, on_call, tuesday
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import Repair, RepairContact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]
__all__ = ["dispatcher", "hotline", "tuesday"]


def payload(**overrides) -> dict:
    data = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13900000001",
        "address": "城北区解放路1号",
        "fault_type": "leak",
        "description": "水表前阀门漏水",
    }
    data.update(overrides)
    return data


def counts() -> tuple:
    return (
        Case.objects.count(),
        Repair.objects.count(),
        RepairContact.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def post(user, **overrides):
    return client_for(user).post("/api/repairs/", payload(**overrides), format="json")


def test_a_report_answers_201_with_the_case_and_its_repair(hotline):
    account = AccountFactory(premise=PremiseFactory(address="城北区解放路1号"))

    response = post(hotline, address="", account=account.number)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["number"]) == (
        "repair",
        "awaiting_dispatch",
        "BX-20260310-0001",
    )
    assert body["repair"] == {
        "fault_type": {
            "code": "leak",
            "name": "漏水",
            "default_urgency": "general",
            "zone_wide": False,
            "informs_quality": False,
        },
        "urgency": "general",
        "description": "水表前阀门漏水",
        "address": "城北区解放路1号",
        "zone": "north",
        "account": account.number,
        "latitude": None,
        "longitude": None,
        "reported_at": "2026-03-10T10:00:00+08:00",
        "dispatched_at": None,
        "arrived_at": None,
        "completed_at": None,
        "completed_by_crew": None,
        "failed": False,
        "failed_by": None,
        "incident": None,
        "contacts": [
            {
                "name": "张三",
                "phone": "13900000001",  # the agent who took the report handles it
                "phone_masked": False,
                "address": "城北区解放路1号",
                "channel": "phone",
                "reported_at": "2026-03-10T10:00:00+08:00",
                "note": "",
            }
        ],
        "work_orders": [],
        "follow_ups": [],
    }
    assert [action["action"] for action in body["available_actions"]] == []


def test_a_suspected_duplicate_answers_409_and_writes_nothing(hotline):
    first = post(hotline).json()
    before = counts()

    response = post(hotline, contact_name="李四", contact_phone="13900000002")

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate_suspected",
        "message": response.json()["message"],
        "details": {
            "candidates": [
                {
                    "public_id": first["public_id"],
                    "number": first["number"],
                    "address": "城北区解放路1号",
                    "reported_at": "2026-03-10T10:00:00+08:00",
                    "contacts": 1,
                }
            ]
        },
    }
    assert first["number"] in response.json()["message"]
    assert counts() == before


def test_link_to_answers_200_with_the_repair_the_caller_joined(hotline):
    first = post(hotline).json()

    response = post(
        hotline, contact_name="李四", contact_phone="13900000002", link_to=first["public_id"]
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["public_id"], body["number"]) == (first["public_id"], first["number"])
    assert [contact["name"] for contact in body["repair"]["contacts"]] == ["张三", "李四"]
    assert Case.objects.count() == 1


def test_confirm_new_answers_201_with_a_new_repair(hotline):
    first = post(hotline).json()

    response = post(hotline, confirm_new=True)

    assert response.status_code == 201
    assert response.json()["number"] != first["number"]


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"fault_type": "burst_main", "urgency": "general"}, "urgency_below_default", 400),
        ({"link_to": "00000000-0000-0000-0000-000000000000"}, "link_target_invalid", 400),
        ({"fault_type": "flood"}, "invalid_input", 400),
        ({"contact_phone": "12"}, "invalid_phone", 400),
        ({"address": ""}, "address_required", 400),
    ],
)
def test_bad_reports_are_refused_with_nothing_written(hotline, overrides, code, status):
    before = counts()

    response = post(hotline, **overrides)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert counts() == before


def test_roles_without_the_intake_permission_are_refused(staff):
    for name in ("surveyor", "reader", "billing", "supervisor", "outsider"):
        assert post(staff[name]).status_code == 403, name
    assert client_for().post("/api/repairs/", payload(), format="json").status_code == 401
    assert Case.objects.count() == 0


def test_an_urgent_report_is_dispatched_and_the_crew_and_clocks_show(hotline):
    on_call("night", "crew-night", starts_at=TUESDAY - timedelta(hours=1), mobile="13700000001")

    response = post(hotline, fault_type="burst_main")

    body = response.json()
    assert (response.status_code, body["status"]) == (201, "dispatched")
    assert [
        (order["crew"], order["status"], order["urgent"]) for order in body["repair"]["work_orders"]
    ] == [("night", "assigned", True)]
    assert sorted((c["milestone"], c["due_at"]) for c in body["clocks"]) == [
        ("arrive", "2026-03-10T11:00:00+08:00"),
        ("dispatch", "2026-03-10T10:15:00+08:00"),
    ]


def test_the_dispatcher_dispatches_and_the_hotline_follows_up_through_the_api(
    hotline, dispatcher, tuesday
):
    crew_with_member("east", "crew-east", mobile="13700000001")
    case_id = post(hotline).json()["public_id"]
    url = f"/api/cases/{case_id}/actions/dispatch/"

    refused = client_for(hotline).post(url, {"crew": "east"}, format="json")
    response = client_for(dispatcher).post(url, {"crew": "east"}, format="json")

    assert refused.status_code == 403
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "dispatched"
    assert [(c["milestone"], c["due_at"]) for c in body["clocks"]] == [
        ("contact", "2026-03-10T14:00:00+08:00")
    ]
    follow_up = client_for(hotline).post(
        f"/api/cases/{case_id}/actions/follow_up/",
        {"outcome": "reached", "satisfaction": 5},
        format="json",
    )
    assert (follow_up.status_code, follow_up.json()["code"]) == (409, "illegal_transition")

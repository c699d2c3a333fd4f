"""The new-connection workflow walked through the REST API, step by step, by the one role
allowed at each step — and refused, with nothing changed, for every other role."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.clients import client_for
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from waterdesk.applications.models import MaterialNotice, NewConnection
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account, Customer, Meter, Premise
from waterdesk.notify.models import Notification

# Monday 2 March 2026, 10:00 in Shanghai: an ordinary working day.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
ROLES = ["clerk", "surveyor", "reviewer", "approver", "supervisor", "administrator", "outsider"]
VALID_ID = "11010519491231002X"


def intake_payload(**overrides) -> dict:
    payload = {
        "channel": "counter",
        "contact_name": "张伟",
        "contact_phone": "13800138000",
        "customer_data": {
            "kind": "person",
            "name": "张伟",
            "id_number": VALID_ID,
            "mobile": "13800138000",
        },
        "premise_address": "城北区解放路100号",
        "zone": "north",
        "district": "城北区",
        "requested_usage": "residential",
        "requested_size_dn": 20,
        "household_size": 4,
        "materials_received": ["id_card", "property_certificate"],
    }
    payload.update(overrides)
    return payload


def action_url(case_id, action: str) -> str:
    return f"/api/cases/{case_id}/actions/{action}/"


def walk_steps() -> list[tuple[str, str, dict, str]]:
    """(action, the role allowed, payload, status afterwards) from registration to water on."""
    booked_for = (NOW + dt.timedelta(days=1)).isoformat()
    return [
        ("assign_survey", "clerk", {"surveyor": "surveyor"}, "survey_assigned"),
        (
            "book_survey",
            "surveyor",
            {"booked_for": booked_for, "preparation": "身份证原件"},
            "survey_booked",
        ),
        (
            "submit_survey",
            "surveyor",
            {
                "installation_position": "一楼楼道东侧",
                "surveyed_usage": "residential",
                "site_conditions": "管网距离15米",
                "facilities": "现有DN100供水管",
                "notes_explained": "已告知表箱位置及缴费方式",
                "estimated_amount": "780.00",
            },
            "surveyed",
        ),
        ("review_pass", "reviewer", {"opinion": "资料齐全，同意"}, "reviewed"),
        ("approve", "approver", {"opinion": "同意办理"}, "approved"),
        (
            "assess_fee",
            "clerk",
            {
                "lines": [
                    {"item": "meter_install_dn15_25", "quantity": "1"},
                    {"item": "service_pipe_laying", "quantity": "5"},
                ]
            },
            "fee_assessed",
        ),
        ("record_payment", "clerk", {"amount": "780.00", "reference": "SK20260302001"}, "paid"),
        (
            "install_meter",
            "surveyor",
            {"meter_serial": "WM20260001", "size_dn": 20, "initial_reading": "0.00"},
            "meter_installed",
        ),
        ("open_account", "clerk", {}, "account_opened"),
        ("turn_water_on", "surveyor", {"note": "已通水"}, "completed"),
    ]


@pytest.mark.django_db
def test_whole_walk_by_the_allowed_roles_and_refused_for_every_other(staff, zone, frozen_monday):
    response = client_for(staff["clerk"]).post(
        "/api/new-connections/", intake_payload(), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "registered"
    assert body["number"] == "XZ-20260302-0001"
    assert body["channel"] == "counter"
    assert body["customer"]["name"] == "张伟"
    assert body["customer"]["id_number"] == "110105********002X"
    assert body["premise"]["address"] == "城北区解放路100号"
    assert body["premise"]["zone"] == {"code": "north", "name": "城北片区"}
    assert body["new_connection"]["materials_missing"] == []
    assert [a["action"] for a in body["available_actions"]] == ["withdraw", "assign_survey"]
    assert sorted(c["milestone"] for c in body["clocks"]) == ["complete", "contact_customer"]
    complete = next(c for c in body["clocks"] if c["milestone"] == "complete")
    # Ten working days from Monday 2 March 2026 (day 0): Monday 16 March, 17:30.
    assert complete["due_at"] == "2026-03-16T17:30:00+08:00"
    assert complete["status"] == "on_track"
    case_id = body["public_id"]
    case = Case.objects.get(public_id=case_id)

    for action, allowed, payload, target in walk_steps():
        status_before = Case.objects.get(pk=case.pk).status
        events_before = CaseEvent.objects.filter(case=case).count()
        version_before = Case.objects.get(pk=case.pk).version
        for role in ROLES:
            if role == allowed:
                continue
            refused = client_for(staff[role]).post(
                action_url(case_id, action), payload, format="json"
            )
            # A user without any role does not see the department's cases at all.
            expected = (404, "not_found") if role == "outsider" else (403, "not_permitted")
            assert (refused.status_code, refused.json()["code"]) == expected, (action, role)
            after = Case.objects.get(pk=case.pk)
            assert (after.status, after.version) == (status_before, version_before)
            assert CaseEvent.objects.filter(case=case).count() == events_before

        response = client_for(staff[allowed]).post(
            action_url(case_id, action), payload, format="json"
        )
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == target
        assert Case.objects.get(pk=case.pk).status == target
        assert CaseEvent.objects.filter(case=case, action=action).count() == 1
        frozen_monday.shift(dt.timedelta(hours=1))

    body = response.json()
    assert body["status"] == "completed"
    assert body["status_display"] == "已通水"
    assert body["is_open"] is False
    assert body["closed_at"] is not None
    assert body["available_actions"] == []
    detail = body["new_connection"]
    assert detail["fee_total"] == "780.00"
    assert detail["paid_amount"] == "780.00"
    assert [(line["item"], line["amount"]) for line in detail["fee_lines"]] == [
        ("meter_install_dn15_25", "180.00"),
        ("service_pipe_laying", "600.00"),
    ]
    assert detail["meter"] == "WM20260001"
    account = Account.objects.get()
    assert detail["account"] == account.number
    assert account.customer == Customer.objects.get(id_number=VALID_ID)
    assert Meter.objects.get(serial="WM20260001").account == account
    assert [e["action"] for e in body["timeline"]] == [
        "open",
        "assign_survey",
        "book_survey",
        "submit_survey",
        "review_pass",
        "approve",
        "assess_fee",
        "record_payment",
        "install_meter",
        "open_account",
        "turn_water_on",
    ]
    assert body["timeline"][1]["actor"]["username"] == "clerk"
    assert {c["milestone"]: c["state"] for c in body["clocks"]} == {
        "contact_customer": "met",
        "complete": "met",
    }


@pytest.mark.django_db
def test_detail_shows_each_user_only_the_actions_of_their_role(staff, zone, frozen_monday):
    case_id = (
        client_for(staff["clerk"])
        .post("/api/new-connections/", intake_payload(), format="json")
        .json()["public_id"]
    )
    client_for(staff["clerk"]).post(
        action_url(case_id, "assign_survey"), {"surveyor": "surveyor"}, format="json"
    )

    def actions(role):
        response = client_for(staff[role]).get(f"/api/cases/{case_id}/")
        assert response.status_code == 200
        return [a["action"] for a in response.json()["available_actions"]]

    assert actions("surveyor") == ["book_survey"]
    assert actions("clerk") == ["withdraw"]
    assert actions("reviewer") == []
    assert actions("supervisor") == []


@pytest.mark.django_db
def test_invalid_resident_id_is_refused_and_nothing_is_created(clerk, zone):
    payload = intake_payload()
    payload["customer_data"]["id_number"] = "110105194912310021"  # wrong check digit

    response = client_for(clerk).post("/api/new-connections/", payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_resident_id"
    assert body["field"] == "id_number"
    assert body["message"] == "身份证号码不正确：校验位错误"
    assert Customer.objects.count() == 0
    assert Premise.objects.count() == 0
    assert Case.objects.count() == 0
    assert NewConnection.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_a_request_that_fails_the_serializer_gets_invalid_input_with_fields(clerk, zone):
    payload = intake_payload(requested_size_dn="wide", contact_phone="")
    del payload["contact_name"]

    response = client_for(clerk).post("/api/new-connections/", payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "输入不正确。"
    assert sorted(body["fields"]) == ["contact_name", "contact_phone", "requested_size_dn"]
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_intake_with_an_existing_customer_and_an_unknown_premise_id(clerk, zone):
    customer = CustomerFactory()
    payload = intake_payload(
        customer=str(customer.public_id), premise="00000000-0000-0000-0000-000000000000"
    )
    del payload["customer_data"], payload["premise_address"], payload["zone"]

    response = client_for(clerk).post("/api/new-connections/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert list(response.json()["fields"]) == ["premise"]
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_intake_with_an_existing_customer_and_premise(clerk, zone, frozen_monday):
    customer = CustomerFactory(name="李娜")
    premise = Premise.objects.create(address="城北区和平路8号", zone=zone)
    payload = intake_payload(customer=str(customer.public_id), premise=str(premise.public_id))
    del payload["customer_data"], payload["premise_address"], payload["zone"]

    response = client_for(clerk).post("/api/new-connections/", payload, format="json")

    assert response.status_code == 201, response.json()
    case = Case.objects.get()
    assert (case.customer, case.premise) == (customer, premise)
    assert Customer.objects.count() == 1
    assert Premise.objects.count() == 1


@pytest.mark.django_db
def test_intake_by_a_role_that_may_not_register_is_refused(staff, zone):
    for role in ROLES:
        if role == "clerk":
            continue
        response = client_for(staff[role]).post(
            "/api/new-connections/", intake_payload(), format="json"
        )
        assert response.status_code == 403, role
        assert response.json()["code"] == "not_permitted"
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_illegal_transition_is_409_and_changes_nothing(clerk, reviewer, zone, frozen_monday):
    case_id = (
        client_for(clerk)
        .post("/api/new-connections/", intake_payload(), format="json")
        .json()["public_id"]
    )
    case = Case.objects.get(public_id=case_id)

    response = client_for(reviewer).post(
        action_url(case_id, "review_pass"), {"opinion": "同意"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["message"] == "当前状态下不能执行此操作。"
    assert response.json()["details"] == {"action": "review_pass", "status": "registered"}
    case.refresh_from_db()
    assert (case.status, case.version) == ("registered", 1)
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["open"]
    assert NewConnection.objects.get(case=case).first_review_opinion == ""


@pytest.mark.django_db
def test_missing_materials_give_materials_pending_and_one_notice(clerk, zone, frozen_monday):
    response = client_for(clerk).post(
        "/api/new-connections/", intake_payload(materials_received=["id_card"]), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "materials_pending"
    assert body["status_display"] == "待补材料"
    assert body["new_connection"]["materials_missing"] == [
        {"code": "property_certificate", "name": "房产证明"},
    ]
    assert body["new_connection"]["material_notices"] == [
        {
            "missing": [{"code": "property_certificate", "name": "房产证明"}],
            "issued_at": "2026-03-02T10:00:00+08:00",
            "deadline": "2026-04-01",
            "fulfilled_at": None,
        }
    ]
    assert {c["milestone"]: c["state"] for c in body["clocks"]} == {
        "contact_customer": "paused",
        "complete": "paused",
    }
    case = Case.objects.get(public_id=body["public_id"])
    assert MaterialNotice.objects.filter(case=case).count() == 1
    assert sorted(
        Notification.objects.filter(case=case).values_list("template_key", flat=True).distinct()
    ) == ["new_connection.materials_missing"]

    supplied = client_for(clerk).post(
        action_url(case.public_id, "supply_materials"),
        {"materials": ["property_certificate"]},
        format="json",
    )

    assert supplied.status_code == 200, supplied.json()
    assert supplied.json()["status"] == "registered"
    assert supplied.json()["new_connection"]["materials_missing"] == []
    assert MaterialNotice.objects.get(case=case).fulfilled_at is not None


@pytest.mark.django_db
def test_an_unknown_surveyor_is_refused_with_fields(clerk, zone, frozen_monday):
    case_id = (
        client_for(clerk)
        .post("/api/new-connections/", intake_payload(), format="json")
        .json()["public_id"]
    )
    UserFactory(username="another_clerk", role=Role.INTAKE_CLERK)

    unknown = client_for(clerk).post(
        action_url(case_id, "assign_survey"), {"surveyor": "nobody"}, format="json"
    )
    not_a_surveyor = client_for(clerk).post(
        action_url(case_id, "assign_survey"), {"surveyor": "another_clerk"}, format="json"
    )

    assert unknown.status_code == 400
    assert (unknown.json()["code"], list(unknown.json()["fields"])) == (
        "invalid_input",
        ["surveyor"],
    )
    assert not_a_surveyor.status_code == 400
    assert (not_a_surveyor.json()["code"], not_a_surveyor.json()["field"]) == (
        "not_a_surveyor",
        "surveyor",
    )
    assert Case.objects.get(public_id=case_id).status == "registered"


@pytest.mark.django_db
def test_a_role_that_may_not_act_is_refused_before_its_input_is_read(reviewer, clerk, zone):
    case_id = (
        client_for(clerk)
        .post("/api/new-connections/", intake_payload(), format="json")
        .json()["public_id"]
    )

    response = client_for(reviewer).post(
        action_url(case_id, "assess_fee"), {"lines": "x"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"


@pytest.mark.django_db
def test_a_case_outside_the_users_scope_is_not_found(clerk, zone):
    case_id = (
        client_for(clerk)
        .post("/api/new-connections/", intake_payload(), format="json")
        .json()["public_id"]
    )
    elsewhere = UserFactory(
        username="reviewer_elsewhere",
        role=Role.REVIEWER,
        department=DepartmentFactory(code="south", name="城南营业所"),
    )

    detail = client_for(elsewhere).get(f"/api/cases/{case_id}/")
    action = client_for(elsewhere).post(
        action_url(case_id, "withdraw"), {"reason": "x"}, format="json"
    )
    receipt = client_for(elsewhere).get(f"/api/cases/{case_id}/receipt.pdf")

    assert (detail.status_code, detail.json()["code"]) == (404, "not_found")
    assert (action.status_code, action.json()["code"]) == (404, "not_found")
    assert (receipt.status_code, receipt.json()["code"]) == (404, "not_found")
    assert Case.objects.get(public_id=case_id).status == "registered"


@pytest.mark.django_db
def test_withdraw_and_rejection_paths(staff, zone, frozen_monday):
    clerk = client_for(staff["clerk"])
    withdrawn = clerk.post("/api/new-connections/", intake_payload(), format="json").json()
    response = clerk.post(
        action_url(withdrawn["public_id"], "withdraw"), {"reason": "客户申请撤回"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    assert response.json()["closed_at"] == "2026-03-02T10:00:00+08:00"

    payload = intake_payload()
    payload["customer_data"] = {"kind": "person", "name": "王芳", "id_number": "110101199003070038"}
    rejected = clerk.post("/api/new-connections/", payload, format="json").json()
    case_id = rejected["public_id"]
    clerk.post(action_url(case_id, "assign_survey"), {"surveyor": "surveyor"}, format="json")
    surveyor = client_for(staff["surveyor"])
    for action, _role, payload, _target in walk_steps()[1:3]:
        assert surveyor.post(action_url(case_id, action), payload, format="json").status_code == 200
    response = client_for(staff["reviewer"]).post(
        action_url(case_id, "review_reject"), {"opinion": "产权证明与地址不符"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["new_connection"]["rejection_reason"] == "产权证明与地址不符"


@pytest.mark.django_db
def test_collective_review_is_needed_above_the_threshold(staff, zone, frozen_monday):
    clerk = client_for(staff["clerk"])
    case_id = clerk.post(
        "/api/new-connections/", intake_payload(is_major=True), format="json"
    ).json()["public_id"]
    steps = {action: payload for action, _role, payload, _target in walk_steps()}
    clerk.post(action_url(case_id, "assign_survey"), steps["assign_survey"], format="json")
    surveyor = client_for(staff["surveyor"])
    surveyor.post(action_url(case_id, "book_survey"), steps["book_survey"], format="json")
    surveyor.post(action_url(case_id, "submit_survey"), steps["submit_survey"], format="json")
    client_for(staff["reviewer"]).post(
        action_url(case_id, "review_pass"), steps["review_pass"], format="json"
    )
    approver = client_for(staff["approver"])

    early = approver.post(action_url(case_id, "approve"), {"opinion": "同意"}, format="json")
    assert (early.status_code, early.json()["code"]) == (409, "collective_review_required")
    assert Case.objects.get(public_id=case_id).status == "reviewed"

    recorded = approver.post(
        action_url(case_id, "record_collective_review"),
        {
            "meeting_date": "2026-03-02",
            "participants": "总经理、分管副总、营业部主任",
            "decision": "approve",
            "minutes": "同意",
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["status"] == "collective_reviewed"
    assert recorded.json()["new_connection"]["needs_collective_review"] is True
    assert recorded.json()["new_connection"]["collective_review"]["decision"] == "approve"

    approved = approver.post(action_url(case_id, "approve"), {"opinion": "同意"}, format="json")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")


@pytest.mark.django_db
def test_payment_with_the_wrong_amount_changes_nothing(staff, zone, frozen_monday):
    clerk = client_for(staff["clerk"])
    case_id = clerk.post("/api/new-connections/", intake_payload(), format="json").json()[
        "public_id"
    ]
    for action, role, payload, _target in walk_steps()[:6]:
        assert (
            client_for(staff[role])
            .post(action_url(case_id, action), payload, format="json")
            .status_code
            == 200
        )

    response = clerk.post(
        action_url(case_id, "record_payment"),
        {"amount": "700.00", "reference": "SK1"},
        format="json",
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "payment_amount_mismatch",
        "amount",
    )
    detail = NewConnection.objects.get(case__public_id=case_id)
    assert (detail.paid_amount, detail.payment_reference) == (None, "")
    assert detail.fee_total == Decimal("780.00")
    assert Case.objects.get(public_id=case_id).status == "fee_assessed"


@pytest.mark.django_db
def test_receipt_pdf(clerk, zone, frozen_monday):
    case = client_for(clerk).post("/api/new-connections/", intake_payload(), format="json").json()

    response = client_for(clerk).get(
        f"/api/cases/{case['public_id']}/receipt.pdf", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{case["number"]}.pdf"'
    assert response.content.startswith(b"%PDF-")

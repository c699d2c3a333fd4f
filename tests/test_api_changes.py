"""Ownership transfer and usage change through the REST API: POST /api/ownership-transfers/,
POST /api/usage-changes/ and the case actions, by the allowed role at each step and refused
(nothing changed) for the others."""

from datetime import date

import pytest

from tests.clients import client_for
from tests.factories import CustomerFactory, meter_read
from tests.test_applications_transfer import make_account
from waterdesk.applications.models import OwnershipTransfer, TransferPolicy, UsageChange
from waterdesk.billing.models import Bill
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.customers.models import Account, Customer

VALID_ID = "11010519491231002X"

pytestmark = pytest.mark.django_db


def action_url(case_id, action: str) -> str:
    return f"/api/cases/{case_id}/actions/{action}/"


@pytest.fixture
def account(staff, frozen_tuesday):
    account = make_account(customer=CustomerFactory(name="张三"))
    meter_read(staff["billing"], account, date(2026, 2, 1), "10")
    return account


def state(case_id) -> tuple:
    case = Case.objects.get(public_id=case_id)
    return case.status, CaseEvent.objects.filter(case=case).count(), Bill.objects.count()


def walk(staff, case_id, steps, *, also_allowed=()):
    """Each step by its allowed role after every other role was refused, nothing changed."""
    data = None
    for action, allowed, payload, target in steps:
        before = state(case_id)
        for role, user in staff.items():
            if role == allowed or role in also_allowed:
                continue
            response = client_for(user).post(action_url(case_id, action), payload, format="json")
            assert response.status_code in (403, 404), (action, role, response.status_code)
            assert state(case_id) == before, (action, role)
        response = client_for(staff[allowed]).post(
            action_url(case_id, action), payload, format="json"
        )
        assert response.status_code == 200, (action, response.json())
        data = response.json()
        assert data["status"] == target, action
    return data


def transfer_payload(account_row, **overrides) -> dict:
    payload = {
        "account": account_row.number,
        "channel": "counter",
        "contact_name": "李四",
        "contact_phone": "13900139000",
        "new_customer_data": {
            "kind": "person",
            "name": "李四",
            "id_number": VALID_ID,
            "mobile": "13900139000",
        },
        "materials_received": ["id_card", "property_certificate"],
    }
    payload.update(overrides)
    return payload


# --- ownership transfer ---------------------------------------------------------------


def test_transfer_intake_by_the_clerk_only(staff, account):
    for role in ("surveyor", "reviewer", "approver", "reader", "billing", "outsider"):
        response = client_for(staff[role]).post(
            "/api/ownership-transfers/", transfer_payload(account), format="json"
        )
        assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    assert not Case.objects.exists()
    response = client_for(staff["clerk"]).post(
        "/api/ownership-transfers/", transfer_payload(account), format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["number"], data["kind"], data["status"], data["status_display"]) == (
        "GH-20260310-0001",
        "ownership_transfer",
        "registered",
        "待核验材料",
    )
    detail = data["ownership_transfer"]
    assert detail["account"] == account.number
    assert detail["previous_customer"]["name"] == "张三"
    assert detail["new_customer"]["name"] == "李四"
    assert detail["materials_missing"] == []
    assert data["new_connection"] is None
    assert data["usage_change"] is None
    assert [a["action"] for a in data["available_actions"]] == [
        "withdraw",
        "verify",
        "verification_reject",
    ]
    assert [c["due_at"] for c in data["clocks"]] == ["2026-03-13T17:30:00+08:00"]


def test_transfer_intake_bad_input(staff, account):
    clerk = client_for(staff["clerk"])
    response = clerk.post(
        "/api/ownership-transfers/", transfer_payload(account, account="999"), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert "account" in response.json()["fields"]
    response = clerk.post(
        "/api/ownership-transfers/",
        transfer_payload(
            account, new_customer=str(account.customer.public_id), new_customer_data=None
        ),
        format="json",
    )
    assert response.status_code == 400
    payload = transfer_payload(account, new_customer=str(account.customer.public_id))
    del payload["new_customer_data"]
    response = clerk.post("/api/ownership-transfers/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "same_owner")
    assert not Case.objects.exists()
    assert not Customer.objects.filter(id_number=VALID_ID).exists()


def test_transfer_walk_through_the_api(staff, account):
    response = client_for(staff["clerk"]).post(
        "/api/ownership-transfers/", transfer_payload(account), format="json"
    )
    case_id = response.json()["public_id"]
    walk(staff, case_id, [("verify", "clerk", {"opinion": "原件核验一致"}, "verified")])

    before = state(case_id)
    response = client_for(staff["clerk"]).post(action_url(case_id, "complete"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "transfer_read_required")
    assert state(case_id) == before

    data = walk(
        staff,
        case_id,
        [("record_read", "reader", {"value": "25.00"}, "verified")],
        also_allowed=("billing",),
    )
    assert data["ownership_transfer"]["transfer_read"] == {
        "read_on": "2026-03-10",
        "value": "25.00",
        "kind": "transfer",
        "status": "validated",
        "consumption": "15.00",
        "issues": [],
    }
    data = walk(staff, case_id, [("complete", "clerk", {}, "awaiting_settlement")])
    detail = data["ownership_transfer"]
    assert (detail["final_bill"]["amount"], detail["balance_after_final_bill"]) == (
        "85.00",
        "85.00",
    )
    assert "await_settlement" not in [a["action"] for a in data["available_actions"]]
    response = client_for(staff["clerk"]).post(action_url(case_id, "await_settlement"), {})
    assert response.status_code == 404

    before = state(case_id)
    response = client_for(staff["clerk"]).post(action_url(case_id, "complete"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "settlement_required")
    assert state(case_id) == before

    ledger_post_payment(
        actor=staff["billing"],
        account=account,
        amount="85.00",
        reference="R1",
        idempotency_key="k1",
    )
    data = walk(staff, case_id, [("complete", "clerk", {"note": "已结清"}, "completed")])
    assert data["ownership_transfer"]["settlement"] == "settled"
    assert Bill.objects.count() == 1
    assert Account.objects.get(pk=account.pk).customer.id_number == VALID_ID
    assert OwnershipTransfer.objects.get(case__public_id=case_id).completed_at is not None


def test_transfer_with_the_carry_policy(staff, account):
    TransferPolicy.objects.update(require_settlement=False)
    response = client_for(staff["clerk"]).post(
        "/api/ownership-transfers/", transfer_payload(account), format="json"
    )
    case_id = response.json()["public_id"]
    client_for(staff["clerk"]).post(
        action_url(case_id, "verify"), {"opinion": "一致"}, format="json"
    )
    client_for(staff["reader"]).post(
        action_url(case_id, "record_read"), {"value": "25"}, format="json"
    )
    response = client_for(staff["clerk"]).post(action_url(case_id, "complete"), {}, format="json")
    detail = response.json()["ownership_transfer"]
    assert (response.json()["status"], detail["settlement"], detail["carried_balance"]) == (
        "completed",
        "carried",
        "85.00",
    )


def test_transfer_receipt(staff, account):
    response = client_for(staff["clerk"]).post(
        "/api/ownership-transfers/", transfer_payload(account), format="json"
    )
    receipt = client_for(staff["clerk"]).get(
        f"/api/cases/{response.json()['public_id']}/receipt.pdf"
    )
    assert (receipt.status_code, receipt["Content-Type"]) == (200, "application/pdf")
    assert receipt.content.startswith(b"%PDF")


# --- usage change ---------------------------------------------------------------------


def change_payload(account_row, **overrides) -> dict:
    payload = {
        "account": account_row.number,
        "contact_name": "张三",
        "contact_phone": "13900139000",
        "requested_usage": "non_residential",
        "materials_received": ["business_licence"],
    }
    payload.update(overrides)
    return payload


def test_usage_change_walk_through_the_api(staff, account):
    for role in ("surveyor", "reviewer", "approver", "reader", "outsider"):
        response = client_for(staff[role]).post(
            "/api/usage-changes/", change_payload(account), format="json"
        )
        assert response.status_code == 403
    response = client_for(staff["clerk"]).post(
        "/api/usage-changes/", change_payload(account), format="json"
    )
    assert response.status_code == 201
    data = response.json()
    case_id = data["public_id"]
    assert (data["number"], data["status"], data["usage_change"]["previous_usage"]) == (
        "BG-20260310-0001",
        "registered",
        "residential",
    )
    assert [c["due_at"] for c in data["clocks"]] == ["2026-03-17T17:30:00+08:00"]

    # A transfer-only action on a usage change does not exist.
    response = client_for(staff["clerk"]).post(action_url(case_id, "verify"), {"opinion": "x"})
    assert (response.status_code, response.json()["code"]) == (404, "unknown_action")

    walk(
        staff,
        case_id,
        [
            (
                "verify_at_desk",
                "clerk",
                {"verified_usage": "non_residential", "opinion": "执照经营范围为餐饮"},
                "verified",
            ),
            (
                "approve_change",
                "approver",
                {"opinion": "同意", "effective_date": "2026-03-10"},
                "approved",
            ),
        ],
    )
    before = state(case_id)
    response = client_for(staff["clerk"]).post(action_url(case_id, "complete"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "change_read_required")
    assert state(case_id) == before
    response = client_for(staff["reader"]).post(
        action_url(case_id, "record_read"), {"value": "25", "read_on": "2026-03-09"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "read_not_on_effective_date")
    walk(
        staff,
        case_id,
        [("record_read", "reader", {"value": "25"}, "approved")],
        also_allowed=("billing",),
    )
    data = walk(staff, case_id, [("complete", "clerk", {}, "completed")])
    detail = data["usage_change"]
    assert (detail["applied_tariff"], detail["split_bill"]["amount"], detail["price_summary"]) == (
        "non-residential",
        "85.00",
        "统一价格 6.10元/m³（供水价格4.20、水资源税0.50、污水处理费1.40）",
    )
    assert Account.objects.get(pk=account.pk).usage_category == "non_residential"


def test_usage_change_survey_through_the_api(staff, account):
    response = client_for(staff["clerk"]).post(
        "/api/usage-changes/",
        change_payload(account, requested_usage="special", requested_tariff="special-industry"),
        format="json",
    )
    case_id = response.json()["public_id"]
    assert response.json()["usage_change"]["requested_tariff"] == "special-industry"
    walk(
        staff,
        case_id,
        [
            ("assign_survey", "clerk", {"surveyor": "surveyor"}, "survey_assigned"),
            (
                "record_survey",
                "surveyor",
                {"findings": "洗车行", "verified_usage": "special", "opinion": "属实"},
                "verified",
            ),
            ("approval_reject", "approver", {"opinion": "须先办理排水许可"}, "rejected"),
        ],
    )
    assert UsageChange.objects.get(case__public_id=case_id).rejection_reason == "须先办理排水许可"


def test_usage_change_intake_bad_input(staff, account):
    clerk = client_for(staff["clerk"])
    response = clerk.post(
        "/api/usage-changes/", change_payload(account, requested_usage="residential"), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "usage_unchanged")
    response = clerk.post(
        "/api/usage-changes/",
        change_payload(account, requested_tariff="special-industry"),
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "tariff_category_mismatch")
    response = clerk.post(
        "/api/usage-changes/", change_payload(account, requested_tariff="nope"), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert not Case.objects.exists()

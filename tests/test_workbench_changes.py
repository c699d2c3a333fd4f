"""Ownership transfer and usage change walked through the staff pages — intake, the case page
sections and actions, the receipt — by the role allowed at each step, and refused (403,
nothing written) for the others."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import CustomerFactory, UserFactory, meter_read
from tests.test_applications_transfer import SHANGHAI, make_account
from waterdesk.applications.models import OwnershipTransfer, TransferPolicy, UsageChange
from waterdesk.billing.models import Bill, MeterRead
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Customer

VALID_ID = "11010519491231002X"

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(staff, frozen_tuesday):
    account = make_account(customer=CustomerFactory(name="张三"))
    meter_read(staff["billing"], account, date(2026, 2, 1), "10")
    return account


def post_action(client, user, case, action, fields: dict):
    client.force_login(user)
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(reverse("workbench:case_action", args=[case.public_id, action]), data)


def page(client, user, case):
    client.force_login(user)
    return client.get(reverse("workbench:case", args=[case.public_id]))


def page_actions(client, user, case) -> list[str]:
    response = page(client, user, case)
    # 403: not a desk role; 404: a role that does not work on this kind does not see it.
    if response.status_code in (403, 404):
        return []
    assert response.status_code == 200
    return [panel.action for panel in response.context["actions"]]


def walk(client, staff, case, steps):
    """Each step by its allowed role after every other role was refused with nothing written."""
    for action, allowed, fields, target in steps:
        before = (Case.objects.get(pk=case.pk).status, CaseEvent.objects.filter(case=case).count())
        for role, user in staff.items():
            if role == allowed:
                continue
            assert action not in page_actions(client, user, case), (action, role)
            response = post_action(client, user, case, action, fields)
            # 403 where the role sees the case, 404 where its kind is none of its work.
            assert response.status_code in (403, 404), (action, role, response.status_code)
            after = (
                Case.objects.get(pk=case.pk).status,
                CaseEvent.objects.filter(case=case).count(),
            )
            assert after == before, (action, role)
        assert action in page_actions(client, staff[allowed], case), action
        response = post_action(client, staff[allowed], case, action, fields)
        assert response.status_code == 302, (action, response.content.decode()[:3000])
        case.refresh_from_db()
        assert case.status == target, action


# --- intake pages ---------------------------------------------------------------------


def test_intake_pages_link_to_each_other_and_are_for_intake_clerks(client, staff):
    client.force_login(staff["clerk"])
    for name in ("workbench:intake", "workbench:intake_transfer", "workbench:intake_usage_change"):
        html = client.get(reverse(name)).content.decode()
        assert reverse("workbench:intake_transfer") in html
        assert reverse("workbench:intake_usage_change") in html
    for role in ("reviewer", "approver", "reader", "outsider"):
        client.force_login(staff[role])
        assert client.get(reverse("workbench:intake_transfer")).status_code == 403
        assert client.get(reverse("workbench:intake_usage_change")).status_code == 403
    client.logout()
    url = reverse("workbench:intake_transfer")
    assert client.get(url)["Location"] == f"/login/?next={url}"


def test_account_lookup_shows_the_account(client, staff, account):
    client.force_login(staff["clerk"])
    url = reverse("workbench:account_lookup")
    html = client.get(url, {"account_number": f" {account.number} "}).content.decode()
    assert f'data-account="{account.number}"' in html
    assert "张三" in html
    assert "居民生活" in html
    assert (
        "未找到户号为 999 的账户。" in client.get(url, {"account_number": "999"}).content.decode()
    )
    client.force_login(staff["reviewer"])
    assert client.get(url, {"account_number": account.number}).status_code == 403


def transfer_data(account, **overrides) -> dict:
    data = {
        "account_number": account.number,
        "new-kind": "person",
        "new-name": "李四",
        "new-id_number": VALID_ID,
        "new-mobile": "13900139000",
        "contact_name": "李四",
        "contact_phone": "13900139000",
        "channel": "counter",
        "materials_received": ["id_card", "property_certificate"],
        "priority": "normal",
        "green_channel_reason": "",
        "summary": "二手房过户",
    }
    data.update(overrides)
    return data


def test_transfer_intake_registers_a_new_owner(client, staff, account):
    client.force_login(staff["clerk"])
    response = client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.account, detail.new_customer.id_number) == (account, VALID_ID)


def test_transfer_intake_with_a_picked_customer(client, staff, account):
    new_owner = CustomerFactory(name="王五")
    client.force_login(staff["clerk"])
    picked = client.get(reverse("workbench:customer_pick", args=[new_owner.public_id]))
    assert picked.status_code == 200
    response = client.post(
        reverse("workbench:intake_transfer"),
        transfer_data(account, customer=str(new_owner.public_id), **{"new-id_number": ""}),
    )
    assert response.status_code == 302
    assert Case.objects.get().customer == new_owner


def test_transfer_intake_refusals_write_nothing(client, staff, account):
    client.force_login(staff["clerk"])
    customers = Customer.objects.count()
    response = client.post(
        reverse("workbench:intake_transfer"), transfer_data(account, account_number="999")
    )
    assert response.status_code == 400
    assert "未找到户号为 999 的账户。" in response.content.decode()
    response = client.post(
        reverse("workbench:intake_transfer"),
        transfer_data(account, customer=str(account.customer.public_id)),
    )
    assert response.status_code == 400
    assert "新户主与原户主相同，无需过户。" in response.content.decode()
    response = client.post(
        reverse("workbench:intake_transfer"), transfer_data(account, contact_phone="12")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["contact_phone"]
    assert not Case.objects.exists()
    assert Customer.objects.count() == customers
    client.force_login(staff["reviewer"])
    assert (
        client.post(reverse("workbench:intake_transfer"), transfer_data(account)).status_code == 403
    )
    assert not Case.objects.exists()


# --- the transfer walked through the case page ------------------------------------------


def test_transfer_walk_through_the_pages(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    case = Case.objects.get()
    html = page(client, staff["clerk"], case).content.decode()
    assert 'id="ownership-transfer"' in html
    assert account.number in html
    assert "过户前须结清欠费" in html

    # Completing before the read: refused with the reason, nothing written.
    walk(client, staff, case, [("verify", "clerk", {"opinion": "原件核验一致"}, "verified")])
    events = CaseEvent.objects.filter(case=case).count()
    response = post_action(client, staff["clerk"], case, "complete", {"note": ""})
    assert response.status_code == 409
    assert "尚未录入过户读数：请抄表员或账务员在本页录入" in response.content.decode()
    assert (Case.objects.get(pk=case.pk).status, CaseEvent.objects.filter(case=case).count()) == (
        "verified",
        events,
    )

    # The meter reader (or a billing clerk) records the read; then the clerk completes:
    # the final bill is issued and the case waits for the old owner to pay.
    read_fields = {"value": "25", "read_on": "2026-03-10", "note": ""}
    readers_aside = {k: v for k, v in staff.items() if k != "billing"}  # billing may read too
    walk(client, readers_aside, case, [("record_read", "reader", read_fields, "verified")])
    assert MeterRead.objects.get(kind="transfer").status == "validated"
    response = post_action(client, staff["clerk"], case, "complete", {"note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "awaiting_settlement"
    bill = Bill.objects.get()
    html = page(client, staff["clerk"], case).content.decode()
    assert bill.number in html
    assert "85.00" in html
    assert "待原户主结清后再办理过户" in html
    assert "await_settlement" not in [
        p.action for p in page(client, staff["clerk"], case).context["actions"]
    ]

    # Retrying before payment: refused, still one bill.
    response = post_action(client, staff["clerk"], case, "complete", {"note": ""})
    assert response.status_code == 409
    assert "原户主尚欠水费 85.00 元" in response.content.decode()
    assert Bill.objects.count() == 1

    ledger_post_payment(
        actor=staff["billing"],
        account=account,
        amount="85.00",
        reference="SK-1",
        idempotency_key="p1",
    )
    walk(client, staff, case, [("complete", "clerk", {"note": "已结清"}, "completed")])
    assert Account.objects.get(pk=account.pk).customer.id_number == VALID_ID
    assert Bill.objects.count() == 1
    html = page(client, staff["clerk"], case).content.decode()
    assert "已结清" in html
    assert page_actions(client, staff["clerk"], case) == []


def test_the_transfer_can_be_rejected_from_the_page(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    case = Case.objects.get()
    walk(
        client,
        staff,
        case,
        [("verification_reject", "clerk", {"opinion": "房产证明不符"}, "rejected")],
    )
    assert "房产证明不符" in page(client, staff["clerk"], case).content.decode()


def test_carry_policy_shown_and_applied(client, staff, account, frozen_tuesday):
    TransferPolicy.objects.update(require_settlement=False)
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    case = Case.objects.get()
    post_action(client, staff["clerk"], case, "verify", {"opinion": "一致"})
    post_action(
        client, staff["reader"], case, "record_read", {"value": "25", "read_on": "2026-03-10"}
    )
    response = post_action(client, staff["clerk"], case, "complete", {})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "completed"
    html = page(client, staff["clerk"], case).content.decode()
    assert "结转新户主" in html


# --- the usage change walked through the pages ------------------------------------------


def change_data(account, **overrides) -> dict:
    data = {
        "account_number": account.number,
        "requested_usage": "non_residential",
        "requested_tariff": "",
        "contact_name": "张三",
        "contact_phone": "13900139000",
        "channel": "counter",
        "materials_received": ["authority_approval"],
        "priority": "normal",
        "green_channel_reason": "",
        "summary": "",
    }
    data.update(overrides)
    return data


def test_usage_change_walk_through_the_pages(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    response = client.post(reverse("workbench:intake_usage_change"), change_data(account))
    case = Case.objects.get()
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert case.status == "registered"
    html = page(client, staff["clerk"], case).content.decode()
    assert 'id="usage-change"' in html
    assert "行业主管部门批复" in html

    walk(
        client,
        staff,
        case,
        [
            ("assign_survey", "clerk", {"surveyor": staff["surveyor"].pk}, "survey_assigned"),
            (
                "record_survey",
                "surveyor",
                {
                    "findings": "临街门面经营餐馆",
                    "verified_usage": "non_residential",
                    "opinion": "属实",
                },
                "verified",
            ),
            (
                "approve_change",
                "approver",
                {"effective_date": "2026-03-10", "opinion": "同意"},
                "approved",
            ),
        ],
    )
    # The change read is the meter reader's (or the billing clerk's).
    walk(
        client,
        {k: v for k, v in staff.items() if k != "billing"},
        case,
        [("record_read", "reader", {"value": "25", "note": ""}, "approved")],
    )
    assert MeterRead.objects.get(kind="change").read_on == date(2026, 3, 10)
    walk(client, staff, case, [("complete", "clerk", {"note": ""}, "completed")])
    assert Account.objects.get(pk=account.pk).usage_category == "non_residential"
    detail = UsageChange.objects.get(case=case)
    html = page(client, staff["clerk"], case).content.decode()
    assert detail.price_summary in html
    assert detail.split_bill.number in html


def test_usage_change_desk_verification_and_refusals(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    response = client.post(
        reverse("workbench:intake_usage_change"),
        change_data(account, requested_usage="residential"),
    )
    assert response.status_code == 400
    assert "账户当前已是该用水性质，无需变更。" in response.content.decode()
    assert not Case.objects.exists()
    client.post(
        reverse("workbench:intake_usage_change"), change_data(account, materials_received=[])
    )
    case = Case.objects.get()
    assert case.status == "materials_pending"
    walk(
        client,
        staff,
        case,
        [
            ("supply_materials", "clerk", {"materials": ["business_licence"]}, "registered"),
            (
                "verify_at_desk",
                "clerk",
                {"verified_usage": "non_residential", "opinion": "执照经营范围为餐饮"},
                "verified",
            ),
            ("approval_reject", "approver", {"opinion": "不符合政策"}, "rejected"),
        ],
    )


def test_another_surveyor_may_not_report(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_usage_change"), change_data(account))
    case = Case.objects.get()
    post_action(client, staff["clerk"], case, "assign_survey", {"surveyor": staff["surveyor"].pk})
    other = UserFactory(username="surveyor2", role=Role.SURVEYOR)
    assert "record_survey" not in page_actions(client, other, case)
    response = post_action(
        client,
        other,
        case,
        "record_survey",
        {"findings": "x", "verified_usage": "non_residential", "opinion": "y"},
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == "survey_assigned"


# --- receipts and the supervisor page ---------------------------------------------------


def test_receipts_of_both_kinds(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    client.post(
        reverse("workbench:intake_usage_change"),
        change_data(account, materials_received=[]),
    )
    transfer, change = Case.objects.order_by("kind")
    for case in (transfer, change):
        response = client.get(reverse("workbench:document", args=[case.public_id, "receipt"]))
        assert response.status_code == 200
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        assert case.number in text
        assert account.number in text
    # The reviewer does not work on transfers: the department's case is not theirs.
    client.force_login(staff["reviewer"])
    assert (
        client.get(reverse("workbench:document", args=[transfer.public_id, "receipt"])).status_code
        == 403
    )
    # The approver sees usage changes (approves them) but does not print their receipts.
    client.force_login(staff["approver"])
    assert (
        client.get(reverse("workbench:document", args=[change.public_id, "receipt"])).status_code
        == 403
    )


def test_supervisor_filters_change_cases(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    client.force_login(staff["supervisor"])
    response = client.get(
        reverse("workbench:supervisor"), {"kind": "ownership_transfer", "status": "registered"}
    )
    assert response.status_code == 200
    assert [row.case.kind for row in response.context["rows"]] == ["ownership_transfer"]
    html = response.content.decode()
    assert "待核验材料" in html


def test_the_case_page_lists_transfer_events_in_words(client, staff, account, frozen_tuesday):
    client.force_login(staff["clerk"])
    client.post(reverse("workbench:intake_transfer"), transfer_data(account))
    case = Case.objects.get()
    post_action(client, staff["clerk"], case, "verify", {"opinion": "一致"})
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI), tick=False):
        post_action(
            client, staff["reader"], case, "record_read", {"value": "25", "read_on": "2026-03-10"}
        )
    html = page(client, staff["clerk"], case).content.decode()
    assert "读数 25.00（2026-03-10），用水量 15.00 m³，已审核" in html

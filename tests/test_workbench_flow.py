"""A new connection walked through the staff pages, from intake to water on, by the role
allowed at each step — and refused (403, nothing written) for every other role."""

import pytest
from django.urls import reverse

from tests.factories import SupplyZoneFactory, UserFactory
from waterdesk.applications.models import CollectiveReview, NewConnectionPolicy
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Customer

VALID_ID = "11010519491231002X"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff):
    """The roles of a new connection, and an outsider."""
    roles = ("clerk", "surveyor", "reviewer", "approver", "supervisor", "outsider")
    return {role: staff[role] for role in roles}


def intake_data(zone, **overrides) -> dict:
    data = {
        "new-kind": "person",
        "new-name": "张三",
        "new-id_number": VALID_ID,
        "new-mobile": "13800138000",
        "channel": "counter",
        "premise_address": "城北区解放路 18 号",
        "zone": str(zone.pk),
        "district": "城北区",
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "requested_usage": "residential",
        "requested_size_dn": "20",
        "household_size": "3",
        "materials_received": ["id_card", "property_certificate"],
        "priority": "normal",
        "green_channel_reason": "",
        "summary": "新建住宅申请用水",
    }
    data.update(overrides)
    return data


def register_through_page(client, clerk, zone, **overrides) -> Case:
    client.force_login(clerk)
    response = client.post(reverse("workbench:intake"), intake_data(zone, **overrides))
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    return case


def post_action(client, user, case, action, fields: dict):
    client.force_login(user)
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(reverse("workbench:case_action", args=[case.public_id, action]), data)


def page_actions(client, user, case) -> list[str]:
    """The actions the case page offers ``user`` ([] when the page itself is refused)."""
    client.force_login(user)
    response = client.get(reverse("workbench:case", args=[case.public_id]))
    if user.username == "outsider":
        assert response.status_code == 403
        return []
    assert response.status_code == 200
    return [panel.action for panel in response.context["actions"]]


def steps(staff) -> list[tuple[str, str, dict, str]]:
    """(action, role allowed, form fields, status afterwards)"""
    return [
        ("assign_survey", "clerk", {"surveyor": staff["surveyor"].pk}, "survey_assigned"),
        (
            "book_survey",
            "surveyor",
            {"booked_for": "2026-03-11T10:00", "preparation": "房产证原件"},
            "survey_booked",
        ),
        (
            "submit_survey",
            "surveyor",
            {
                "installation_position": "一楼表井",
                "surveyed_usage": "residential",
                "site_conditions": "市政管网已到位",
                "facilities": "DN100 支管",
                "notes_explained": "表井须保持畅通",
                "estimated_amount": "1200",
            },
            "surveyed",
        ),
        ("review_pass", "reviewer", {"opinion": "资料齐全，同意"}, "reviewed"),
        ("approve", "approver", {"opinion": "同意办理"}, "approved"),
        (
            "assess_fee",
            "clerk",
            {
                "item_0": "meter_install_dn15_25",
                "quantity_0": "1",
                "item_1": "service_pipe_laying",
                "quantity_1": "2.5",
            },
            "fee_assessed",
        ),
        ("record_payment", "clerk", {"amount": "480.00", "reference": "SK-0001"}, "paid"),
        (
            "install_meter",
            "surveyor",
            {"meter_serial": "WM-NEW-001", "size_dn": "20", "initial_reading": "0"},
            "meter_installed",
        ),
        ("open_account", "clerk", {"confirm": "on"}, "account_opened"),
        ("turn_water_on", "surveyor", {"note": "已通水，读数 0"}, "completed"),
    ]


def test_new_connection_walk_through_the_pages(client, staff, frozen_tuesday):
    zone = SupplyZoneFactory()
    case = register_through_page(client, staff["clerk"], zone)
    assert case.status == "registered"
    assert Customer.objects.get().id_number == VALID_ID

    for action, allowed, fields, target in steps(staff):
        before_status = Case.objects.get(pk=case.pk).status
        before_events = CaseEvent.objects.filter(case=case).count()
        for role, user in staff.items():
            if role == allowed:
                continue
            assert action not in page_actions(client, user, case), (action, role)
            response = post_action(client, user, case, action, fields)
            assert response.status_code == 403, (action, role, response.status_code)
            assert Case.objects.get(pk=case.pk).status == before_status
            assert CaseEvent.objects.filter(case=case).count() == before_events

        assert action in page_actions(client, staff[allowed], case)
        response = post_action(client, staff[allowed], case, action, fields)
        assert response.status_code == 302, (action, response.content.decode()[:3000])
        assert response["Location"] == reverse("workbench:case", args=[case.public_id])
        case.refresh_from_db()
        assert case.status == target, action
        assert CaseEvent.objects.filter(case=case).count() == before_events + 1

    detail = case.new_connection
    account = Account.objects.get()
    assert detail.account == account
    assert account.customer.id_number == VALID_ID
    assert detail.fee_total == detail.paid_amount
    assert str(detail.fee_total) == "480.00"
    assert case.closed_at is not None
    # A closed case offers nothing to anybody.
    for user in staff.values():
        assert page_actions(client, user, case) == []
    client.force_login(staff["clerk"])
    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert account.number in page
    assert "已通水" in page


def test_another_surveyor_may_not_book_the_visit(client, staff, frozen_tuesday):
    zone = SupplyZoneFactory()
    case = register_through_page(client, staff["clerk"], zone)
    post_action(client, staff["clerk"], case, "assign_survey", {"surveyor": staff["surveyor"].pk})
    other = UserFactory(username="surveyor2", role=Role.SURVEYOR)
    events = CaseEvent.objects.filter(case=case).count()

    assert page_actions(client, other, case) == []
    response = post_action(client, other, case, "book_survey", {"booked_for": "2026-03-11T10:00"})

    assert response.status_code == 403
    assert "只有派定的勘查员可以办理此步骤。" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "survey_assigned"
    assert CaseEvent.objects.filter(case=case).count() == events


def test_assign_survey_lists_only_active_surveyors(client, staff, frozen_tuesday):
    UserFactory(username="retired", role=Role.SURVEYOR, is_active=False)
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    response = client.get(reverse("workbench:case", args=[case.public_id]))
    panel = next(p for p in response.context["actions"] if p.action == "assign_survey")
    assert [u.username for u in panel.form.fields["surveyor"].queryset] == ["surveyor"]


def test_invalid_action_input_shows_the_message_and_changes_nothing(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    events = CaseEvent.objects.filter(case=case).count()

    response = post_action(client, staff["clerk"], case, "withdraw", {"reason": ""})

    assert response.status_code == 400
    assert "该字段是必填项。" in response.content.decode()
    panel = next(p for p in response.context["actions"] if p.action == "withdraw")
    assert panel.is_open is True
    assert Case.objects.get(pk=case.pk).status == "registered"
    assert CaseEvent.objects.filter(case=case).count() == events


def test_domain_error_from_the_service_shows_its_message(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    for action, role, fields, _target in steps(staff)[:6]:
        assert post_action(client, staff[role], case, action, fields).status_code == 302
    events = CaseEvent.objects.filter(case=case).count()

    response = post_action(
        client, staff["clerk"], case, "record_payment", {"amount": "400.00", "reference": "SK-9"}
    )

    assert response.status_code == 400
    assert "缴费金额 400.00 元与应缴金额 480.00 元不符。" in response.content.decode()
    panel = next(p for p in response.context["actions"] if p.action == "record_payment")
    assert panel.form.errors["amount"] == ["缴费金额 400.00 元与应缴金额 480.00 元不符。"]
    case.refresh_from_db()
    assert case.status == "fee_assessed"
    assert case.new_connection.paid_amount is None
    assert CaseEvent.objects.filter(case=case).count() == events


def test_fee_assessment_needs_a_line(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    for action, role, fields, _target in steps(staff)[:5]:
        assert post_action(client, staff[role], case, action, fields).status_code == 302

    response = post_action(
        client, staff["clerk"], case, "assess_fee", {"item_0": "", "quantity_0": ""}
    )

    assert response.status_code == 400
    assert "请至少填写一项费用。" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "approved"
    assert not case.fee_lines.exists()


def test_the_same_action_twice_is_a_conflict_not_a_second_event(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    fields = {"surveyor": staff["surveyor"].pk}
    assert post_action(client, staff["clerk"], case, "assign_survey", fields).status_code == 302
    events = CaseEvent.objects.filter(case=case).count()

    response = post_action(client, staff["clerk"], case, "assign_survey", fields)

    assert response.status_code == 409
    assert "当前状态下不能执行此操作。" in response.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == events


def test_unknown_action_is_refused(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    response = post_action(client, staff["clerk"], case, "delete_everything", {})
    assert response.status_code == 403


def test_missing_materials_then_supplied_through_the_page(client, staff, frozen_tuesday):
    case = register_through_page(
        client, staff["clerk"], SupplyZoneFactory(), materials_received=["id_card"]
    )
    assert case.status == "materials_pending"
    client.force_login(staff["clerk"])
    response = client.get(reverse("workbench:case", args=[case.public_id]))
    assert [m.code for m in response.context["materials_missing"]] == ["property_certificate"]
    assert "一次性告知书" in response.content.decode()
    assert [p.action for p in response.context["actions"]] == ["supply_materials", "withdraw"]

    response = post_action(
        client, staff["clerk"], case, "supply_materials", {"materials": ["property_certificate"]}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "registered"
    assert case.new_connection.materials_received == ["id_card", "property_certificate"]


def test_collective_review_is_offered_only_when_needed(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory(), is_major="on")
    for action, role, fields, _target in steps(staff)[:4]:
        assert post_action(client, staff[role], case, action, fields).status_code == 302
    assert page_actions(client, staff["approver"], case) == [
        "record_collective_review",
        "approval_reject",
    ]

    response = post_action(
        client,
        staff["approver"],
        case,
        "record_collective_review",
        {
            "meeting_date": "2026-03-10",
            "participants": "张经理、李主任",
            "decision": "approve",
            "minutes": "同意",
        },
    )

    assert response.status_code == 302
    assert CollectiveReview.objects.get(case=case).participants == "张经理、李主任"
    assert page_actions(client, staff["approver"], case) == ["approve", "approval_reject"]


def test_collective_review_hidden_below_the_threshold(client, staff, frozen_tuesday):
    assert NewConnectionPolicy.current().collective_review_threshold > 1200
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    for action, role, fields, _target in steps(staff)[:4]:
        assert post_action(client, staff[role], case, action, fields).status_code == 302
    assert page_actions(client, staff["approver"], case) == ["approve", "approval_reject"]


def test_rejection_at_review_closes_the_case(client, staff, frozen_tuesday):
    case = register_through_page(client, staff["clerk"], SupplyZoneFactory())
    for action, role, fields, _target in steps(staff)[:3]:
        assert post_action(client, staff[role], case, action, fields).status_code == 302

    response = post_action(
        client, staff["reviewer"], case, "review_reject", {"opinion": "产权不清"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "rejected"
    assert case.new_connection.rejection_reason == "产权不清"
    assert case.closed_at is not None

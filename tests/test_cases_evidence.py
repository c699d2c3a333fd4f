"""Evidence cannot be deleted: attachments, cases, their events, customers and accounts stay
(admin and database refuse deletion); a wrong attachment is withdrawn with a reason, kept
with its file and shown as withdrawn on the case page, the API and the timeline."""

from pathlib import Path

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory, registered_new_connection
from waterdesk.cases.models import Attachment, Case, CaseEvent
from waterdesk.cases.services import attachment_add, attachment_withdraw
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Customer, Meter, Premise
from waterdesk.customers.services import account_open

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REASON = "上传错了客户的身份证"


@pytest.fixture
def case(clerk) -> Case:
    return registered_new_connection(clerk)


@pytest.fixture
def attachment(clerk, case) -> Attachment:
    return attachment_add(
        case=case,
        actor=clerk,
        uploaded_file=SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf"),
        material_code="id_card",
    )


@pytest.fixture
def account(clerk, case) -> Account:
    return account_open(
        actor=clerk, customer=case.customer, premise=case.premise, usage_category="residential"
    )


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def withdraw_url(attachment: Attachment) -> str:
    return f"/api/cases/{attachment.case.public_id}/attachments/{attachment.public_id}/withdraw/"


def page_withdraw_url(attachment: Attachment) -> str:
    return reverse(
        "workbench:attachment_withdraw", args=[attachment.case.public_id, attachment.public_id]
    )


def snapshot(attachment: Attachment) -> tuple:
    attachment.refresh_from_db()
    return (
        attachment.withdrawn_at,
        attachment.withdrawn_by_id,
        attachment.withdrawal_reason,
        CaseEvent.objects.filter(action="withdraw_attachment").count(),
    )


# --- nothing is deleted -------------------------------------------------------------------


@pytest.fixture
def admin_users(db):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    administrator = UserFactory(username="sysadmin", role=Role.ADMINISTRATOR, is_staff=True)
    return {"superuser": superuser, "administrator": administrator}


@pytest.mark.parametrize("who", ["superuser", "administrator"])
def test_admin_refuses_every_delete_page(client, admin_users, who, attachment, account):
    case = attachment.case
    meter_owner = case.customer
    objects = [attachment, case, meter_owner, account, case.premise]
    client.force_login(admin_users[who])

    for obj in objects:
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert Case.objects.filter(pk=case.pk).exists()
    assert Customer.objects.filter(pk=meter_owner.pk).exists()
    assert Account.objects.filter(pk=account.pk).exists()
    assert Premise.objects.filter(pk=case.premise.pk).exists()
    assert Path(attachment.file.path).read_bytes() == PDF


@pytest.mark.parametrize("model", [Attachment, Case, Customer, Account, Premise, Meter])
def test_admin_changelists_offer_no_delete_action(client, admin_users, model):
    request = RequestFactory().get("/admin/")
    request.user = admin_users["superuser"]
    model_admin = site._registry[model]

    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
    client.force_login(admin_users["superuser"])
    opts = model._meta
    page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert page.status_code == 200
    assert 'value="delete_selected"' not in page.content.decode()


def test_case_inlines_cannot_delete_events(admin_users):
    request = RequestFactory().get("/admin/")
    request.user = admin_users["superuser"]
    inlines = site._registry[Case].get_inline_instances(request)
    assert inlines
    assert not any(inline.has_delete_permission(request) for inline in inlines)


def test_database_protects_cases_with_events_and_attachments(attachment):
    case = attachment.case
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ProtectedError):
        case.delete()

    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_roles_hold_no_delete_permission_on_evidence():
    from waterdesk.core.roles import ROLE_PERMISSIONS

    evidence = {
        "cases.delete_case",
        "cases.delete_caseevent",
        "cases.delete_attachment",
        "customers.delete_customer",
        "customers.delete_account",
        "customers.delete_premise",
        "customers.delete_meter",
    }
    for role, permissions in ROLE_PERMISSIONS.items():
        assert not evidence & set(permissions), role


# --- withdrawal through the service -------------------------------------------------------


def test_uploader_withdraws_with_a_reason_and_everything_is_kept(clerk, attachment):
    withdrawn = attachment_withdraw(actor=clerk, attachment=attachment, reason=f"  {REASON}\n")

    assert withdrawn.pk == attachment.pk
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_reason) == (clerk, REASON)
    assert withdrawn.is_withdrawn
    assert Path(withdrawn.file.path).read_bytes() == PDF
    event = CaseEvent.objects.get(action="withdraw_attachment")
    assert (event.case, event.actor, event.note, event.at) == (
        attachment.case,
        clerk,
        REASON,
        withdrawn.withdrawn_at,
    )
    assert event.data == {
        "attachment": str(attachment.public_id),
        "file": "身份证.pdf",
        "material": "id_card",
    }
    assert list(Attachment.objects.filter(case=attachment.case).current()) == []


def test_supervisor_may_withdraw_a_file_of_somebody_else(supervisor, attachment):
    attachment_withdraw(actor=supervisor, attachment=attachment, reason=REASON)

    attachment.refresh_from_db()
    assert attachment.withdrawn_by == supervisor


@pytest.mark.parametrize(
    ("reason", "code", "error"),
    [
        ("", "reason_required", InvalidInput),
        ("   \n ", "reason_required", InvalidInput),
        ("长" * 501, "too_long", InvalidInput),
    ],
)
def test_withdrawal_needs_a_short_reason(clerk, attachment, reason, code, error):
    before = snapshot(attachment)

    with pytest.raises(error) as refused:
        attachment_withdraw(actor=clerk, attachment=attachment, reason=reason)

    assert (refused.value.code, refused.value.field) == (code, "reason")
    assert snapshot(attachment) == before == (None, None, "", 0)


def test_second_withdrawal_is_refused_and_changes_nothing(clerk, supervisor, attachment):
    attachment_withdraw(actor=clerk, attachment=attachment, reason=REASON)
    before = snapshot(attachment)

    with pytest.raises(IllegalTransition) as refused:
        attachment_withdraw(actor=supervisor, attachment=attachment, reason="再撤一次")

    assert refused.value.code == "attachment_already_withdrawn"
    assert snapshot(attachment) == before
    assert before[1:] == (clerk.pk, REASON, 1)


def test_only_uploader_assignee_or_supervisor_may_withdraw(attachment, reviewer):
    other_clerk = UserFactory(username="clerk2", role=Role.INTAKE_CLERK)
    for user in (other_clerk, reviewer):
        with pytest.raises(NotPermitted):
            attachment_withdraw(actor=user, attachment=attachment, reason=REASON)
    assert snapshot(attachment) == (None, None, "", 0)


# --- the case page ------------------------------------------------------------------------


def test_page_withdraws_and_shows_the_attachment_as_withdrawn(client, clerk, attachment):
    client.force_login(clerk)
    case_url = reverse("workbench:case", args=[attachment.case.public_id])
    assert page_withdraw_url(attachment) in client.get(case_url).content.decode()

    response = client.post(page_withdraw_url(attachment), {"reason": REASON})

    assert response.status_code == 302
    assert response["Location"] == case_url
    attachment.refresh_from_db()
    assert (attachment.withdrawn_by, attachment.withdrawal_reason) == (clerk, REASON)
    assert Path(attachment.file.path).read_bytes() == PDF
    page = client.get(case_url).content.decode()
    assert 'data-withdrawn="true"' in page
    assert "已撤回" in page and REASON in page
    assert "撤回附件" in page  # the timeline's event label
    assert "已撤回文件：身份证.pdf" in page
    assert page_withdraw_url(attachment) not in page  # nothing left to withdraw
    # The file stays downloadable: it is evidence.
    download = client.get(
        reverse("workbench:attachment", args=[attachment.case.public_id, attachment.public_id])
    )
    assert download.status_code == 200


def test_page_hides_the_form_from_users_who_may_not_withdraw(client, attachment):
    other_clerk = UserFactory(username="clerk2", role=Role.INTAKE_CLERK)
    client.force_login(other_clerk)

    page = client.get(reverse("workbench:case", args=[attachment.case.public_id]))

    assert page.status_code == 200
    assert "身份证.pdf" in page.content.decode()
    assert page_withdraw_url(attachment) not in page.content.decode()


def test_page_refuses_blank_reason_role_and_second_time(client, clerk, reviewer, attachment):
    client.force_login(clerk)
    blank = client.post(page_withdraw_url(attachment), {"reason": "  "})
    assert blank.status_code == 400
    assert "请填写撤回原因" in blank.content.decode()
    assert snapshot(attachment) == (None, None, "", 0)

    client.force_login(reviewer)
    assert client.post(page_withdraw_url(attachment), {"reason": REASON}).status_code == 403
    client.force_login(UserFactory(username="clerk2", role=Role.INTAKE_CLERK))
    assert client.post(page_withdraw_url(attachment), {"reason": REASON}).status_code == 403
    assert snapshot(attachment) == (None, None, "", 0)

    client.force_login(clerk)
    assert client.post(page_withdraw_url(attachment), {"reason": REASON}).status_code == 302
    before = snapshot(attachment)
    again = client.post(page_withdraw_url(attachment), {"reason": "再撤一次"})
    assert again.status_code == 409
    assert "已经撤回" in again.content.decode()
    assert snapshot(attachment) == before


# --- the API ------------------------------------------------------------------------------


def test_api_withdraws_and_lists_the_attachment_as_withdrawn(supervisor, attachment):
    response = api_for(supervisor).post(withdraw_url(attachment), {"reason": REASON}, "json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["public_id"], body["withdrawal_reason"], body["withdrawn_by"]["username"]) == (
        str(attachment.public_id),
        REASON,
        "supervisor",
    )
    assert Path(attachment.file.path).read_bytes() == PDF
    detail = api_for(supervisor).get(f"/api/cases/{attachment.case.public_id}/").json()
    assert [(a["original_name"], a["withdrawal_reason"]) for a in detail["attachments"]] == [
        ("身份证.pdf", REASON)
    ]
    assert [e["note"] for e in detail["timeline"] if e["action"] == "withdraw_attachment"] == [
        REASON
    ]


def test_api_refusals_carry_a_code_and_change_nothing(clerk, reviewer, outsider, attachment):
    url = withdraw_url(attachment)
    refusals = [
        (clerk, {"reason": ""}, 400, "reason_required"),
        (clerk, {}, 400, "invalid_input"),
        (clerk, {"reason": "长" * 501}, 400, "invalid_input"),
        (reviewer, {"reason": REASON}, 403, "not_permitted"),
        (outsider, {"reason": REASON}, 403, "not_permitted"),
        (
            UserFactory(username="clerk2", role=Role.INTAKE_CLERK),
            {"reason": REASON},
            403,
            "not_permitted",
        ),
    ]
    for user, body, status, code in refusals:
        response = api_for(user).post(url, body, "json")
        assert (response.status_code, response.json()["code"]) == (status, code), user
    assert snapshot(attachment) == (None, None, "", 0)

    other_case_url = (
        f"/api/cases/{attachment.case.public_id}/attachments/"
        "00000000-0000-0000-0000-000000000000/withdraw/"
    )
    assert api_for(clerk).post(other_case_url, {"reason": REASON}, "json").status_code == 404

    assert api_for(clerk).post(url, {"reason": REASON}, "json").status_code == 200
    before = snapshot(attachment)
    again = api_for(clerk).post(url, {"reason": "再撤一次"}, "json")
    assert (again.status_code, again.json()["code"]) == (409, "attachment_already_withdrawn")
    assert snapshot(attachment) == before

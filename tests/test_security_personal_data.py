"""Personal data by role (R-P1) and one access rule per object: full identifiers only where
the work needs them, masked elsewhere, every full display logged, look-ups limited."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from tests.clients import client_for
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    SupplyZoneFactory,
    registered_new_connection,
)
from waterdesk.cases.models import Case
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Customer, LookupAlert, PersonalDataAccess
from waterdesk.customers.services import customer_create
from waterdesk.notify.models import Notification

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)  # a Monday morning
VALID_ID = "11010519491231002X"
MASKED_ID = "110105********002X"
MOBILE = "13912345678"
MASKED_MOBILE = "139****5678"
CONTACT = "13800138000"
MASKED_CONTACT = "138****8000"

pytestmark = pytest.mark.usefixtures("frozen_monday")


@pytest.fixture
def customer(db):
    # Registered long ago by somebody else: no "registered it today" grant for anyone.
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        return CustomerFactory(
            name="李娜",
            id_number=VALID_ID,
            mobile=MOBILE,
            email="lina@example.com",
            contact_address="城北区解放路100号3单元501",
        )


@pytest.fixture
def case(clerk, customer):
    return registered_new_connection(
        clerk,
        customer=customer,
        contact_name="李娜",
        contact_phone=CONTACT,
        premise_address="城北区解放路100号",
        zone=SupplyZoneFactory(code="north", name="城北片区"),
    )


def log_rows() -> list[tuple]:
    return list(
        PersonalDataAccess.objects.order_by("pk").values_list(
            "user__username",
            "customer__name",
            "case_number",
            "field",
            "is_reveal",
            "reason",
            "channel",
        )
    )


# --- the API -----------------------------------------------------------------------------


def test_a_reviewer_sees_a_customer_masked_and_nothing_is_logged(reviewer, customer):
    body = client_for(reviewer).get(f"/api/customers/{customer.public_id}/").json()

    assert (body["id_number"], body["mobile"], body["email"], body["contact_address"]) == (
        MASKED_ID,
        MASKED_MOBILE,
        "l***@example.com",
        "城北区解放路****",
    )
    assert body["masked_fields"] == ["id_number", "mobile", "email", "contact_address"]
    assert log_rows() == []


def test_the_clerk_handling_a_case_sees_it_in_full_and_each_display_is_logged(
    clerk, customer, case
):
    body = client_for(clerk).get(f"/api/customers/{customer.public_id}/").json()

    assert (body["id_number"], body["mobile"], body["masked_fields"]) == (VALID_ID, MOBILE, [])
    reason = f"经办工单 {case.number}"
    assert log_rows() == [
        ("clerk", "李娜", "", field, False, reason, "api")
        for field in ("id_number", "mobile", "email", "contact_address")
    ]


def test_a_surveyor_assigned_sees_the_phone_but_not_the_id_number(clerk, surveyor, case, customer):
    Case.objects.filter(pk=case.pk).update(assignee=surveyor)

    body = client_for(surveyor).get(f"/api/customers/{customer.public_id}/").json()

    assert (body["id_number"], body["mobile"]) == (MASKED_ID, MOBILE)
    assert body["masked_fields"] == ["id_number"]


def test_the_billing_office_sees_account_holders_contact_details_not_the_id(
    billing_clerk, customer
):
    account = AccountFactory(customer=customer)

    body = client_for(billing_clerk).get(f"/api/customers/{customer.public_id}/").json()

    assert (body["id_number"], body["mobile"]) == (MASKED_ID, MOBILE)
    assert [row[5] for row in log_rows()] == [f"账务：户号 {account.number}"] * 3


def test_a_closed_case_no_longer_opens_the_customer(clerk, customer, case):
    Case.objects.filter(pk=case.pk).update(status="withdrawn", closed_at=NOW)

    body = client_for(clerk).get(f"/api/customers/{customer.public_id}/").json()

    assert body["id_number"] == MASKED_ID
    assert log_rows() == []


def test_reveal_with_a_reason_shows_one_field_and_logs_it(reviewer, customer):
    response = client_for(reviewer).post(
        f"/api/customers/{customer.public_id}/reveal/",
        {"field": "id_number", "reason": "核对集体审议材料"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": VALID_ID}
    assert log_rows() == [("reviewer", "李娜", "", "id_number", True, "核对集体审议材料", "api")]


@pytest.mark.parametrize(
    ("reason", "code"), [("", "invalid_input"), ("看看", "reveal_reason_required")]
)
def test_reveal_without_a_real_reason_is_refused_and_not_logged(reviewer, customer, reason, code):
    response = client_for(reviewer).post(
        f"/api/customers/{customer.public_id}/reveal/",
        {"field": "id_number", "reason": reason},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert log_rows() == []


def test_the_billing_clerk_may_reveal_and_the_administrator_may_not(
    billing_clerk, administrator, customer
):
    for user, status in ((billing_clerk, 200), (administrator, 403)):
        response = client_for(user).post(
            f"/api/customers/{customer.public_id}/reveal/",
            {"field": "id_number", "reason": "客户来电核实身份"},
            format="json",
        )
        assert response.status_code == status
    # The billing clerk may reveal once with a reason; the administrator may not.
    assert log_rows() == [("billing", "李娜", "", "id_number", True, "客户来电核实身份", "api")]
    assert response.json()["code"] == "reveal_not_permitted"


def test_the_case_contact_phone_follows_the_same_policy(clerk, reviewer, case):
    masked = client_for(reviewer).get(f"/api/cases/{case.public_id}/").json()
    full = client_for(clerk).get(f"/api/cases/{case.public_id}/").json()

    assert (masked["contact_phone"], masked["contact_phone_masked"]) == (MASKED_CONTACT, True)
    assert masked["customer"]["id_number"] == MASKED_ID
    assert (full["contact_phone"], full["contact_phone_masked"]) == (CONTACT, False)
    assert log_rows() == [
        ("clerk", "李娜", case.number, "contact_phone", False, f"经办工单 {case.number}", "api")
    ]

    revealed = client_for(reviewer).post(
        f"/api/cases/{case.public_id}/reveal/",
        {"field": "contact_phone", "reason": "电话约定初审补充材料"},
        format="json",
    )
    assert revealed.json() == {"field": "contact_phone", "value": CONTACT}
    assert log_rows()[-1] == (
        "reviewer",
        "李娜",
        case.number,
        "contact_phone",
        True,
        "电话约定初审补充材料",
        "api",
    )


# --- look-up limits and the supervisors' alert ---------------------------------------------


def test_lookups_above_the_minute_limit_are_refused_until_the_next_minute(
    settings, reviewer, customer, frozen_monday
):
    settings.WATERDESK_LOOKUPS_PER_MINUTE = 3
    client = client_for(reviewer)
    url = f"/api/customers/{customer.public_id}/"

    statuses = [client.get(url).status_code for _ in range(3)]
    refused = client.get(url)
    search_refused = client.get("/api/customers/", {"q": "李娜"})
    frozen_monday.shift(dt.timedelta(minutes=1))
    again = client.get(url)

    assert statuses == [200, 200, 200]
    assert (refused.status_code, refused.json()["code"]) == (429, "lookup_rate_limited")
    assert search_refused.status_code == 429
    assert again.status_code == 200


def test_passing_the_hourly_threshold_alerts_the_supervisors_once(
    settings, reviewer, supervisor, customer
):
    settings.WATERDESK_LOOKUP_ALERT_PER_HOUR = 4
    client = client_for(reviewer)

    for _ in range(4):
        client.get("/api/customers/", {"q": "李娜"})
    assert LookupAlert.objects.count() == 0
    for _ in range(3):
        client.get("/api/customers/", {"q": "李娜"})

    alert = LookupAlert.objects.get()
    assert (alert.user, alert.lookups, alert.threshold) == (reviewer, 5, 4)
    assert alert.hour_start == NOW.replace(minute=0)
    notices = Notification.objects.filter(template_key="privacy.lookup_alert")
    assert sorted(notices.values_list("recipient_user__username", "channel")) == [
        ("supervisor", "email")
    ]
    assert "reviewer" in notices.get().body


# --- pages ---------------------------------------------------------------------------------


def test_the_case_page_masks_for_a_reviewer_and_reveals_with_a_reason(client, reviewer, case):
    client.force_login(reviewer)
    html = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()

    assert MASKED_CONTACT in html and CONTACT not in html
    assert MASKED_ID in html and VALID_ID not in html
    assert "显示完整" in html

    refused = client.post(
        reverse("workbench:privacy_reveal"),
        {"subject": "case", "subject_id": case.public_id, "field": "contact_phone", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert "请说明查看理由" in refused.content.decode()
    assert log_rows() == []

    revealed = client.post(
        reverse("workbench:privacy_reveal"),
        {
            "subject": "case",
            "subject_id": case.public_id,
            "field": "contact_phone",
            "reason": "回电核实用水地址",
        },
        HTTP_HX_REQUEST="true",
    )
    assert CONTACT in revealed.content.decode()
    assert log_rows() == [
        ("reviewer", "李娜", case.number, "contact_phone", True, "回电核实用水地址", "page")
    ]


def test_the_case_page_shows_the_handling_clerk_everything(client, clerk, case):
    client.force_login(clerk)
    html = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()

    assert CONTACT in html and VALID_ID in html
    assert "显示完整" not in html


def test_supervisors_search_the_access_log_and_clerks_may_not(
    client, clerk, reviewer, supervisor, customer
):
    client_for(reviewer).post(
        f"/api/customers/{customer.public_id}/reveal/",
        {"field": "mobile", "reason": "回访满意度调查"},
        format="json",
    )

    client.force_login(supervisor)
    page = client.get(reverse("workbench:access_log"), {"user": "reviewer"})
    other = client.get(reverse("workbench:access_log"), {"user": "clerk"})
    client.force_login(clerk)
    refused = client.get(reverse("workbench:access_log"))

    assert page.status_code == 200
    assert [(e.user.username, e.reason) for e in page.context["page"]] == [
        ("reviewer", "回访满意度调查")
    ]
    assert list(other.context["page"]) == []
    assert refused.status_code == 403


def test_the_admin_shows_a_read_only_viewer_masked_values(client, administrator, customer):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)

    html = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()
    history = client.get(reverse("admin:customers_customer_history", args=[customer.pk]))

    assert MASKED_ID in html and VALID_ID not in html and MOBILE not in html
    assert history.status_code == 403


# --- one access rule per object --------------------------------------------------------------


def test_the_receipt_is_one_rule_for_page_and_api(
    client, clerk, reviewer, approver, reader, billing_clerk, supervisor, case
):
    # Everybody below is of the case's department, or sees all cases.
    results = {}
    for user in (clerk, reviewer, approver, reader, billing_clerk, supervisor):
        client.force_login(user)
        page = client.get(reverse("workbench:document", args=[case.public_id, "receipt"]))
        endpoint = client_for(user).get(f"/api/cases/{case.public_id}/receipt.pdf")
        results[user.username] = (page.status_code, endpoint.status_code)

    assert results == {
        "clerk": (200, 200),
        "reviewer": (403, 403),
        "approver": (403, 403),
        # Readers and the billing office do not see new connections; they may know that
        # their department's exist (case_not_in_scope).
        "reader": (403, 403),
        "billing": (403, 403),
        "supervisor": (200, 200),
    }


def test_meter_readers_see_no_new_connection_of_their_department(reader, clerk, case):
    listed = client_for(reader).get("/api/cases/").json()
    detail = client_for(reader).get(f"/api/cases/{case.public_id}/")

    assert listed["count"] == 0
    assert (detail.status_code, detail.json()["code"]) == (403, "case_not_in_scope")
    assert "customer" not in detail.json()
    assert client_for(clerk).get("/api/cases/").json()["count"] == 1


# --- input -------------------------------------------------------------------------------


def test_invisible_characters_are_removed_from_names_and_addresses(clerk):
    customer = customer_create(
        actor=clerk,
        kind="person",
        name="张\u202e伟\u200b\u2066",
        id_number=VALID_ID,
        contact_address="城北区\u200d解放路\u202a1号",
    )

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.contact_address) == ("张伟", "城北区解放路1号")


def test_a_name_of_only_invisible_characters_is_refused(clerk):
    response = client_for(clerk).post(
        "/api/customers/",
        {"kind": "person", "name": "\u202e\u200b", "id_number": VALID_ID},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_name")
    assert Customer.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_the_access_log_refuses_update_and_delete_in_the_database(reviewer, customer):
    from django.db import DatabaseError, transaction

    client_for(reviewer).post(
        f"/api/customers/{customer.public_id}/reveal/",
        {"field": "mobile", "reason": "回访满意度调查"},
        format="json",
    )
    row = PersonalDataAccess.objects.get()

    with pytest.raises(DatabaseError), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).update(reason="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).delete()
    assert PersonalDataAccess.objects.get().reason == "回访满意度调查"


def test_the_notification_outbox_in_the_admin_shows_addresses_masked(client, administrator, case):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)

    html = client.get(reverse("admin:notify_notification_changelist")).content.decode()

    assert Notification.objects.filter(recipient_address=MOBILE).exists()
    assert MASKED_MOBILE in html
    assert MOBILE not in html

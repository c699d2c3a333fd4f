"""Kiosks and partner agents: their own revocable tokens, the amount due by account number,
a payment keyed by the device's transaction id (201, repeat 200, conflict 409), a reprint."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.payments_support import at
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.core.masking import mask_person_name
from waterdesk.core.roles import Role
from waterdesk.payments.models import DeviceKind, Payment, PaymentDevice
from waterdesk.payments.services.devices import device_create, device_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]

BASE = "/api/payments/devices/"


@pytest.fixture
def administrator_user(db):
    return UserFactory(username="admin-dev", role=Role.ADMINISTRATOR)


@pytest.fixture
def kiosk(administrator_user, office):
    device, key = device_create(
        actor=administrator_user,
        code="kiosk-1",
        name="大厅自助机",
        kind=DeviceKind.KIOSK,
        office=office,
    )
    return device, key


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_amount_due_pay_repeat_conflict_and_reprint(billed, kiosk):
    account, bills = billed
    device, key = kiosk
    client = client_for(key)
    with at(2026, 4, 6):
        due = client.get(f"{BASE}account/{account.number}/due/")
        assert due.status_code == 200
        body = due.json()
        assert (body["account"], body["amount_due"], body["credit"]) == (
            account.number,
            "300.00",
            "0.00",
        )
        assert body["holder"] == mask_person_name(account.customer.name)
        assert body["holder"] != account.customer.name
        assert [(b["number"], b["period"], b["unpaid"]) for b in body["open_bills"]] == [
            (bills[0].number, "2026-01", "100.00"),
            (bills[1].number, "2026-02", "150.00"),
            (bills[2].number, "2026-03", "50.00"),
        ]
        pay = {
            "account": account.number,
            "amount": "120.00",
            "transaction_id": "K1-0001",
            "method": "cash",
        }
        first = client.post(f"{BASE}pay/", pay, format="json")
        repeat = client.post(f"{BASE}pay/", pay, format="json")
        conflict = client.post(f"{BASE}pay/", {**pay, "amount": "121.00"}, format="json")
        reprint = client.get(f"{BASE}receipts/K1-0001/")
        missing = client.get(f"{BASE}receipts/K1-9999/")
    assert first.status_code == 201, first.json()
    assert first.json()["receipt_number"] == "HQ-2026-000001"
    assert (first.json()["amount"], first.json()["office"]) == ("120.00", "总部营业厅")
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    assert (conflict.status_code, conflict.json()["code"]) == (409, "transaction_id_reused")
    assert (reprint.status_code, reprint.json()) == (200, first.json())
    assert missing.status_code == 404
    payment = Payment.objects.get()
    assert (payment.source, payment.external_id, payment.channel, payment.office_id) == (
        "device:kiosk-1",
        "K1-0001",
        "device",
        device.office_id,
    )
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 1


def test_amount_limits_and_unknown_account(billed, kiosk, settings):
    account, _bills = billed
    _device, key = kiosk
    client = client_for(key)
    pay = {"account": account.number, "transaction_id": "K1-2", "method": "card"}
    with at(2026, 3, 26):
        zero = client.post(f"{BASE}pay/", {**pay, "amount": "0"}, format="json")
        above = client.post(f"{BASE}pay/", {**pay, "amount": "5000.01"}, format="json")
        nobody = client.post(
            f"{BASE}pay/", {**pay, "amount": "1.00", "account": "NOSUCH"}, format="json"
        )
        due = client.get(f"{BASE}account/NOSUCH/due/")
    assert (zero.status_code, zero.json()["fields"].keys()) == (400, {"amount"})
    assert (above.status_code, above.json()["fields"].keys()) == (400, {"amount"})
    assert (nobody.status_code, nobody.json()["fields"].keys()) == (400, {"account"})
    assert due.status_code == 404
    assert Payment.objects.count() == 0


def test_partner_without_office_has_no_receipt_number(billed, administrator_user):
    account, _bills = billed
    _device, key = device_create(
        actor=administrator_user, code="shop-7", name="便利店代收", kind=DeviceKind.PARTNER
    )
    with at(2026, 3, 26):
        paid = client_for(key).post(
            f"{BASE}pay/",
            {"account": account.number, "amount": "50", "transaction_id": "S7", "method": "scan"},
            format="json",
        )
    assert (paid.status_code, paid.json()["receipt_number"], paid.json()["office"]) == (
        201,
        None,
        None,
    )
    assert Payment.objects.get().method == "scan"


def test_revoked_token_inactive_device_and_staff_are_refused(
    billed, kiosk, administrator_user, clerk
):
    account, _bills = billed
    device, key = kiosk
    url = f"{BASE}account/{account.number}/due/"
    staff_token = Token.objects.create(user=clerk)
    assert client_for(staff_token.key).get(url).status_code == 403
    admin_token = Token.objects.create(user=administrator_user)
    assert client_for(admin_token.key).get(url).status_code == 403
    PaymentDevice.objects.filter(pk=device.pk).update(is_active=False)
    assert client_for(key).get(url).status_code == 403
    PaymentDevice.objects.filter(pk=device.pk).update(is_active=True)
    assert client_for(key).get(url).status_code == 200
    device_revoke(actor=administrator_user, device=device)
    assert client_for(key).get(url).status_code == 401
    assert APIClient().get(url).status_code == 401
    assert not Token.objects.filter(user_id=device.user_id).exists()


def test_admin_creates_a_device_and_shows_its_token_once(administrator_user, office):
    administrator_user.is_staff = True
    administrator_user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(administrator_user)
    response = client.post(
        "/admin/payments/paymentdevice/add/",
        {
            "code": "kiosk-9",
            "name": "二号机",
            "kind": "kiosk",
            "office": office.pk,
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200, response.content.decode()[-3000:]
    device = PaymentDevice.objects.get(code="kiosk-9")
    key = Token.objects.get(user_id=device.user_id).key
    assert key in response.content.decode()
    assert device.user.username == "device-kiosk-9"
    assert not device.user.has_usable_password()
    assert (
        key not in client.get(f"/admin/payments/paymentdevice/{device.pk}/change/").content.decode()
    )

"""50 identical kiosk payments with the same device transaction id at once: exactly one
payment and one ledger entry. PostgreSQL only (SQLite serialises every writer)."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.payments_support import D, at
from tests.test_api_concurrency import race
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.core.roles import Role
from waterdesk.payments.models import DeviceKind, Payment
from waterdesk.payments.services.devices import device_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("beijing"),
]

CALLS = 50


def test_fifty_identical_kiosk_payments_post_once(billed, office):
    account, _bills = billed
    admin = UserFactory(username="admin-race", role=Role.ADMINISTRATOR)
    _device, key = device_create(
        actor=admin, code="kiosk-r", name="并发机", kind=DeviceKind.KIOSK, office=office
    )
    body = {"account": account.number, "amount": "99.00", "transaction_id": "R-1", "method": "cash"}

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post("/api/payments/devices/pay/", body, format="json")

    with at(2026, 3, 26):
        outcomes = race(*[call for _ in range(CALLS)])
    statuses = sorted(getattr(o, "status_code", repr(o)) for o in outcomes)
    assert statuses == [200] * (CALLS - 1) + [201]
    assert {o.json()["receipt_number"] for o in outcomes} == {"HQ-2026-000001"}
    payment = Payment.objects.get()
    assert payment.amount == D("99.00")
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 1

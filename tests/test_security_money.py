"""Money limits and idempotency keys (security issue, point 5).

Every amount is bounded by ``WATERDESK_MONEY_MAX_AMOUNT`` (1,000,000.00 by default) in one
place (``core.money.money_validate``), through the API (``amount_too_large``, the schema's
``maximum``), the pages and the services; money-changing API calls need an
``Idempotency-Key`` header that replays the first answer.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from tests import test_billing_run_support as support
from tests.clients import client_for
from tests.factories import UserFactory
from tests.test_billing_run_support import account_with_meter
from waterdesk.billing.models import BillRun, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_adjustment, ledger_post_payment
from waterdesk.core.errors import InvalidInput
from waterdesk.core.models import IdempotencyRecord
from waterdesk.core.money import money_max_amount, money_validate
from waterdesk.core.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

beijing = support.beijing
billed = support.billed
cycles = support.cycles
pinned_now = support.pinned_now

HUGE = "999999999999.99"


@pytest.fixture
def api(billing_clerk):
    return client_for(billing_clerk, keyed=False)


def adjust(api, account, payload, key="key-1"):
    url = reverse("api:billing-account-adjustments", args=[account.public_id])
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(url, payload, format="json", **extra)


def ledger_state(account):
    return (LedgerEntry.objects.filter(account=account).count(), account_balance(account))


# --- the bound ------------------------------------------------------------------------


def test_the_default_bound_fits_the_columns_with_room_for_sums():
    assert money_max_amount() == Decimal("1000000.00")
    # A 14-digit column (2 decimals) holds < 10^12: nearly a million entries at the bound.
    assert money_max_amount() * 999_999 < Decimal(10) ** 12


def test_a_huge_adjustment_is_refused_by_the_api_and_nothing_is_written(api, billed):
    account, _bill = billed
    before = ledger_state(account)
    response = adjust(api, account, {"amount": HUGE, "reason": "误操作"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "amount_too_large",
        "message": "金额不能超过 1,000,000.00 元。",
        "field": "amount",
        "details": {"maximum": "1000000.00"},
    }
    assert ledger_state(account) == before == (1, Decimal("100.00"))
    assert not IdempotencyRecord.objects.exists()

    balance = api.get(reverse("api:billing-account-balance", args=[account.public_id]))
    ledger = api.get(reverse("api:billing-account-ledger", args=[account.public_id]))
    assert (balance.status_code, balance.json()["balance"]) == (200, "100.00")
    assert (ledger.status_code, [row["balance"] for row in ledger.json()]) == (200, ["100.00"])


def test_a_huge_adjustment_is_refused_by_the_page_in_chinese(client, billed, billing_clerk):
    account, _bill = billed
    client.force_login(billing_clerk)
    url = reverse("billing:account_adjust", args=[account.public_id])
    response = client.post(url, {"amount": HUGE, "reason": "误操作", "idempotency_key": "f-1"})
    assert response.status_code == 400
    assert "金额不能超过 1,000,000.00 元。" in response.content.decode()
    assert response.context["form"].errors.as_data()["amount"][0].code == "amount_too_large"
    assert ledger_state(account) == (1, Decimal("100.00"))


@pytest.mark.parametrize("amount", ["1000000.00", "-1000000.00"])
def test_an_amount_exactly_at_the_bound_is_accepted(api, billed, amount):
    account, _bill = billed
    response = adjust(api, account, {"amount": amount, "reason": "大额调整"})
    assert (response.status_code, response.json()["amount"]) == (201, amount)
    assert ledger_state(account) == (2, Decimal("100.00") + Decimal(amount))


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1000000.01", "amount_too_large"),
        ("-1000000.01", "amount_too_large"),
        ("1e400", "amount_too_large"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("-Infinity", "invalid_amount"),
        ("1.005", "invalid_amount"),
        ("abc", "invalid_amount"),
    ],
)
def test_malformed_and_oversized_amounts_are_refused(api, billed, amount, code):
    account, _bill = billed
    response = adjust(api, account, {"amount": amount, "reason": "x"})
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert ledger_state(account) == (1, Decimal("100.00"))


def test_a_json_number_too_big_or_a_bare_nan_is_refused(api, billed):
    account, _bill = billed
    url = reverse("api:billing-account-adjustments", args=[account.public_id])
    for body in ('{"amount": 1e400, "reason": "x"}', '{"amount": NaN, "reason": "x"}'):
        response = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=body)
        assert response.status_code == 400, body
    assert ledger_state(account) == (1, Decimal("100.00"))


def test_money_validate_refuses_negative_amounts_unless_allowed():
    """The new-connection fee, payment and estimate go through the same check."""
    with pytest.raises(InvalidInput) as error:
        money_validate("-1", field="amount")
    assert error.value.code == "invalid_amount"
    assert money_validate("0.10", field="amount") == Decimal("0.10")
    assert money_validate("-0.10", field="amount", allow_negative=True) == Decimal("-0.10")
    with pytest.raises(InvalidInput):
        money_validate(True, field="amount")


def test_services_refuse_huge_amounts_whatever_the_caller(billed, billing_clerk):
    account, _bill = billed
    with pytest.raises(InvalidInput) as error:
        ledger_post_adjustment(actor=billing_clerk, account=account, amount=HUGE, reason="x")
    assert (error.value.code, error.value.field) == ("amount_too_large", "amount")
    with pytest.raises(InvalidInput) as error:
        ledger_post_payment(
            actor=None, account=account, amount=HUGE, reference="R", idempotency_key="p1"
        )
    assert error.value.code == "amount_too_large"
    assert ledger_state(account) == (1, Decimal("100.00"))


def test_the_bound_is_a_setting(api, billed, settings):
    account, _bill = billed
    settings.WATERDESK_MONEY_MAX_AMOUNT = Decimal("500.00")
    assert adjust(api, account, {"amount": "500.01", "reason": "x"}).json()["code"] == (
        "amount_too_large"
    )
    assert adjust(api, account, {"amount": "500.00", "reason": "x"}, key="k2").status_code == 201


def test_the_schema_shows_the_bound():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    adjustment = schema["components"]["schemas"]["Adjustment"]["properties"]["amount"]
    payment = schema["components"]["schemas"]["RecordPayment"]["properties"]["amount"]
    assert (adjustment["maximum"], adjustment["minimum"]) == (1000000, -1000000)
    assert (payment["maximum"], payment["minimum"]) == (1000000, 0)
    operation = schema["paths"]["/api/billing/accounts/{public_id}/adjustments/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert (header["in"], header["required"]) == ("header", True)
    for path in ("/api/billing/runs/", "/api/billing/runs/{public_id}/resume/"):
        names = [p["name"] for p in schema["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names


def test_balances_are_summed_beyond_a_columns_digits(billed):
    """Sums are read with more digits than one amount's column (old data above the bound
    still shows)."""
    account, _bill = billed
    for index in range(3):
        LedgerEntry.objects.create(
            account=account,
            kind=LedgerEntryKind.ADJUSTMENT,
            amount=Decimal("999999999999.99"),
            posted_at=_bill.issued_at,
            description=f"legacy {index}",
        )
    assert account_balance(account) == Decimal("2999999999999.97") + Decimal("100.00")


# --- idempotency keys -----------------------------------------------------------------


def test_a_repeat_with_the_key_replays_the_answer_and_writes_nothing(api, billed):
    account, _bill = billed
    payload = {"amount": "-12.30", "reason": "减免"}
    first = adjust(api, account, payload, key="op-1")
    second = adjust(api, account, payload, key="op-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert ledger_state(account) == (2, Decimal("87.70"))
    assert IdempotencyRecord.objects.get().response_status == 201


def test_the_key_with_another_body_is_refused_and_writes_nothing(api, billed):
    account, _bill = billed
    adjust(api, account, {"amount": "-12.30", "reason": "减免"}, key="op-1")
    response = adjust(api, account, {"amount": "-99.00", "reason": "减免"}, key="op-1")
    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert ledger_state(account) == (2, Decimal("87.70"))


def test_the_key_on_another_endpoint_is_refused(api, billed):
    account, _bill = billed
    adjust(api, account, {"amount": "-1.00", "reason": "x"}, key="op-1")
    response = api.post(
        reverse("api:billing-run-list"),
        {"cycle": "2026-01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="op-1",
    )
    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")


def test_keys_belong_to_their_user(api, billed):
    account, _bill = billed
    other = UserFactory(username="billing-2", role=Role.BILLING_CLERK)
    other_api = APIClient()
    other_api.force_authenticate(other)
    payload = {"amount": "-1.00", "reason": "x"}
    assert adjust(api, account, payload, key="same").status_code == 201
    assert adjust(other_api, account, payload, key="same").status_code == 201
    assert ledger_state(account) == (3, Decimal("98.00"))


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_required"),
        ("x" * 101, "invalid_idempotency_key"),
    ],
)
def test_a_missing_or_bad_key_is_refused_and_writes_nothing(api, billed, key, code):
    account, _bill = billed
    response = adjust(api, account, {"amount": "-1.00", "reason": "x"}, key=key)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert ledger_state(account) == (1, Decimal("100.00"))
    assert not IdempotencyRecord.objects.exists()


def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(api, billed):
    account, _bill = billed
    refused = adjust(api, account, {"amount": "0", "reason": "x"}, key="op-1")
    assert refused.json()["code"] == "amount_zero"
    assert adjust(api, account, {"amount": "-1.00", "reason": "x"}, key="op-1").status_code == 201
    assert ledger_state(account) == (2, Decimal("99.00"))


def test_bill_run_start_and_resume_need_a_key_and_replay(
    api, billing_clerk, cycles, django_capture_on_commit_callbacks
):
    account_with_meter()
    url = reverse("api:billing-run-list")
    missing = api.post(url, {"cycle": "2026-01"}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency_key_required")
    assert not BillRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(url, {"cycle": "2026-01"}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    again = api.post(url, {"cycle": "2026-01"}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.content == again.content
    assert BillRun.objects.count() == 1
    run = BillRun.objects.get()
    resume_url = reverse("api:billing-run-resume", args=[run.public_id])
    assert api.post(resume_url).json()["code"] == "idempotency_key_required"
    refused = api.post(resume_url, HTTP_IDEMPOTENCY_KEY="resume-1")
    assert (refused.status_code, refused.json()["code"]) == (409, "run_completed")
    # A refusal is not kept: the key may be used again.
    assert not IdempotencyRecord.objects.filter(key="resume-1").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_post_once(billing_clerk):
    """Four clients send the same adjustment with one key at once: one posts it, the
    others wait at the key's unique index and replay its answer (or hear it is running)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    account = account_with_meter()
    url = reverse("api:billing-account-adjustments", args=[account.public_id])
    barrier = threading.Barrier(4)
    answers = []

    def post():
        client = APIClient()
        client.force_authenticate(billing_clerk)
        barrier.wait()
        try:
            response = client.post(
                url,
                {"amount": "-5.00", "reason": "并发"},
                format="json",
                HTTP_IDEMPOTENCY_KEY="same-op",
            )
            answers.append((response.status_code, response.content))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _body in answers} <= {201, 409}
    assert len({body for status, body in answers if status == 201}) == 1
    adjustments = LedgerEntry.objects.filter(account=account, kind=LedgerEntryKind.ADJUSTMENT)
    assert adjustments.count() == 1

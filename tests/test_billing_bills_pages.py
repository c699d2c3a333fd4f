"""Account and bill pages and API: bills, ledger with running balance, aging, the
adjustment form, the bill page and its PDF — for the allowed roles only."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import test_billing_run_support as support
from tests.test_billing_run_support import D, account_with_meter
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
billed = support.billed
cycles = support.cycles
pinned_now = support.pinned_now


# --- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["account", "bill", "bill_pdf"])
def test_account_and_bill_pages_access(client, billed, billing_clerk, reader, page):
    account, bill = billed
    target = account if page == "account" else bill
    url = reverse(f"billing:{page}", args=[target.public_id])
    assert client.get(url)["Location"] == f"/login/?next={url}"
    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(billing_clerk)
    assert client.get(url).status_code == 200


def test_account_page_shows_bills_ledger_aging_and_the_form_for_clerks(
    client, billed, billing_clerk, administrator
):
    account, bill = billed
    url = reverse("billing:account", args=[account.public_id])
    client.force_login(billing_clerk)
    content = client.get(url).content.decode()
    assert bill.number in content
    assert reverse("billing:bill_pdf", args=[bill.public_id]) in content
    assert "<strong>100.00</strong>" in content
    assert 'name="idempotency_key"' in content
    assert "逾期1–30天" in content

    client.force_login(administrator)
    content = client.get(url).content.decode()
    assert bill.number in content
    assert 'name="idempotency_key"' not in content


def test_a_clerk_posts_a_credit_note_once_from_the_account_page(client, billed, billing_clerk):
    account, bill = billed
    client.force_login(billing_clerk)
    url = reverse("billing:account_adjust", args=[account.public_id])
    data = {
        "amount": "-20.00",
        "reason": "水表计量误差",
        "bill": str(bill.public_id),
        "idempotency_key": "form-123",
    }
    response = client.post(url, data)
    assert response["Location"] == reverse("billing:account", args=[account.public_id])
    assert client.post(url, data).status_code == 302  # the same form sent twice

    note = LedgerEntry.objects.get(kind=LedgerEntryKind.ADJUSTMENT)
    assert (note.amount, note.bill, note.description, note.created_by) == (
        D("-20.00"),
        bill,
        "水表计量误差",
        billing_clerk,
    )
    page = client.get(reverse("billing:account", args=[account.public_id])).content.decode()
    assert "<strong>80.00</strong>" in page


def test_a_refused_adjustment_shows_the_reason_and_posts_nothing(
    client, billed, billing_clerk, administrator
):
    account, _bill = billed
    url = reverse("billing:account_adjust", args=[account.public_id])
    client.force_login(billing_clerk)
    response = client.post(url, {"amount": "0", "reason": "x", "idempotency_key": "k"})
    assert response.status_code == 400
    assert "金额不能为零" in response.content.decode()
    client.force_login(administrator)
    assert (
        client.post(url, {"amount": "5", "reason": "x", "idempotency_key": "k2"}).status_code == 403
    )
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.ADJUSTMENT).exists()


def test_bill_page_and_pdf(client, billed, billing_clerk):
    account, bill = billed
    client.force_login(billing_clerk)
    content = client.get(reverse("billing:bill", args=[bill.public_id])).content.decode()
    assert 'id="bill-amount"><strong>100.00</strong>' in content
    assert "供水价格" in content and "41.40" in content

    response = client.get(reverse("billing:bill_pdf", args=[bill.public_id]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert account.number in text and "100.00" in text


# --- API ----------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.parametrize(
    "name", ["billing-account-bills", "billing-account-ledger", "billing-account-balance"]
)
def test_api_account_reads_access(api, billed, billing_clerk, reader, name):
    account, _bill = billed
    url = reverse(f"api:{name}", args=[account.public_id])
    assert api.get(url).status_code == 401
    api.force_authenticate(reader)
    assert api.get(url).status_code == 403
    api.force_authenticate(billing_clerk)
    assert api.get(url).status_code == 200


def test_api_account_bills_ledger_and_balance(api, billed, billing_clerk):
    account, bill = billed
    api.force_authenticate(billing_clerk)
    bills = api.get(reverse("api:billing-account-bills", args=[account.public_id])).json()
    assert [(item["number"], item["amount"], item["kind"]) for item in bills["results"]] == [
        (bill.number, "100.00", "cycle")
    ]
    ledger = api.get(reverse("api:billing-account-ledger", args=[account.public_id])).json()
    assert [(row["kind"], row["amount"], row["balance"], row["bill"]) for row in ledger] == [
        ("charge", "100.00", "100.00", bill.number)
    ]
    balance = api.get(reverse("api:billing-account-balance", args=[account.public_id])).json()
    assert balance["balance"] == "100.00"
    assert balance["aging"]["not_due"] == "100.00"  # issued 2026-04-10, due 04-30
    assert balance["as_of"] == "2026-04-10"


def test_api_bill_detail_and_pdf(api, billed, billing_clerk, reader):
    account, bill = billed
    api.force_authenticate(billing_clerk)
    detail = api.get(reverse("api:billing-bill-detail", args=[bill.public_id])).json()
    assert (detail["number"], detail["amount"], detail["account"]) == (
        bill.number,
        "100.00",
        account.number,
    )
    assert [(line["component_name"], line["amount"]) for line in detail["lines"]] == [
        ("供水价格", "41.40"),
        ("水资源费", "31.40"),
        ("污水处理费", "27.20"),
    ]
    assert (detail["closing_value"], detail["is_estimated"], detail["total_due"]) == (
        "20.00",
        False,
        "100.00",
    )
    pdf = api.get(reverse("api:billing-bill-pdf", args=[bill.public_id]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    api.force_authenticate(reader)
    assert api.get(reverse("api:billing-bill-pdf", args=[bill.public_id])).status_code == 403


def test_api_adjustment(api, billed, billing_clerk, administrator):
    account, bill = billed
    url = reverse("api:billing-account-adjustments", args=[account.public_id])
    api.force_authenticate(administrator)
    assert api.post(url, {"amount": "-5", "reason": "x"}, format="json").status_code == 403

    api.force_authenticate(billing_clerk)
    payload = {
        "amount": "-12.30",
        "reason": "减免",
        "bill": str(bill.public_id),
    }
    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    second = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert (first.json()["kind"], first.json()["amount"], first.json()["bill"]) == (
        "adjustment",
        "-12.30",
        bill.number,
    )
    refused = api.post(
        url, {"amount": "0", "reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="a2"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "amount_zero")
    other = account_with_meter()
    wrong = api.post(
        reverse("api:billing-account-adjustments", args=[other.public_id]),
        {"amount": "-1", "reason": "x", "bill": str(bill.public_id)},
        format="json",
        HTTP_IDEMPOTENCY_KEY="a3",
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "bill_wrong_account")
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.ADJUSTMENT).count() == 1

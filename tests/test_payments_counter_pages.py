"""The counter's pages: from the customer page to the counter, a payment and its result
page with the receipt, a void request and its approval, the daily close, the cash-office
report and the billing office's reversal request; refusals as Chinese form errors."""

import pytest
from django.urls import reverse

from tests.payments_support import D, at
from waterdesk.payments.models import (
    CorrectionStatus,
    DailyClose,
    Payment,
    PaymentCorrection,
    PaymentStatus,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


def pay(client, account, chosen, **data):
    form = {
        "token": "6f1c1f3e-7d43-4a55-9c43-3d0c2f1f0a01",
        "method": "cash",
        "bills": [str(bill.public_id) for bill in chosen],
        **data,
    }
    return client.post(reverse("payments:counter_pay", args=[account.public_id]), form)


def test_from_the_customer_page_to_the_counter(client, billed, cashier):
    account, bills = billed
    client.force_login(cashier)
    customer_page = client.get(reverse("workbench:customer", args=[account.customer.public_id]))
    link = f"{reverse('payments:counter')}?account={account.number}"
    assert link in customer_page.content.decode()
    with at(2026, 4, 6):
        page = client.get(link)
        unknown = client.get(reverse("payments:counter"), {"account": "999"})
    text = page.content.decode()
    assert page.status_code == 200
    assert [bill.number in text for bill in bills] == [True, True, True]
    assert page.context["notice"].total_due == D("300.00")
    assert page.context["form"].initial["amount"] == D("300.00")
    assert unknown.status_code == 200
    assert "未找到户号 999" in unknown.content.decode()


def test_cash_payment_to_the_result_page_and_the_receipt(client, billed, cashier):
    account, bills = billed
    client.force_login(cashier)
    with at(2026, 4, 6):
        response = pay(client, account, bills[:2], amount="250.00", tendered="300")
        again = pay(client, account, bills[:2], amount="250.00", tendered="300")  # double click
    payment = Payment.objects.get()
    url = reverse("payments:payment", args=[payment.public_id])
    assert (response.status_code, response["Location"]) == (302, f"{url}?print=1")
    assert (again.status_code, again["Location"]) == (302, url)
    with at(2026, 4, 6):
        page = client.get(response["Location"])
        receipt = client.get(reverse("payments:receipt_pdf", args=[payment.public_id]))
    text = page.content.decode()
    assert "HQ-2026-000001" in text and "50.00" in text and "data-open-at-once" in text
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")


def test_the_amount_defaults_to_the_chosen_bills(client, billed, cashier):
    account, bills = billed
    client.force_login(cashier)
    with at(2026, 4, 6):
        pay(client, account, bills[1:2], method="scan", reference="WX20260406001")
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.note) == (D("150.00"), "scan", "WX20260406001")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "100.00"}, "请填写实收现金。"),
        ({"amount": "100.00", "tendered": "50"}, "实收现金少于应收金额。"),
        ({"amount": "100.00", "method": "card"}, "请填写刷卡凭证号"),
        ({"amount": "abc", "tendered": "5"}, "金额"),
        ({"amount": "", "bills": []}, "请填写收款金额，或勾选要缴纳的账单。"),
        ({"amount": "10.00", "tendered": "10", "token": ""}, "页面已过期，请刷新后重新收费。"),
    ],
)
def test_refusals_are_form_errors_in_chinese(client, billed, cashier, data, message):
    account, bills = billed
    client.force_login(cashier)
    with at(2026, 4, 6):
        response = pay(client, account, bills[:1], **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Payment.objects.count() == 0


def test_a_void_requested_approved_and_the_day_closed(
    client, billed, cashier, supervisor, django_user_model
):
    account, bills = billed
    client.force_login(cashier)
    with at(2026, 4, 6, 10):
        pay(client, account, bills[:1], amount="100.00", tendered="100")
        payment = Payment.objects.get()
        void_url = reverse("payments:void_request", args=[payment.public_id])
        empty = client.post(void_url, {"reason": " "})
        asked = client.post(void_url, {"reason": "客户要求改用银行卡"})
        held = client.post(reverse("payments:day"), {"counted_cash": "100.00"})
    assert empty.status_code == 400 and "请填写作废的原因。" in empty.content.decode()
    assert asked.status_code == 302
    assert held.status_code == 400 and "还有待审批的作废申请" in held.content.decode()

    correction = PaymentCorrection.objects.get()
    decide = reverse("payments:correction_decide", args=[correction.public_id])
    client.force_login(supervisor)
    with at(2026, 4, 6, 11):
        listed = client.get(reverse("payments:corrections"))
        no_note = client.post(decide, {"decision": "reject"})
        approved = client.post(decide, {"decision": "approve", "note": "同意"})
    assert "客户要求改用银行卡" in listed.content.decode()
    assert no_note.status_code == 400 and "请填写驳回理由。" in no_note.content.decode()
    assert approved.status_code == 302
    correction.refresh_from_db()
    payment.refresh_from_db()
    assert (correction.status, payment.status) == (CorrectionStatus.APPROVED, PaymentStatus.VOIDED)

    client.force_login(cashier)
    with at(2026, 4, 6, 17):
        short = client.post(reverse("payments:day"), {"counted_cash": "5.00"})
        closed = client.post(reverse("payments:day"), {"counted_cash": "5.00", "note": "备用金"})
        day = client.get(reverse("payments:day"))
    assert short.status_code == 400 and "请填写差异说明" in short.content.decode()
    assert closed.status_code == 302
    close = DailyClose.objects.get()
    assert (close.expected_cash, close.difference, close.voided_count) == (D("0"), D("5.00"), 1)
    assert "今天已日结" in day.content.decode()

    client.force_login(supervisor)
    sign = reverse("payments:close_sign_off", args=[close.public_id])
    with at(2026, 4, 6, 18):
        unconfirmed = client.post(sign, {"note": "已核"})
        signed = client.post(sign, {"confirm": "on", "note": "已核"})
        report = client.get(reverse("payments:cash_report"), {"date": "2026-04-06"})
        excel = client.get(reverse("payments:cash_report_xlsx"), {"date": "2026-04-06"})
    assert unconfirmed.status_code == 400 and "请先核对" in unconfirmed.content.decode()
    assert signed.status_code == 302
    assert report.status_code == 200 and "已签核" in report.content.decode()
    assert excel["Content-Type"].startswith("application/vnd.openxmlformats")
    assert excel.content[:2] == b"PK"


def test_the_billing_office_asks_for_a_reversal(client, billed, cashier, billing_clerk):
    account, bills = billed
    client.force_login(cashier)
    with at(2026, 4, 6):
        pay(client, account, bills[:1], amount="100.00", tendered="100")
    payment = Payment.objects.get()
    client.force_login(billing_clerk)
    url = reverse("payments:reversal_request", args=[payment.public_id])
    with at(2026, 4, 8):
        page = client.get(reverse("payments:account_payments", args=[account.public_id]))
        empty = client.post(url, {"reason": ""})
        asked = client.post(url, {"reason": "银行退票"})
    assert "申请冲正" in page.content.decode()
    assert empty.status_code == 400 and "请填写冲正的原因。" in empty.content.decode()
    assert asked.status_code == 302
    assert PaymentCorrection.objects.get().kind == "reversal"

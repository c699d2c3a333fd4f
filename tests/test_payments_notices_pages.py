"""Pages of this part: refunds asked and decided through the staff pages, and the customer
page showing payments with their receipt, channel and status and the notices sent."""

import pytest
from django.urls import reverse

from tests.payments_support import D, at
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.notify.models import Notification
from waterdesk.payments.models import PaymentChannel, PaymentMethod, Refund
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_request,
)
from waterdesk.payments.services.notices import payment_notices_send_due
from waterdesk.payments.services.record import payment_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


def counter(account, amount, key, *, cashier, office):
    return payment_record(
        account=account,
        amount=amount,
        channel=PaymentChannel.COUNTER,
        method=PaymentMethod.CASH,
        source="counter",
        external_id=key,
        office=office,
        cashier=cashier,
    ).payment


def test_refund_asked_and_approved_through_the_pages(
    client, billed, cashier, office, billing_clerk, supervisor
):
    account, _bills = billed
    with at(2026, 4, 10):
        counter(account, "340.00", "form-1", cashier=cashier, office=office)
    client.force_login(billing_clerk)
    url = reverse("payments:refund_new") + f"?account={account.number}"
    with at(2026, 4, 11):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["refundable"] == D("40.00")
        refused = client.post(url, {"amount": "40.01", "method": "cash", "reason": "退款"})
        assert refused.status_code == 400
        assert "超过账户可退余额" in refused.content.decode()
        assert not Refund.objects.exists()
        response = client.post(url, {"amount": "40.00", "method": "cash", "reason": "客户销户"})
    assert response.status_code == 302
    refund = Refund.objects.get()

    client.force_login(supervisor)
    listing = client.get(reverse("payments:refunds"))
    assert [r.pk for r in listing.context["waiting"]] == [refund.pk]
    with at(2026, 4, 12):
        response = client.post(
            reverse("payments:refund_approve", args=[refund.public_id]), {"note": "同意"}
        )
    assert response.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.decision_note) == ("approved", "同意")
    assert account_balance(account) == D("0.00")


def test_rejecting_needs_a_note_on_the_page(
    client, billed, cashier, office, billing_clerk, supervisor
):
    account, _bills = billed
    with at(2026, 4, 10):
        counter(account, "310.00", "form-1", cashier=cashier, office=office)
    refund = Refund.objects.create(
        account=account,
        amount="10.00",
        reason="退款",
        method="cash",
        requested_by=billing_clerk,
        requested_at="2026-04-10T12:00:00+08:00",
    )
    client.force_login(supervisor)
    reject = reverse("payments:refund_reject", args=[refund.public_id])
    client.post(reject, {"note": ""})
    refund.refresh_from_db()
    assert refund.status == "requested"
    client.post(reject, {"note": "请客户携带身份证件办理"})
    refund.refresh_from_db()
    assert (refund.status, refund.entry) == ("rejected", None)


def test_the_customer_page_shows_payments_and_the_notices_sent(
    client, billed, cashier, office, clerk, supervisor, django_capture_on_commit_callbacks
):
    account, _bills = billed
    with at(2026, 4, 20, 9), django_capture_on_commit_callbacks(execute=True):
        kept = counter(account, "250.00", "form-1", cashier=cashier, office=office)
        voided = counter(account, "20.00", "form-2", cashier=cashier, office=office)
    with at(2026, 4, 20, 10):
        correction = payment_correction_request(
            actor=cashier, payment=voided, kind="void", reason="重复收费"
        )
        payment_correction_approve(actor=supervisor, correction=correction)
    with at(2026, 4, 22, 9), django_capture_on_commit_callbacks(execute=True):
        payment_notices_send_due()

    client.force_login(clerk)
    with at(2026, 4, 22, 10):
        response = client.get(reverse("workbench:customer", args=[account.customer.public_id]))
    assert response.status_code == 200
    (panel,) = response.context["accounts"]
    assert [(e.amount, e.payment.receipt_number, e.payment.status) for e in panel.payments] == [
        (D("-20.00"), voided.receipt_number, "voided"),
        (D("-250.00"), kept.receipt_number, "posted"),
    ]
    html = response.content.decode()
    assert "已作废" in html and "营业厅 · 现金" in html
    keys = {(n.template_key, n.channel, n.status) for n in response.context["notifications"]}
    assert keys == {
        ("payment.received", "sms", "sent"),
        ("payment.received", "email", "sent"),
        ("payment.notice", "sms", "sent"),
        ("payment.notice", "email", "sent"),
        # The e-invoice of the bills the kept payment settled (the voided one settled none).
        ("invoice.issued", "sms", "sent"),
        ("invoice.issued", "email", "sent"),
    }
    assert Notification.objects.filter(template_key="payment.received").count() == 4

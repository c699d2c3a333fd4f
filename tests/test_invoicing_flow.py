"""A payment walked to an issued e-invoice through the sandbox platform, then reversed
(冲红) when the payment is reversed; the platform failing once, or timing out after it
issued, still gives exactly one invoice; the periodic retry."""

from datetime import datetime
from decimal import Decimal

import pytest

from tests.invoicing_support import finance_user, pay_at_counter, sandbox_reset
from tests.payments_support import SHANGHAI, at
from waterdesk.invoicing.adapters.sandbox import sandbox_fail_next
from waterdesk.invoicing.models import (
    Invoice,
    InvoiceBill,
    InvoiceKind,
    InvoiceState,
    SandboxInvoice,
)
from waterdesk.invoicing.services.invoices import invoice_retry, invoices_retry_due
from waterdesk.notify.models import Notification
from waterdesk.payments.models import CorrectionKind
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_request,
)

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


@pytest.fixture(autouse=True)
def _sandbox():
    sandbox_reset()
    yield
    sandbox_reset()


def lines_of(invoice):
    return [
        (
            line.component_kind,
            line.quantity,
            line.amount_with_tax,
            line.tax_amount,
            line.amount_without_tax,
        )
        for line in invoice.lines.order_by("pk")
    ]


def test_counter_payment_to_issued_invoice_then_reversed(
    billed, cashier, billing_clerk, supervisor, django_capture_on_commit_callbacks
):
    account, bills = billed
    account.customer.email = "li@example.com"
    account.customer.notice_channels = ["sms", "email"]
    account.customer.save()
    with at(2026, 4, 10):
        # 250.00 pays January (100.00) and February (150.00) in full, nothing of March.
        payment = pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="250.00"
        )
    invoice = Invoice.objects.get()
    assert (invoice.kind, invoice.state, invoice.payment_id) == (
        InvoiceKind.BLUE,
        InvoiceState.ISSUED,
        payment.pk,
    )
    # 50 m³ at 2.07 + 1.57 + 1.36: water supply 103.50, of which 3 % simple levy
    # 103.50 × 0.03 / 1.03 = 3.0145… → 3.01; the two fees are not taxable.
    assert lines_of(invoice) == [
        ("water_supply", D("50.00"), D("103.50"), D("3.01"), D("100.49")),
        ("sewage", D("50.00"), D("68.00"), D("0.00"), D("68.00")),
        ("water_resource", D("50.00"), D("78.50"), D("0.00"), D("78.50")),
    ]
    assert (invoice.amount_with_tax, invoice.tax_amount, invoice.amount_without_tax) == (
        D("250.00"),
        D("3.01"),
        D("246.99"),
    )
    assert sorted(link.bill_id for link in invoice.bill_links.all()) == [bills[0].pk, bills[1].pk]
    platform = SandboxInvoice.objects.get()
    assert invoice.platform_number == platform.number
    assert invoice.pdf_url.endswith(f"/e-invoices/{platform.token}.pdf")
    assert invoice.buyer_name == account.customer.name
    assert platform.payload["items"][0]["tax"] == "3.01"
    delivered = Notification.objects.filter(template_key="invoice.issued").order_by("channel")
    assert [(n.channel, n.dedupe_key) for n in delivered] == [
        ("email", f"invoice:{invoice.public_id}"),
        ("sms", f"invoice:{invoice.public_id}"),
    ]
    assert platform.number in delivered[1].body

    with at(2026, 4, 12), django_capture_on_commit_callbacks(execute=True):
        correction = payment_correction_request(
            actor=billing_clerk, payment=payment, kind=CorrectionKind.REVERSAL, reason="错账"
        )
        payment_correction_approve(actor=supervisor, correction=correction)
    invoice.refresh_from_db()
    red = Invoice.objects.get(kind=InvoiceKind.RED)
    assert (invoice.state, red.state, red.reverses_id) == (
        InvoiceState.REVERSED,
        InvoiceState.ISSUED,
        invoice.pk,
    )
    assert lines_of(red) == [
        ("water_supply", D("-50.00"), D("-103.50"), D("-3.01"), D("-100.49")),
        ("sewage", D("-50.00"), D("-68.00"), D("0.00"), D("-68.00")),
        ("water_resource", D("-50.00"), D("-78.50"), D("0.00"), D("-78.50")),
    ]
    assert red.amount_with_tax == D("-250.00")
    red_platform = SandboxInvoice.objects.get(is_red=True)
    assert (red.platform_number, red_platform.original_number) == (
        red_platform.number,
        invoice.platform_number,
    )
    # Nothing deleted: both invoices and the bill links are kept, the links no longer live.
    assert Invoice.objects.count() == 2
    assert list(InvoiceBill.objects.values_list("is_live", flat=True)) == [False, False]
    assert [event.action for event in invoice.events.all()] == [
        "requested",
        "issued",
        "reversed",
        "red_issued",
    ]


def test_failing_once_then_succeeding_issues_one_invoice(
    billed, cashier, django_capture_on_commit_callbacks
):
    account, _bills = billed
    sandbox_fail_next(1)
    with at(2026, 4, 10):
        pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="100.00"
        )
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.failure_reason, invoice.attempts) == (
        InvoiceState.FAILED,
        "税务平台响应超时",
        1,
    )
    # Retried after a minute, then 2, 4, … minutes (at most 6 hours).
    assert invoice.next_attempt_at == datetime(2026, 4, 10, 10, 1, tzinfo=SHANGHAI)
    assert SandboxInvoice.objects.count() == 0
    with at(2026, 4, 10, 10, 5), django_capture_on_commit_callbacks(execute=True):
        assert invoices_retry_due() == 1
    invoice.refresh_from_db()
    assert (invoice.state, invoice.attempts) == (InvoiceState.ISSUED, 2)
    assert (Invoice.objects.count(), SandboxInvoice.objects.count()) == (1, 1)
    assert [event.action for event in invoice.events.all()] == [
        "requested",
        "failed",
        "retried",
        "issued",
    ]


def test_timeout_after_the_platform_issued_gives_no_second_invoice(
    billed, cashier, django_capture_on_commit_callbacks
):
    account, _bills = billed
    sandbox_fail_next(1, after_issue=True)
    with at(2026, 4, 10):
        pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="100.00"
        )
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.FAILED
    assert SandboxInvoice.objects.count() == 1  # issued there, the answer lost
    user = finance_user()
    with at(2026, 4, 10, 10, 1), django_capture_on_commit_callbacks(execute=True):
        invoice_retry(actor=user, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED
    assert (Invoice.objects.count(), SandboxInvoice.objects.count()) == (1, 1)
    assert invoice.platform_number == SandboxInvoice.objects.get().number


def test_permanent_failure_waits_for_a_fixed_title(
    billed, cashier, django_capture_on_commit_callbacks
):
    account, _bills = billed
    sandbox_fail_next(1, permanent=True)
    with at(2026, 4, 10):
        pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="100.00"
        )
    invoice = Invoice.objects.get()
    first_request = invoice.request_id
    assert (invoice.state, invoice.failure_is_permanent, invoice.next_attempt_at) == (
        InvoiceState.FAILED,
        True,
        None,
    )
    with at(2026, 4, 11):
        assert invoices_retry_due() == 0
    with at(2026, 4, 11), django_capture_on_commit_callbacks(execute=True):
        invoice_retry(actor=finance_user(), invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED
    assert invoice.request_id != first_request


def test_a_payment_that_settles_no_bill_in_full_asks_for_no_invoice(
    billed, cashier, django_capture_on_commit_callbacks
):
    account, bills = billed
    with at(2026, 4, 10):
        pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="99.99"
        )
        assert Invoice.objects.count() == 0
        # The next payment completes January: its invoice covers January only.
        pay_at_counter(
            django_capture_on_commit_callbacks,
            cashier=cashier,
            account=account,
            amount="0.01",
            external_id="c-2",
        )
    invoice = Invoice.objects.get()
    assert [link.bill_id for link in invoice.bill_links.all()] == [bills[0].pk]
    assert invoice.amount_with_tax == D("100.00")


def test_automatic_invoices_can_be_turned_off(billed, cashier, django_capture_on_commit_callbacks):
    from waterdesk.invoicing.services.titles import invoice_title_save

    account, _bills = billed
    invoice_title_save(
        actor=finance_user(), account=account, kind="individual", name="李四", auto_issue=False
    )
    with at(2026, 4, 10):
        pay_at_counter(
            django_capture_on_commit_callbacks, cashier=cashier, account=account, amount="100.00"
        )
    assert Invoice.objects.count() == 0

"""Invoicing's services on their own: staff requests, refusals with nothing written, the
title's tax ids, the reconciliation list, reversals by hand and by a credit note, the tax
items and the rounding rule."""

from decimal import Decimal

import pytest

from tests import test_billing_run_support as billing_run_support
from tests.invoicing_support import RIC, USCC, finance_user, pay_at_counter, sandbox_reset, written
from tests.payments_support import at
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.core.errors import DomainError, IllegalTransition, InvalidInput, NotPermitted
from waterdesk.invoicing.adapters.sandbox import sandbox_fail_next
from waterdesk.invoicing.models import Invoice, InvoiceKind, InvoiceState, TaxItem
from waterdesk.invoicing.selectors import bills_paid_without_invoice
from waterdesk.invoicing.services.invoices import (
    invoice_request,
    invoice_reverse,
    line_tax,
)
from waterdesk.invoicing.services.titles import invoice_title_save, tax_item_update
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


@pytest.fixture
def finance(db):
    return finance_user()


@pytest.fixture
def manual(billed, finance):
    """The billed account with automatic invoices turned off."""
    account, bills = billed
    invoice_title_save(
        actor=finance, account=account, kind="individual", name="李四", auto_issue=False
    )
    return account, bills


def pay(capture, cashier, account, amount, external_id="c-1"):
    with at(2026, 4, 10):
        return pay_at_counter(
            capture, cashier=cashier, account=account, amount=amount, external_id=external_id
        )


def test_rounding_once_per_line_half_up():
    assert line_tax(D("41.40"), treatment="taxable", rate=D("0.03")) == D("1.21")  # 1.2058…
    assert line_tax(D("103.00"), treatment="taxable", rate=D("0.03")) == D("3.00")
    assert line_tax(D("0.35"), treatment="taxable", rate=D("0.03")) == D("0.01")  # 0.0101…
    assert line_tax(D("0.17"), treatment="taxable", rate=D("0.03")) == D("0.00")  # 0.00495…
    assert line_tax(D("68.00"), treatment="not_taxable", rate=D("0")) == D("0.00")


def test_staff_invoice_paid_bills_on_request(
    manual, cashier, finance, django_capture_on_commit_callbacks
):
    account, bills = manual
    pay(django_capture_on_commit_callbacks, cashier, account, "250.00")
    assert Invoice.objects.count() == 0
    assert [row.bill for row in bills_paid_without_invoice()] == bills[:2]
    with at(2026, 4, 11), django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_request(actor=finance, account=account, bills=[bills[1]])
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_with_tax, invoice.tax_amount) == (
        InvoiceState.ISSUED,
        D("150.00"),
        D("1.81"),  # 30 m³ × 2.07 = 62.10; 62.10 × 0.03 / 1.03 = 1.8087…
    )
    assert [row.bill for row in bills_paid_without_invoice()] == [bills[0]]
    assert [row.bill for row in bills_paid_without_invoice(account=account)] == [bills[0]]


def test_organisation_title_goes_on_the_invoice(
    manual, cashier, finance, django_capture_on_commit_callbacks
):
    account, _bills = manual
    title = invoice_title_save(
        actor=finance,
        account=account,
        kind="organisation",
        name="某某科技有限公司",
        tax_id=USCC.lower(),
        address="解放路1号",
        phone="0571-1234567",
        email="fin@example.com",
        auto_issue=True,
    )
    assert title.tax_id == USCC
    assert title.history.count() == 2  # created by the fixture, changed here
    pay(django_capture_on_commit_callbacks, cashier, account, "100.00")
    invoice = Invoice.objects.get()
    assert (invoice.buyer_kind, invoice.buyer_name, invoice.buyer_tax_id) == (
        "organisation",
        "某某科技有限公司",
        USCC,
    )
    assert (invoice.buyer_address_phone, invoice.buyer_email) == (
        "解放路1号 0571-1234567",
        "fin@example.com",
    )


@pytest.mark.parametrize(
    ("kind", "tax_id", "code"),
    [
        ("organisation", "", "tax_id_required"),
        ("organisation", "91110108MA01ABCD3X", "invalid_tax_id"),
        ("organisation", RIC, "invalid_tax_id"),
        ("individual", "110101199003070012", "invalid_tax_id"),
        ("company", "", "invalid_title_kind"),
    ],
)
def test_invalid_tax_ids_are_refused(billed, finance, kind, tax_id, code):
    account, _bills = billed
    before = written()
    with pytest.raises(InvalidInput) as refusal:
        invoice_title_save(actor=finance, account=account, kind=kind, name="某某", tax_id=tax_id)
    assert refusal.value.code == code
    assert written() == before


def test_an_individual_may_give_a_resident_id(billed, finance):
    account, _bills = billed
    title = invoice_title_save(
        actor=finance, account=account, kind="individual", name="李四", tax_id=RIC
    )
    assert title.tax_id == RIC


def test_bad_requests_are_refused_with_nothing_written(
    manual, cashier, finance, django_capture_on_commit_callbacks
):
    account, bills = manual
    payment = pay(django_capture_on_commit_callbacks, cashier, account, "100.00")
    other = billing_run_support.account_with_meter(serial="OTHER-1")
    with at(2026, 4, 11), django_capture_on_commit_callbacks(execute=True):
        first = invoice_request(actor=finance, account=account, bills=[bills[0]], payment=payment)
    before = written()
    cases = [
        (dict(account=account, bills=[bills[1]]), "bill_unpaid"),
        (dict(account=account, bills=[]), "no_bills"),
        (dict(account=other, bills=[bills[0]]), "bill_wrong_account"),
        (dict(account=account, bills=[bills[0]]), "bill_invoiced"),
        (dict(account=account, bills=[bills[0]], payment=payment), "payment_invoiced"),
        (dict(account=other, bills=[bills[0]], payment=payment), "payment_wrong_account"),
    ]
    for kwargs, code in cases:
        with pytest.raises(InvalidInput) as refusal:
            invoice_request(actor=finance, **kwargs)
        assert refusal.value.code == code, kwargs
    assert written() == before
    with pytest.raises(NotPermitted):
        invoice_request(actor=billing_run_support_user(), account=account, bills=[bills[0]])
    assert written() == before
    assert first.pk == Invoice.objects.get().pk


def billing_run_support_user():
    from tests.factories import UserFactory

    return UserFactory(username="nobody")


def test_reversing_an_invoice_never_issued_is_refused(
    billed, cashier, finance, django_capture_on_commit_callbacks
):
    account, _bills = billed
    sandbox_fail_next(1)
    pay(django_capture_on_commit_callbacks, cashier, account, "100.00")
    failed = Invoice.objects.get()
    assert failed.state == InvoiceState.FAILED
    before = written()
    for reason, code in [("重开", "invoice_not_issued"), ("", "reason_required")]:
        with pytest.raises(DomainError) as refusal:
            invoice_reverse(actor=finance, invoice=failed, reason=reason)
        assert refusal.value.code == code
    assert written() == before


def test_manual_reversal_and_its_refusals(
    billed, cashier, finance, supervisor, django_capture_on_commit_callbacks
):
    account, bills = billed
    pay(django_capture_on_commit_callbacks, cashier, account, "100.00")
    invoice = Invoice.objects.get()
    with pytest.raises(NotPermitted):
        invoice_reverse(actor=supervisor, invoice=invoice, reason="开错")
    with at(2026, 4, 12), django_capture_on_commit_callbacks(execute=True):
        red = invoice_reverse(actor=finance, invoice=invoice, reason="抬头开错")
    red.refresh_from_db()
    invoice.refresh_from_db()
    assert (invoice.state, invoice.reverse_reason, red.state) == (
        InvoiceState.REVERSED,
        "抬头开错",
        InvoiceState.ISSUED,
    )
    # The bill is back on the reconciliation list, to be invoiced again with the right title.
    assert [row.bill for row in bills_paid_without_invoice()] == [bills[0]]
    before = written()
    for target, code in [(invoice, "invoice_already_reversed"), (red, "invoice_is_red")]:
        with pytest.raises(IllegalTransition) as refusal:
            invoice_reverse(actor=finance, invoice=target, reason="再冲")
        assert refusal.value.code == code
    assert written() == before


def test_a_credit_note_reverses_the_bills_invoice(
    billed, cashier, billing_clerk, django_capture_on_commit_callbacks
):
    account, bills = billed
    pay(django_capture_on_commit_callbacks, cashier, account, "250.00")
    invoice = Invoice.objects.get()
    with at(2026, 4, 12), django_capture_on_commit_callbacks(execute=True):
        ledger_post_adjustment(
            actor=billing_clerk, account=account, amount="-20.00", reason="水表误差", bill=bills[1]
        )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.REVERSED
    red = Invoice.objects.get(kind=InvoiceKind.RED)
    assert (red.state, red.amount_with_tax) == (InvoiceState.ISSUED, D("-250.00"))
    assert "水表误差" in red.reverse_reason
    # Both bills are paid and back on the list (the credit of 20.00 stays on the account).
    assert [row.bill for row in bills_paid_without_invoice()] == bills[:2]


def test_a_payment_cancelled_before_its_invoice_was_issued_cancels_it(
    billed, cashier, billing_clerk, supervisor, django_capture_on_commit_callbacks
):
    account, _bills = billed
    sandbox_fail_next(1)
    payment = pay(django_capture_on_commit_callbacks, cashier, account, "100.00")
    with at(2026, 4, 12), django_capture_on_commit_callbacks(execute=True):
        correction = payment_correction_request(
            actor=billing_clerk, payment=payment, kind=CorrectionKind.REVERSAL, reason="错账"
        )
        payment_correction_approve(actor=supervisor, correction=correction)
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.CANCELLED
    assert not Invoice.objects.filter(kind=InvoiceKind.RED).exists()
    assert bills_paid_without_invoice() == []


def test_tax_items_are_configurable(billed, finance, supervisor):
    water = TaxItem.objects.get(component_kind="water_supply")
    assert (water.goods_name, water.treatment, water.rate, water.simple_levy) == (
        "*水冰雪*自来水",
        "taxable",
        D("0.0300"),
        True,
    )
    assert TaxItem.objects.get(component_kind="sewage").treatment == "not_taxable"
    assert TaxItem.objects.get(component_kind="water_resource").treatment == "not_taxable"
    sewage = TaxItem.objects.get(component_kind="sewage")
    with pytest.raises(NotPermitted):
        tax_item_update(
            actor=supervisor,
            tax_item=sewage,
            goods_name="x",
            tax_code="1" * 19,
            treatment="taxable",
            rate="0.06",
        )
    for kwargs, code in [
        (dict(tax_code="123", treatment="taxable", rate="0.06"), "invalid_tax_code"),
        (dict(tax_code="1" * 19, treatment="exempt", rate="0.06"), "untaxed_rate_not_zero"),
        (dict(tax_code="1" * 19, treatment="taxable", rate="1.5"), "invalid_rate"),
    ]:
        with pytest.raises(InvalidInput) as refusal:
            tax_item_update(actor=finance, tax_item=sewage, goods_name="*服务*污水处理", **kwargs)
        assert refusal.value.code == code
    assert sewage.history.count() == 0  # seeded by the migration
    updated = tax_item_update(
        actor=finance,
        tax_item=sewage,
        goods_name="*现代服务*污水处理服务",
        tax_code="3040000000000000000",
        treatment="taxable",
        rate="0.06",
        unit="吨",
    )
    assert (updated.treatment, updated.rate, updated.history.count()) == ("taxable", D("0.06"), 1)

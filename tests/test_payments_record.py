"""Recording a payment once per (source, external id): receipts numbered without gaps per
office, chosen bills settled first, voids and reversals approved by a second person."""

from datetime import date

import pytest

from tests.payments_support import D, at
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_aging, account_balance
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.payments.models import (
    CorrectionKind,
    CorrectionStatus,
    DailyClose,
    Payment,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
    ReceiptSequence,
)
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_reject,
    payment_correction_request,
)
from waterdesk.payments.services.record import payment_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


def counter(account, amount, key, *, cashier, office, bills=(), tendered=None):
    return payment_record(
        account=account,
        amount=amount,
        channel=PaymentChannel.COUNTER,
        method=PaymentMethod.CASH,
        source="counter",
        external_id=key,
        office=office,
        cashier=cashier,
        bills=bills,
        tendered=tendered,
    )


def test_a_payment_is_recorded_once_and_numbered_without_gaps(billed, cashier, office):
    account, _bills = billed
    with at(2026, 4, 6):
        first = counter(account, "120.00", "form-1", cashier=cashier, office=office, tendered="200")
        again = counter(account, "120.00", "form-1", cashier=cashier, office=office)
        second = counter(account, "30.00", "form-2", cashier=cashier, office=office)

    assert (first.created, again.created, second.created) == (True, False, True)
    assert again.payment.pk == first.payment.pk
    assert [p.receipt_number for p in Payment.objects.order_by("pk")] == [
        "HQ-2026-000001",
        "HQ-2026-000002",
    ]
    assert (first.payment.tendered, first.payment.change) == (D("200.00"), D("80.00"))
    assert first.payment.business_date == date(2026, 4, 6)
    entries = LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).order_by("pk")
    assert [(e.amount, e.bill_id, e.reference, e.created_by) for e in entries] == [
        (D("-120.00"), None, "HQ-2026-000001", cashier),
        (D("-30.00"), None, "HQ-2026-000002", cashier),
    ]
    assert account_balance(account) == D("150.00")


def test_a_failed_payment_gives_its_receipt_number_back(billed, cashier, office):
    account, _bills = billed
    with at(2026, 4, 6), pytest.raises(InvalidInput) as refused:
        counter(account, "120.00", "form-1", cashier=cashier, office=office, tendered="100")
    assert refused.value.code == "tendered_too_little"
    assert (Payment.objects.count(), LedgerEntry.objects.filter(kind="payment").count()) == (0, 0)
    assert ReceiptSequence.objects.filter(last_value__gt=0).count() == 0
    with at(2026, 4, 6):
        paid = counter(account, "120.00", "form-2", cashier=cashier, office=office)
    assert paid.payment.receipt_number == "HQ-2026-000001"


def test_the_same_id_with_another_amount_is_refused(billed, cashier, office):
    account, _bills = billed
    with at(2026, 4, 6):
        counter(account, "120.00", "form-1", cashier=cashier, office=office)
        with pytest.raises(InvalidInput) as refused:
            counter(account, "121.00", "form-1", cashier=cashier, office=office)
    assert refused.value.code == "transaction_id_reused"
    assert Payment.objects.count() == 1


def test_chosen_bills_are_settled_first_and_overpayment_is_credit(billed, cashier, office):
    account, bills = billed
    _january, february, march = bills
    with at(2026, 4, 6):
        recorded = counter(
            account, "220.00", "form-1", cashier=cashier, office=office, bills=[march, february]
        )
    payment = recorded.payment
    assert [(e.bill_id, e.amount) for e in payment.entries.order_by("pk")] == [
        (february.pk, D("-150.00")),
        (march.pk, D("-50.00")),
        (None, D("-20.00")),
    ]
    assert set(payment.bills.all()) == {february, march}
    aging = account_aging(account, as_of=date(2026, 4, 10))
    # February and March paid; the 20.00 left over settles 20 of January.
    assert (aging["days_31_90"], aging["days_1_30"], aging["not_due"], aging["credit"]) == (
        D("80.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    with at(2026, 4, 7):
        counter(account, "100.00", "form-2", cashier=cashier, office=office)
    aging = account_aging(account, as_of=date(2026, 4, 10))
    assert (aging["balance"], aging["credit"]) == (D("-20.00"), D("20.00"))


def test_a_void_is_approved_by_a_supervisor_and_reverses_the_entries(
    billed, cashier, office, supervisor
):
    account, _bills = billed
    with at(2026, 4, 6, 9):
        payment = counter(account, "120.00", "form-1", cashier=cashier, office=office).payment
    with at(2026, 4, 6, 11):
        request = payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错户号"
        )
        with pytest.raises(NotPermitted) as own:
            payment_correction_approve(actor=cashier, correction=request)
        payment_correction_approve(actor=supervisor, correction=request, note="核实无误")

    payment.refresh_from_db()
    request.refresh_from_db()
    assert (payment.status, request.status, request.decided_by) == (
        PaymentStatus.VOIDED,
        CorrectionStatus.APPROVED,
        supervisor,
    )
    assert own.value.code == "not_permitted"
    reversal = LedgerEntry.objects.get(kind=LedgerEntryKind.REVERSAL)
    assert (reversal.amount, reversal.created_by, reversal.reverses.reference) == (
        D("120.00"),
        supervisor,
        "HQ-2026-000001",
    )
    assert account_balance(account) == D("300.00")
    assert Payment.objects.count() == 1  # kept, with its receipt number


def test_a_void_is_refused_on_another_day_or_after_the_close(billed, cashier, office, supervisor):
    account, _bills = billed
    with at(2026, 4, 6, 9):
        payment = counter(account, "120.00", "form-1", cashier=cashier, office=office).payment
    with at(2026, 4, 7, 9), pytest.raises(IllegalTransition) as next_day:
        payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错"
        )
    assert next_day.value.code == "void_not_same_day"
    with at(2026, 4, 6, 11):
        request = payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错"
        )
        DailyClose.objects.create(
            cashier=cashier,
            office=office,
            business_date=date(2026, 4, 6),
            expected_cash=D("120.00"),
            counted_cash=D("120.00"),
            difference=D("0.00"),
            submitted_at=request.requested_at,
        )
        with pytest.raises(IllegalTransition) as closed:
            payment_correction_approve(actor=supervisor, correction=request)
    assert closed.value.code == "day_closed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.POSTED
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.REVERSAL).count() == 0


def test_a_rejected_void_needs_a_reason_and_leaves_the_payment(billed, cashier, office, supervisor):
    account, _bills = billed
    with at(2026, 4, 6, 9):
        payment = counter(account, "120.00", "form-1", cashier=cashier, office=office).payment
        request = payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错"
        )
        with pytest.raises(InvalidInput):
            payment_correction_reject(actor=supervisor, correction=request, note=" ")
        payment_correction_reject(actor=supervisor, correction=request, note="金额无误，不作废")
    request.refresh_from_db()
    payment.refresh_from_db()
    assert (request.status, payment.status) == (CorrectionStatus.REJECTED, PaymentStatus.POSTED)
    assert account_balance(account) == D("180.00")

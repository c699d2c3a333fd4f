"""The counter's services: taking a payment (cash with change, card, scan; chosen bills;
a double click posts once), the daily close (exact totals, the difference, its refusals)
and the supervisor's sign-off; the receipt PDF and the cash-office report's Excel file."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import UserFactory
from tests.payments_support import D, at
from waterdesk.billing.models import LedgerEntry
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.payments.documents import receipt_pdf
from waterdesk.payments.models import (
    CashierPost,
    CloseStatus,
    CorrectionKind,
    DailyClose,
    Payment,
    PaymentStatus,
)
from waterdesk.payments.reports import cash_report, cash_report_xlsx
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_request,
)
from waterdesk.payments.services.counter import (
    counter_payment_take,
    daily_close_sign_off,
    daily_close_submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


def take(cashier, account, amount, key, *, method="cash", bills=(), tendered=None, reference=""):
    return counter_payment_take(
        actor=cashier,
        account=account,
        amount=amount,
        method=method,
        external_id=key,
        bills=bills,
        tendered=tendered,
        reference=reference,
    )


def payment_rows() -> int:
    return Payment.objects.count()


def payment_entries() -> int:
    return LedgerEntry.objects.filter(kind="payment").count()


# --- taking a payment ----------------------------------------------------------------------


def test_cash_for_two_chosen_bills_with_change_and_a_double_click(billed, cashier, office):
    account, bills = billed
    with at(2026, 4, 6, 9, 30):
        first = take(cashier, account, "250.00", "tok-1", bills=bills[:2], tendered="300")
        again = take(cashier, account, "250.00", "tok-1", bills=bills[:2], tendered="300")

    assert (first.created, again.created, again.payment.pk) == (True, False, first.payment.pk)
    payment = first.payment
    assert (payment.receipt_number, payment.office, payment.cashier) == (
        "HQ-2026-000001",
        office,
        cashier,
    )
    assert (payment.method, payment.tendered, payment.change, payment.source) == (
        "cash",
        D("300.00"),
        D("50.00"),
        "counter",
    )
    assert sorted((e.bill_id, e.amount) for e in payment.entries.all()) == [
        (bills[0].pk, D("-100.00")),
        (bills[1].pk, D("-150.00")),
    ]
    assert account_balance(account) == D("50.00")


def test_more_than_the_chosen_bills_stays_as_credit(billed, cashier):
    account, bills = billed
    with at(2026, 4, 6):
        paid = take(
            cashier, account, "400.00", "tok-1", method="card", bills=bills, reference="POS-88"
        )
    assert (paid.payment.note, paid.payment.tendered, paid.payment.change) == ("POS-88", None, None)
    assert account_balance(account) == D("-100.00")


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount": "200.00", "bills": "first two"}, "amount_below_chosen", "amount"),
        ({"amount": "100.00"}, "tendered_required", "tendered"),
        ({"amount": "100.00", "tendered": "90"}, "tendered_too_little", "tendered"),
        ({"amount": "100.00", "method": "card"}, "reference_required", "reference"),
        ({"amount": "100.00", "method": "scan"}, "reference_required", "reference"),
        ({"amount": "100.00", "method": "wechat", "reference": "x"}, "invalid_method", "method"),
        ({"amount": "0", "tendered": "1"}, "invalid_amount", "amount"),
        ({"amount": "1.234", "tendered": "5"}, "invalid_amount", "amount"),
    ],
)
def test_refused_payments_leave_nothing_written(billed, cashier, kwargs, code, field):
    account, bills = billed
    kwargs = dict(kwargs)
    if kwargs.get("bills") == "first two":
        kwargs["bills"] = bills[:2]
    with at(2026, 4, 6), pytest.raises(InvalidInput) as refused:
        take(cashier, account, key="tok-1", **kwargs)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert (payment_rows(), payment_entries()) == (0, 0)


def test_a_paid_bill_cannot_be_chosen_again(billed, cashier):
    account, bills = billed
    with at(2026, 4, 6):
        take(cashier, account, "100.00", "tok-1", bills=bills[:1], tendered="100")
        with pytest.raises(InvalidInput) as refused:
            take(cashier, account, "100.00", "tok-2", bills=bills[:1], tendered="100")
    assert refused.value.code == "bill_paid"
    assert payment_rows() == 1


def test_who_may_take_money(billed, cashier, supervisor):
    account, _bills = billed
    unposted = UserFactory(username="newcashier", role=Role.CASHIER)
    with at(2026, 4, 6):
        with pytest.raises(NotPermitted) as no_role:
            take(supervisor, account, "10.00", "tok-1", tendered="10")
        with pytest.raises(NotPermitted) as no_post:
            take(unposted, account, "10.00", "tok-2", tendered="10")
    assert (no_role.value.code, no_post.value.code) == ("not_permitted", "no_cashier_post")
    assert "系统管理员" in str(no_post.value.message)
    assert payment_rows() == 0


def test_no_money_after_the_day_is_closed(billed, cashier):
    account, _bills = billed
    with at(2026, 4, 6, 17, 0):
        daily_close_submit(actor=cashier, counted_cash="0")
        with pytest.raises(IllegalTransition) as refused:
            take(cashier, account, "10.00", "tok-1", tendered="10")
    assert refused.value.code == "day_closed"
    assert "明天" in str(refused.value.message) and "主管" in str(refused.value.message)
    assert payment_rows() == 0
    with at(2026, 4, 7, 9, 0):  # the next day is open
        assert take(cashier, account, "10.00", "tok-1", tendered="10").created


# --- the daily close -------------------------------------------------------------------------


@pytest.fixture
def busy_day(billed, cashier, supervisor):
    """On 6 April: cash 100 (tendered 150), card 150, scan 30 and cash 20 voided."""
    account, bills = billed
    with at(2026, 4, 6, 9, 0):
        cash = take(cashier, account, "100.00", "t1", bills=bills[:1], tendered="150")
        take(cashier, account, "150.00", "t2", method="card", bills=bills[1:2], reference="C1")
        take(cashier, account, "30.00", "t3", method="scan", reference="WX-1")
        voided = take(cashier, account, "20.00", "t4", tendered="20")
        correction = payment_correction_request(
            actor=cashier, payment=voided.payment, kind=CorrectionKind.VOID, reason="收错户"
        )
        payment_correction_approve(actor=supervisor, correction=correction)
    return cash.payment, voided.payment


def test_the_close_counts_each_method_and_the_difference(busy_day, cashier, office):
    with at(2026, 4, 6, 17, 30):
        close = daily_close_submit(actor=cashier, counted_cash="98.50", note="少收一张纸币")
    assert close.totals == {
        "cash": {"count": 1, "amount": "100.00"},
        "card": {"count": 1, "amount": "150.00"},
        "scan": {"count": 1, "amount": "30.00"},
    }
    assert (close.payments_count, close.voided_count) == (3, 1)
    assert (close.expected_cash, close.counted_cash, close.difference) == (
        D("100.00"),
        D("98.50"),
        D("-1.50"),
    )
    assert (close.office, close.business_date, close.status, close.note) == (
        office,
        date(2026, 4, 6),
        CloseStatus.SUBMITTED,
        "少收一张纸币",
    )


def test_a_difference_needs_a_note_and_a_day_closes_once(busy_day, cashier):
    with at(2026, 4, 6, 17, 30):
        with pytest.raises(InvalidInput) as no_note:
            daily_close_submit(actor=cashier, counted_cash="99.00", note="  ")
        assert DailyClose.objects.count() == 0
        daily_close_submit(actor=cashier, counted_cash="100.00")
        with pytest.raises(IllegalTransition) as again:
            daily_close_submit(actor=cashier, counted_cash="100.00")
    assert (no_note.value.code, no_note.value.field) == ("note_required", "note")
    assert "-1.00" in str(no_note.value.message)
    assert again.value.code == "already_closed"
    assert DailyClose.objects.count() == 1


def test_a_pending_void_holds_the_close(billed, cashier):
    account, _bills = billed
    with at(2026, 4, 6, 10, 0):
        paid = take(cashier, account, "10.00", "t1", tendered="10")
        payment_correction_request(
            actor=cashier, payment=paid.payment, kind=CorrectionKind.VOID, reason="重复收费"
        )
        with pytest.raises(IllegalTransition) as refused:
            daily_close_submit(actor=cashier, counted_cash="10.00")
    assert refused.value.code == "void_pending"
    assert "主管" in str(refused.value.message)
    assert DailyClose.objects.count() == 0


def test_the_close_is_signed_off_by_another_supervisor(busy_day, cashier, supervisor):
    with at(2026, 4, 6, 17, 30):
        close = daily_close_submit(actor=cashier, counted_cash="100.00")
    supervisor_post = CashierPost.objects.create(user=supervisor, office=close.office)
    with at(2026, 4, 6, 18, 0):
        with pytest.raises(NotPermitted):
            daily_close_sign_off(actor=cashier, close=close)
        signed = daily_close_sign_off(actor=supervisor, close=close, note="相符")
        with pytest.raises(IllegalTransition) as twice:
            daily_close_sign_off(actor=supervisor, close=close)
    assert (signed.status, signed.signed_off_by, signed.sign_off_note) == (
        CloseStatus.SIGNED_OFF,
        supervisor,
        "相符",
    )
    assert twice.value.code == "already_signed_off"
    supervisor_post.delete()


def test_nobody_signs_off_their_own_close(billed, office, supervisor):
    supervisor.groups.add(*UserFactory(role=Role.CASHIER).groups.all())
    CashierPost.objects.create(user=supervisor, office=office)
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)  # fresh permission cache
    with at(2026, 4, 6, 17, 0):
        close = daily_close_submit(actor=supervisor, counted_cash="0")
        with pytest.raises(NotPermitted) as refused:
            daily_close_sign_off(actor=supervisor, close=close)
    assert refused.value.code == "own_close"
    close.refresh_from_db()
    assert close.status == CloseStatus.SUBMITTED


# --- the receipt and the report ------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_the_receipt_pdf(busy_day):
    cash, voided = busy_day
    text = pdf_text(receipt_pdf(cash))
    name = cash.account.customer.name
    for expected in [
        "收",
        "HQ-2026-000001",
        "总部营业厅",
        cash.account.number,
        bills_number(cash),
        "100.00",
        "150.00",
        "50.00",
        "现金",
    ]:
        assert expected in text, expected
    assert name not in text and name[0] in text  # the holder's name masked
    assert "作废" not in text
    voided.refresh_from_db()
    assert voided.status == PaymentStatus.VOIDED
    void_text = pdf_text(receipt_pdf(voided))
    assert "作废" in void_text and "HQ-2026-000004" in void_text


def bills_number(payment) -> str:
    return payment.entries.get().bill.number


def test_the_cash_report_and_its_excel_file(busy_day, cashier):
    with at(2026, 4, 6, 17, 30):
        daily_close_submit(actor=cashier, counted_cash="98.50", note="少一张")
    report = cash_report(date(2026, 4, 6))
    [row] = report.rows
    assert (row.totals.amount, row.totals.voided_count, row.close.difference) == (
        D("280.00"),
        1,
        D("-1.50"),
    )
    sheet = load_workbook(BytesIO(cash_report_xlsx(report))).active
    rows = [list(values) for values in sheet.iter_rows(values_only=True)]
    name = cashier.get_full_name() or cashier.get_username()
    assert rows[0][:2] == ["收费日报", "2026-04-06"]
    assert rows[1] == [
        "营业网点",
        "收费员",
        "现金笔数",
        "现金金额",
        "银行卡笔数",
        "银行卡金额",
        "扫码支付笔数",
        "扫码支付金额",
        "合计笔数",
        "合计金额",
        "作废笔数",
        "作废金额",
        "日结状态",
        "应有现金",
        "实点现金",
        "长短款",
    ]
    assert rows[2] == [
        "总部营业厅",
        name,
        1,
        100,
        1,
        150,
        1,
        30,
        3,
        280,
        1,
        20,
        "待签核",
        100,
        98.5,
        -1.5,
    ]
    assert rows[3][:12] == ["合计", None, 1, 100, 1, 150, 1, 30, 3, 280, 1, 20]
    assert sheet["D3"].number_format == "#,##0.00"

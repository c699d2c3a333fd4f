"""The account ledger: balance, aging (FIFO), statement, adjustments and credit notes,
payments recorded once, reversals once."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from tests import test_billing_run_support as support
from tests.factories import meter_read
from tests.test_billing_run_support import SHANGHAI, D, account_with_meter, run_cycle
from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_aging, account_balance, account_statement
from waterdesk.billing.services.ledger import (
    ledger_post_adjustment,
    ledger_post_payment,
    ledger_reverse,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
cycles = support.cycles


def at(year, month, day, hour=10):
    return time_machine.travel(datetime(year, month, day, hour, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def billed(billing_clerk, cycles, django_capture_on_commit_callbacks):
    """Bills of 100.00 (Jan, due 02-25), 150.00 (Feb, due 03-25) and 50.00 (Mar, due 04-25)."""
    account = account_with_meter()
    capture = django_capture_on_commit_callbacks
    for month, (day, value, run_day) in enumerate(
        [
            (date(2026, 1, 31), "20", (2026, 2, 5)),
            (date(2026, 2, 28), "50", (2026, 3, 5)),
            (date(2026, 3, 31), "60", (2026, 4, 5)),
        ],
        start=1,
    ):
        with at(*run_day):
            meter_read(billing_clerk, account, day, value)
            run_cycle(billing_clerk, cycles[month], capture)
    bills = list(Bill.objects.filter(account=account).order_by("period_end"))
    assert [(b.amount, b.due_date) for b in bills] == [
        (D("100.00"), date(2026, 2, 25)),
        (D("150.00"), date(2026, 3, 25)),
        (D("50.00"), date(2026, 4, 25)),
    ]
    return account, bills


def pay(actor, account, amount, key, *, when=(2026, 4, 6)):
    with at(*when):
        return ledger_post_payment(
            actor=actor, account=account, amount=amount, reference=f"R-{key}", idempotency_key=key
        )


def test_balance_is_the_sum_of_the_ledger(billed, billing_clerk):
    account, _bills = billed
    assert account_balance(account) == D("300.00")
    pay(billing_clerk, account, "120", "p1")
    assert account_balance(account) == D("180.00")
    assert account_balance(account, before=datetime(2026, 3, 10, tzinfo=SHANGHAI)) == D("250.00")


def test_aging_applies_payments_to_the_oldest_debt_first(billed, billing_clerk):
    account, _bills = billed
    pay(billing_clerk, account, "120", "p1")  # settles January, 20 of February

    assert account_aging(account, as_of=date(2026, 4, 10)) == {
        "not_due": D("50.00"),
        "days_1_30": D("130.00"),  # February, due 03-25: 16 days overdue
        "days_31_90": D("0.00"),
        "days_91_180": D("0.00"),
        "over_180": D("0.00"),
        "credit": D("0.00"),
        "balance": D("180.00"),
    }
    late = account_aging(account, as_of=date(2026, 6, 30))
    assert (late["days_31_90"], late["days_91_180"], late["not_due"]) == (
        D("50.00"),
        D("130.00"),
        D("0.00"),
    )
    # Entries posted after the day do not count: on 02-10 only January's bill existed.
    early = account_aging(account, as_of=date(2026, 2, 10))
    assert (early["not_due"], early["balance"]) == (D("100.00"), D("100.00"))


def test_overpayment_is_credit_and_a_reversal_revives_the_debt(billed, billing_clerk):
    account, _bills = billed
    payment = pay(billing_clerk, account, "350", "p1")
    aging = account_aging(account, as_of=date(2026, 4, 10))
    assert (aging["credit"], aging["balance"], aging["days_1_30"]) == (
        D("50.00"),
        D("-50.00"),
        D("0.00"),
    )

    with at(2026, 4, 8):
        ledger_reverse(actor=billing_clerk, entry=payment, reason="银行退票")

    aging = account_aging(account, as_of=date(2026, 4, 10))
    assert (
        aging["credit"],
        aging["days_31_90"],  # January, due 02-25
        aging["days_1_30"],  # February, due 03-25
        aging["not_due"],
        aging["balance"],
    ) == (D("0.00"), D("100.00"), D("150.00"), D("50.00"), D("300.00"))


def test_statement_has_the_running_balance(billed, billing_clerk):
    account, bills = billed
    pay(billing_clerk, account, "120", "p1")
    rows = account_statement(account)
    assert [(row.entry.kind, row.entry.amount, row.balance) for row in rows] == [
        (LedgerEntryKind.CHARGE, D("100.00"), D("100.00")),
        (LedgerEntryKind.CHARGE, D("150.00"), D("250.00")),
        (LedgerEntryKind.CHARGE, D("50.00"), D("300.00")),
        (LedgerEntryKind.PAYMENT, D("-120.00"), D("180.00")),
    ]
    assert [row.entry.bill_id for row in rows[:3]] == [bill.pk for bill in bills]
    assert [(row.entry.amount, row.balance) for row in account_statement(account, limit=1)] == [
        (D("-120.00"), D("180.00"))
    ]


def test_a_credit_note_is_a_negative_adjustment_and_the_bill_never_changes(billed, billing_clerk):
    account, bills = billed
    february = bills[1]
    with at(2026, 4, 7):
        note = ledger_post_adjustment(
            actor=billing_clerk,
            account=account,
            amount="-30.00",
            reason="表计故障多计",
            bill=february,
        )

    assert (note.kind, note.amount, note.bill, note.reference, note.description) == (
        LedgerEntryKind.ADJUSTMENT,
        D("-30.00"),
        february,
        february.number,
        "表计故障多计",
    )
    assert note.due_date is None
    assert note.created_by == billing_clerk
    february.refresh_from_db()
    assert (february.amount, february.volume) == (D("150.00"), D("30.00"))
    assert account_balance(account) == D("270.00")
    # FIFO: the credit settles January first, whatever bill it names.
    aging = account_aging(account, as_of=date(2026, 4, 10))
    assert (aging["days_31_90"], aging["days_1_30"], aging["not_due"]) == (
        D("70.00"),
        D("150.00"),
        D("50.00"),
    )


def test_a_debit_adjustment_is_due_at_once(billed, billing_clerk):
    account, _bills = billed
    with at(2026, 4, 7):
        entry = ledger_post_adjustment(
            actor=billing_clerk, account=account, amount=Decimal("12.50"), reason="补收水费"
        )
    assert (entry.amount, entry.due_date, entry.bill) == (D("12.50"), date(2026, 4, 7), None)
    # Three days overdue on 04-10, with February's bill.
    assert account_aging(account, as_of=date(2026, 4, 10))["days_1_30"] == D("162.50")


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        ("0", "原因", "amount_zero"),
        ("0.001", "原因", "invalid_amount"),
        ("abc", "原因", "invalid_amount"),
        ("10", "  ", "reason_required"),
    ],
)
def test_bad_adjustments_are_refused_and_write_nothing(billed, billing_clerk, amount, reason, code):
    account, _bills = billed
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as error:
        ledger_post_adjustment(actor=billing_clerk, account=account, amount=amount, reason=reason)
    assert error.value.code == code
    assert LedgerEntry.objects.count() == before


def test_adjustments_need_the_permission_and_the_accounts_own_bill(billed, billing_clerk, reader):
    account, bills = billed
    other = account_with_meter()
    before = LedgerEntry.objects.count()
    with pytest.raises(NotPermitted):
        ledger_post_adjustment(actor=reader, account=account, amount="-5", reason="x")
    with pytest.raises(InvalidInput) as error:
        ledger_post_adjustment(
            actor=billing_clerk, account=other, amount="-5", reason="x", bill=bills[0]
        )
    assert error.value.code == "bill_wrong_account"
    assert LedgerEntry.objects.count() == before


def test_an_adjustment_with_a_key_is_posted_once(billed, billing_clerk):
    account, _bills = billed
    first = ledger_post_adjustment(
        actor=billing_clerk, account=account, amount="-5", reason="x", idempotency_key="form-1"
    )
    again = ledger_post_adjustment(
        actor=billing_clerk, account=account, amount="-5", reason="x", idempotency_key="form-1"
    )
    assert again == first
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.ADJUSTMENT).count() == 1


def test_a_payment_is_recorded_exactly_once_per_key(billed, billing_clerk):
    account, _bills = billed
    first = pay(billing_clerk, account, "120.00", "gateway-778")
    repeat = pay(billing_clerk, account, Decimal("120"), "gateway-778")

    assert repeat == first
    assert (first.kind, first.amount, first.reference) == (
        LedgerEntryKind.PAYMENT,
        D("-120.00"),
        "R-gateway-778",
    )
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 1
    assert account_balance(account) == D("180.00")

    with pytest.raises(InvalidInput) as error:
        pay(billing_clerk, account, "99.00", "gateway-778")
    assert error.value.code == "idempotency_key_reused"
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 1


def test_a_gateway_payment_needs_no_user_but_a_clerk_needs_the_permission(billed, reader):
    account, _bills = billed
    entry = ledger_post_payment(
        actor=None, account=account, amount="10", reference="WX-1", idempotency_key="wx-1"
    )
    assert (entry.amount, entry.created_by) == (D("-10.00"), None)
    with pytest.raises(NotPermitted):
        ledger_post_payment(
            actor=reader, account=account, amount="10", reference="X", idempotency_key="x"
        )
    for amount, code in [("-10", "invalid_amount"), ("0", "amount_zero")]:
        with pytest.raises(InvalidInput) as error:
            ledger_post_payment(
                actor=None, account=account, amount=amount, reference="R", idempotency_key="k2"
            )
        assert error.value.code == code
    with pytest.raises(InvalidInput) as error:
        ledger_post_payment(
            actor=None, account=account, amount="1", reference="R", idempotency_key=""
        )
    assert error.value.code == "invalid_idempotency_key"
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 1


def test_an_entry_is_reversed_once(billed, billing_clerk):
    account, _bills = billed
    payment = pay(billing_clerk, account, "120", "p1")
    with at(2026, 4, 8):
        reversal = ledger_reverse(actor=billing_clerk, entry=payment, reason="重复缴费退回")

    assert (reversal.kind, reversal.amount, reversal.reverses, reversal.description) == (
        LedgerEntryKind.REVERSAL,
        D("120.00"),
        payment,
        "重复缴费退回",
    )
    assert account_balance(account) == D("300.00")
    with pytest.raises(IllegalTransition) as error:
        ledger_reverse(actor=billing_clerk, entry=payment, reason="再次")
    assert error.value.code == "already_reversed"
    with pytest.raises(IllegalTransition) as error:
        ledger_reverse(actor=billing_clerk, entry=reversal, reason="再次")
    assert error.value.code == "reversal_not_reversible"
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.REVERSAL).count() == 1


def test_charges_are_corrected_by_credit_notes_not_reversed(billed, billing_clerk, reader):
    account, bills = billed
    charge = LedgerEntry.objects.get(bill=bills[0], kind=LedgerEntryKind.CHARGE)
    before = LedgerEntry.objects.count()
    with pytest.raises(IllegalTransition) as error:
        ledger_reverse(actor=billing_clerk, entry=charge, reason="错账")
    assert error.value.code == "charge_not_reversible"
    payment = pay(billing_clerk, account, "1", "p9")
    with pytest.raises(NotPermitted):
        ledger_reverse(actor=reader, entry=payment, reason="x")
    with pytest.raises(InvalidInput) as error:
        ledger_reverse(actor=billing_clerk, entry=payment, reason="")
    assert error.value.code == "reason_required"
    assert LedgerEntry.objects.count() == before + 1

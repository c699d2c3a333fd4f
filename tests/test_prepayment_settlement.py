"""Prepaid balances settle new bills as they are issued (billing.services.prepayment)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import meter_read
from tests.prepayment_support import (
    D,
    account_with_meter,
    at,
    bill_month,
    bill_of,
    low_notices,
    prepaid_entries,
    prepay,
    set_policy,
)
from tests.test_billing_run_support import month_cycle, run_cycle
from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_aging, account_balance, account_statement
from waterdesk.billing.services.prepayment import prepaid_settle_issued
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_a_year_of_monthly_bills_settled_from_a_prepaid_balance(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    """450.00 prepaid at the counter, then twelve monthly bills of 12 m³ at 3.40 元/m³
    (40.80 each, 144 m³ in the year: the first annual tier): each is settled from the
    balance; the notice goes out once, in October, when the balance falls from 82.80 to
    42.00 (below 50.00); in December the 1.20 left settles part of the bill and 39.60 is
    owed."""
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "450.00", key="prepay-1")
    assert account_balance(account) == D("-450.00")

    expected_notices = 0
    for month in range(1, 13):
        bill_month(
            billing_clerk,
            django_capture_on_commit_callbacks,
            year=2026,
            month=month,
            reads={account: str(12 * month)},
        )
        bill = bill_of(account, 2026, month)
        assert bill.amount == D("40.80")
        settled = min(D("40.80"), D("450.00") - D("40.80") * (month - 1))
        assert prepaid_entries(account)[-2:] == [
            (bill.number, settled),
            (bill.number, -settled),
        ]
        assert account_balance(account) == D("40.80") * month - D("450.00")
        if month == 10:
            expected_notices = 1
        assert len(low_notices(account)) == expected_notices, month

    assert len(prepaid_entries(account)) == 24
    # December: 1.20 of the bill came from the balance, 39.60 is owed.
    december = bill_of(account, 2026, 12)
    assert prepaid_entries(account)[-1] == (december.number, D("-1.20"))
    assert account_balance(account) == D("39.60")
    notice = low_notices(account)[0]
    assert "42.00" in notice.body and "50.00" in notice.body
    assert bill_of(account, 2026, 10).number in notice.body
    # Aging: only December's rest is open, not yet due on 2027-01-05.
    aging = account_aging(account, as_of=date(2027, 1, 5))
    assert aging["not_due"] == D("39.60")
    assert aging["credit"] == D("0.00")
    assert aging["balance"] == D("39.60")


def test_the_statement_shows_one_row_per_settlement_with_the_balance_unchanged(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "100.00", key="prepay-1")
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=1, reads={account: "12"}
    )
    bill = bill_of(account, 2026, 1)
    rows = [(row.entry.kind, row.entry.amount, row.balance) for row in account_statement(account)]
    assert rows == [
        (LedgerEntryKind.PAYMENT, D("-100.00"), D("-100.00")),
        (LedgerEntryKind.CHARGE, D("40.80"), D("-59.20")),
        (LedgerEntryKind.PREPAID, D("-40.80"), D("-59.20")),
    ]
    assert account_statement(account)[-1].entry.description == f"预存抵扣账单 {bill.number}"


def test_an_account_without_credit_gets_no_settlement(
    billing_clerk, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=1, reads={account: "12"}
    )
    assert prepaid_entries(account) == []
    assert account_balance(account) == D("40.80")


def test_a_balance_already_below_the_threshold_sends_no_notice(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    """Only a crossing notifies: 45.00 prepaid is below 50.00 before the bill."""
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "45.00", key="prepay-1")
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=1, reads={account: "12"}
    )
    assert prepaid_entries(account)[-1] == (bill_of(account, 2026, 1).number, D("-40.80"))
    assert low_notices(account) == []


def test_topped_up_above_the_threshold_and_crossing_again_notifies_again(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "60.00", key="prepay-1")
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=1, reads={account: "12"}
    )
    assert len(low_notices(account)) == 1  # 60.00 -> 19.20
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "50.00", key="prepay-2", when=(2026, 2, 10))
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=2, reads={account: "24"}
    )
    assert account_balance(account) == D("-28.40")  # 69.20 -> 28.40
    assert len(low_notices(account)) == 2


def test_the_threshold_and_automatic_settlement_come_from_the_policy(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    set_policy(low_balance_threshold=D("80.00"))
    account = account_with_meter()
    other = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "100.00", key="prepay-1")
        prepay(cashier, other, "100.00", key="prepay-2")
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=1,
        reads={account: "12", other: "12"},
    )
    assert len(low_notices(account)) == 1  # 100.00 -> 59.20, below 80.00
    set_policy(settles_automatically=False)
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=2,
        reads={account: "24", other: "24"},
    )
    assert len(prepaid_entries(account)) == 2  # January's pair only
    assert account_balance(account) == D("-18.40")  # the credit still pays the bill


def test_issuing_the_same_bills_again_writes_nothing(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "60.00", key="prepay-1")
    bill_month(
        billing_clerk, django_capture_on_commit_callbacks, year=2026, month=1, reads={account: "12"}
    )
    bill = bill_of(account, 2026, 1)
    entries = LedgerEntry.objects.count()
    notices = len(low_notices(account))
    with at(2026, 2, 3):
        assert prepaid_settle_issued(bill_ids=[bill.pk], issued_at=bill.issued_at) == 0
    assert LedgerEntry.objects.count() == entries
    assert len(low_notices(account)) == notices == 1
    assert account_balance(account) == D("-19.20")


def test_a_chunk_of_many_prepaid_accounts_settles_in_a_fixed_number_of_queries(
    billing_clerk, cashier, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """The listener reads the policy, the entries already posted, the bills and the
    balances, and writes in one insert, whatever the number of accounts."""
    accounts = [account_with_meter() for _ in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        for index, account in enumerate(accounts):
            prepay(cashier, account, "500.00", key=f"prepay-{index}")
    set_policy(settles_automatically=False)
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=1,
        reads={account: "12" for account in accounts},
    )
    set_policy(settles_automatically=True)
    bills = list(Bill.objects.filter(account__in=accounts))
    assert len(bills) == 30
    with django_assert_max_num_queries(5), at(2026, 2, 3):
        settled = prepaid_settle_issued(
            bill_ids=[bill.pk for bill in bills], issued_at=bills[0].issued_at
        )
    assert settled == 30
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PREPAID).count() == 60
    for account in accounts:
        assert account_balance(account) == D("-459.20")


def test_a_bill_run_chunk_with_prepaid_accounts_is_query_bounded(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    """The run of a chunk (bills, charges, settlements) costs as many queries with 40
    prepaid accounts as with 10."""

    def run_for(count: int, month: int) -> int:
        accounts = [account_with_meter() for _ in range(count)]
        with django_capture_on_commit_callbacks(execute=True):
            for index, account in enumerate(accounts):
                prepay(cashier, account, "500.00", key=f"prepay-{month}-{index}")
        with at(2026, month + 1, 2, 9):
            cycle = month_cycle(billing_clerk, 2026, month)
            for account in accounts:
                meter_read(billing_clerk, account, date(2026, month, 28), "12")
            with CaptureQueriesContext(connection) as queries:
                run_cycle(billing_clerk, cycle, django_capture_on_commit_callbacks)
        settlements = LedgerEntry.objects.filter(kind=LedgerEntryKind.PREPAID, account__in=accounts)
        assert settlements.count() == 2 * count
        return len(queries)

    small = run_for(10, 1)
    large = run_for(40, 2)
    assert large <= small + 5  # the 10 of January are skipped in February (no read)


def test_bills_are_settled_in_batches(
    billing_clerk, cashier, django_capture_on_commit_callbacks, monkeypatch
):
    from waterdesk.billing.services import prepayment

    monkeypatch.setattr(prepayment, "BATCH_SIZE", 3)
    accounts = [account_with_meter() for _ in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        for index, account in enumerate(accounts):
            prepay(cashier, account, "60.00", key=f"prepay-{index}")
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=1,
        reads={account: "12" for account in accounts},
    )
    for account in accounts:
        assert prepaid_entries(account) == [
            (bill_of(account, 2026, 1).number, D("40.80")),
            (bill_of(account, 2026, 1).number, D("-40.80")),
        ]
        assert len(low_notices(account)) == 1


def test_the_notice_goes_on_the_policys_channel(
    billing_clerk, cashier, django_capture_on_commit_callbacks
):
    """By default on the customer's chosen channels (SMS and e-mail); the policy may keep
    it to SMS."""
    by_preference, sms_only = account_with_meter(), account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, by_preference, "60.00", key="prepay-1")
        prepay(cashier, sms_only, "60.00", key="prepay-2")
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=1,
        reads={by_preference: "12"},
    )
    assert Notification.objects.filter(template_key="billing.prepaid_low").count() == 2
    channels = set(
        Notification.objects.filter(template_key="billing.prepaid_low").values_list(
            "channel", flat=True
        )
    )
    assert channels == {"sms", "email"}
    set_policy(notice_channel="sms")
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=2,
        reads={sms_only: "12"},
    )
    rows = Notification.objects.filter(
        template_key="billing.prepaid_low", recipient_address=sms_only.customer.mobile
    )
    assert list(rows.values_list("channel", flat=True)) == ["sms"]
    assert not Notification.objects.filter(
        template_key="billing.prepaid_low", recipient_address=sms_only.customer.email
    ).exists()

"""The demo's prepaid accounts (demo.prepayment.seed_prepayment) on a small city: two
monthly runs of five accounts, each billed 40.80 a month."""

from datetime import datetime

import pytest

from tests.prepayment_support import (
    SHANGHAI,
    D,
    account_with_meter,
    at,
    bill_month,
    low_notices,
    prepaid_entries,
)
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.customers.models import AccountStatus
from waterdesk.demo.prepayment import seed_prepayment
from waterdesk.payments.models import Refund, RefundStatus

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_prepaid_accounts_in_every_state(
    billing_clerk, django_capture_on_commit_callbacks
):
    accounts = [account_with_meter() for _ in range(5)]
    for month in (1, 2):
        bill_month(
            billing_clerk,
            django_capture_on_commit_callbacks,
            year=2026,
            month=month,
            reads={account: str(12 * month) for account in accounts},
        )
    # The first account paid its January bill: it is not one of the demo's.

    with at(2026, 2, 20):
        ledger_post_payment(
            actor=billing_clerk,
            account=accounts[0],
            amount="40.80",
            reference="BANK1",
            idempotency_key="paid-1",
        )
    with django_capture_on_commit_callbacks(execute=True):
        seeded = seed_prepayment(
            billing_clerk=billing_clerk, now=datetime(2026, 3, 10, 11, tzinfo=SHANGHAI)
        )
    assert [seeded[role] for role in ("ample", "low", "closed", "short")] == accounts[1:]
    assert account_balance(seeded["ample"]) == D("-418.40")
    assert account_balance(seeded["low"]) == D("-30.00")
    assert account_balance(seeded["short"]) == D("61.60")
    assert [amount for _number, amount in prepaid_entries(seeded["short"])] == [
        D("20.00"),
        D("-20.00"),
    ]
    assert len(prepaid_entries(seeded["ample"])) == 4
    assert len(low_notices(seeded["low"])) == 1
    assert low_notices(seeded["ample"]) == []
    closed = seeded["closed"]
    assert closed.status == AccountStatus.CLOSED
    refund = Refund.objects.get(account=closed)
    assert (refund.amount, refund.status) == (D("150.00"), RefundStatus.REQUESTED)

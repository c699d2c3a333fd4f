"""The counter under concurrency (PostgreSQL; SQLite serialises every writer): the same
cashier's two close submissions at once leave one close; the same form posted twice at
once records one payment."""

import pytest
from django.db import connection

from tests.payments_support import D, at
from tests.test_api_concurrency import race
from waterdesk.billing.models import LedgerEntry
from waterdesk.core.errors import IllegalTransition
from waterdesk.payments.models import DailyClose, Payment
from waterdesk.payments.services.counter import counter_payment_take, daily_close_submit

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("beijing"),
]


def test_two_close_submissions_at_once_leave_one_close(billed, cashier):
    with at(2026, 4, 6, 17, 0):
        outcomes = race(
            lambda: daily_close_submit(actor=cashier, counted_cash="0"),
            lambda: daily_close_submit(actor=cashier, counted_cash="0"),
        )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "DailyClose",
        "IllegalTransition",
    ]
    refused = next(o for o in outcomes if isinstance(o, IllegalTransition))
    assert refused.code == "already_closed"
    assert DailyClose.objects.count() == 1


def test_a_double_click_at_once_records_one_payment(billed, cashier):
    account, bills = billed

    def click():
        return counter_payment_take(
            actor=cashier,
            account=account,
            amount="100.00",
            method="cash",
            external_id="form-token-1",
            bills=bills[:1],
            tendered="100",
        )

    with at(2026, 4, 6, 10, 0):
        outcomes = race(click, click, click)
    assert sorted(outcome.created for outcome in outcomes) == [False, False, True]
    assert {outcome.payment.pk for outcome in outcomes} == {Payment.objects.get().pk}
    assert [e.amount for e in LedgerEntry.objects.filter(kind="payment")] == [D("-100.00")]

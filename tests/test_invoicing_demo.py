"""The demo's invoices: every state, the organisation's title, the reconciliation list."""

from collections import Counter
from datetime import date, datetime

import pytest

from tests import test_billing_run_support as billing_run_support
from tests.factories import meter_read
from tests.invoicing_support import finance_user
from tests.payments_support import SHANGHAI, at
from waterdesk.demo.invoicing import seed_invoicing
from waterdesk.invoicing.models import Invoice, InvoiceTitle
from waterdesk.invoicing.selectors import bills_paid_without_invoice
from waterdesk.payments.services.counter import counter_payment_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


@pytest.fixture
def five_paid(billing_clerk, cycles, cashier, django_capture_on_commit_callbacks):
    """Five accounts with January and February billed and paid at the counter (their
    follow-ups not run: no invoice yet)."""
    accounts = [billing_run_support.account_with_meter(serial=f"DEMO-{i}") for i in range(5)]
    for month, day, value, run_day in [
        (1, date(2026, 1, 31), "20", (2026, 2, 5)),
        (2, date(2026, 2, 28), "50", (2026, 3, 5)),
    ]:
        with at(*run_day):
            for account in accounts:
                meter_read(billing_clerk, account, day, value)
            billing_run_support.run_cycle(
                billing_clerk, cycles[month], django_capture_on_commit_callbacks
            )
    with at(2026, 4, 10):
        for index, account in enumerate(accounts):
            counter_payment_take(
                actor=cashier,
                account=account,
                amount="250.00",
                method="cash",
                external_id=f"demo-{index}",
                tendered="250.00",
            )
    return accounts


def test_demo_invoices_in_every_state(five_paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = seed_invoicing(
            staff={"finance1": finance_user("finance1")},
            now=datetime(2026, 4, 20, 10, tzinfo=SHANGHAI),
        )
    states = Counter(Invoice.objects.values_list("kind", "state"))
    assert states == {
        ("blue", "issued"): 1,
        ("blue", "reversed"): 1,
        ("red", "issued"): 1,
        ("blue", "failed"): 2,
        ("blue", "requested"): 1,
    }
    assert Invoice.objects.get(number=made["failed_permanent"]).failure_is_permanent
    temporary = Invoice.objects.get(number=made["failed_temporary"])
    assert (temporary.failure_is_permanent, temporary.failure_reason) == (False, "税务平台响应超时")
    title = InvoiceTitle.objects.get()
    assert (title.kind, title.account) == ("organisation", five_paid[0])
    issued = Invoice.objects.get(number=made["issued"])
    assert (issued.buyer_tax_id, issued.amount_with_tax) == (title.tax_id, 250)
    # The other four accounts keep January on the reconciliation list; the reversed
    # invoice's February bill is back on it, to be invoiced again.
    left = [(row.account, row.bill.period_end) for row in bills_paid_without_invoice()]
    january, february = date(2026, 1, 31), date(2026, 2, 28)
    assert left == [
        (five_paid[1], january),
        (five_paid[1], february),
        (five_paid[2], january),
        (five_paid[3], january),
        (five_paid[4], january),
    ]
    from django.contrib.auth import get_user_model

    finance = get_user_model().objects.get(username="finance1")
    assert finance.has_perm("invoicing.reverse_invoice")

"""Late-fee runs racing on PostgreSQL with committed transactions: two runs at once, of
the same day or of two days, post every fee once (the second waits for the first).

PostgreSQL only: SQLite serialises every writer, so it shows no race. Threads have their
own database connections and close them when done.
"""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import installed_account
from tests.test_billing_late_fees import at, fees, make_bill, policy
from waterdesk.billing.models import LateFeeRun
from waterdesk.billing.services import late_fees

if connection.vendor != "postgresql":
    pytest.skip("needs PostgreSQL", allow_module_level=True)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

D = Decimal


def race(*calls):
    """Run the calls in threads at once, each on its own connection; their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # handed back to the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def slow_reads(monkeypatch):
    """Each batch waits after reading the ledger, so that two runs without the lock would
    both read before either posts."""
    load = late_fees._load

    def slow(*args, **kwargs):
        result = load(*args, **kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(late_fees, "_load", slow)


@pytest.fixture
def bill():
    """100.00 due 2026-01-25 at 0.10 a day: 1.60 through Feb 10, 1.70 through Feb 11."""
    policy("0.001")
    return make_bill(installed_account(), amount="100", due=date(2026, 1, 25))


def test_two_days_posted_at_once_post_each_day_once(bill, slow_reads):
    with at(2026, 2, 11, 23):
        outcomes = race(
            lambda: late_fees.late_fees_post(as_of=date(2026, 2, 10)),
            lambda: late_fees.late_fees_post(as_of=date(2026, 2, 11)),
        )
    tenth, eleventh = outcomes
    # Whichever ran first, Jan 26 – Feb 11 is charged once: 17 × 0.10.
    assert sorted([tenth.amount_posted, eleventh.amount_posted]) in (
        [D("0.00"), D("1.70")],  # Feb 11 first: Feb 10 finds everything posted
        [D("0.10"), D("1.60")],  # Feb 10 first: Feb 11 posts its own day
    )
    assert sum(amount for amount, _text in fees(bill)) == D("1.70")
    runs = {run.as_of: run for run in LateFeeRun.objects.all()}
    assert {day: run.amount_posted for day, run in runs.items()} == {
        date(2026, 2, 10): tenth.amount_posted,
        date(2026, 2, 11): eleventh.amount_posted,
    }
    assert all(run.finished_at is not None for run in runs.values())


def test_the_hourly_job_started_twice_posts_the_day_once(bill, slow_reads):
    with at(2026, 2, 11, 1):
        outcomes = race(late_fees.late_fees_post_due, late_fees.late_fees_post_due)
    posted = [outcome for outcome in outcomes if outcome is not None]
    assert outcomes.count(None) == 1  # the second waited, then found the day finished
    assert (posted[0].bills_posted, posted[0].amount_posted) == (1, D("1.70"))
    assert fees(bill) == [(D("1.70"), "违约金（2026-01-26至2026-02-11）")]
    run = LateFeeRun.objects.get()
    assert (run.as_of, run.bills_posted, run.amount_posted) == (date(2026, 2, 11), 1, D("1.70"))

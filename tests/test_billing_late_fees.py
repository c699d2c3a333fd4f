"""Late fees (issue 11 §4): the policy, the daily calculation (per-day rounding, the cap, no
compounding, FIFO principal), disputes, waivers approved by a second person, and the
nightly posting run once per bill and day."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command

from tests.factories import UserFactory, installed_account
from tests.test_billing_run_support import SHANGHAI
from waterdesk.billing.documents import bill_pdf
from waterdesk.billing.models import (
    Bill,
    BillDispute,
    LateFeePolicy,
    LateFeeRun,
    LateFeeWaiver,
    LedgerEntry,
    LedgerEntryKind,
    MeterRead,
    ReadSource,
    ReadStatus,
)
from waterdesk.billing.selectors.bills import account_fee_notice, bill_statement
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.late_fees import (
    bill_dispute_close,
    bill_dispute_open,
    late_fee_waiver_approve,
    late_fee_waiver_request,
    late_fees_post,
)
from waterdesk.billing.services.ledger import ledger_post_payment, ledger_reverse
from waterdesk.billing.tasks import late_fees_post_due
from waterdesk.core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

D = Decimal


def at(year, month, day, hour=10):
    return time_machine.travel(datetime(year, month, day, hour, 0, tzinfo=SHANGHAI), tick=False)


def policy(rate="0.001", *, grace=0, cap="0.30", effective_from=date(2000, 1, 1)):
    """The seeded policy edited (or a new one from ``effective_from``)."""
    LateFeePolicy.objects.update_or_create(
        effective_from=effective_from,
        defaults={"daily_rate": D(rate), "grace_days": grace, "cap_share": D(cap)},
    )


def make_bill(account, *, amount, due: date, issued: date | None = None) -> Bill:
    """A bill of ``amount`` due on ``due`` and its charge, issued 20 days before."""
    issued = issued or due - timedelta(days=20)
    meter = account.meters.get()
    read = MeterRead.objects.create(
        account=account,
        meter=meter,
        read_on=issued,
        value=D(Bill.objects.filter(account=account).count() + 1),
        source=ReadSource.MANUAL,
        status=ReadStatus.VALIDATED,
        entered_at=datetime.combine(issued, datetime.min.time(), tzinfo=SHANGHAI),
    )
    moment = datetime(issued.year, issued.month, issued.day, 8, tzinfo=SHANGHAI)
    bill = Bill.objects.create(
        number=f"B{account.number}-{due:%Y%m%d}",
        account=account,
        period_start=issued - timedelta(days=30),
        period_end=issued - timedelta(days=1),
        closing_read=read,
        volume=D("10.00"),
        amount=D(amount),
        issued_at=moment,
        due_date=due,
    )
    LedgerEntry.objects.create(
        account=account,
        kind=LedgerEntryKind.CHARGE,
        amount=D(amount),
        bill=bill,
        posted_at=moment,
        due_date=due,
        description=f"水费 {bill.number}",
    )
    return bill


def post(day: date):
    with at(day.year, day.month, day.day, 23):
        return late_fees_post(as_of=day)


def fees(bill) -> list[tuple[Decimal, str]]:
    return list(
        LedgerEntry.objects.filter(bill=bill, kind=LedgerEntryKind.LATE_FEE)
        .order_by("posted_at", "pk")
        .values_list("amount", "description")
    )


def fee_total(bill) -> Decimal:
    return sum((amount for amount, _text in fees(bill)), D("0.00"))


def pay(actor, account, amount, key, day: date, *, bill=None):
    with at(day.year, day.month, day.day, 12):
        if bill is None:
            return ledger_post_payment(
                actor=actor, account=account, amount=amount, reference=key, idempotency_key=key
            )
        from waterdesk.billing.services.ledger import ledger_post_new_payment

        return ledger_post_new_payment(
            account=account, parts=[(bill, D(amount))], reference=key, key=key
        )[0]


@pytest.fixture
def account(db):
    return installed_account()


def test_the_default_policy_is_seeded():
    row = LateFeePolicy.objects.get()
    assert (row.daily_rate, row.grace_days, row.cap_share, row.is_active) == (
        D("0.000500"),
        0,
        D("0.3000"),
        True,
    )


def test_a_year_of_months_equals_the_hand_computed_figure_with_the_cap(account):
    """Twelve bills, none paid, late fees posted at the end of every month of 2025 at
    0.1 % a day (grace 0, cap 30 % of the principal). Each day's fee is the unpaid
    principal × 0.001, rounded to the fen half up (125.00 × 0.001 = 0.125 → 0.13); a bill's
    days run from the day after its due date through 2025-12-31.

    ====  ==========  =========  ====  =======  ===========  ==============  ==========
    bill  due         principal  days  per day  uncapped     cap (30 %)      cumulative
    ====  ==========  =========  ====  =======  ===========  ==============  ==========
     1    2025-01-25  125.00     340   0.13     44.20        37.50 bites     37.50
                                                             on day 289 =
                                                             11-10 (288 ×
                                                             0.13 = 37.44,
                                                             + 0.06)
     2    2025-02-25  100.00     309   0.10     30.90        30.00 bites on  30.00
                                                             day 300 = 12-22
     3    2025-03-25   90.00     281   0.09     25.29        27.00           25.29
     4    2025-04-25  110.00     250   0.11     27.50        33.00           27.50
     5    2025-05-25   80.00     220   0.08     17.60        24.00           17.60
     6    2025-06-25   60.00     189   0.06     11.34        18.00           11.34
     7    2025-07-25   70.00     159   0.07     11.13        21.00           11.13
     8    2025-08-25  100.00     128   0.10     12.80        30.00           12.80
     9    2025-09-25   50.00      97   0.05      4.85        15.00            4.85
    10    2025-10-25   40.00      67   0.04      2.68        12.00            2.68
    11    2025-11-25  120.00      36   0.12      4.32        36.00            4.32
    12    2025-12-25   30.00       6   0.03      0.18         9.00            0.18
    ====  ==========  =========  ====  =======  ===========  ==============  ==========
                                                             total           185.19

    Days: bill 1 has 6 (Jan 26–31) + 334 (Feb–Dec) = 340; bill 2 3 + 306 = 309; bill 3
    6 + 275; bill 4 5 + 245; bill 5 6 + 214; bill 6 5 + 184; bill 7 6 + 153; bill 8
    6 + 122; bill 9 5 + 92; bill 10 6 + 61; bill 11 5 + 31; bill 12 6.
    By month, bill 1: January 6 × 0.13 = 0.78; November 9 × 0.13 + 0.06 = 1.23 (capped on
    the 10th); nothing in December. Bill 2 in December: 22 × 0.10 = 2.20.
    Late fees are never principal: every day's fee is on the bill's charge alone.
    """
    policy("0.001")
    principals = ["125", "100", "90", "110", "80", "60", "70", "100", "50", "40", "120", "30"]
    bills = [
        make_bill(account, amount=amount, due=date(2025, month, 25))
        for month, amount in enumerate(principals, start=1)
    ]
    month_ends = [
        date(2025, month, 1) + timedelta(days=31) for month in range(1, 13)
    ]  # a day in the next month; the month's last day is the day before its first
    month_ends = [day.replace(day=1) - timedelta(days=1) for day in month_ends]
    for day in month_ends:
        post(day)
    expected = [
        "37.50", "30.00", "25.29", "27.50", "17.60", "11.34",
        "11.13", "12.80", "4.85", "2.68", "4.32", "0.18",
    ]  # fmt: skip
    assert [fee_total(bill) for bill in bills] == [D(value) for value in expected]
    assert sum((fee_total(bill) for bill in bills), D("0")) == D("185.19")
    first = fees(bills[0])
    assert first[0] == (D("0.78"), "违约金（2025-01-26至2025-01-31）")
    assert first[-1] == (D("1.23"), "违约金（2025-11-01至2025-11-10）")
    assert len(first) == 11  # January to November; capped, nothing in December
    assert fees(bills[1])[-1] == (D("2.20"), "违约金（2025-12-01至2025-12-22）")
    assert LateFeeRun.objects.count() == 12
    # The balance is the principals plus the fees: nothing compounded.
    assert account_balance(account) == D("975.00") + D("185.19")


def test_partial_payment_lowers_the_principal_from_the_next_day(account, billing_clerk):
    """100.00 due 01-25, 0.10 a day; 40.00 paid on 02-10: Jan 26 – Feb 10 (16 days) on
    100.00 = 1.60, Feb 11–20 (10 days) on 60.00 = 0.60."""
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    pay(billing_clerk, account, "40", "P-1", date(2026, 2, 10))
    post(date(2026, 2, 20))
    assert fees(bill) == [(D("2.20"), "违约金（2026-01-26至2026-02-20）")]


def test_a_payment_naming_a_bill_settles_that_bill(account):
    """Bills A (100.00, due 01-25) and B (100.00, due 02-25); 100.00 paid for B on 02-10:
    A keeps accruing 0.10 a day (Jan 26 – Mar 10, 44 days = 4.40), B accrues nothing."""
    policy("0.001")
    bill_a = make_bill(account, amount="100", due=date(2026, 1, 25))
    bill_b = make_bill(account, amount="100", due=date(2026, 2, 25))
    pay(None, account, "100", "P-B", date(2026, 2, 10), bill=bill_b)
    post(date(2026, 3, 10))
    assert fee_total(bill_a) == D("4.40")
    assert fees(bill_b) == []


def test_the_reversal_of_a_payment_restores_the_principal(account, billing_clerk):
    """100.00 due 01-25; paid in full on 02-05, the payment reversed on 02-15: Jan 26 –
    Feb 5 (11 days) = 1.10; Feb 6–15 nothing (paid at the end of Feb 5–14); Feb 16–28
    (13 days, the payment cancelled at the end of Feb 15) = 1.30."""
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    payment = pay(billing_clerk, account, "100", "P-1", date(2026, 2, 5))
    post(date(2026, 2, 10))
    assert fee_total(bill) == D("1.10")
    with at(2026, 2, 15):
        ledger_reverse(actor=billing_clerk, entry=payment, reason="银行退票")
    post(date(2026, 2, 28))
    assert fees(bill)[-1] == (D("1.30"), "违约金（2026-02-16至2026-02-28）")
    assert fee_total(bill) == D("2.40")


def test_a_disputed_bill_posts_nothing_while_open_and_accrues_after_close(account, billing_clerk):
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    with at(2026, 1, 20):
        dispute = bill_dispute_open(actor=billing_clerk, bill=bill, reason="用户对读数有异议")
    post(date(2026, 2, 10))
    assert fees(bill) == []
    with at(2026, 2, 15):
        bill_dispute_close(actor=billing_clerk, dispute=dispute, note="复核读数无误")
    post(date(2026, 2, 20))  # Feb 16–20: 5 × 0.10; the closing day (Feb 15) is disputed
    assert fees(bill) == [(D("0.50"), "违约金（2026-02-16至2026-02-20）")]
    assert BillDispute.objects.get().closed_by == billing_clerk


def test_a_waiver_needs_a_second_person_with_the_permission(account, billing_clerk):
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    post(date(2026, 2, 10))  # 16 days: 1.60
    with at(2026, 2, 11):
        waiver = late_fee_waiver_request(
            actor=billing_clerk, bill=bill, reason="首次逾期，用户住院", amount=None
        )
    entries = LedgerEntry.objects.count()
    other_clerk = UserFactory(username="billing2", role="billing_clerk")
    approver = UserFactory(username="approver2")
    approver.user_permissions.add(Permission.objects.get(codename="approve_late_fee_waiver"))
    billing_clerk.user_permissions.add(Permission.objects.get(codename="approve_late_fee_waiver"))
    billing_clerk = type(billing_clerk).objects.get(pk=billing_clerk.pk)  # fresh perm cache
    with at(2026, 2, 12):
        with pytest.raises(NotPermitted, match="申请人以外"):
            late_fee_waiver_approve(actor=billing_clerk, waiver=waiver)
        with pytest.raises(NotPermitted, match="可批准违约金减免"):
            late_fee_waiver_approve(actor=other_clerk, waiver=waiver)
        assert LedgerEntry.objects.count() == entries
        assert LateFeeWaiver.objects.get().approved_at is None
        late_fee_waiver_approve(actor=approver, waiver=waiver)
    waiver.refresh_from_db()
    assert waiver.approved_by == approver
    assert waiver.approved_amount == D("1.60")
    assert waiver.ledger_entry.kind == LedgerEntryKind.LATE_FEE
    assert waiver.ledger_entry.amount == D("-1.60")
    assert waiver.ledger_entry.bill == bill
    assert account_balance(account) == D("100.00")
    # The waiver settles the fee, not the principal: 100.00 still accrues, and the waived
    # fee is not posted again.
    post(date(2026, 2, 20))
    assert fees(bill)[-1] == (D("1.00"), "违约金（2026-02-11至2026-02-20）")
    with at(2026, 2, 21):
        notice = account_fee_notice(account, as_of=date(2026, 2, 21))
    assert notice.total_due == D("101.00")


def test_a_waiver_of_more_than_the_fees_is_refused_and_writes_nothing(account, billing_clerk):
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    post(date(2026, 2, 10))
    with at(2026, 2, 11), pytest.raises(InvalidInput) as error:
        late_fee_waiver_request(actor=billing_clerk, bill=bill, reason="x", amount="2.00")
    assert error.value.code == "waiver_too_large"
    with at(2026, 2, 11), pytest.raises(InvalidInput) as error:
        late_fee_waiver_request(actor=billing_clerk, bill=bill, reason=" ", amount="1.00")
    assert (error.value.code, error.value.field) == ("required", "reason")
    with at(2026, 2, 11), pytest.raises(InvalidInput) as error:
        bill_dispute_open(actor=billing_clerk, bill=bill, reason="")
    assert (error.value.code, error.value.field) == ("required", "reason")
    assert LateFeeWaiver.objects.count() == 0
    assert BillDispute.objects.count() == 0


def test_posting_twice_posts_nothing_more(account):
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    first = post(date(2026, 2, 10))
    again = post(date(2026, 2, 10))
    assert (first.bills_posted, again.bills_posted) == (1, 0)
    assert fees(bill) == [(D("1.60"), "违约金（2026-01-26至2026-02-10）")]
    with at(2026, 2, 11, 1):
        assert late_fees_post_due.delay().get() == 1  # Feb 11: one more day
        assert late_fees_post_due.delay().get() is None  # today's run has finished
    assert fee_total(bill) == D("1.70")


def test_an_earlier_day_posted_after_a_later_one_charges_nothing_again(account):
    # A backfill (``late_fees_post --as-of``) of a day before the last run: the later run
    # charged those days already, whenever its fees were posted.
    policy("0.001")
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    later = post(date(2026, 2, 11))
    with at(2026, 2, 12, 9):
        earlier = late_fees_post(as_of=date(2026, 2, 10))
    assert (later.amount_posted, earlier.amount_posted) == (D("1.70"), D("0.00"))
    assert fees(bill) == [(D("1.70"), "违约金（2026-01-26至2026-02-11）")]


def test_the_policy_in_force_on_each_day_applies(account):
    """0.10 a day to Jan 31; from Feb 1 0.2 % (0.20 a day) with 3 grace days (the grace of
    the policy of the day: Feb 1 is past Jan 25 + 3): Jan 26–31 = 0.60, Feb 1–10 = 2.00."""
    policy("0.001")
    policy("0.002", grace=3, effective_from=date(2026, 2, 1))
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    post(date(2026, 2, 10))
    assert fee_total(bill) == D("2.60")


def test_grace_days_delay_the_first_fee(account):
    policy("0.001", grace=10)
    bill = make_bill(account, amount="100", due=date(2026, 1, 25))
    post(date(2026, 2, 4))  # grace to Feb 4
    assert fees(bill) == []
    post(date(2026, 2, 6))
    assert fees(bill) == [(D("0.20"), "违约金（2026-02-05至2026-02-06）")]


def test_the_command_posts_and_the_next_bill_shows_the_fees(account, capsys):
    policy("0.001")
    make_bill(account, amount="100", due=date(2026, 1, 25))
    with at(2026, 2, 10, 23):
        call_command("late_fees_post", "--as-of", "2026-02-10")
    assert "bills=1 amount=1.60" in capsys.readouterr().out
    next_bill = make_bill(account, amount="50", due=date(2026, 3, 25), issued=date(2026, 3, 5))
    statement = bill_statement(next_bill)
    assert statement.late_fees == D("1.60")
    assert statement.balance_brought_forward == D("101.60")
    assert bill_pdf(next_bill).startswith(b"%PDF")

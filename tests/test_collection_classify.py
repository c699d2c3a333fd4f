"""The arrears classification (issue 11 §1): the default matrix, accounts at the band
edges, FIFO as the ledger's aging has it, exemptions, runs replacing each other, the
command and the once-a-day task; and on random ledgers the set-based SQL agrees with
``account_aging`` account by account."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from tests import collection_support as ledger
from tests.factories import AccountFactory, UserFactory
from waterdesk.billing.models import LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_aging, account_open_debts
from waterdesk.collection.classify import collection_classify
from waterdesk.collection.models import (
    AccountArrears,
    ClassificationRule,
    ClassificationRun,
    CollectionExemption,
    CollectionStrategy,
    ExemptionKind,
)
from waterdesk.collection.services.exemptions import (
    collection_exemption_add,
    collection_exemption_revoke,
)
from waterdesk.collection.tasks import collection_classify_nightly
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
D = Decimal


def arrears(account) -> AccountArrears:
    return AccountArrears.objects.select_related("amount_band", "age_band", "strategy").get(
        account=account
    )


def row(account) -> tuple:
    found = arrears(account)
    return (
        found.overdue_amount,
        found.oldest_due_date,
        found.days_overdue,
        found.amount_band.code,
        found.age_band.code,
        found.strategy.code,
    )


@pytest.fixture
def supervisor():
    return UserFactory(username="collection-boss", role=Role.COLLECTION_SUPERVISOR)


def test_the_default_matrix():
    cells = {
        (rule.amount_band.name, rule.age_band.name): rule.strategy.name
        for rule in ClassificationRule.objects.select_related("amount_band", "age_band", "strategy")
    }
    assert cells == {
        ("200元以下", "逾期1–30天"): "提醒",
        ("200元以下", "逾期31–90天"): "提醒",
        ("200元以下", "逾期90天以上"): "催缴",
        ("200–1000元", "逾期1–30天"): "提醒",
        ("200–1000元", "逾期31–90天"): "催缴",
        ("200–1000元", "逾期90天以上"): "重点催缴",
        ("1000元以上", "逾期1–30天"): "催缴",
        ("1000元以上", "逾期31–90天"): "重点催缴",
        ("1000元以上", "逾期90天以上"): "重点催缴",
    }


@pytest.mark.parametrize(
    ("amount", "days", "expected"),
    [
        ("0.01", 1, ("small", "days_1_30", "gentle")),
        ("199.99", 30, ("small", "days_1_30", "gentle")),
        ("200.00", 30, ("medium", "days_1_30", "gentle")),
        ("199.99", 31, ("small", "days_31_90", "gentle")),
        ("200.00", 31, ("medium", "days_31_90", "standard")),
        ("999.99", 90, ("medium", "days_31_90", "standard")),
        ("999.99", 91, ("medium", "over_90", "intensive")),
        ("1000.00", 90, ("large", "days_31_90", "intensive")),
        ("1000.00", 1, ("large", "days_1_30", "standard")),
        ("199.99", 91, ("small", "over_90", "standard")),
    ],
)
def test_bands_at_their_edges(amount, days, expected):
    due = AS_OF - timedelta(days=days)
    account = ledger.account_owing(amount, due=due)

    run = collection_classify(as_of=AS_OF)

    assert row(account) == (D(amount), due, days, *expected)
    assert (run.as_of, run.accounts_classified) == (AS_OF, 1)
    found = arrears(account)
    assert (found.balance, found.is_exempt, found.exemption_kinds, found.run_id) == (
        D(amount),
        False,
        "",
        run.pk,
    )


def test_debts_not_yet_overdue_are_not_classified():
    due_today = ledger.account_owing("500.00", due=AS_OF)
    due_later = ledger.account_owing("500.00", due=AS_OF + timedelta(days=10))
    paid = ledger.account_owing("500.00", due=AS_OF - timedelta(days=40))
    ledger.payment(paid, "500.00", on=AS_OF - timedelta(days=1))
    in_credit = ledger.account_owing("80.00", due=AS_OF - timedelta(days=40))
    ledger.payment(in_credit, "100.00", on=AS_OF - timedelta(days=50))

    run = collection_classify(as_of=AS_OF)

    assert run.accounts_classified == 0
    assert not AccountArrears.objects.filter(
        account__in=[due_today, due_later, paid, in_credit]
    ).exists()


def test_payments_settle_the_oldest_debts_first():
    account = AccountFactory()
    ledger.charge(account, "100.00", due=date(2026, 3, 25))
    ledger.charge(account, "150.00", due=date(2026, 5, 25))
    ledger.charge(account, "50.00", due=date(2026, 7, 10))  # not yet due
    ledger.payment(account, "120.00", on=date(2026, 6, 1))

    collection_classify(as_of=AS_OF)

    # January's 100 and 20 of February's 150 are paid: 130 left of the debt due 05-25.
    assert row(account) == (D("130.00"), date(2026, 5, 25), 36, "small", "days_31_90", "gentle")
    assert arrears(account).balance == D("180.00")


def test_a_payment_naming_a_bill_settles_that_bill_first():
    account = AccountFactory()
    march = ledger.bill(account, amount="300.00", due=date(2026, 3, 25))
    april = ledger.bill(account, amount="250.00", due=date(2026, 4, 25))
    ledger.payment(account, "300.00", on=date(2026, 6, 1), bill=march)
    # What is left of a payment beyond its bill settles the oldest other debts.
    other = AccountFactory()
    ledger.bill(other, amount="300.00", due=date(2026, 3, 25))
    may = ledger.bill(other, amount="100.00", due=date(2026, 5, 25))
    ledger.payment(other, "150.00", on=date(2026, 6, 1), bill=may)

    collection_classify(as_of=AS_OF)

    assert row(account) == (D("250.00"), april.due_date, 66, "medium", "days_31_90", "standard")
    assert row(other) == (D("250.00"), date(2026, 3, 25), 97, "medium", "over_90", "intensive")


def test_a_late_fee_waiver_settles_its_bills_fees_not_the_oldest_debt():
    account = AccountFactory()
    ledger.charge(account, "5.00", due=date(2026, 2, 1))
    may = ledger.bill(account, amount="100.00", due=date(2026, 5, 25))
    ledger.late_fee(may, "10.00", on=date(2026, 6, 10))
    ledger.waiver(may, "10.00", on=date(2026, 6, 12))
    # A waiver larger than the bill's fees: the rest settles the oldest debts; a fee due
    # today is not overdue, yet the waiver settles it first.
    other = AccountFactory()
    ledger.charge(other, "50.00", due=date(2026, 2, 1))
    june = ledger.bill(other, amount="100.00", due=date(2026, 5, 25))
    ledger.late_fee(june, "10.00", on=AS_OF)
    ledger.waiver(june, "25.00", on=AS_OF)
    ledger.payment(other, "60.00", on=date(2026, 6, 1), bill=june)

    collection_classify(as_of=AS_OF)

    # The 5.00 due 1 February is still unpaid: the waiver only settled May's fee.
    assert row(account) == (D("105.00"), date(2026, 2, 1), 149, "small", "over_90", "standard")
    # 15.00 of the waiver and nothing of the payment (40.00 of June's charge left) are
    # free: 35.00 of February's 50.00 is left.
    assert row(other) == (D("75.00"), date(2026, 2, 1), 149, "small", "over_90", "standard")
    assert arrears(other).balance == D("75.00")


def test_a_reversed_payment_no_longer_pays():
    account = ledger.account_owing("400.00", due=date(2026, 5, 1))
    paid = ledger.payment(account, "400.00", on=date(2026, 5, 20))
    collection_classify(as_of=AS_OF)
    assert not AccountArrears.objects.exists()

    ledger.entry(
        account,
        LedgerEntryKind.REVERSAL,
        "400.00",
        posted=ledger.moment(date(2026, 6, 2)),
        due=date(2026, 6, 2),
        reverses=paid,
    )
    collection_classify(as_of=AS_OF)

    assert row(account) == (D("400.00"), date(2026, 5, 1), 60, "medium", "days_31_90", "standard")


def test_only_what_was_posted_by_the_day_counts():
    account = ledger.account_owing("300.00", due=date(2026, 6, 1))
    # Paid on 1 July (Shanghai) at 00:30, which is still 30 June in UTC.
    ledger.entry(
        account,
        LedgerEntryKind.PAYMENT,
        "-300.00",
        posted=ledger.moment(date(2026, 7, 1), hour=0, minute=30),
    )
    collection_classify(as_of=AS_OF)
    assert row(account)[:3] == (D("300.00"), date(2026, 6, 1), 29)

    collection_classify(as_of=date(2026, 7, 1))
    assert not AccountArrears.objects.exists()


def test_a_debt_without_due_date_is_due_the_day_it_was_posted_in_shanghai():
    account = AccountFactory()
    # 29 June 23:30 Shanghai is 29 June 15:30 UTC; 30 June 00:30 Shanghai is 29 June UTC.
    ledger.entry(
        account,
        LedgerEntryKind.ADJUSTMENT,
        "20.00",
        posted=ledger.moment(date(2026, 6, 29), hour=23, minute=30),
    )
    ledger.entry(
        account,
        LedgerEntryKind.ADJUSTMENT,
        "30.00",
        posted=ledger.moment(date(2026, 6, 30), hour=0, minute=30),
    )

    collection_classify(as_of=AS_OF)

    assert row(account)[:3] == (D("20.00"), date(2026, 6, 29), 1)


def test_exemptions_active_expired_revoked_and_not_yet_started(supervisor):
    due = AS_OF - timedelta(days=100)
    active, expired, revoked, future, two = (
        ledger.account_owing("500.00", due=due) for _ in range(5)
    )

    def exempt(account, kind=ExemptionKind.HOSPITAL, starts=date(2026, 1, 1), expires=None):
        return collection_exemption_add(
            actor=supervisor,
            account=account,
            kind=kind,
            reason="市人民医院，供水不得中断",
            starts_at=starts,
            expires_at=expires,
        )

    exempt(active, expires=AS_OF + timedelta(days=1))
    exempt(expired, expires=AS_OF)  # expires at the start of the day classified
    collection_exemption_revoke(actor=supervisor, exemption=exempt(revoked))
    exempt(future, starts=AS_OF + timedelta(days=1))
    exempt(two, kind=ExemptionKind.SCHOOL)
    exempt(two, kind=ExemptionKind.BILL_DISPUTE)

    collection_classify(as_of=AS_OF)

    found = {
        a.account_id: (a.is_exempt, a.exemption_kinds, a.strategy.code)
        for a in AccountArrears.objects.select_related("strategy")
    }
    assert found == {
        active.pk: (True, "hospital", "intensive"),
        expired.pk: (False, "", "intensive"),
        revoked.pk: (False, "", "intensive"),
        future.pk: (False, "", "intensive"),
        two.pk: (True, "bill_dispute,school", "intensive"),
    }


@pytest.mark.parametrize(
    ("reason", "starts", "expires", "code"),
    [
        ("  ", date(2026, 1, 1), None, "required"),
        ("学校", date(2026, 1, 10), date(2026, 1, 9), "expiry_before_start"),
        ("学校", date(2026, 1, 10), date(2026, 1, 10), "expiry_before_start"),
    ],
)
def test_an_exemption_without_reason_or_with_expiry_before_start_is_refused(
    supervisor, reason, starts, expires, code
):
    account = AccountFactory()
    with pytest.raises(InvalidInput) as refused:
        collection_exemption_add(
            actor=supervisor,
            account=account,
            kind=ExemptionKind.SCHOOL,
            reason=reason,
            starts_at=starts,
            expires_at=expires,
        )
    assert refused.value.code == code
    assert not CollectionExemption.objects.exists()


def test_exemptions_need_the_permission_and_are_revoked_once(supervisor):
    account = AccountFactory()
    collector = UserFactory(username="collector", role=Role.COLLECTOR)
    with pytest.raises(NotPermitted):
        collection_exemption_add(
            actor=collector,
            account=account,
            kind=ExemptionKind.OTHER,
            reason="x",
            starts_at=AS_OF,
        )
    assert not CollectionExemption.objects.exists()

    with time_machine.travel(ledger.moment(AS_OF), tick=False):
        exemption = collection_exemption_add(
            actor=supervisor,
            account=account,
            kind=ExemptionKind.VULNERABLE_HOUSEHOLD,
            reason="低保户，民政局登记",
            starts_at=AS_OF,
        )
        with pytest.raises(NotPermitted):
            collection_exemption_revoke(actor=collector, exemption=exemption)
        revoked = collection_exemption_revoke(actor=supervisor, exemption=exemption)
    assert (revoked.revoked_at, revoked.revoked_by) == (ledger.moment(AS_OF), supervisor)
    with pytest.raises(IllegalTransition) as again:
        collection_exemption_revoke(actor=supervisor, exemption=exemption)
    assert again.value.code == "already_revoked"
    assert exemption.history.count() == 2


def test_a_second_run_replaces_the_first():
    settled = ledger.account_owing("300.00", due=date(2026, 5, 1))
    growing = ledger.account_owing("150.00", due=date(2026, 6, 1))
    first = collection_classify(as_of=AS_OF)
    assert set(AccountArrears.objects.values_list("account_id", "run_id")) == {
        (settled.pk, first.pk),
        (growing.pk, first.pk),
    }

    ledger.payment(settled, "300.00", on=date(2026, 7, 2))
    ledger.charge(growing, "100.00", due=date(2026, 7, 1))
    second = collection_classify(as_of=date(2026, 7, 3))

    assert list(AccountArrears.objects.values_list("account_id", "run_id", "overdue_amount")) == [
        (growing.pk, second.pk, D("250.00"))
    ]
    assert row(growing)[1:] == (date(2026, 6, 1), 32, "medium", "days_31_90", "standard")
    assert ClassificationRun.objects.count() == 2


def test_an_edited_matrix_is_applied_and_an_inactive_strategy_chooses_none():
    account = ledger.account_owing("50.00", due=AS_OF - timedelta(days=10))
    other = ledger.account_owing("5000.00", due=AS_OF - timedelta(days=200))
    rule = ClassificationRule.objects.get(amount_band__code="small", age_band__code="days_1_30")
    rule.strategy = CollectionStrategy.objects.get(code="intensive")
    rule.save()
    CollectionStrategy.objects.filter(code="intensive").update(is_active=False)

    collection_classify(as_of=AS_OF)

    assert (arrears(account).strategy, arrears(other).strategy) == (None, None)
    CollectionStrategy.objects.filter(code="intensive").update(is_active=True)
    collection_classify(as_of=AS_OF)
    assert arrears(account).strategy.code == "intensive"


def test_the_command_classifies_as_of_the_day_given():
    account = ledger.account_owing("300.00", due=date(2026, 6, 1))
    out = StringIO()
    call_command("collection_classify", "--as-of", "2026-06-30", stdout=out)
    assert out.getvalue().startswith("as_of=2026-06-30 accounts=1 seconds=")
    assert row(account)[:3] == (D("300.00"), date(2026, 6, 1), 29)

    out = StringIO()
    with time_machine.travel(ledger.moment(date(2026, 7, 11), hour=0, minute=5), tick=False):
        call_command("collection_classify", stdout=out)
    assert out.getvalue().startswith("as_of=2026-07-11 accounts=1 seconds=")
    assert arrears(account).days_overdue == 40


def test_the_hourly_task_classifies_once_a_day():
    account = ledger.account_owing("300.00", due=date(2026, 6, 1))
    # 00:10 on 30 June in Shanghai is still 29 June in UTC.
    with time_machine.travel(ledger.moment(AS_OF, hour=0, minute=10), tick=False):
        assert collection_classify_nightly() == 1
    ledger.payment(account, "300.00", on=AS_OF)
    with time_machine.travel(ledger.moment(AS_OF, hour=23, minute=10), tick=False):
        assert collection_classify_nightly() is None  # done for today: the payment waits
    assert list(ClassificationRun.objects.values_list("as_of", flat=True)) == [AS_OF]
    assert arrears(account).days_overdue == 29
    with time_machine.travel(ledger.moment(date(2026, 7, 1), hour=0, minute=10), tick=False):
        assert collection_classify_nightly() == 0
    assert not AccountArrears.objects.exists()


def test_the_roles_see_the_arrears_and_the_supervisor_keeps_the_matrix():
    collector = set(
        Group.objects.get(name=Role.COLLECTOR).permissions.values_list("codename", flat=True)
    )
    supervisor = set(
        Group.objects.get(name=Role.COLLECTION_SUPERVISOR).permissions.values_list(
            "codename", flat=True
        )
    )
    viewing = {
        "view_amountband",
        "view_ageband",
        "view_collectionstrategy",
        "view_classificationrule",
        "view_collectionexemption",
        "view_classificationrun",
        "view_accountarrears",
    }
    assert viewing <= collector
    # Besides reading, a collector works the ladder's tasks (calls, visits, notices, plans)
    # and may ask for a remote valve command (amr; a supervisor approves it).
    assert {p for p in collector if not p.startswith("view_")} == {
        "work_dunning",
        "request_valve_command",
    }
    # The supervisor keeps the matrix, the ladders, the policy and the exemptions, approves
    # disconnections and sends the crews (and approves remote valve commands, amr).
    assert {p for p in supervisor if not p.startswith("view_")} == {
        f"{action}_{model}"
        for model in ("amountband", "ageband", "collectionstrategy", "classificationrule")
        for action in ("add", "change", "delete")
    } | {
        "add_collectionexemption",
        "change_collectionexemption",
        "add_ladderstep",
        "change_ladderstep",
        "delete_ladderstep",
        "change_collectionpolicy",
        "work_dunning",
        "approve_disconnection",
        "dispatch_workorder",
        "request_valve_command",
        "approve_valve_command",
    }


# --- random ledgers: the SQL against the ledger's own aging -------------------------------


def random_ledger(rng: random.Random, account) -> None:
    """Bills (some with late fees and waivers of them, a waiver sometimes larger than the
    bill's fees), debts without a bill (some without due date), payments (some naming a
    bill, some after the day), credit notes and reversals, around ``AS_OF``."""

    def amount() -> Decimal:
        return Decimal(rng.randint(1, 60000)) / 100

    def day() -> date:
        return AS_OF + timedelta(days=rng.randint(-200, 15))

    bills = []
    for _ in range(rng.randint(0, 4)):
        due = day()
        bills.append(ledger.bill(account, amount=amount(), due=due))
    reversible = []
    for made in bills:
        fees = Decimal("0.00")
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            fee = Decimal(rng.randint(1, 5000)) / 100
            fees += fee
            on = made.due_date + timedelta(days=rng.randint(1, 90))
            if rng.random() < 0.2:
                on = max(AS_OF, made.due_date + timedelta(days=1))  # not yet overdue
            ledger.late_fee(made, fee, on=on)
        if rng.random() < 0.6:
            # Part of the fees, all of them, or more (the rest is free credit).
            share = D(rng.choice(["0.3", "1", "1.5"]))
            waived = max(D("0.01"), (fees * share).quantize(D("0.01")))
            if rng.random() < 0.3:
                waived += amount()
            on = made.due_date + timedelta(days=rng.randint(1, 90))
            reversible.append(ledger.waiver(made, waived, on=on))
    for _ in range(rng.randint(0, 5)):
        choice = rng.random()
        posted = ledger.moment(day(), hour=rng.choice([0, 9, 23]), minute=rng.randint(0, 59))
        if choice < 0.2:
            due = None if rng.random() < 0.5 else day()
            ledger.entry(account, LedgerEntryKind.ADJUSTMENT, amount(), posted=posted, due=due)
        elif choice < 0.75:
            named = rng.choice(bills) if bills and rng.random() < 0.5 else None
            reversible.append(
                ledger.entry(account, LedgerEntryKind.PAYMENT, -amount(), posted=posted, bill=named)
            )
        elif choice < 0.9 and bills:
            reversible.append(
                ledger.entry(
                    account,
                    LedgerEntryKind.ADJUSTMENT,
                    -amount(),
                    posted=posted,
                    bill=rng.choice(bills),
                )
            )
        else:
            ledger.entry(account, LedgerEntryKind.LATE_FEE, amount(), posted=posted, due=day())
    for original in reversible:
        if rng.random() < 0.3:
            ledger.entry(
                account,
                LedgerEntryKind.REVERSAL,
                -original.amount,
                posted=original.posted_at + timedelta(days=rng.randint(0, 40)),
                bill=original.bill,
                due=AS_OF,
                reverses=original,
            )


def expected(account) -> tuple | None:
    aging = account_aging(account, as_of=AS_OF)
    overdue = aging["balance"] + aging["credit"] - aging["not_due"]
    if not overdue:
        return None
    debts, _credit = account_open_debts(account, as_of=AS_OF)
    oldest = min(debt.due for debt in debts)
    return (overdue, oldest, (AS_OF - oldest).days, aging["balance"])


@pytest.mark.parametrize("seed", range(4))
def test_random_ledgers_are_classified_as_the_ledger_ages_them(seed):
    rng = random.Random(seed)
    accounts = [AccountFactory() for _ in range(40)]
    for account in accounts:
        random_ledger(rng, account)

    collection_classify(as_of=AS_OF)

    found = {
        a.account_id: (a.overdue_amount, a.oldest_due_date, a.days_overdue, a.balance)
        for a in AccountArrears.objects.all()
    }
    wanted = {a.pk: expected(a) for a in accounts}
    assert found == {pk: value for pk, value in wanted.items() if value is not None}
    assert len(found) >= 5, connection.vendor  # the seeds leave arrears to compare

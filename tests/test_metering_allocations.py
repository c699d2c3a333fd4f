"""Master/sub meters, shared meters and flat-fee accounts billed through derived reads:
every bill equals figures computed by hand (in the comments), across a tier boundary."""

from decimal import Decimal

import pytest

from tests.metering_support import (
    FEB_END,
    JAN_END,
    D,
    PartInput,
    account_with_meter,
    arrangement_create,
    bill_of,
    lines_of,
    meter_of,
    meter_read,
    plain_account,
    run_cycle,
)
from tests.test_billing_run_support import pinned_now  # noqa: F401  fixture
from waterdesk.billing.models import Bill, MeterRead, ReadKind, ReadStatus
from waterdesk.billing.selectors.bills import bill_statement
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.reading import meter_read_correct
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.customers.models import BillingMode
from waterdesk.metering.models import Allocation, AllocationStatus, MeteringEvent
from waterdesk.metering.services.allocations import (
    allocation_accept_zero,
    allocation_recalculate,
    allocations_calculate,
    split_by_weights,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now")]

SUPPLY, RESOURCE, SEWAGE = "供水价格", "水资源税", "污水处理费"


def residential_lines(tier_volumes, total):
    """Lines of the seeded residential tariff: supply per tier, then the flat components."""
    prices = {1: D("2.1000"), 2: D("3.8000"), 3: D("8.9000")}
    lines = [
        (SUPPLY, tier, D(volume), prices[tier], (D(volume) * prices[tier]).quantize(D("0.01")))
        for tier, volume in tier_volumes
    ]
    from decimal import ROUND_HALF_UP

    lines.append(
        (
            RESOURCE,
            None,
            D(total),
            D("0.3000"),
            (D(total) * D("0.30")).quantize(D("0.01"), ROUND_HALF_UP),
        )
    )
    lines.append((SEWAGE, None, D(total), D("1.0000"), D(total)))
    return lines


def test_running_total_split():
    # 25 over 30 : 45 → 25 × 30/75 = 10.00, then 25 − 10 = 15.00.
    assert split_by_weights(D("25.00"), [D(30), D(45)]) == [D("10.00"), D("15.00")]
    # 37 at 33.33 % / 66.67 %: round(37 × 0.3333) = 12.33, 37 − 12.33 = 24.67.
    assert split_by_weights(D("37.00"), [D("33.33"), D("66.67")]) == [D("12.33"), D("24.67")]
    # 37 equally over three: 12.33, round(24.667) − 12.33 = 12.34, 37 − 24.67 = 12.33.
    assert split_by_weights(D("37.00"), [D(1)] * 3) == [D("12.33"), D("12.34"), D("12.33")]
    # all weights zero → equal
    assert split_by_weights(D("1.00"), [D(0), D(0)]) == [D("0.50"), D("0.50")]


@pytest.fixture
def estate(billing_clerk):
    """Master meter on its metering point, sub meters on households A and B, all read 0 at
    installation on 1 January; Q is the property company's (non-residential) account."""
    point = account_with_meter(usage_category="non_residential")
    house_a = account_with_meter()
    house_b = account_with_meter()
    company = plain_account(usage_category="non_residential")
    return point, house_a, house_b, company


def _master(actor, estate, rule, account=None):
    point, house_a, house_b, _company = estate
    return arrangement_create(
        actor=actor,
        kind="master_sub",
        name="阳光小区总表",
        meter=meter_of(point),
        rule=rule,
        account=account,
        parts=[PartInput(meter=meter_of(house_a)), PartInput(meter=meter_of(house_b))],
    )


def test_difference_billed_to_master_account(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, company = estate
    _master(billing_clerk, estate, "master_account", account=company)
    point.refresh_from_db()
    assert point.billing_mode == BillingMode.METERING_POINT
    meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "30")
    meter_read(billing_clerk, house_b, JAN_END, "45")

    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    # The metering point is never billed: three bills (A, B, company).
    assert run.total_accounts == 3 and run.billed_accounts == 3
    assert not Bill.objects.filter(account=point).exists()
    allocation = Allocation.objects.get()
    assert (allocation.source_volume, allocation.subs_volume, allocation.difference) == (
        D("100.00"),
        D("75.00"),
        D("25.00"),
    )
    # Company: 25 m³ non-residential: 25 × 4.20 = 105.00, × 0.50 = 12.50, × 1.40 = 35.00.
    company_bill = bill_of(company, cycles[1])
    assert lines_of(company_bill) == [
        (SUPPLY, None, D("25.00"), D("4.2000"), D("105.00")),
        (RESOURCE, None, D("25.00"), D("0.5000"), D("12.50")),
        (SEWAGE, None, D("25.00"), D("1.4000"), D("35.00")),
    ]
    assert company_bill.amount == D("152.50")
    # The company's first bill starts after the master's previous read (its install day).
    assert (company_bill.period_start.isoformat(), company_bill.period_end) == (
        "2026-01-02",
        JAN_END,
    )
    # A: 30 m³ in tier 1 → 63.00 + 9.00 + 30.00 = 102.00; B: 45 → 94.50 + 13.50 + 45.00.
    assert bill_of(house_a, cycles[1]).amount == D("102.00")
    assert bill_of(house_b, cycles[1]).amount == D("153.00")


def test_difference_apportioned_by_share_across_a_tier_boundary(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, _company = estate
    _master(billing_clerk, estate, "by_consumption")
    # January: master 100, A 30, B 45 → difference 25 → A 25 × 30/75 = 10.00, B 15.00.
    meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "30")
    meter_read(billing_clerk, house_b, JAN_END, "45")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    jan_a, jan_b = bill_of(house_a, cycles[1]), bill_of(house_b, cycles[1])
    # A: 30 + 10 = 40 m³ tier 1: 84.00 + 12.00 + 40.00 = 136.00.
    assert (jan_a.volume, jan_a.amount) == (D("40.00"), D("136.00"))
    assert lines_of(jan_a) == residential_lines([(1, "40.00")], "40.00")
    # B: 45 + 15 = 60 m³: 126.00 + 18.00 + 60.00 = 204.00.
    assert (jan_b.volume, jan_b.amount) == (D("60.00"), D("204.00"))

    # February: master 300 (+200), A 165 (+135), B 90 (+45) → difference 20 →
    # A 20 × 135/180 = 15.00, B 5.00.
    meter_read(billing_clerk, point, FEB_END, "300")
    meter_read(billing_clerk, house_a, FEB_END, "165")
    meter_read(billing_clerk, house_b, FEB_END, "90")
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    feb_a, feb_b = bill_of(house_a, cycles[2]), bill_of(house_b, cycles[2])
    # A: 135 + 15 = 150 m³ after 40 this year → 40..190: 140 m³ in tier 1, 10 in tier 2.
    # Supply 140 × 2.10 = 294.00 + 10 × 3.80 = 38.00; tax 150 × 0.30 = 45.00; sewage 150.00.
    assert lines_of(feb_a) == [
        (SUPPLY, 1, D("140.00"), D("2.1000"), D("294.00")),
        (SUPPLY, 2, D("10.00"), D("3.8000"), D("38.00")),
        (RESOURCE, None, D("150.00"), D("0.3000"), D("45.00")),
        (SEWAGE, None, D("150.00"), D("1.0000"), D("150.00")),
    ]
    assert (feb_a.volume, feb_a.amount) == (D("150.00"), D("527.00"))
    # B: 45 + 5 = 50 m³, 60..110 all tier 1: 105.00 + 15.00 + 50.00 = 170.00.
    assert (feb_b.volume, feb_b.amount) == (D("50.00"), D("170.00"))
    # The derived read explains itself (the bill lists it with its meter and kind).
    derived = MeterRead.objects.get(account=house_a, cycle=cycles[2], kind=ReadKind.ALLOCATED)
    assert derived.note == (
        "阳光小区总表：总表 200.00 m³ − 分表 180.00 m³ = 差额 20.00 m³，"
        "本户 15.00 m³（按分表水量比例分摊）"
    )
    assert derived.meter.state == "virtual" and derived.source == "system"
    # The bill shows the field meter's registers, not the virtual meter's.
    statement = bill_statement(feb_a)
    assert (statement.opening_value, statement.closing_value) == (D("30.00"), D("165.00"))
    assert [read.kind for read in statement.reads] == [ReadKind.ACTUAL, ReadKind.ALLOCATED]


def test_shared_meter_split_by_fixed_shares_and_by_household(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    shared_point = account_with_meter()
    first, second = plain_account(household_size=2), plain_account(household_size=3)
    arrangement = arrangement_create(
        actor=billing_clerk,
        kind="shared",
        name="老街 8 号共用表",
        meter=meter_of(shared_point),
        rule="fixed",
        parts=[
            PartInput(account=first, share_percent="33.33"),
            PartInput(account=second, share_percent="66.67"),
        ],
    )
    meter_read(billing_clerk, shared_point, JAN_END, "37")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    # 37 × 33.33 % = 12.3321 → 12.33; 37 − 12.33 = 24.67.
    # First: supply 12.33 × 2.10 = 25.893 → 25.89; tax 3.699 → 3.70; sewage 12.33 → 41.92.
    first_bill = bill_of(first, cycles[1])
    assert lines_of(first_bill) == [
        (SUPPLY, 1, D("12.33"), D("2.1000"), D("25.89")),
        (RESOURCE, None, D("12.33"), D("0.3000"), D("3.70")),
        (SEWAGE, None, D("12.33"), D("1.0000"), D("12.33")),
    ]
    assert first_bill.amount == D("41.92")
    # Second: 24.67 × 2.10 = 51.807 → 51.81; 7.401 → 7.40; 24.67 → 83.88.
    assert bill_of(second, cycles[1]).amount == D("83.88")
    assert not Bill.objects.filter(account=shared_point).exists()

    # February by household size (2 : 3) of 40 m³ (37 → 77): 16.00 and 24.00.
    from waterdesk.metering.services.arrangements import arrangement_update

    arrangement_update(
        actor=billing_clerk,
        arrangement=arrangement,
        name=arrangement.name,
        meter=meter_of(shared_point),
        rule="household_size",
        parts=[PartInput(account=first), PartInput(account=second)],
    )
    meter_read(billing_clerk, shared_point, FEB_END, "77")
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    # First: 16 m³ → 33.60 + 4.80 + 16.00 = 54.40; second: 24 m³ → 50.40 + 7.20 + 24.00 = 81.60.
    assert bill_of(first, cycles[2]).amount == D("54.40")
    assert bill_of(second, cycles[2]).amount == D("81.60")
    # Its period follows the shared meter's reads: 1 February to 28 February.
    assert bill_of(first, cycles[2]).period_start.isoformat() == "2026-02-01"


def test_shared_meter_equal_per_household():
    # Equal per account, whatever the household size: 37 over three → 12.33 / 12.34 / 12.33.
    assert split_by_weights(D("37"), [D(1), D(1), D(1)]) == [D("12.33"), D("12.34"), D("12.33")]


def test_flat_volume_crosses_a_tier_boundary_and_flat_amount_is_one_line(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    toilet = plain_account()  # residential, household 3: tier bounds 180 / 260
    cleaning = plain_account(usage_category="non_residential")
    arrangement_create(
        actor=billing_clerk,
        kind="flat_fee",
        name="公厕包量",
        account=toilet,
        flat_basis="volume",
        flat_volume="100",
    )
    arrangement_create(
        actor=billing_clerk,
        kind="flat_fee",
        name="环卫点包费",
        account=cleaning,
        flat_basis="amount",
        flat_amount="80.00",
    )
    cleaning.refresh_from_db()
    assert (cleaning.billing_mode, cleaning.flat_amount) == (BillingMode.FLAT_AMOUNT, D("80.00"))
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    # January: 100 m³ in tier 1 → 210.00 + 30.00 + 100.00 = 340.00, period = the month.
    jan = bill_of(toilet, cycles[1])
    assert lines_of(jan) == residential_lines([(1, "100.00")], "100.00")
    assert (jan.amount, jan.period_start.isoformat(), jan.period_end) == (
        D("340.00"),
        "2026-01-01",
        JAN_END,
    )
    # February: 100..200 → 80 in tier 1 (168.00), 20 in tier 2 (76.00); 30.00; 100.00.
    feb = bill_of(toilet, cycles[2])
    assert lines_of(feb) == [
        (SUPPLY, 1, D("80.00"), D("2.1000"), D("168.00")),
        (SUPPLY, 2, D("20.00"), D("3.8000"), D("76.00")),
        (RESOURCE, None, D("100.00"), D("0.3000"), D("30.00")),
        (SEWAGE, None, D("100.00"), D("1.0000"), D("100.00")),
    ]
    assert feb.amount == D("374.00")
    # The flat amount: one line "包费" of 80.00 per cycle, no volume.
    for cycle in (cycles[1], cycles[2]):
        bill = bill_of(cleaning, cycle)
        assert lines_of(bill) == [("包费", None, D("0.00"), D("80.00"), D("80.00"))]
        assert (bill.volume, bill.amount) == (D("0.00"), D("80.00"))


def test_negative_difference_waits_for_review_then_accepted_as_zero(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, company = estate
    _master(billing_clerk, estate, "master_account", account=company)
    meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "60")
    meter_read(billing_clerk, house_b, JAN_END, "45")

    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    allocation = Allocation.objects.get()
    assert (allocation.status, allocation.difference) == (AllocationStatus.FLAGGED, D("-5.00"))
    assert run.billed_accounts == 2 and run.skipped_accounts == 1
    assert not Bill.objects.filter(account=company).exists()
    derived = MeterRead.objects.get(account=company, kind=ReadKind.ALLOCATED)
    assert (derived.status, derived.consumption) == (ReadStatus.NEEDS_REVIEW, None)

    with pytest.raises(InvalidInput) as refused:
        allocation_recalculate(actor=billing_clerk, allocation=allocation, note="重抄")
    assert refused.value.code == "difference_still_negative"
    allocation_accept_zero(
        actor=billing_clerk, allocation=allocation, note="分表计量偏快，本期按零计"
    )
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED_ZERO
    # Calculating again keeps the reviewer's decision.
    allocations_calculate(actor=billing_clerk, cycle=cycles[1])
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED_ZERO
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bill = bill_of(company, cycles[1])
    assert (bill.volume, bill.amount) == (D("0.00"), D("0.00"))
    with pytest.raises(IllegalTransition):
        allocation_accept_zero(actor=billing_clerk, allocation=allocation, note="again")
    # A metering point gets no final bill either.
    with pytest.raises(InvalidInput) as refused:
        bill_issue_final(
            actor=billing_clerk,
            account=point,
            closing_read=MeterRead.objects.get(account=point, read_on=JAN_END),
        )
    assert refused.value.code == "account_is_metering_point"


def test_negative_difference_recalculated_after_a_re_read(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, company = estate
    _master(billing_clerk, estate, "master_account", account=company)
    master_read = meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "60")
    meter_read(billing_clerk, house_b, JAN_END, "45")
    allocations_calculate(actor=billing_clerk, cycle=cycles[1])
    allocation = Allocation.objects.get()
    assert allocation.status == AllocationStatus.FLAGGED

    meter_read_correct(actor=billing_clerk, read=master_read, value="110", reason="现场复抄为110")
    allocation_recalculate(actor=billing_clerk, allocation=allocation, note="总表复抄更正后重算")
    allocation.refresh_from_db()
    # 110 − 105 = 5 m³ to the company: 21.00 + 2.50 + 7.00 = 30.50.
    assert (allocation.status, allocation.difference) == (AllocationStatus.CALCULATED, D("5.00"))
    assert allocation.review_note == "总表复抄更正后重算"
    assert (
        MeterRead.objects.filter(
            account=company, kind=ReadKind.ALLOCATED, status=ReadStatus.REJECTED
        ).count()
        == 1
    )
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert bill_of(company, cycles[1]).amount == D("30.50")


def test_calculated_twice_and_run_twice_writes_nothing_more(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, _company = estate
    _master(billing_clerk, estate, "by_consumption")
    meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "30")
    meter_read(billing_clerk, house_b, JAN_END, "45")
    allocations_calculate(actor=billing_clerk, cycle=cycles[1])
    reads = MeterRead.objects.count()
    events = MeteringEvent.objects.count()
    allocations_calculate(actor=billing_clerk, cycle=cycles[1])
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert (MeterRead.objects.count(), MeteringEvent.objects.count()) == (reads, events)
    bills = Bill.objects.count()
    second = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert second.billed_accounts == 0
    assert (Bill.objects.count(), MeterRead.objects.count()) == (bills, reads)
    assert MeterRead.objects.filter(kind=ReadKind.ALLOCATED).count() == 2
    # Once billed the allocation is fixed: a later read of the sub meter changes nothing.
    assert Decimal(Allocation.objects.get().difference) == D("25.00")


def test_a_waiting_master_read_is_caught_up_by_the_next_run(
    billing_clerk, estate, cycles, django_capture_on_commit_callbacks
):
    point, house_a, house_b, company = estate
    _master(billing_clerk, estate, "master_account", account=company)
    # January: the master is not read; the households are billed their own volume.
    meter_read(billing_clerk, house_a, JAN_END, "30")
    meter_read(billing_clerk, house_b, JAN_END, "45")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert Allocation.objects.get().waiting_reason == "master_unread"
    # February: the master's read spans January and February (0 → 220): the sub meters
    # count over both cycles: 30 + 45 + 40 + 45 = 160 → difference 60 m³ to the company.
    meter_read(billing_clerk, point, FEB_END, "220")
    meter_read(billing_clerk, house_a, FEB_END, "70")
    meter_read(billing_clerk, house_b, FEB_END, "90")
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    february = Allocation.objects.get(cycle=cycles[2])
    assert (february.subs_volume, february.difference) == (D("160.00"), D("60.00"))
    # 60 × 6.10 = 252.00 + 30.00 + 84.00 = 366.00.
    assert bill_of(company, cycles[2]).amount == D("366.00")

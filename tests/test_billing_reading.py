"""Meter reading: the pure validation rules and the services (record, review, exchange,
reading cycles)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import AccountFactory, installed_account, meter_read
from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import (
    MeterRead,
    ReadingCycle,
    ReadingPolicy,
    ReadKind,
    ReadSource,
    ReadStatus,
)
from waterdesk.billing.selectors.reading import (
    AccountUse,
    UsePeriod,
    account_last_validated_read,
    account_reads,
    account_use_history,
    reading_policy,
    reads_for_review,
    route_sheet,
    route_sheet_progress,
)
from waterdesk.billing.services.reading import (
    meter_exchange_record,
    meter_read_approve,
    meter_read_reject,
    reading_cycle_create,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.customers.models import AccountStatus, Meter, MeterState, Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 30, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def installed(*, initial="100", max_reading=None, serial=None, route=None):
    account = installed_account(initial=initial, serial=serial, route=route)
    meter = account.meters.get()
    if max_reading is not None:
        Meter.objects.filter(pk=meter.pk).update(max_reading=max_reading)
        meter.refresh_from_db()
    return account, meter


def with_history(reader, account, values, days=None):
    """First read then monthly reads: values at Jan 31, Mar 2, Apr 1, May 1 …"""
    days = days or [date(2026, 1, 31), date(2026, 3, 2), date(2026, 4, 1), date(2026, 5, 1)]
    return [
        meter_read(reader, account, day, value) for day, value in zip(days, values, strict=False)
    ]


# --- pure rules -----------------------------------------------------------------------


def test_consumption_is_the_difference():
    assert rules.compute_consumption(Decimal("120.5"), Decimal("132"), 99999) == (
        rules.Consumption(Decimal("11.5"), ())
    )


def test_rollover_is_counted_through_the_maximum():
    result = rules.compute_consumption(Decimal("99990"), Decimal("15"), Decimal("99999"))
    assert result == rules.Consumption(Decimal("25"), ("rollover",))


def test_monthly_use_is_the_daily_average_times_thirty_days():
    history = [rules.HistoryRead(Decimal("18"), 30), rules.HistoryRead(Decimal("12"), 31)]
    assert rules.average_monthly_use(history) == Decimal("14.75")  # 30 / 61 × 30
    assert rules.average_monthly_use([rules.HistoryRead(Decimal("5"), 0)]) is None
    assert rules.average_monthly_use([]) is None


def test_a_small_fall_is_negative_consumption_not_a_rollover():
    result = rules.compute_consumption(Decimal("500"), Decimal("400"), Decimal("99999"))
    assert result == rules.Consumption(None, ("negative_consumption",))


def test_no_baseline_gives_no_volume():
    assert rules.compute_consumption(None, Decimal("5"), 99999) == rules.Consumption(
        None, ("no_baseline",)
    )


def test_register_modulus_is_the_next_whole_unit():
    assert rules.register_modulus(Decimal("99999")) == Decimal("100000")
    assert rules.register_modulus(Decimal("9999.99")) == Decimal("10000")


def test_jump_threshold_from_average_daily_use():
    history = [rules.HistoryRead(Decimal("30"), 30)] * 3
    threshold = rules.jump_threshold(
        history=history, days=30, factor=Decimal("3"), min_reads=3, min_volume=Decimal("5")
    )
    assert threshold == Decimal("90.00")


def test_jump_threshold_needs_enough_history_and_has_a_floor():
    two = [rules.HistoryRead(Decimal("30"), 30)] * 2
    assert (
        rules.jump_threshold(
            history=two, days=30, factor=Decimal(3), min_reads=3, min_volume=Decimal(5)
        )
        is None
    )
    idle = [rules.HistoryRead(Decimal("0"), 30)] * 3
    assert rules.jump_threshold(
        history=idle, days=30, factor=Decimal(3), min_reads=3, min_volume=Decimal(5)
    ) == Decimal("5")


def test_evaluate_read_statuses():
    normal = rules.Consumption(Decimal("10"))
    assert rules.evaluate_read(consumption=normal, threshold=Decimal("90")) == rules.Verdict(
        "validated", Decimal("10"), ()
    )
    jump = rules.Consumption(Decimal("91"))
    assert rules.evaluate_read(consumption=jump, threshold=Decimal("90")).issues == ("jump",)
    assert rules.evaluate_read(consumption=jump, threshold=Decimal("90")).needs_review
    rollover = rules.Consumption(Decimal("25"), ("rollover",))
    assert rules.evaluate_read(consumption=rollover, threshold=Decimal("90")).status == (
        "validated"
    )
    assert rules.evaluate_read(consumption=rollover, threshold=None).status == "needs_review"
    estimated = rules.evaluate_read(consumption=normal, threshold=None, is_estimated=True)
    assert (estimated.status, estimated.issues) == ("validated", ("estimated",))


@pytest.mark.parametrize("value", ["-1", "abc", "1.234", "", None, "NaN", "Infinity", True])
def test_clean_read_value_refuses(value):
    with pytest.raises(InvalidInput) as error:
        rules.clean_read_value(value)
    assert error.value.code == "invalid_read_value"


def test_clean_read_value_accepts_two_places():
    assert rules.clean_read_value(" 12.5 ") == Decimal("12.50")


# --- recording ------------------------------------------------------------------------


def test_first_read_is_measured_from_the_initial_reading(reader):
    account, meter = installed(initial="100")

    read = meter_read(reader, account, date(2026, 1, 31), "112.5")

    assert (read.status, read.consumption, read.issues, read.previous) == (
        ReadStatus.VALIDATED,
        Decimal("12.50"),
        ["first_read"],
        None,
    )
    assert (read.meter, read.kind, read.source, read.entered_by) == (
        meter,
        ReadKind.ACTUAL,
        ReadSource.MANUAL,
        reader,
    )


def test_normal_read_is_validated_against_the_previous_one(reader):
    account, _meter = installed()
    first, second = with_history(reader, account, ["130", "160"])

    assert (second.status, second.previous, second.consumption, second.issues) == (
        ReadStatus.VALIDATED,
        first,
        Decimal("30.00"),
        [],
    )


def test_negative_consumption_goes_to_review(reader):
    account, _meter = installed(initial="100")
    first = meter_read(reader, account, date(2026, 1, 31), "500")

    read = meter_read(reader, account, date(2026, 3, 2), "400")

    assert (read.status, read.consumption, read.issues, read.previous) == (
        ReadStatus.NEEDS_REVIEW,
        None,
        ["negative_consumption"],
        first,
    )
    assert list(reads_for_review()) == [read]


def test_rollover_at_the_maximum_is_validated_when_the_history_confirms_it(reader):
    account, _meter = installed(initial="99870", max_reading=99999)
    with_history(reader, account, ["99900", "99930", "99960", "99990"])

    read = meter_read(reader, account, date(2026, 5, 31), "15")

    assert (read.status, read.consumption, read.issues) == (
        ReadStatus.VALIDATED,
        Decimal("25.00"),
        ["rollover"],
    )


def test_rollover_without_history_goes_to_review(reader):
    account, _meter = installed(initial="99980", max_reading=99999)
    meter_read(reader, account, date(2026, 1, 31), "99990")

    read = meter_read(reader, account, date(2026, 3, 2), "15")

    assert (read.status, read.consumption, read.issues) == (
        ReadStatus.NEEDS_REVIEW,
        Decimal("25.00"),
        ["rollover"],
    )


def test_rollover_with_a_jump_goes_to_review(reader):
    account, _meter = installed(initial="99800", max_reading=99999)
    with_history(reader, account, ["99830", "99860", "99890", "99920"])

    read = meter_read(reader, account, date(2026, 5, 31), "100")  # 180 m³ in 30 days

    assert (read.status, read.consumption, read.issues) == (
        ReadStatus.NEEDS_REVIEW,
        Decimal("180.00"),
        ["rollover", "jump"],
    )


def test_jump_above_three_times_the_average_goes_to_review(reader):
    account, _meter = installed(initial="100")
    with_history(reader, account, ["130", "160", "190", "220"])  # 1 m³/day

    at_limit = meter_read(reader, account, date(2026, 5, 31), "310")  # 90 = 3 × 1 × 30
    assert (at_limit.status, at_limit.consumption, at_limit.issues) == (
        ReadStatus.VALIDATED,
        Decimal("90.00"),
        [],
    )
    other, _meter = installed(initial="100")
    with_history(reader, other, ["130", "160", "190", "220"])
    above = meter_read(reader, other, date(2026, 5, 31), "311")  # 91 > 90
    assert (above.status, above.consumption, above.issues) == (
        ReadStatus.NEEDS_REVIEW,
        Decimal("91.00"),
        ["jump"],
    )


def test_jump_factor_comes_from_the_policy(reader):
    ReadingPolicy.objects.filter(pk=1).update(jump_factor=Decimal("2"))
    account, _meter = installed(initial="100")
    with_history(reader, account, ["130", "160", "190", "220"])

    read = meter_read(reader, account, date(2026, 5, 31), "281")  # 61 > 2 × 30

    assert (read.status, read.issues) == (ReadStatus.NEEDS_REVIEW, ["jump"])


def test_no_jump_check_with_too_little_history(reader):
    account, _meter = installed(initial="100")
    with_history(reader, account, ["130", "160", "190"])  # first read + 2 of history

    read = meter_read(reader, account, date(2026, 5, 1), "1190")

    assert (read.status, read.consumption, read.issues) == (
        ReadStatus.VALIDATED,
        Decimal("1000.00"),
        [],
    )


def test_policy_defaults_without_the_row():
    ReadingPolicy.objects.all().delete()
    policy = reading_policy()
    assert (
        policy.jump_factor,
        policy.history_reads,
        policy.min_history_reads,
        policy.jump_min_volume,
    ) == (3, 6, 3, 5)


def test_estimated_read_is_validated_and_flagged(reader):
    account, _meter = installed(initial="100")
    meter_read(reader, account, date(2026, 1, 31), "130")

    read = meter_read(
        reader, account, date(2026, 3, 2), "155", kind=ReadKind.ESTIMATED, note="门锁，无法入户"
    )

    assert (read.status, read.kind, read.consumption, read.issues, read.note) == (
        ReadStatus.VALIDATED,
        ReadKind.ESTIMATED,
        Decimal("25.00"),
        ["estimated"],
        "门锁，无法入户",
    )


def test_read_is_assigned_to_the_cycle_of_its_reading_window(reader, billing_clerk):
    march = reading_cycle_create(
        actor=billing_clerk,
        code="2026-03",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        read_from=date(2026, 3, 25),
        read_to=date(2026, 4, 5),
    )
    account, _meter = installed()

    in_window = meter_read(reader, account, date(2026, 4, 2), "120")
    outside = meter_read(reader, account, date(2026, 4, 20), "125")

    assert (in_window.cycle, outside.cycle) == (march, None)


def test_a_read_after_a_pending_one_waits_for_review_too(reader):
    account, _meter = installed(initial="100")
    meter_read(reader, account, date(2026, 1, 31), "500")
    pending = meter_read(reader, account, date(2026, 3, 2), "400")

    later = meter_read(reader, account, date(2026, 4, 1), "530")

    assert (later.status, later.issues, later.previous_id) == (
        ReadStatus.NEEDS_REVIEW,
        ["previous_pending"],
        pending.previous_id,
    )


def test_transfer_read_needs_no_reader_permission(clerk):
    account, _meter = installed(initial="100")

    read = meter_read(clerk, account, date(2026, 3, 2), "130", kind=ReadKind.TRANSFER)

    assert (read.kind, read.status, read.consumption) == (
        ReadKind.TRANSFER,
        ReadStatus.VALIDATED,
        Decimal("30.00"),
    )


# --- bad input ------------------------------------------------------------------------


def _refused(code, call):
    before = MeterRead.objects.count()
    with pytest.raises(InvalidInput) as error:
        call()
    assert error.value.code == code
    assert MeterRead.objects.count() == before


@pytest.mark.parametrize("value", ["-5", "abc", "12.345"])
def test_bad_value_is_refused(reader, value):
    account, _meter = installed()
    _refused("invalid_read_value", lambda: meter_read(reader, account, date(2026, 3, 1), value))


def test_value_above_the_maximum_is_refused(reader):
    account, _meter = installed(initial="10", max_reading=9999)
    _refused("read_over_maximum", lambda: meter_read(reader, account, date(2026, 3, 1), "10000"))


def test_future_day_is_refused(reader):
    account, _meter = installed()
    _refused("read_in_future", lambda: meter_read(reader, account, date(2026, 7, 1), "120"))


def test_meter_of_another_account_is_refused(reader):
    account, _meter = installed()
    _other, other_meter = installed()
    _refused(
        "meter_not_on_account",
        lambda: meter_read(reader, account, date(2026, 3, 1), "120", meter=other_meter),
    )


def test_account_without_meter_is_refused(reader):
    account = AccountFactory()
    _refused("no_meter", lambda: meter_read(reader, account, date(2026, 3, 1), "120"))


def test_duplicate_meter_day_kind_is_refused(reader):
    account, _meter = installed()
    meter_read(reader, account, date(2026, 3, 1), "120")
    _refused("read_duplicate", lambda: meter_read(reader, account, date(2026, 3, 1), "121"))


def test_earlier_day_than_an_existing_read_is_refused(reader):
    account, _meter = installed()
    meter_read(reader, account, date(2026, 3, 1), "120")
    _refused("read_out_of_order", lambda: meter_read(reader, account, date(2026, 2, 1), "110"))


def test_read_before_installation_is_refused(reader):
    account, _meter = installed()
    _refused("read_before_install", lambda: meter_read(reader, account, date(2025, 12, 31), "100"))


def test_closed_account_is_refused(reader):
    account, _meter = installed()
    type(account).objects.filter(pk=account.pk).update(status=AccountStatus.CLOSED)
    _refused("account_closed", lambda: meter_read(reader, account, date(2026, 3, 1), "120"))


def test_initial_and_final_kinds_are_for_the_exchange_only(reader):
    account, _meter = installed()
    _refused(
        "invalid_read_kind",
        lambda: meter_read(reader, account, date(2026, 3, 1), "120", kind=ReadKind.FINAL),
    )


def test_outsider_may_not_record(outsider):
    account, _meter = installed()
    with pytest.raises(NotPermitted):
        meter_read(outsider, account, date(2026, 3, 1), "120")
    assert MeterRead.objects.count() == 0


# --- review ---------------------------------------------------------------------------


@pytest.fixture
def negative(reader):
    account, _meter = installed(initial="100")
    first = meter_read(reader, account, date(2026, 1, 31), "500")
    return first, meter_read(reader, account, date(2026, 3, 2), "400")


def test_approving_a_negative_read_needs_a_corrected_consumption(billing_clerk, negative):
    _first, read = negative
    with pytest.raises(InvalidInput) as error:
        meter_read_approve(actor=billing_clerk, read=read)
    assert error.value.code == "consumption_required"
    with pytest.raises(InvalidInput) as error:
        meter_read_approve(actor=billing_clerk, read=read, consumption="0")
    assert error.value.code == "note_required"
    read.refresh_from_db()
    assert (read.status, read.consumption, read.reviewed_by) == (
        ReadStatus.NEEDS_REVIEW,
        None,
        None,
    )


def test_approve_with_a_corrected_consumption(billing_clerk, negative):
    first, read = negative

    approved = meter_read_approve(
        actor=billing_clerk, read=read, consumption="0", note="上次读数抄错，核实为400"
    )

    approved.refresh_from_db()
    assert (
        approved.status,
        approved.consumption,
        approved.previous,
        approved.issues,
        approved.reviewed_by,
        approved.reviewed_at,
        approved.review_note,
    ) == (
        ReadStatus.VALIDATED,
        Decimal("0.00"),
        first,
        ["negative_consumption", "corrected"],
        billing_clerk,
        NOW,
        "上次读数抄错，核实为400",
    )
    assert list(reads_for_review()) == []


def test_approve_a_jump_keeps_the_computed_consumption(reader, billing_clerk):
    account, _meter = installed(initial="100")
    with_history(reader, account, ["130", "160", "190", "220"])
    read = meter_read(reader, account, date(2026, 5, 31), "400")

    approved = meter_read_approve(actor=billing_clerk, read=read, note="核实：泳池注水")

    assert (approved.status, approved.consumption, approved.issues) == (
        ReadStatus.VALIDATED,
        Decimal("180.00"),
        ["jump"],
    )


def test_reject_needs_a_note_and_the_next_read_skips_the_rejected_one(
    reader, billing_clerk, negative
):
    first, read = negative
    with pytest.raises(InvalidInput) as error:
        meter_read_reject(actor=billing_clerk, read=read, note=" ")
    assert error.value.code == "note_required"

    rejected = meter_read_reject(actor=billing_clerk, read=read, note="抄错")
    following = meter_read(reader, read.account, date(2026, 4, 1), "530")

    rejected.refresh_from_db()
    assert (rejected.status, rejected.review_note, rejected.reviewed_by) == (
        ReadStatus.REJECTED,
        "抄错",
        billing_clerk,
    )
    assert (following.status, following.previous, following.consumption) == (
        ReadStatus.VALIDATED,
        first,
        Decimal("30.00"),
    )


def test_a_rejected_read_can_be_entered_again_for_the_same_day(reader, billing_clerk, negative):
    first, read = negative  # 400 on 2 March was mistyped
    meter_read_reject(actor=billing_clerk, read=read, note="抄错，应为 540")
    again = meter_read(reader, read.account, date(2026, 3, 2), "540")
    assert (again.status, again.previous, again.consumption) == (
        ReadStatus.VALIDATED,
        first,
        Decimal("40.00"),
    )
    with pytest.raises(InvalidInput) as error:
        meter_read(reader, read.account, date(2026, 3, 2), "541")
    assert error.value.code == "read_duplicate"


def test_reviewing_twice_is_an_illegal_transition(billing_clerk, negative):
    _first, read = negative
    meter_read_reject(actor=billing_clerk, read=read, note="抄错")
    with pytest.raises(IllegalTransition) as error:
        meter_read_approve(actor=billing_clerk, read=read, consumption="1", note="x")
    assert error.value.code == "read_not_pending"


def test_reads_of_a_meter_are_reviewed_in_order(reader, billing_clerk, negative):
    first, pending = negative
    later = meter_read(reader, pending.account, date(2026, 4, 1), "530")

    with pytest.raises(IllegalTransition) as error:
        meter_read_approve(actor=billing_clerk, read=later)
    assert error.value.code == "earlier_read_pending"

    meter_read_reject(actor=billing_clerk, read=pending, note="抄错")
    approved = meter_read_approve(actor=billing_clerk, read=later)
    assert (approved.previous, approved.consumption) == (first, Decimal("30.00"))


def test_reader_may_not_review(reader, negative):
    _first, read = negative
    with pytest.raises(NotPermitted):
        meter_read_approve(actor=reader, read=read, consumption="0", note="x")
    with pytest.raises(NotPermitted):
        meter_read_reject(actor=reader, read=read, note="x")
    read.refresh_from_db()
    assert read.status == ReadStatus.NEEDS_REVIEW


# --- meter exchange -------------------------------------------------------------------


def test_meter_exchange(reader):
    account, old = installed(initial="100", serial="OLD001")
    earlier = meter_read(reader, account, date(2026, 3, 1), "130")

    exchange = meter_exchange_record(
        actor=reader,
        account=account,
        read_on=date(2026, 3, 31),
        old_final_value="150",
        new_serial="NEW001",
        new_size_dn=20,
        new_initial_value="5",
    )
    later = meter_read(reader, account, date(2026, 4, 30), "17")

    final, initial, new = exchange
    old.refresh_from_db()
    new.refresh_from_db()
    assert (final.meter, final.kind, final.previous, final.consumption, final.status) == (
        old,
        ReadKind.FINAL,
        earlier,
        Decimal("20.00"),
        ReadStatus.VALIDATED,
    )
    assert (old.state, old.account) == (MeterState.REMOVED, None)
    assert (new.serial, new.state, new.account, new.initial_reading) == (
        "NEW001",
        MeterState.INSTALLED,
        account,
        Decimal("5.00"),
    )
    assert (initial.meter, initial.kind, initial.value, initial.consumption, initial.status) == (
        new,
        ReadKind.INITIAL,
        Decimal("5.00"),
        Decimal("0.00"),
        ReadStatus.VALIDATED,
    )
    assert (later.meter, later.previous, later.consumption, later.issues) == (
        new,
        initial,
        Decimal("12.00"),
        [],
    )
    assert account_last_validated_read(account) == later
    assert list(account_reads(account)) == [later, initial, final, earlier]


def test_exchange_with_a_bad_new_meter_changes_nothing(reader):
    account, old = installed(initial="100", serial="OLD002")
    installed(serial="BUSY01")

    with pytest.raises(InvalidInput) as error:
        meter_exchange_record(
            actor=reader,
            account=account,
            read_on=date(2026, 3, 31),
            old_final_value="150",
            new_serial="BUSY01",
            new_size_dn=20,
            new_initial_value="0",
        )

    assert error.value.code == "meter_in_use"
    old.refresh_from_db()
    assert (old.state, old.account) == (MeterState.INSTALLED, account)
    assert MeterRead.objects.count() == 0


# --- reading cycles -------------------------------------------------------------------


def cycle(actor, code, start, end, read_from, read_to):
    return reading_cycle_create(
        actor=actor,
        code=code,
        period_start=start,
        period_end=end,
        read_from=read_from,
        read_to=read_to,
    )


def test_cycle_create(billing_clerk):
    created = cycle(
        billing_clerk,
        "2026-04",
        date(2026, 4, 1),
        date(2026, 4, 30),
        date(2026, 4, 25),
        date(2026, 5, 5),
    )
    assert (created.code, created.due_days, created.is_closed) == ("2026-04", 20, False)


@pytest.mark.parametrize(
    ("code", "dates", "expected"),
    [
        ("2026-04", ("2026-05-01", "2026-05-31", "2026-05-25", "2026-06-05"), "cycle_exists"),
        ("X", ("2026-04-30", "2026-05-31", "2026-05-25", "2026-06-05"), "cycle_overlap"),
        ("X", ("2026-05-01", "2026-05-31", "2026-05-05", "2026-06-05"), "read_window_overlap"),
        ("X", ("2026-05-31", "2026-05-01", "2026-05-25", "2026-06-05"), "invalid_cycle_dates"),
        ("", ("2026-05-01", "2026-05-31", "2026-05-25", "2026-06-05"), "invalid_cycle_code"),
    ],
)
def test_cycle_create_refuses(billing_clerk, code, dates, expected):
    cycle(
        billing_clerk,
        "2026-04",
        date(2026, 4, 1),
        date(2026, 4, 30),
        date(2026, 4, 25),
        date(2026, 5, 5),
    )
    with pytest.raises(InvalidInput) as error:
        cycle(billing_clerk, code, *(date.fromisoformat(day) for day in dates))
    assert error.value.code == expected
    assert ReadingCycle.objects.count() == 1


def test_reader_may_not_create_cycles(reader):
    with pytest.raises(NotPermitted):
        cycle(
            reader,
            "2026-04",
            date(2026, 4, 1),
            date(2026, 4, 30),
            date(2026, 4, 25),
            date(2026, 5, 5),
        )
    assert ReadingCycle.objects.count() == 0


# --- route sheet ----------------------------------------------------------------------


def test_route_sheet_and_its_progress(reader, billing_clerk):
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    april = cycle(
        billing_clerk,
        "2026-04",
        date(2026, 4, 1),
        date(2026, 4, 30),
        date(2026, 4, 25),
        date(2026, 5, 5),
    )
    read_account, _m1 = installed(route=route)
    unread_account, _m2 = installed(route=route)
    no_meter = AccountFactory(route=route)  # a row that cannot be read
    AccountFactory(route=route, status=AccountStatus.CLOSED)  # not on the sheet
    AccountFactory()  # another route's
    earlier = meter_read(reader, read_account, date(2026, 4, 1), "110")
    this_cycle = meter_read(reader, read_account, date(2026, 4, 28), "120")

    rows = route_sheet(route=route, cycle=april)

    summary = [
        (row.account, row.meter is not None, row.last_read, row.cycle_read, row.is_read)
        for row in rows
    ]
    expected = sorted(
        [
            (read_account, True, this_cycle, this_cycle, True),
            (unread_account, True, None, None, False),
            (no_meter, False, None, None, False),
        ],
        key=lambda row: row[0].number,
    )
    assert summary == expected
    assert earlier.cycle is None
    assert route_sheet_progress(route=route, cycle=april) == (1, 3)
    assert route_sheet_progress(route=route, cycle=None) == (0, 3)


def test_account_use_history_is_the_last_validated_periods(reader):
    account, _meter = installed(initial="100")
    quiet, _other = installed(initial="100")
    with_history(reader, account, ["110", "122", "140", "150"])  # Jan 31 … May 1
    meter_read(reader, account, date(2026, 6, 1), "90")  # negative: waits for review
    meter_read(reader, quiet, date(2026, 5, 1), "105")  # a first read only: no period

    history = account_use_history([account.pk, quiet.pk])
    last_two = account_use_history([account.pk], limit=2)

    assert history == {
        account.pk: AccountUse(
            periods=(
                UsePeriod(date(2026, 5, 1), date(2026, 4, 1), Decimal("10.00")),
                UsePeriod(date(2026, 4, 1), date(2026, 3, 2), Decimal("18.00")),
                UsePeriod(date(2026, 3, 2), date(2026, 1, 31), Decimal("12.00")),
            ),
            monthly_average=Decimal("13.33"),  # 40 m³ in 90 days
        )
    }
    assert last_two[account.pk].monthly_average == Decimal("14.00")  # 28 m³ in 60 days
    assert [period.days for period in last_two[account.pk].periods] == [30, 30]

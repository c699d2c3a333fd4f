"""Usage change (用水性质变更) through its services: intake with "one of" materials,
verification at the desk or by a surveyor, approval with the effective date, the change
read, the bill split at the read (old price before, new price after), the customer told
the new price, the 5-working-day limit."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from tests import test_applications_transfer as transfer_tests
from tests.factories import UserFactory, meter_read
from tests.test_applications_transfer import (
    SHANGHAI,
    START,
    snapshot,
)
from waterdesk.applications import usage_change
from waterdesk.applications.models import MaterialNotice, UsageChange
from waterdesk.billing.models import AccountTariff, Bill, MeterRead, Tariff
from waterdesk.billing.services.bill_run import bill_run_create, bill_run_start, bill_run_work
from waterdesk.billing.services.reading import reading_cycle_create
from waterdesk.cases.models import Case
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db


account = transfer_tests.account

NON_RESIDENTIAL_PRICE = "统一价格 6.10元/m³（供水价格4.20、水资源税0.50、污水处理费1.40）"


def register_change(clerk, account, *, materials=("business_licence",), **kw):
    kw = {
        "channel": "counter",
        "contact_name": "张三",
        "contact_phone": "13900139000",
        "requested_usage": "non_residential",
        **kw,
    }
    return usage_change.usage_change_register(
        actor=clerk, account=account, materials_received=list(materials), **kw
    )


def approved_change(clerk, approver, account, *, effective_date=date(2026, 3, 10)) -> Case:
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk,
            case=case,
            verified_usage="non_residential",
            opinion="营业执照经营范围为餐饮",
        )
        return usage_change.usage_change_approve(
            actor=approver, case=case, opinion="同意", effective_date=effective_date
        )


# --- intake ---------------------------------------------------------------------------


def test_register_starts_the_five_working_day_clock(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
    assert case.number == "BG-20260310-0001"
    assert (case.kind, case.status, case.customer) == (
        "usage_change",
        "registered",
        account.customer,
    )
    detail = UsageChange.objects.get(case=case)
    assert (detail.account, detail.previous_usage, detail.requested_usage) == (
        account,
        "residential",
        "non_residential",
    )
    clock = case.clocks.get()
    assert clock.due_at == datetime(2026, 3, 17, 17, 30, tzinfo=SHANGHAI)
    sms = Notification.objects.get(case=case, channel="sms")
    assert sms.body == (
        f"【城市水务】张三您好，户号{account.number}变更为“非居民”的申请已受理，"
        "受理编号BG-20260310-0001，预计2026-03-17 17:30前办结。"
    )


def test_green_channel_change_has_three_working_days(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account, priority="green", green_channel_reason="医院")
    assert case.clocks.get().due_at == datetime(2026, 3, 13, 17, 30, tzinfo=SHANGHAI)


def test_either_licence_or_authority_approval_satisfies_the_checklist(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account, materials=[])
    assert case.status == "materials_pending"
    assert MaterialNotice.objects.get(case=case).missing == [
        {"code": "business_licence|authority_approval", "name": "营业执照或行业主管部门批复"}
    ]
    assert case.clocks.get().state == "paused"
    sms = Notification.objects.get(
        case=case, template_key="usage_change.materials_missing", channel="sms"
    )
    assert "营业执照或行业主管部门批复" in sms.body
    with time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI), tick=False):
        case = usage_change.usage_change_supply_materials(
            actor=clerk, case=case, materials=["authority_approval"]
        )
    assert case.status == "registered"
    assert UsageChange.objects.get(case=case).materials_received == ["authority_approval"]
    # One working day waited: the Tuesday-17 limit moves to Wednesday 18.
    assert case.clocks.get().due_at == datetime(2026, 3, 18, 17, 30, tzinfo=SHANGHAI)


def test_register_refuses_bad_input_and_writes_nothing(clerk, account):
    special = Tariff.objects.get(code="special-industry")
    with pytest.raises(InvalidInput) as error:
        register_change(clerk, account, requested_usage="residential")
    assert error.value.code == "usage_unchanged"
    with pytest.raises(InvalidInput) as error:
        register_change(clerk, account, requested_tariff=special)
    assert error.value.code == "tariff_category_mismatch"
    with pytest.raises(InvalidInput) as error:
        register_change(clerk, account, requested_usage="industrial")
    assert error.value.code == "invalid_usage"
    with pytest.raises(InvalidInput) as error:
        register_change(clerk, account, materials=["id_card"])
    assert error.value.code == "unknown_material"
    assert not Case.objects.exists()
    assert not Notification.objects.exists()


def test_one_open_change_per_account(clerk, account):
    first = register_change(clerk, account)
    with pytest.raises(InvalidInput) as error:
        register_change(clerk, account, requested_usage="special")
    assert (error.value.code, error.value.details) == (
        "usage_change_in_progress",
        {"case": first.number},
    )


@pytest.mark.parametrize("role", [Role.SURVEYOR, Role.APPROVER, Role.BILLING_CLERK, None])
def test_register_needs_the_intake_role(account, role):
    with pytest.raises(NotPermitted):
        register_change(UserFactory(username=f"u-{role}", role=role), account)
    assert not Case.objects.exists()


# --- verification ---------------------------------------------------------------------


def test_desk_verification_by_the_clerk_only(clerk, surveyor, approver, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        before = snapshot(case)
        for other in (surveyor, approver):
            with pytest.raises(NotPermitted):
                usage_change.usage_change_verify_at_desk(
                    actor=other, case=case, verified_usage="non_residential", opinion="同意"
                )
            assert snapshot(case) == before
        with pytest.raises(InvalidInput) as error:
            usage_change.usage_change_verify_at_desk(
                actor=clerk, case=case, verified_usage="residential", opinion="仍为居民"
            )
        assert error.value.code == "usage_unchanged"
        assert snapshot(case) == before
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk,
            case=case,
            verified_usage="non_residential",
            opinion="营业执照经营范围为餐饮",
        )
    assert case.status == "verified"
    detail = UsageChange.objects.get(case=case)
    assert (detail.verification_method, detail.verified_usage, detail.verified_by) == (
        "desk",
        "non_residential",
        clerk,
    )


def test_survey_by_the_assigned_surveyor(clerk, surveyor, account):
    other_surveyor = UserFactory(username="surveyor2", role=Role.SURVEYOR)
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        with pytest.raises(InvalidInput) as error:
            usage_change.usage_change_assign_survey(actor=clerk, case=case, surveyor=clerk)
        assert error.value.code == "not_a_surveyor"
        case = usage_change.usage_change_assign_survey(actor=clerk, case=case, surveyor=surveyor)
        assert (case.status, case.assignee) == ("survey_assigned", surveyor)
        before = snapshot(case)
        with pytest.raises(NotPermitted):
            usage_change.usage_change_record_survey(
                actor=other_surveyor,
                case=case,
                findings="现场为餐馆",
                verified_usage="non_residential",
                opinion="属实",
            )
        assert snapshot(case) == before
        case = usage_change.usage_change_record_survey(
            actor=surveyor,
            case=case,
            findings="一楼临街门面经营餐馆，后厨用水",
            verified_usage="non_residential",
            opinion="实际用途与申请一致",
        )
    assert (case.status, case.assignee) == ("verified", None)
    detail = UsageChange.objects.get(case=case)
    assert (detail.verification_method, detail.surveyor, detail.survey_findings) == (
        "survey",
        surveyor,
        "一楼临街门面经营餐馆，后厨用水",
    )


def test_verification_reject(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        case = usage_change.usage_change_verification_reject(
            actor=clerk, case=case, opinion="执照已注销"
        )
    assert (case.status, case.clocks.get().state) == ("rejected", "cancelled")
    assert UsageChange.objects.get(case=case).rejection_reason == "执照已注销"


# --- approval -------------------------------------------------------------------------


def test_approval_by_the_approver_with_an_effective_date(clerk, reviewer, approver, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk, case=case, verified_usage="non_residential", opinion="属实"
        )
        before = snapshot(case)
        for other in (clerk, reviewer):
            with pytest.raises(NotPermitted):
                usage_change.usage_change_approve(
                    actor=other, case=case, opinion="同意", effective_date=date(2026, 3, 10)
                )
            assert snapshot(case) == before
        with pytest.raises(InvalidInput) as error:
            usage_change.usage_change_approve(
                actor=approver, case=case, opinion="同意", effective_date=date(2026, 3, 9)
            )
        assert error.value.code == "effective_date_in_past"
        assert snapshot(case) == before
        case = usage_change.usage_change_approve(
            actor=approver, case=case, opinion="同意", effective_date=date(2026, 3, 12)
        )
    assert case.status == "approved"
    detail = UsageChange.objects.get(case=case)
    assert (detail.effective_date, detail.approved_by) == (date(2026, 3, 12), approver)
    sms = Notification.objects.get(case=case, template_key="usage_change.approved", channel="sms")
    assert sms.body == (
        f"【城市水务】您的用水性质变更申请（{case.number}）已批准，我们将于2026-03-12"
        "上门抄表，抄表后的用水按“非居民”计价。"
    )


def test_approval_reject(clerk, approver, account):
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account)
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk, case=case, verified_usage="non_residential", opinion="属实"
        )
        case = usage_change.usage_change_approval_reject(
            actor=approver, case=case, opinion="不符合政策"
        )
    assert (case.status, case.closed_at is not None) == ("rejected", True)


# --- read, completion and the split bill ------------------------------------------------


def test_the_change_read_is_taken_on_the_effective_date(clerk, approver, reader, account):
    case = approved_change(clerk, approver, account, effective_date=date(2026, 3, 12))
    with time_machine.travel(START, tick=False):
        before = snapshot(case)
        with pytest.raises(InvalidInput) as error:
            usage_change.usage_change_record_read(actor=reader, case=case, value="25")
        assert error.value.code == "read_before_effective_date"
        assert snapshot(case) == before
        with pytest.raises(IllegalTransition) as error:
            usage_change.usage_change_complete(actor=clerk, case=case)
        assert error.value.code == "change_read_required"
        assert snapshot(case) == before
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(NotPermitted):
            usage_change.usage_change_record_read(actor=clerk, case=case, value="25")
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="25")
    read = MeterRead.objects.get(kind="change")
    assert (read.read_on, read.consumption, read.status) == (
        date(2026, 3, 12),
        Decimal("15.00"),
        "validated",
    )
    assert case.status == "approved"


def test_complete_splits_the_bill_at_the_read_and_tells_the_new_price(
    clerk,
    approver,
    reader,
    billing_clerk,
    account,
):
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="25")
        case = usage_change.usage_change_complete(actor=clerk, case=case)
    assert case.status == "completed"
    changed = Account.objects.get(pk=account.pk)
    assert changed.usage_category == "non_residential"
    assert changed.history.first().history_change_reason == case.number
    # The usage up to the change read is billed at once, at the residential price.
    split = Bill.objects.get()
    assert (split.kind, split.period_start, split.period_end, split.volume, split.amount) == (
        "final",
        date(2026, 1, 5),
        date(2026, 3, 10),
        Decimal("25.00"),
        Decimal("85.00"),
    )
    assert list(split.lines.values_list("component_name", "unit_price", "amount")) == [
        ("供水价格", Decimal("2.1000"), Decimal("52.50")),
        ("水资源税", Decimal("0.3000"), Decimal("7.50")),
        ("污水处理费", Decimal("1.0000"), Decimal("25.00")),
    ]
    # The new tariff from the day after the read.
    assert list(AccountTariff.objects.values_list("tariff__code", "effective_from", "case")) == [
        ("non-residential", date(2026, 3, 11), case.pk)
    ]
    detail = UsageChange.objects.get(case=case)
    assert (detail.split_bill, detail.applied_tariff.code, detail.price_summary) == (
        split,
        "non-residential",
        NON_RESIDENTIAL_PRICE,
    )
    assert case.clocks.get().state == "met"
    sms = Notification.objects.get(case=case, template_key="usage_change.completed", channel="sms")
    assert sms.body == (
        f"【城市水务】户号{account.number}已变更为“非居民”（{case.number}），"
        f"2026-03-10变更抄表后的用水按新水价计费：{NON_RESIDENTIAL_PRICE}。"
        "缴费方式：营业厅现金/刷卡、银行转账、网上营业厅、微信支付。"
    )
    assert list(case.events.values_list("action", flat=True)) == [
        "open",
        "verify_at_desk",
        "approve_change",
        "record_read",
        "final_bill",
        "complete",
    ]

    # The March cycle bill covers only the water used after the change read, at the new price.
    with time_machine.travel(datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        cycle = reading_cycle_create(
            actor=billing_clerk,
            code="2026-03",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            read_from=date(2026, 3, 25),
            read_to=date(2026, 4, 5),
        )
        meter_read(billing_clerk, account, date(2026, 3, 31), "45")
        run = bill_run_create(actor=billing_clerk, cycle=cycle)
        bill_run_start(run=run, enqueue=False)
        bill_run_work(run=run)
    cycle_bill = Bill.objects.get(cycle=cycle)
    assert (cycle_bill.period_start, cycle_bill.period_end, cycle_bill.volume) == (
        date(2026, 3, 11),
        date(2026, 3, 31),
        Decimal("20.00"),
    )
    assert list(cycle_bill.lines.values_list("component_name", "unit_price", "amount")) == [
        ("供水价格", Decimal("4.2000"), Decimal("84.00")),
        ("水资源税", Decimal("0.5000"), Decimal("10.00")),
        ("污水处理费", Decimal("1.4000"), Decimal("28.00")),
    ]
    assert cycle_bill.amount == Decimal("122.00")


def test_a_special_tariff_can_be_requested(clerk, approver, reader, account):
    special = Tariff.objects.get(code="special-industry")
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account, requested_usage="special", requested_tariff=special)
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk, case=case, verified_usage="special", opinion="洗车行"
        )
        case = usage_change.usage_change_approve(
            actor=approver, case=case, opinion="同意", effective_date=date(2026, 3, 10)
        )
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="25")
        case = usage_change.usage_change_complete(actor=clerk, case=case)
    detail = UsageChange.objects.get(case=case)
    assert detail.applied_tariff == special
    assert detail.price_summary == (
        "统一价格 29.00元/m³（供水价格25.00、水资源税1.00、污水处理费3.00）"
    )
    assert Account.objects.get(pk=account.pk).usage_category == "special"


def test_a_verified_use_that_does_not_match_the_requested_tariff_cannot_be_approved(
    clerk, approver, account
):
    special = Tariff.objects.get(code="special-industry")
    with time_machine.travel(START, tick=False):
        case = register_change(clerk, account, requested_usage="special", requested_tariff=special)
        case = usage_change.usage_change_verify_at_desk(
            actor=clerk, case=case, verified_usage="non_residential", opinion="普通餐馆"
        )
        before = snapshot(case)
        with pytest.raises(IllegalTransition) as error:
            usage_change.usage_change_approve(
                actor=approver, case=case, opinion="同意", effective_date=date(2026, 3, 10)
            )
    assert error.value.code == "tariff_category_mismatch"
    assert snapshot(case) == before


def test_completion_is_refused_for_other_roles(
    clerk,
    approver,
    reader,
    surveyor,
    account,
):
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START, tick=False):
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="25")
        before = snapshot(case)
        for other in (approver, reader, surveyor):
            with pytest.raises(NotPermitted):
                usage_change.usage_change_complete(actor=other, case=case)
            assert snapshot(case) == before
    assert Account.objects.get(pk=account.pk).usage_category == "residential"
    assert not AccountTariff.objects.exists()


def test_a_change_read_in_review_blocks_completion(clerk, approver, reader, account):
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START, tick=False):
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="5")
        before = snapshot(case)
        with pytest.raises(IllegalTransition) as error:
            usage_change.usage_change_complete(actor=clerk, case=case)
    assert (error.value.code, error.value.details) == (
        "change_read_required",
        {"read_status": "needs_review"},
    )
    assert snapshot(case) == before


def test_withdraw_after_approval(clerk, approver, account):
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START, tick=False):
        case = usage_change.usage_change_withdraw(actor=clerk, case=case, reason="不再经营")
    assert (case.status, case.clocks.get().state) == ("withdrawn", "cancelled")

"""Ownership transfer (水表过户) through its services: intake, materials, verification, the
transfer read, the old owner's final bill (once), the settlement policy both ways, the
account moved to the new owner, the 3-working-day limit."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Engine

from tests.factories import CustomerFactory, UserFactory, installed_account, meter_read
from waterdesk.applications import transfer, usage_change
from waterdesk.applications.intake import applications_withdraw_stale
from waterdesk.applications.models import MaterialNotice, OwnershipTransfer, TransferPolicy
from waterdesk.billing.models import Bill, LedgerEntry, MeterRead
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Customer
from waterdesk.notify.models import Notification, NotificationTemplate

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-03-10 09:00 local: a plain working week, no holidays near.
START = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)
OPENED = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)
PERSON_MATERIALS = ["id_card", "property_certificate"]

pytestmark = pytest.mark.django_db


# --- helpers shared with the other change-case tests ------------------------------------


def make_account(*, usage_category="residential", customer=None, household_size=4) -> Account:
    """An account opened on 5 January 2026 with one meter installed (initial reading 0)."""
    return installed_account(
        installed_at=OPENED,
        opened_at=OPENED,
        usage_category=usage_category,
        customer=customer or CustomerFactory(),
        household_size=household_size,
    )


def register_transfer(clerk, account, *, new_customer=None, materials=PERSON_MATERIALS, **kw):
    kw = {"channel": "counter", "contact_name": "李四", "contact_phone": "13900139000", **kw}
    return transfer.ownership_transfer_register(
        actor=clerk,
        account=account,
        new_customer=new_customer or CustomerFactory(name="李四"),
        materials_received=list(materials),
        **kw,
    )


def snapshot(case: Case) -> tuple:
    """What a refused step must leave unchanged."""
    case.refresh_from_db()
    return (
        case.status,
        case.version,
        case.events.count(),
        Bill.objects.count(),
        LedgerEntry.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def account(billing_clerk):
    """A residential account with one unbilled read: 10 m³ on 1 February."""
    with time_machine.travel(START, tick=False):
        account = make_account(customer=CustomerFactory(name="张三"))
        meter_read(billing_clerk, account, date(2026, 2, 1), "10")
    return account


def verified_transfer(clerk, account, **kw) -> Case:
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, **kw)
        return transfer.ownership_transfer_verify(actor=clerk, case=case, opinion="原件核验一致")


# --- intake ---------------------------------------------------------------------------


def test_register_starts_the_three_working_day_clock(clerk, account):
    new_owner = CustomerFactory(name="李四")
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, new_customer=new_owner)
    assert case.number == "GH-20260310-0001"
    assert case.kind == "ownership_transfer"
    assert case.status == "registered"
    assert case.customer == new_owner
    assert case.premise == account.premise
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.account, detail.previous_customer, detail.new_customer) == (
        account,
        account.customer,
        new_owner,
    )
    assert detail.materials_received == ["id_card", "property_certificate"]
    clock = case.clocks.get()
    assert (clock.milestone, clock.state) == ("complete", "running")
    # Tuesday 09:00 + 3 working days: end of business on Friday.
    assert clock.due_at == datetime(2026, 3, 13, 17, 30, tzinfo=SHANGHAI)
    notices = Notification.objects.filter(case=case).order_by("channel")
    assert [(n.template_key, n.recipient_address) for n in notices] == [
        ("ownership_transfer.registered", new_owner.email),
        ("ownership_transfer.registered", new_owner.mobile),
    ]
    assert notices[1].body == (
        f"【城市水务】李四您好，户号{account.number}的过户申请已受理，"
        "受理编号GH-20260310-0001，预计2026-03-13 17:30前办结。"
    )


def test_green_channel_transfer_has_two_working_days(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, new_customer=CustomerFactory(is_vulnerable=True))
    assert case.priority == "green"
    assert case.clocks.get().due_at == datetime(2026, 3, 12, 17, 30, tzinfo=SHANGHAI)


def test_register_a_new_owner_from_customer_data(clerk, account):
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_register(
            actor=clerk,
            account=account,
            channel="counter",
            contact_name="王五",
            contact_phone="13900139000",
            new_customer_data={
                "kind": "person",
                "name": "王五",
                "id_number": "11010519491231002X",
                "mobile": "13900139000",
            },
            materials_received=PERSON_MATERIALS,
        )
    new_owner = Customer.objects.get(id_number="11010519491231002X")
    assert case.customer == new_owner
    assert new_owner.name == "王五"


def test_register_refuses_bad_input_and_writes_nothing(clerk, account):
    customers_before = Customer.objects.count()
    with pytest.raises(InvalidInput) as error:
        transfer.ownership_transfer_register(
            actor=clerk,
            account=account,
            channel="counter",
            contact_name="王五",
            contact_phone="13900139000",
            new_customer_data={"kind": "person", "name": "王五", "id_number": "110105194912310021"},
        )
    assert error.value.code == "invalid_resident_id"
    with pytest.raises(InvalidInput) as error:
        register_transfer(clerk, account, new_customer=account.customer)
    assert error.value.code == "same_owner"
    with pytest.raises(InvalidInput) as error:
        register_transfer(clerk, account, materials=["id_card", "passport"])
    assert error.value.code == "unknown_material"
    with pytest.raises(InvalidInput) as error:
        register_transfer(clerk, account, contact_phone="12")
    assert error.value.field == "phone"
    assert Customer.objects.count() == customers_before + 2  # the factories' new owners
    assert not Case.objects.exists()
    assert not OwnershipTransfer.objects.exists()
    assert not Notification.objects.exists()


def test_one_open_transfer_per_account(clerk, account):
    first = register_transfer(clerk, account)
    with pytest.raises(InvalidInput) as error:
        register_transfer(clerk, account)
    assert error.value.code == "transfer_in_progress"
    assert error.value.details == {"case": first.number}
    assert Case.objects.count() == 1


def test_a_closed_account_cannot_be_transferred(clerk, account):
    Account.objects.filter(pk=account.pk).update(status="closed")
    with pytest.raises(InvalidInput) as error:
        register_transfer(clerk, account)
    assert error.value.code == "account_closed"
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", [Role.SURVEYOR, Role.REVIEWER, Role.METER_READER, None])
def test_register_needs_the_intake_role(account, role):
    user = UserFactory(username=f"u-{role}", role=role)
    with pytest.raises(NotPermitted):
        register_transfer(user, account)
    assert not Case.objects.exists()


def test_missing_materials_notice_pauses_the_clock_until_supplied(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, materials=["id_card"])
    assert case.status == "materials_pending"
    notice = MaterialNotice.objects.get(case=case)
    assert notice.missing == [{"code": "property_certificate", "name": "房产证明"}]
    assert notice.deadline == date(2026, 4, 9)
    assert case.clocks.get().state == "paused"
    assert (
        list(Notification.objects.filter(case=case).values_list("template_key", flat=True))
        == ["ownership_transfer.materials_missing"] * 2
    )
    # Two working days later the certificate arrives: the limit moves by two working days.
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI), tick=False):
        case = transfer.ownership_transfer_supply_materials(
            actor=clerk, case=case, materials=["property_certificate"]
        )
    assert case.status == "registered"
    clock = case.clocks.get()
    assert clock.state == "running"
    assert clock.due_at == datetime(2026, 3, 17, 17, 30, tzinfo=SHANGHAI)
    assert MaterialNotice.objects.get(case=case).fulfilled_at is not None


def test_a_transfer_whose_materials_never_arrive_is_withdrawn_once(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, materials=["id_card"])
    assert applications_withdraw_stale(today=date(2026, 4, 9)) == []
    assert applications_withdraw_stale(today=date(2026, 4, 10)) == [case.number]
    assert applications_withdraw_stale(today=date(2026, 4, 11)) == []
    case.refresh_from_db()
    assert (case.status, case.closed_at is not None) == ("withdrawn", True)
    assert case.events.filter(action="withdraw", actor=None).count() == 1
    assert case.clocks.get().state == "cancelled"
    account.refresh_from_db()
    assert account.customer == OwnershipTransfer.objects.get(case=case).previous_customer


def test_an_organisation_also_brings_its_business_licence(clerk, account):
    organisation = CustomerFactory(kind="organisation", id_number="91350100M000100Y43")
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account, new_customer=organisation)
    assert case.status == "materials_pending"
    assert MaterialNotice.objects.get(case=case).missing == [
        {"code": "business_licence", "name": "营业执照"}
    ]


# --- verification ---------------------------------------------------------------------


def test_verification_by_the_clerk_and_refused_for_other_roles(clerk, reviewer, account):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account)
        before = snapshot(case)
        with pytest.raises(NotPermitted):
            transfer.ownership_transfer_verify(actor=reviewer, case=case, opinion="同意")
        assert snapshot(case) == before
        with pytest.raises(InvalidInput) as error:
            transfer.ownership_transfer_verify(actor=clerk, case=case, opinion=" ")
        assert error.value.field == "opinion"
        assert snapshot(case) == before
        case = transfer.ownership_transfer_verify(actor=clerk, case=case, opinion="原件核验一致")
    assert case.status == "verified"
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.verification_opinion, detail.verified_by) == ("原件核验一致", clerk)


def test_verification_reject_closes_the_case_with_the_reason(clerk, account):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account)
        case = transfer.ownership_transfer_verification_reject(
            actor=clerk, case=case, opinion="房产证明与用水地址不符"
        )
    assert case.status == "rejected"
    assert case.closed_at is not None
    assert case.clocks.get().state == "cancelled"
    assert OwnershipTransfer.objects.get(case=case).rejection_reason == "房产证明与用水地址不符"
    rejected = Notification.objects.get(
        case=case, template_key="ownership_transfer.rejected", channel="sms"
    )
    assert "房产证明与用水地址不符" in rejected.body
    # A rejected transfer no longer blocks a new application for the account.
    with time_machine.travel(START, tick=False):
        assert register_transfer(clerk, account).number == "GH-20260310-0002"


# --- the transfer read ----------------------------------------------------------------


def test_the_read_is_recorded_by_a_meter_reader_not_by_the_clerk(clerk, reader, account):
    case = verified_transfer(clerk, account)
    before = snapshot(case)
    with time_machine.travel(START, tick=False):
        with pytest.raises(NotPermitted):
            transfer.ownership_transfer_record_read(actor=clerk, case=case, value="25")
        assert snapshot(case) == before
        assert not MeterRead.objects.filter(kind="transfer").exists()
        with pytest.raises(InvalidInput) as error:
            transfer.ownership_transfer_record_read(
                actor=reader, case=case, value="25", read_on=date(2026, 3, 9)
            )
        assert error.value.code == "read_before_intake"
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
    assert case.status == "verified"
    read = MeterRead.objects.get(kind="transfer")
    assert (read.read_on, read.value, read.consumption, read.status) == (
        date(2026, 3, 10),
        Decimal("25.00"),
        Decimal("15.00"),
        "validated",
    )
    assert OwnershipTransfer.objects.get(case=case).transfer_read == read
    event = case.events.get(action="record_read")
    assert (event.actor, event.from_status, event.to_status) == (
        reader,
        "verified",
        "verified",
    )
    assert event.data["status"] == "validated"


def test_completing_without_a_transfer_read_is_refused(clerk, account):
    case = verified_transfer(clerk, account)
    before = snapshot(case)
    with time_machine.travel(START, tick=False), pytest.raises(IllegalTransition) as error:
        transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert error.value.code == "transfer_read_required"
    assert snapshot(case) == before
    assert not Bill.objects.exists()


def test_a_read_before_intake_does_not_count(clerk, billing_clerk, account):
    with time_machine.travel(START, tick=False):
        meter_read(billing_clerk, account, date(2026, 3, 9), "20", kind="transfer")
    case = verified_transfer(clerk, account)
    with time_machine.travel(START, tick=False), pytest.raises(IllegalTransition) as error:
        transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert error.value.code == "transfer_read_required"


def test_a_read_waiting_for_review_blocks_the_transfer(clerk, reader, account):
    case = verified_transfer(clerk, account)
    with time_machine.travel(START, tick=False):
        # Lower than the last read (10): negative consumption, sent to review.
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="5")
        assert MeterRead.objects.get(kind="transfer").status == "needs_review"
        before = snapshot(case)
        with pytest.raises(IllegalTransition) as error:
            transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert error.value.code == "transfer_read_required"
    assert error.value.details == {"read_status": "needs_review"}
    assert snapshot(case) == before


def test_a_read_entered_on_billings_pages_counts(clerk, billing_clerk, account):
    TransferPolicy.objects.update(require_settlement=False)
    case = verified_transfer(clerk, account)
    with time_machine.travel(START, tick=False):
        meter_read(billing_clerk, account, date(2026, 3, 10), "25", kind="transfer")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"


# --- completion: final bill and settlement ----------------------------------------------


def test_settlement_required_waits_then_completes_with_one_final_bill(
    clerk, reader, billing_clerk, account, django_capture_on_commit_callbacks
):
    old_owner = account.customer
    new_owner = CustomerFactory(name="李四")
    case = verified_transfer(clerk, account, new_customer=new_owner)
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)

    # 25 m³ since the account opened, all in the first annual tier (3.40 yuan/m³).
    bill = Bill.objects.get()
    assert (bill.kind, bill.number, bill.volume, bill.amount) == (
        "final",
        f"F{account.number}-{MeterRead.objects.get(kind='transfer').pk}",
        Decimal("25.00"),
        Decimal("85.00"),
    )
    assert (bill.period_start, bill.period_end) == (date(2026, 1, 5), date(2026, 3, 10))
    assert list(bill.lines.values_list("component_name", "tier_index", "amount")) == [
        ("供水价格", 1, Decimal("52.50")),
        ("水资源税", None, Decimal("7.50")),
        ("污水处理费", None, Decimal("25.00")),
    ]
    assert case.status == "awaiting_settlement"
    assert case.clocks.get().state == "paused"
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.final_bill, detail.balance_after_final_bill) == (bill, Decimal("85.00"))
    assert Account.objects.get(pk=account.pk).customer == old_owner
    asked = Notification.objects.get(
        template_key="ownership_transfer.settlement_required", channel="sms"
    )
    assert asked.customer == old_owner
    assert asked.body == (
        f"【城市水务】户号{account.number}办理过户（{case.number}），结清账单{bill.number}金额85.00元，"
        "账户尚欠85.00元，请结清后办理过户。缴费方式：营业厅现金/刷卡、银行转账、网上营业厅、微信支付。"
    )

    # Retrying before payment: refused, no second bill, nothing written.
    before = snapshot(case)
    with (
        time_machine.travel(START + timedelta(hours=1), tick=False),
        pytest.raises(IllegalTransition) as error,
    ):
        transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert error.value.code == "settlement_required"
    assert error.value.details == {"balance": "85.00"}
    assert snapshot(case) == before

    # The old owner pays the next morning; the clerk completes: same bill, account moved.
    paid_at = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(paid_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        ledger_post_payment(
            actor=billing_clerk,
            account=account,
            amount="85.00",
            reference="SK-1",
            idempotency_key="pay-1",
        )
        case = transfer.ownership_transfer_complete(actor=clerk, case=case, note="欠费已结清")
    assert case.status == "completed"
    assert case.closed_at == paid_at
    assert Bill.objects.count() == 1
    detail.refresh_from_db()
    assert (detail.settlement, detail.carried_balance, detail.completed_at) == (
        "settled",
        None,
        paid_at,
    )
    moved = Account.objects.get(pk=account.pk)
    assert moved.customer == new_owner
    last = moved.history.first()
    assert (last.customer_id, last.history_user, last.history_change_reason) == (
        new_owner.pk,
        clerk,
        case.number,
    )
    assert moved.history.all()[1].customer_id == old_owner.pk
    clock = case.clocks.get()
    # Waiting for the old owner (Tuesday 09:00 to Wednesday 10:00, 510 working minutes)
    # does not count: the Friday 17:30 limit moves to Tuesday 09:30.
    assert (clock.state, clock.stopped_at, clock.is_late) == ("met", paid_at, False)
    assert (clock.paused_minutes, clock.due_at) == (
        510,
        datetime(2026, 3, 17, 9, 30, tzinfo=SHANGHAI),
    )
    assert list(case.events.values_list("action", flat=True)) == [
        "open",
        "verify",
        "record_read",
        "final_bill",
        "await_settlement",
        "complete",
    ]
    completed = {
        n.customer_id: n.body
        for n in Notification.objects.filter(case=case, channel="sms").filter(
            template_key__startswith="ownership_transfer.completed"
        )
    }
    assert completed == {
        new_owner.pk: f"【城市水务】李四您好，户号{account.number}已过户至您的名下"
        f"（{case.number}）。感谢您的支持！",
        old_owner.pk: f"【城市水务】张三您好，户号{account.number}已办理过户（{case.number}），"
        f"您的结清账单{bill.number}金额85.00元。",
    }


def test_carry_policy_moves_the_account_with_its_balance_and_a_ledger_note(clerk, reader, account):
    TransferPolicy.objects.update(require_settlement=False)
    new_owner = CustomerFactory(name="李四")
    case = verified_transfer(clerk, account, new_customer=new_owner)
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert Account.objects.get(pk=account.pk).customer == new_owner
    assert account_balance(account) == Decimal("85.00")
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.settlement, detail.carried_balance) == ("carried", Decimal("85.00"))
    note = LedgerEntry.objects.get(kind="note")
    assert (note.amount, note.reference, note.description, note.created_by) == (
        Decimal("0.00"),
        case.number,
        "过户结转：原户主张三欠费85.00元随账户转至新户主李四",
        clerk,
    )
    told = Notification.objects.get(template_key="ownership_transfer.completed", channel="sms")
    assert "原户主欠费85.00元已随账户结转" in told.body
    assert Bill.objects.count() == 1


def test_nothing_owed_completes_at_once(clerk, reader):
    with time_machine.travel(START, tick=False):
        account = make_account()  # no read since the meter was installed at 0
        case = register_transfer(clerk, account)
        case = transfer.ownership_transfer_verify(actor=clerk, case=case, opinion="一致")
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="0")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    bill = Bill.objects.get()
    assert (bill.volume, bill.amount) == (Decimal("0.00"), Decimal("0.00"))
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.settlement, detail.balance_after_final_bill) == ("nothing_owed", Decimal("0"))
    assert case.clocks.get().state == "met"


def test_completing_is_refused_for_other_roles_and_statuses(
    clerk, reader, approver, supervisor, account
):
    with time_machine.travel(START, tick=False):
        case = register_transfer(clerk, account)
        before = snapshot(case)
        with pytest.raises(IllegalTransition):  # not verified yet
            transfer.ownership_transfer_complete(actor=clerk, case=case)
        assert snapshot(case) == before
        case = transfer.ownership_transfer_verify(actor=clerk, case=case, opinion="一致")
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        before = snapshot(case)
        for other in (reader, approver, supervisor):
            with pytest.raises(NotPermitted):
                transfer.ownership_transfer_complete(actor=other, case=case)
            assert snapshot(case) == before


def test_a_late_completion_breaches_the_clock(clerk, reader, account):
    TransferPolicy.objects.update(require_settlement=False)
    case = verified_transfer(clerk, account)
    with time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI), tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    clock = case.clocks.get()
    assert (clock.state, clock.is_late) == ("breached", True)
    assert clock.due_at == datetime(2026, 3, 13, 17, 30, tzinfo=SHANGHAI)


def test_withdraw_while_waiting_for_settlement(clerk, reader, account):
    case = verified_transfer(clerk, account)
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
        case = transfer.ownership_transfer_withdraw(actor=clerk, case=case, reason="买卖合同解除")
    assert case.status == "withdrawn"
    assert case.clocks.get().state == "cancelled"
    assert Account.objects.get(pk=account.pk).customer_id == account.customer_id
    assert Bill.objects.count() == 1  # the final bill is the old owner's debt either way


def test_a_usage_change_case_is_not_a_transfer(clerk, account):
    case = verified_transfer(clerk, account)
    with pytest.raises(IllegalTransition):
        usage_change.usage_change_complete(actor=clerk, case=case)
    assert CaseEvent.objects.filter(case=case).count() == 2


# --- templates ------------------------------------------------------------------------

TEMPLATE_CONTEXTS = {
    "ownership_transfer.registered": {
        "case_number": "GH-1",
        "customer_name": "李四",
        "account_number": "1000000001",
        "expected_completion": "2026-03-13 17:30",
    },
    "ownership_transfer.materials_missing": {
        "case_number": "GH-1",
        "missing": ["房产证明"],
        "deadline": "2026-04-09",
    },
    "ownership_transfer.materials_complete": {
        "case_number": "GH-1",
        "expected_completion": "2026-03-13 17:30",
    },
    "ownership_transfer.rejected": {"case_number": "GH-1", "reason": "材料不符"},
    "ownership_transfer.withdrawn": {"case_number": "GH-1", "reason": "客户撤回"},
    "ownership_transfer.settlement_required": {
        "case_number": "GH-1",
        "account_number": "1000000001",
        "bill_number": "F1000000001-7",
        "bill_amount": "85.00",
        "balance": "85.00",
        "payment_methods": "营业厅",
    },
    "ownership_transfer.completed": {
        "case_number": "GH-1",
        "customer_name": "李四",
        "account_number": "1000000001",
        "carried_balance": "85.00",
    },
    "ownership_transfer.completed_previous": {
        "case_number": "GH-1",
        "customer_name": "张三",
        "account_number": "1000000001",
        "bill_number": "F1000000001-7",
        "bill_amount": "85.00",
    },
    "usage_change.registered": {
        "case_number": "BG-1",
        "customer_name": "张三",
        "account_number": "1000000001",
        "requested_usage": "非居民",
        "expected_completion": "2026-03-17 17:30",
    },
    "usage_change.materials_missing": {
        "case_number": "BG-1",
        "missing": ["营业执照或行业主管部门批复"],
        "deadline": "2026-04-09",
    },
    "usage_change.materials_complete": {
        "case_number": "BG-1",
        "expected_completion": "2026-03-17 17:30",
    },
    "usage_change.approved": {
        "case_number": "BG-1",
        "usage": "非居民",
        "effective_date": "2026-03-10",
    },
    "usage_change.rejected": {"case_number": "BG-1", "reason": "实际仍为居民生活用水"},
    "usage_change.withdrawn": {"case_number": "BG-1", "reason": "客户撤回"},
    "usage_change.completed": {
        "case_number": "BG-1",
        "account_number": "1000000001",
        "usage": "非居民",
        "effective_date": "2026-03-10",
        "price_summary": "统一价格 6.10元/m³",
        "payment_methods": "营业厅",
    },
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_templates_are_seeded_on_both_channels_and_use_every_variable(key):
    context = TEMPLATE_CONTEXTS[key]
    templates = NotificationTemplate.objects.filter(key=key)
    assert sorted(templates.values_list("channel", flat=True)) == ["email", "sms"]
    for template in templates:
        source = template.subject + "\n" + template.body
        text = Engine.get_default().from_string(source).render(Context(context, autoescape=False))
        for name, value in context.items():
            shown = value if isinstance(value, str) else value[0]
            assert shown in text, (key, template.channel, name)

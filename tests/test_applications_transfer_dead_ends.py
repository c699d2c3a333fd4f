"""An ownership transfer always has a way forward: a transfer read that went to review says
so and can be corrected by the reader, and a transfer read on a day whose routine read was
billed settles with that bill instead of failing with "already billed".

The scenario replayed here got stuck at 待过户抄表结算 before: the read was entered below the
last read (it went to review, the page said only "recorded"), re-entering it was refused as
a duplicate, and after the correction the completion failed because the same day's routine
read had been billed in the cycle's bill run."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from tests import test_applications_transfer as transfer_tests
from tests.factories import CustomerFactory, meter_read
from tests.test_applications_transfer import (
    SHANGHAI,
    START,
    make_account,
    snapshot,
    verified_transfer,
)
from tests.test_applications_usage_change import approved_change
from tests.test_billing_run_support import run_cycle
from waterdesk.applications import transfer, usage_change
from waterdesk.applications.models import (
    OwnershipTransfer,
    OwnershipTransferStatus,
    TransferPolicy,
)
from waterdesk.billing.models import Bill, MeterRead, MeterReadCorrection
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.billing.services.reading import (
    meter_read_approve,
    meter_read_reject,
    reading_cycle_create,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.customers.models import Account

pytestmark = pytest.mark.django_db

LATER = START + timedelta(hours=2)

# A residential account with one unbilled read: 10 m³ on 1 February.
account = transfer_tests.account


@pytest.fixture
def march(billing_clerk):
    """The March cycle, read from 1 to 10 March."""
    with time_machine.travel(START, tick=False):
        return reading_cycle_create(
            actor=billing_clerk,
            code="2026-03",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            read_from=date(2026, 3, 1),
            read_to=date(2026, 3, 10),
            due_days=20,
        )


@pytest.fixture
def billed_today(reader, billing_clerk, march, django_capture_on_commit_callbacks):
    """An account read on its route today (30 m³ since it opened) and billed for March."""
    with time_machine.travel(START, tick=False):
        account = make_account(customer=CustomerFactory(name="张三"))
        meter_read(reader, account, date(2026, 3, 10), "30")
        run_cycle(billing_clerk, march, django_capture_on_commit_callbacks)
    return account


def test_the_stuck_transfer_reaches_completed(
    client, clerk, reader, billing_clerk, billed_today, django_capture_on_commit_callbacks
):
    account = billed_today
    cycle_bill = Bill.objects.get()
    assert (cycle_bill.period_end, cycle_bill.amount) == (date(2026, 3, 10), Decimal("102.00"))
    case = verified_transfer(clerk, account)

    # The reader types 25 instead of 30: below the last read, the read goes to review, and
    # the page says so and what to do.
    client.force_login(reader)
    url = reverse("workbench:case_action", args=[case.public_id, "record_read"])
    with time_machine.travel(START, tick=False):
        response = client.post(
            url,
            {"record_read-value": "25", "record_read-read_on": "2026-03-10"},
            follow=True,
        )
    page = response.content.decode()
    assert "已转复核" in page
    assert "已记录。" not in page
    read = MeterRead.objects.get(kind="transfer")
    assert (read.status, read.issues) == ("needs_review", ["negative_consumption"])

    # Completing now is refused, and the refusal says what to do next.
    with time_machine.travel(START, tick=False), pytest.raises(IllegalTransition) as error:
        transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert error.value.code == "transfer_read_required"
    assert "更正" in str(error.value.message)

    # Entering the right value again the same day without a reason is refused with the way
    # forward; with the reason the read is corrected (not a second read).
    before = snapshot(case)
    with time_machine.travel(LATER, tick=False), pytest.raises(InvalidInput) as refused:
        transfer.ownership_transfer_record_read(actor=reader, case=case, value="30")
    assert refused.value.code == "reason_required"
    assert snapshot(case) == before
    with time_machine.travel(LATER, tick=False):
        case = transfer.ownership_transfer_record_read(
            actor=reader, case=case, value="30", note="看错读数，重新核对为30"
        )
    read.refresh_from_db()
    assert (read.value, read.consumption, read.status, read.issues) == (
        Decimal("30.00"),
        Decimal("0.00"),
        "validated",
        [],
    )
    correction = MeterReadCorrection.objects.get()
    assert (
        correction.read,
        correction.old_value,
        correction.new_value,
        correction.old_status,
        correction.new_status,
        correction.reason,
        correction.corrected_by,
        correction.corrected_at,
    ) == (
        read,
        Decimal("25.00"),
        Decimal("30.00"),
        "needs_review",
        "validated",
        "看错读数，重新核对为30",
        reader,
        LATER,
    )
    assert MeterRead.objects.filter(kind="transfer").count() == 1

    # The day's routine read was billed already: the transfer settles with that bill instead
    # of failing with "already billed"; the old owner owes it, so the case waits.
    with time_machine.travel(LATER, tick=False):
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "awaiting_settlement"
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.final_bill, detail.transfer_read) == (cycle_bill, read)
    assert Bill.objects.count() == 1
    event = case.events.get(action="final_bill")
    assert event.data == {
        "bill": cycle_bill.number,
        "amount": "102.00",
        "read": read.pk,
        "billed_read": cycle_bill.closing_read_id,
    }

    # The old owner pays; the clerk completes: 已过户.
    paid_at = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(paid_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        ledger_post_payment(
            actor=billing_clerk,
            account=account,
            amount="102.00",
            reference="SK-9",
            idempotency_key="pay-9",
        )
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert OwnershipTransferStatus(case.status).label == "已过户"
    assert Account.objects.get(pk=account.pk).customer == detail.new_customer


def test_a_transfer_read_on_the_billed_day_completes_with_that_days_bill(
    clerk, reader, billed_today
):
    """Read after the routine read was billed the same day, the transfer read is validated
    (nothing used since) and the completion uses the day's bill: no second bill."""
    TransferPolicy.objects.update(require_settlement=False)
    case = verified_transfer(clerk, billed_today)
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="30")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert OwnershipTransfer.objects.get(case=case).final_bill == Bill.objects.get()
    assert Bill.objects.count() == 1


def test_use_after_the_billed_read_on_the_same_day_goes_to_the_new_owner(
    clerk, reader, billed_today
):
    case = verified_transfer(clerk, billed_today)
    billed = MeterRead.objects.get(kind="actual", read_on=date(2026, 3, 10))
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="31")
    read = MeterRead.objects.get(kind="transfer")
    assert (read.status, read.consumption) == ("validated", Decimal("1.00"))
    TransferPolicy.objects.update(require_settlement=False)
    with time_machine.travel(LATER, tick=False):
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert OwnershipTransfer.objects.get(case=case).final_bill.closing_read == billed


def test_a_review_decision_on_the_transfer_read_lets_the_case_go_on(
    client, clerk, reader, billing_clerk, account
):
    """The billing office's decision in the review queue is the other way forward: an
    approved read completes the transfer; a rejected one is entered again."""
    TransferPolicy.objects.update(require_settlement=False)
    case = verified_transfer(clerk, account)
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="5")
        first = MeterRead.objects.get(kind="transfer")
        client.force_login(clerk)
        page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
        assert 'id="read-next-step"' in page
        assert "读数 5.00（2026-03-10）用水量为负，已转复核" in page
        meter_read_reject(actor=billing_clerk, read=first, note="读数低于上次，退回重抄")
        page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
        assert "尚未录入过户读数" in page  # the rejected read does not count
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="4")
        second = MeterRead.objects.get(kind="transfer", status="needs_review")
        meter_read_approve(actor=billing_clerk, read=second, consumption="0", note="表已更换")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert OwnershipTransfer.objects.get(case=case).final_bill.closing_read == second


# --- usage change -----------------------------------------------------------------------


def test_a_change_read_in_review_is_corrected_and_the_days_bill_splits(
    clerk, approver, reader, billing_clerk, march, account, django_capture_on_commit_callbacks
):
    """The change read went to review, is entered again with a reason, and the effective
    day's routine read has been billed meanwhile: that bill is the split."""
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START, tick=False):
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="8")
        with pytest.raises(IllegalTransition) as error:
            usage_change.usage_change_complete(actor=clerk, case=case)
        assert error.value.code == "change_read_required"
        assert "已转复核" in str(error.value.message)
        case = usage_change.usage_change_record_read(
            actor=reader, case=case, value="30", note="看错读数"
        )
        meter_read(reader, account, date(2026, 3, 10), "30")  # the route's read, same day
        run_cycle(billing_clerk, march, django_capture_on_commit_callbacks)
    cycle_bill = Bill.objects.get()
    with time_machine.travel(LATER, tick=False):
        case = usage_change.usage_change_complete(actor=clerk, case=case)
    assert case.status == "completed"
    assert case.usage_change.split_bill == cycle_bill
    assert MeterReadCorrection.objects.get().new_value == Decimal("30.00")


def test_a_change_billed_past_its_effective_date_says_to_apply_again(
    clerk, approver, reader, account
):
    case = approved_change(clerk, approver, account)
    with time_machine.travel(START, tick=False):
        case = usage_change.usage_change_record_read(actor=reader, case=case, value="20")
    next_day = START + timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        # Billed on the next day's read at the old price, before the change was completed.
        later = meter_read(reader, account, date(2026, 3, 11), "25")
        bill_issue_final(actor=None, account=account, closing_read=later)
        before = snapshot(case)
        with pytest.raises(IllegalTransition) as error:
            usage_change.usage_change_complete(actor=clerk, case=case)
    assert (error.value.code, error.value.details) == (
        "change_period_billed",
        {"billed_until": "2026-03-11"},
    )
    assert "请撤回本申请" in str(error.value.message)
    assert snapshot(case) == before
    with time_machine.travel(next_day, tick=False):
        case = usage_change.usage_change_withdraw(actor=clerk, case=case, reason="按新日期重新申请")
    assert case.status == "withdrawn"

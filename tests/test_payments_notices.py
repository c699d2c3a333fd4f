"""What follows a payment (the received notice, a transfer waiting for settlement), the
payment notices before the due date on the customer's channels, and refunds of credit."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.template import Context, Engine

from tests import test_applications_transfer as transfer_tests
from tests.factories import CustomerFactory
from tests.payments_support import SHANGHAI, D, at
from tests.test_applications_transfer import START, transfer, verified_transfer
from waterdesk.applications.models import OwnershipTransfer
from waterdesk.billing.models import LedgerEntry
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.cases.models import Case
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.customers.models import Account
from waterdesk.notify.models import Notification, NotificationTemplate
from waterdesk.payments.models import (
    PaymentChannel,
    PaymentMethod,
    PaymentNoticePolicy,
    Refund,
    RefundStatus,
)
from waterdesk.payments.services.notices import payment_followups, payment_notices_send_due
from waterdesk.payments.services.record import payment_record
from waterdesk.payments.services.refunds import refund_approve, refund_reject, refund_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]

# A residential account with one unbilled read (the transfer tests' fixture).
account = transfer_tests.account


def pay(account, amount, key, *, office=None, cashier=None, bills=()):
    return payment_record(
        account=account,
        amount=amount,
        channel=PaymentChannel.COUNTER if office else PaymentChannel.ONLINE,
        method=PaymentMethod.CASH if office else PaymentMethod.SANDBOX,
        source="counter" if office else "sandbox",
        external_id=key,
        office=office,
        cashier=cashier,
        bills=bills,
    ).payment


def notices(key):
    return {
        n.channel: (n.recipient_address, n.subject, n.body, n.status)
        for n in Notification.objects.filter(template_key=key)
    }


# --- after a payment -----------------------------------------------------------------------


def test_a_payment_queues_one_received_notice_on_the_customers_channels(
    billed, cashier, office, django_capture_on_commit_callbacks
):
    account, _bills = billed
    customer = account.customer
    customer.notice_channels = ["sms", "wechat"]
    customer.wechat_openid = "oWx-demo_001"
    customer.save()
    with at(2026, 4, 6), django_capture_on_commit_callbacks(execute=True):
        payment = pay(account, "120.00", "form-1", office=office, cashier=cashier)

    sent = notices("payment.received")
    assert set(sent) == {"sms", "wechat"}  # no e-mail: the customer did not choose it
    assert sent["sms"] == (
        customer.mobile,
        "",
        f"【城市水务】{customer.name}您好，户号{account.number}于2026-04-06 10:00缴费120.00元"
        "已到账（凭证号HQ-2026-000001），账户尚欠180.00元。",
        "sent",
    )
    assert sent["wechat"][:2] == ("oWx-demo_001", "缴费到账通知")
    assert Notification.objects.get(channel="sms", template_key="payment.received").dedupe_key == (
        f"payment_received:{payment.public_id}"
    )

    # The task runs again (a redelivery): nothing more.
    with at(2026, 4, 6, 11):
        assert payment_followups(payment_id=payment.pk) == []
    assert Notification.objects.filter(template_key="payment.received").count() == 2


def test_a_rolled_back_payment_enqueues_nothing(billed, django_capture_on_commit_callbacks):
    account, _bills = billed
    with (
        at(2026, 4, 6),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(InvalidInput),
    ):
        pay(account, "0", "bad")
    assert callbacks == []
    assert not Notification.objects.exists()


@pytest.fixture
def parked(clerk, reader, account):
    """An ownership transfer waiting for the old owner to settle 85.00."""
    case = verified_transfer(clerk, account, new_customer=CustomerFactory(name="李四"))
    with time_machine.travel(START, tick=False):
        case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="25")
        case = transfer.ownership_transfer_complete(actor=clerk, case=case)
    assert case.status == "awaiting_settlement"
    return case, account_balance(account)


def test_a_counter_payment_of_the_balance_completes_the_waiting_transfer(
    parked, account, cashier, office, django_capture_on_commit_callbacks
):
    parked, owed = parked
    paid_at = datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)
    with (
        time_machine.travel(paid_at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        pay(account, owed, "form-1", office=office, cashier=cashier)

    assert account_balance(account) == D("0.00")
    case = Case.objects.get(pk=parked.pk)
    assert (case.status, case.closed_at) == ("completed", paid_at)
    detail = OwnershipTransfer.objects.get(case=case)
    assert (detail.settlement, detail.completed_at) == ("settled", paid_at)
    assert Account.objects.get(pk=account.pk).customer == detail.new_customer
    last = case.events.order_by("pk").last()
    assert (last.action, last.actor, last.note) == (
        "complete",
        None,
        "原户主欠费已结清，系统自动办结过户",
    )
    # Once more (the task redelivered): nothing changes.
    events = case.events.count()
    assert transfer.transfers_settle_paid(account=account) == []
    assert case.events.count() == events


def test_a_partial_payment_leaves_the_transfer_waiting(
    parked, account, cashier, office, django_capture_on_commit_callbacks
):
    parked, owed = parked
    with at(2026, 3, 11), django_capture_on_commit_callbacks(execute=True):
        pay(account, owed - D("5.00"), "form-1", office=office, cashier=cashier)

    case = Case.objects.get(pk=parked.pk)
    assert case.status == "awaiting_settlement"
    assert account_balance(account) == D("5.00")
    assert (
        Account.objects.get(pk=account.pk).customer
        == OwnershipTransfer.objects.get(case=case).previous_customer
    )
    # The old owner was told of the payment all the same.
    assert "账户尚欠5.00元" in notices("payment.received")["sms"][2]


# --- payment notices -----------------------------------------------------------------------


def test_notices_go_once_per_unpaid_bill_due_within_the_days(billed, settings):
    settings.WATERDESK_PAYMENT_QR_URL = "https://pay.example.cn/p?a={account}&b={bill}&m={amount}"
    account, bills = billed
    # The April bill (50.00) is due 04-25; the older ones are overdue (not noticed again).
    with at(2026, 4, 21, 9):
        assert payment_notices_send_due() == []  # 4 days ahead: too early
    with at(2026, 4, 22, 9):
        assert payment_notices_send_due() == [bills[2].number]
        assert payment_notices_send_due() == []  # once per bill
    sent = notices("payment.notice")
    assert set(sent) == {"sms", "email"}
    link = f"https://pay.example.cn/p?a={account.number}&b={bills[2].number}&m=50.00"
    assert sent["sms"] == (
        account.customer.mobile,
        "",
        f"【城市水务】{account.customer.name}您好，户号{account.number}账单{bills[2].number}"
        "尚有50.00元未缴，缴费截止日2026-04-25。缴费方式：营业厅现金/刷卡缴费；银行代扣；"
        f"微信、支付宝扫码或网上缴费（缴费链接：{link}）。",
        "pending",
    )
    assert sent["email"][1] == f"水费缴费提醒（户号{account.number}，2026-04-25截止）"


def test_a_missed_day_is_caught_up_but_never_after_the_due_date(billed):
    _account, bills = billed
    with at(2026, 4, 26, 9):
        assert payment_notices_send_due() == []  # past due: no reminder
    with at(2026, 4, 25, 9):
        assert payment_notices_send_due() == [bills[2].number]  # the due day itself


def test_no_notice_to_a_customer_who_paid(billed, cashier, office):
    account, _bills = billed
    with at(2026, 4, 20):
        pay(account, "300.00", "form-1", office=office, cashier=cashier)
    with at(2026, 4, 22, 9):
        assert payment_notices_send_due() == []
    assert not Notification.objects.filter(template_key="payment.notice").exists()


def test_a_partly_paid_bill_is_noticed_for_what_is_left(billed, cashier, office, settings):
    settings.WATERDESK_SITE_URL = "https://water.example.cn"
    account, bills = billed
    with at(2026, 4, 20):
        pay(account, "280.00", "form-1", office=office, cashier=cashier)
    with at(2026, 4, 22, 9):
        assert payment_notices_send_due() == [bills[2].number]
    body = notices("payment.notice")["sms"][2]
    assert "尚有20.00元未缴" in body
    assert f"（缴费链接：https://water.example.cn/pay/{account.public_id}/）" in body


def test_the_policy_sets_the_days_and_can_turn_notices_off(billed):
    _account, bills = billed
    PaymentNoticePolicy.objects.create(days_before_due=5)
    with at(2026, 4, 20, 9):
        assert payment_notices_send_due() == [bills[2].number]
    Notification.objects.all().delete()
    PaymentNoticePolicy.objects.update(enabled=False)
    with at(2026, 4, 22, 9):
        assert payment_notices_send_due() == []


def test_sms_notices_at_night_wait_for_eight_in_the_morning(
    billed, django_capture_on_commit_callbacks
):
    account, _bills = billed
    account.customer.notice_channels = ["sms", "email", "wechat"]
    account.customer.wechat_openid = "oWx-night"
    account.customer.save()
    with at(2026, 4, 22, 22), django_capture_on_commit_callbacks(execute=True):
        payment_notices_send_due()
    rows = {n.channel: n for n in Notification.objects.filter(template_key="payment.notice")}
    assert rows["sms"].status == "pending"
    assert rows["sms"].next_attempt_at == datetime(2026, 4, 23, 8, 0, tzinfo=SHANGHAI)
    assert (rows["email"].status, rows["wechat"].status) == ("sent", "sent")


def test_notices_take_a_bounded_number_of_queries(billed, django_assert_max_num_queries):
    # Four reads whatever the number of bills (the policy, the bills due with their accounts
    # and customers, the notices already sent) and one per account (its ledger); then per
    # bill the queue's template read and one insert per channel, each in a savepoint.
    with at(2026, 4, 22, 9), django_assert_max_num_queries(15):
        assert len(payment_notices_send_due()) == 1


TEMPLATE_CONTEXTS = {
    "payment.notice": {
        "customer_name": "王芳",
        "account_number": "2000000001",
        "bill_number": "202604-2000000001",
        "amount": "50.00",
        "due_date": "2026-04-25",
        "pay_url": "https://pay.example.cn/p/1",
    },
    "payment.received": {
        "customer_name": "王芳",
        "account_number": "2000000001",
        "amount": "120.00",
        "receipt": "HQ-2026-000001",
        "received_at": "2026-04-06 10:00",
        "balance_text": "账户尚欠180.00元",
    },
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_templates_on_all_three_channels_use_every_variable(key):
    templates = NotificationTemplate.objects.filter(key=key)
    assert {t.channel for t in templates} == {"sms", "email", "wechat"}
    for template in templates:
        text = Engine.get_default().from_string(template.subject + "\n" + template.body)
        rendered = text.render(Context(TEMPLATE_CONTEXTS[key], autoescape=False))
        for name, value in TEMPLATE_CONTEXTS[key].items():
            assert value in rendered, (template.channel, name)
        assert "{" not in rendered


# --- refunds -------------------------------------------------------------------------------


@pytest.fixture
def in_credit(billed, cashier, office):
    """The billed account paid 340.00 on 300.00 owed: 40.00 credit."""
    account, _bills = billed
    with at(2026, 4, 10):
        pay(account, "340.00", "form-1", office=office, cashier=cashier)
    assert account_balance(account) == D("-40.00")
    return account


def test_a_refund_is_asked_approved_and_posted(in_credit, billing_clerk, supervisor):
    account = in_credit
    with at(2026, 4, 12):
        refund = refund_request(
            actor=billing_clerk,
            account=account,
            amount="30.00",
            reason="客户搬离，申请退回多缴水费",
            method="bank_transfer",
            payee_bank_account="工商银行 6222 0000 1111",
        )
    assert (refund.status, refund.entry) == ("requested", None)
    assert account_balance(account) == D("-40.00")
    # Only 10.00 is left to ask for while this one waits.
    with at(2026, 4, 12), pytest.raises(IllegalTransition) as error:
        refund_request(
            actor=billing_clerk, account=account, amount="10.01", reason="再退", method="cash"
        )
    assert error.value.details == {"available": "10.00"}
    with pytest.raises(NotPermitted):
        refund_approve(actor=billing_clerk, refund=refund)

    with at(2026, 4, 13, 15):
        refund = refund_approve(actor=supervisor, refund=refund, note="核对无误")
    assert refund.status == RefundStatus.APPROVED
    assert (refund.decided_by, refund.decided_at) == (
        supervisor,
        datetime(2026, 4, 13, 15, 0, tzinfo=SHANGHAI),
    )
    entry = refund.entry
    assert (entry.kind, entry.amount, entry.description, entry.created_by, entry.due_date) == (
        "adjustment",
        D("30.00"),
        "退款：客户搬离，申请退回多缴水费",
        supervisor,
        date(2026, 4, 13),
    )
    assert account_balance(account) == D("-10.00")
    with pytest.raises(IllegalTransition):
        refund_approve(actor=supervisor, refund=refund)


def test_a_refund_above_the_credit_writes_nothing(in_credit, billing_clerk):
    entries, refunds = LedgerEntry.objects.count(), Refund.objects.count()
    with at(2026, 4, 12), pytest.raises(IllegalTransition) as error:
        refund_request(
            actor=billing_clerk, account=in_credit, amount="40.01", reason="退款", method="cash"
        )
    assert error.value.code == "refund_exceeds_credit"
    assert (LedgerEntry.objects.count(), Refund.objects.count()) == (entries, refunds)


def test_approval_checks_the_credit_again(in_credit, billing_clerk, supervisor, second_supervisor):
    account = in_credit
    with at(2026, 4, 12):
        refund = refund_request(
            actor=billing_clerk, account=account, amount="40.00", reason="退款", method="cash"
        )
    # A new charge takes up the credit before the decision.
    with at(2026, 4, 12, 11):
        ledger_post_adjustment(actor=billing_clerk, account=account, amount="25.00", reason="补收")
    entries = LedgerEntry.objects.count()
    with at(2026, 4, 13), pytest.raises(IllegalTransition) as error:
        refund_approve(actor=supervisor, refund=refund)
    assert (error.value.code, error.value.details) == (
        "refund_exceeds_credit",
        {"available": "15.00"},
    )
    refund.refresh_from_db()
    assert refund.status == "requested"
    assert LedgerEntry.objects.count() == entries
    with at(2026, 4, 13), pytest.raises(InvalidInput):
        refund_reject(actor=second_supervisor, refund=refund, note=" ")
    with at(2026, 4, 13):
        refund = refund_reject(
            actor=second_supervisor, refund=refund, note="余额已不足，请重新申请"
        )
    assert (refund.status, refund.entry, refund.decision_note) == (
        "rejected",
        None,
        "余额已不足，请重新申请",
    )
    assert LedgerEntry.objects.count() == entries


def test_nobody_approves_their_own_refund(in_credit, supervisor):
    supervisor.user_permissions.add(*Permission.objects.filter(codename="post_adjustment"))
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    with at(2026, 4, 12):
        refund = refund_request(
            actor=supervisor, account=in_credit, amount="5.00", reason="退款", method="cash"
        )
        with pytest.raises(NotPermitted) as error:
            refund_approve(actor=supervisor, refund=refund)
    assert error.value.code == "own_request"


def test_a_bank_refund_needs_the_payees_account(in_credit, billing_clerk):
    with at(2026, 4, 12), pytest.raises(InvalidInput) as error:
        refund_request(
            actor=billing_clerk,
            account=in_credit,
            amount="5.00",
            reason="退款",
            method="bank_transfer",
        )
    assert error.value.code == "payee_required"
    assert not Refund.objects.exists()

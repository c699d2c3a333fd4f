"""Closing an account never loses its prepaid balance: a refund of it is requested in the
closing and decided like any refund (customers.services.account_close, payments refunds)."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import meter_read
from tests.prepayment_support import D, account_with_meter, at, prepay
from waterdesk.billing.models import LedgerEntry
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.customers.models import AccountStatus
from waterdesk.customers.services import account_close
from waterdesk.payments.models import Refund, RefundStatus
from waterdesk.payments.services.refunds import refund_approve, refund_reject

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepaid(cashier, django_capture_on_commit_callbacks):
    account = account_with_meter()
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, account, "120.00", key="prepay-1")
    return account


def close(actor, account, reason="客户迁出，申请销户"):
    with at(2026, 3, 2):
        return account_close(actor=actor, account=account, reason=reason)


def test_closing_with_a_balance_requests_its_refund(prepaid, billing_clerk):
    account = close(billing_clerk, prepaid)
    assert account.status == AccountStatus.CLOSED
    refund = Refund.objects.get(account=prepaid)
    assert (refund.amount, refund.status, refund.requested_by, refund.method, refund.reason) == (
        D("120.00"),
        RefundStatus.REQUESTED,
        billing_clerk,
        "cash",
        "销户退还预存余额",
    )
    assert account_balance(prepaid) == D("-120.00")  # nothing posted before the approval


def test_the_approval_by_another_person_posts_the_refund(prepaid, billing_clerk, supervisor):
    close(billing_clerk, prepaid)
    refund = Refund.objects.get(account=prepaid)
    with at(2026, 3, 3):
        refund = refund_approve(actor=supervisor, refund=refund, note="核对无误")
    assert refund.status == RefundStatus.APPROVED
    assert (refund.entry.kind, refund.entry.amount) == ("adjustment", D("120.00"))
    assert account_balance(prepaid) == D("0.00")


def test_a_rejection_leaves_the_credit_on_the_account(prepaid, billing_clerk, supervisor):
    close(billing_clerk, prepaid)
    refund = Refund.objects.get(account=prepaid)
    entries = LedgerEntry.objects.count()
    with at(2026, 3, 3):
        refund_reject(actor=supervisor, refund=refund, note="客户要求转入新户，另行办理")
    assert LedgerEntry.objects.count() == entries
    assert account_balance(prepaid) == D("-120.00")


def test_the_closer_may_not_approve_the_refund(prepaid, supervisor):
    supervisor.user_permissions.add(
        Permission.objects.get(codename="change_account", content_type__app_label="customers")
    )
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    close(supervisor, prepaid)
    refund = Refund.objects.get(account=prepaid)
    with at(2026, 3, 3), pytest.raises(NotPermitted) as error:
        refund_approve(actor=supervisor, refund=refund)
    assert error.value.code == "own_request"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert account_balance(prepaid) == D("-120.00")


def test_closing_without_a_balance_requests_nothing(billing_clerk):
    account = account_with_meter()
    close(billing_clerk, account)
    assert not Refund.objects.exists()


def test_refunds_already_waiting_are_not_asked_twice(prepaid, billing_clerk):
    from waterdesk.payments.services.refunds import refund_request

    with at(2026, 3, 1):
        refund_request(
            actor=billing_clerk, account=prepaid, amount="20.00", reason="多缴退回", method="cash"
        )
    close(billing_clerk, prepaid)
    closing = Refund.objects.get(reason="销户退还预存余额")
    assert closing.amount == D("100.00")


def test_a_refused_closing_writes_nothing(prepaid, billing_clerk, cashier):
    with pytest.raises(NotPermitted):
        close(cashier, prepaid)
    with pytest.raises(InvalidInput) as error:
        close(billing_clerk, prepaid, reason="  ")
    assert error.value.code == "reason_required"
    prepaid.refresh_from_db()
    assert prepaid.status == AccountStatus.ACTIVE
    assert not Refund.objects.exists()
    close(billing_clerk, prepaid)
    with pytest.raises(InvalidInput) as error:
        close(billing_clerk, prepaid)
    assert error.value.code == "account_closed"
    assert Refund.objects.count() == 1


def test_a_listener_refusing_undoes_the_closing(prepaid, billing_clerk, monkeypatch):
    from waterdesk.customers import hooks

    def refuse(**_event):
        raise IllegalTransition("refused")

    monkeypatch.setattr(hooks.account_closed, "_listeners", {"refuse": refuse})
    with pytest.raises(IllegalTransition):
        close(billing_clerk, prepaid)
    prepaid.refresh_from_db()
    assert prepaid.status == AccountStatus.ACTIVE


def test_the_close_page(client, prepaid, billing_clerk, cashier):
    url = reverse("billing:account_close", args=[prepaid.public_id])
    client.force_login(cashier)
    assert client.get(url).status_code == 403
    client.force_login(billing_clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert "<strong>120.00</strong>" in response.content.decode()
    with at(2026, 3, 2):
        response = client.post(url, {"reason": " "})
    assert response.status_code == 400
    prepaid.refresh_from_db()
    assert prepaid.status == AccountStatus.ACTIVE and not Refund.objects.exists()
    with at(2026, 3, 2):
        response = client.post(url, {"reason": "客户迁出"})
    assert response.status_code == 302
    prepaid.refresh_from_db()
    assert prepaid.status == AccountStatus.CLOSED
    assert Refund.objects.get(account=prepaid).amount == D("120.00")


def test_a_final_bill_is_settled_and_the_rest_refunded_on_closing(prepaid, billing_clerk):
    """The final bill (10 m³ at 3.40 = 34.00) is settled from the 120.00; closing asks for
    the 86.00 left."""
    with at(2026, 1, 21):
        read = meter_read(billing_clerk, prepaid, date(2026, 1, 20), "10", kind="transfer")
        final = bill_issue_final(actor=billing_clerk, account=prepaid, closing_read=read)
    assert final.amount == D("34.00")
    assert [
        (entry.bill_id, entry.amount)
        for entry in LedgerEntry.objects.filter(account=prepaid, kind="prepaid").order_by("pk")
    ] == [(final.pk, D("34.00")), (final.pk, D("-34.00"))]
    assert account_balance(prepaid) == D("-86.00")
    close(billing_clerk, prepaid)
    assert Refund.objects.get(account=prepaid).amount == D("86.00")

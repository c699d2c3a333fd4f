"""Helpers of the counter's tests: a counter payment, a reversal request on it and a
daily close, for the pages that need one of each."""

from django.utils import timezone

from tests.factories import UserFactory
from waterdesk.core.roles import Role
from waterdesk.payments.models import CashierPost, CorrectionKind, DailyClose, Office
from waterdesk.payments.services.corrections import payment_correction_request
from waterdesk.payments.services.counter import counter_payment_take


def counter_cashier(office: Office, username: str = "w-cashier"):
    user = UserFactory(username=username, role=Role.CASHIER)
    CashierPost.objects.create(user=user, office=office)
    return user


def counter_world(*, account, billing_clerk) -> dict:
    """A cash payment on ``account`` by a cashier of a new office, the billing office's
    reversal request on it, and another cashier's daily close waiting for a sign-off."""
    office = Office.objects.create(code="W", name="城东营业厅")
    cashier = counter_cashier(office)
    payment = counter_payment_take(
        actor=cashier,
        account=account,
        amount="10.00",
        method="cash",
        external_id="world-1",
        tendered="20",
    ).payment
    correction = payment_correction_request(
        actor=billing_clerk, payment=payment, kind=CorrectionKind.REVERSAL, reason="错账"
    )
    other = counter_cashier(office, "w-cashier2")
    close = DailyClose.objects.create(
        cashier=other,
        office=office,
        business_date=timezone.localdate(),
        expected_cash="0.00",
        counted_cash="0.00",
        difference="0.00",
        submitted_at=timezone.now(),
    )
    return {
        "payment": {"public_id": payment.public_id},
        "correction": {"public_id": correction.public_id},
        "close": {"public_id": close.public_id},
    }

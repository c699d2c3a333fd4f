"""Helpers of the invoicing tests: a finance user, a counter payment walked through its
follow-ups (the payment listener, the issue task), the counts of what invoicing wrote."""

from tests.factories import UserFactory
from waterdesk.core.roles import Role
from waterdesk.invoicing.adapters.sandbox import sandbox_reset
from waterdesk.invoicing.models import (
    Invoice,
    InvoiceBill,
    InvoiceDelivery,
    InvoiceEvent,
    InvoiceLine,
    InvoiceTitle,
    SandboxInvoice,
)
from waterdesk.payments.services.counter import counter_payment_take

USCC = "91110108MA01ABCD3L"
RIC = "110101199003070011"


def finance_user(username: str = "finance"):
    return UserFactory(username=username, role=Role.FINANCE)


def pay_at_counter(capture, *, cashier, account, amount, external_id="c-1", bills=()):
    """A cash payment at the counter, with everything enqueued after its commit run (the
    follow-ups: the invoice requested, then issued)."""
    with capture(execute=True):
        return counter_payment_take(
            actor=cashier,
            account=account,
            amount=amount,
            method="cash",
            external_id=external_id,
            tendered=amount,
            bills=bills,
        ).payment


def written() -> dict:
    """How many rows invoicing holds, table by table (to assert that nothing was written)."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Invoice,
            InvoiceLine,
            InvoiceBill,
            InvoiceEvent,
            InvoiceDelivery,
            InvoiceTitle,
            SandboxInvoice,
        )
    }


__all__ = ["RIC", "USCC", "finance_user", "pay_at_counter", "sandbox_reset", "written"]

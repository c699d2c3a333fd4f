"""The hooks through which apps above billing and payments react to their events (an
e-invoice after a payment, prepaid balances settling new bills, shared meters allocating
before a run), and the account sections other apps add to the customer's page."""

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from tests import test_billing_run_support as support
from tests.factories import CustomerFactory, UserFactory
from tests.payments_support import at
from waterdesk.billing import hooks as billing_hooks
from waterdesk.billing.models import Bill, LedgerEntry
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.cases import kinds
from waterdesk.core.listeners import Listeners
from waterdesk.core.roles import Role
from waterdesk.payments import hooks as payment_hooks
from waterdesk.payments.models import CorrectionKind, PaymentStatus
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_request,
)
from waterdesk.payments.services.counter import counter_payment_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]

cycles = support.cycles


@pytest.fixture
def heard(monkeypatch):
    """Listen to a hook for one test: ``heard(hook)`` returns the list of events it gets."""

    def listen(hook: Listeners, *, fail: bool = False):
        monkeypatch.setattr(hook, "_listeners", dict(hook._listeners))
        events: list[dict] = []

        def listener(**event):
            events.append(event)
            if fail:
                raise RuntimeError("listener failed")

        listener.__qualname__ = f"listener_{len(hook._listeners)}_{fail}"
        hook.register(listener)
        return events

    return listen


def test_listeners_register_once_by_name_and_are_called_in_order():
    hook = Listeners("test")
    calls = []

    def first(**event):
        calls.append(("first", event))

    def second(**event):
        calls.append(("second", event))

    hook.register(first)
    hook.register(second)
    hook.register(first)
    hook.notify(value=1)
    assert (len(hook), calls) == (2, [("first", {"value": 1}), ("second", {"value": 1})])


def test_a_bill_run_prepares_its_cycle_and_reports_the_bills_it_issues(
    heard, billing_clerk, cycles, django_capture_on_commit_callbacks
):
    preparing = heard(billing_hooks.bill_run_preparing)
    issued = heard(billing_hooks.bills_issued)
    accounts = [support.account_with_meter() for _ in range(2)]
    with at(2026, 2, 5):
        for account in accounts:
            support.meter_read(billing_clerk, account, support.date(2026, 1, 31), "20")
        support.run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bills = list(Bill.objects.order_by("pk").values_list("pk", flat=True))
    assert len(bills) == 2
    assert preparing == [{"cycle": cycles[1], "actor": billing_clerk}]
    assert [sorted(event["bill_ids"]) for event in issued] == [bills]


def test_a_credit_note_is_reported_once_and_a_debit_never(heard, billed, billing_clerk):
    credited = heard(billing_hooks.bill_credited)
    account, bills = billed
    with at(2026, 4, 10):
        entry = ledger_post_adjustment(
            actor=billing_clerk,
            account=account,
            amount="-10.00",
            reason="表计故障多计",
            bill=bills[0],
            idempotency_key="credit-1",
        )
        again = ledger_post_adjustment(
            actor=billing_clerk,
            account=account,
            amount="-10.00",
            reason="表计故障多计",
            bill=bills[0],
            idempotency_key="credit-1",
        )
        ledger_post_adjustment(
            actor=billing_clerk, account=account, amount="5.00", reason="补收", bill=bills[0]
        )
    assert again.pk == entry.pk
    assert credited == [{"entry": entry, "bill": bills[0]}]


def test_a_posted_payment_reaches_its_listeners_after_commit_and_one_failing_stops_none(
    heard, billed, cashier, django_capture_on_commit_callbacks, caplog
):
    failing = heard(payment_hooks.payment_posted, fail=True)
    posted = heard(payment_hooks.payment_posted)
    account, bills = billed
    with (
        at(2026, 4, 6),
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        recorded = counter_payment_take(
            actor=cashier,
            account=account,
            amount="100.00",
            method="cash",
            external_id="tok-hooks",
            bills=bills[:1],
            tendered="100",
        )
        assert posted == []  # not before the commit
    assert failing == [{"payment": recorded.payment}]
    assert posted == [{"payment": recorded.payment}]
    assert "follow-up" in caplog.text


def test_an_approved_reversal_reaches_its_listeners_inside_the_approval(
    heard, billed, cashier, supervisor
):
    cancelled = heard(payment_hooks.payment_cancelled)
    account, _bills = billed
    with at(2026, 4, 6):
        payment = counter_payment_take(
            actor=cashier,
            account=account,
            amount="100.00",
            method="cash",
            external_id="tok-reverse",
            tendered="100",
        ).payment
        correction = payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错户"
        )
        assert cancelled == []
        payment_correction_approve(actor=supervisor, correction=correction)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    [event] = cancelled
    assert (event["payment"], event["correction"], event["actor"]) == (
        payment,
        correction,
        supervisor,
    )


def test_a_listener_that_refuses_the_reversal_leaves_the_payment_posted(
    heard, billed, cashier, supervisor
):
    heard(payment_hooks.payment_cancelled, fail=True)
    account, _bills = billed
    with at(2026, 4, 6):
        payment = counter_payment_take(
            actor=cashier,
            account=account,
            amount="100.00",
            method="cash",
            external_id="tok-refused",
            tendered="100",
        ).payment
        correction = payment_correction_request(
            actor=cashier, payment=payment, kind=CorrectionKind.VOID, reason="收错户"
        )
        reversals_before = LedgerEntry.objects.filter(kind="reversal").count()
        with pytest.raises(RuntimeError):
            payment_correction_approve(actor=supervisor, correction=correction)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.POSTED
    assert LedgerEntry.objects.filter(kind="reversal").count() == reversals_before


def test_account_sections_show_under_each_account_of_the_customer_page(
    client, monkeypatch, settings
):
    engine = {**settings.TEMPLATES[0]}
    engine["DIRS"] = [*engine.get("DIRS", []), Path(__file__).parent / "templates"]
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]
    monkeypatch.setattr(kinds, "_ACCOUNT_SECTIONS", dict(kinds._ACCOUNT_SECTIONS))
    customer = CustomerFactory(name="王芳")
    shown = support.account_with_meter(customer=customer)
    hidden = support.account_with_meter(customer=customer)
    kinds.account_section_register(
        kinds.AccountSection(
            name="test-section",
            template="tests/account_section.html",
            context=lambda account, user: (
                {"amount": Decimal("12.50")} if account == shown else None
            ),
        )
    )
    clerk = UserFactory(username="section-clerk", role=Role.INTAKE_CLERK)
    client.force_login(clerk)
    response = client.get(reverse("workbench:customer", args=[customer.public_id]))
    panels = {panel.account: panel for panel in response.context["accounts"]}
    assert [template for template, _context in panels[shown].sections] == [
        "tests/account_section.html"
    ]
    assert panels[hidden].sections == []
    assert response.content.decode().count('data-test-section="12.50"') == 1

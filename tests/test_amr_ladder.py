"""The collection ladder with a remote-valve meter (issue 15 §4): the supervisor's approval
of the disconnection order sends a remote close instead of a crew — the same approvals —
and payment opens the valve again; an ordinary meter in the same run still gets the crew's
field order."""

from datetime import date
from decimal import Decimal

import pytest

from tests.amr_support import new_head_end
from tests.collection_ladder_support import (
    People,
    account_in_arrears,
    case_of,
    nightly,
    pay,
    pinned,
    record,
    visit_photo,
)
from waterdesk.amr.models import (
    RemoteMeter,
    ValveAction,
    ValveCommand,
    ValveCommandState,
    ValveOrigin,
    ValveState,
)
from waterdesk.collection.models import DisconnectionOrder, DisconnectionOrderStatus, DunningStatus
from waterdesk.collection.services.disconnection import disconnection_approve
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE
from waterdesk.core.errors import IllegalTransition
from waterdesk.customers.models import AccountStatus
from waterdesk.customers.services import meter_install
from waterdesk.fieldwork.models import WorkOrder

pytestmark = pytest.mark.django_db


def with_meter(account, serial: str):
    meter_install(
        actor=None,
        meter_serial=serial,
        size_dn=20,
        premise=account.premise,
        account=account,
        initial_reading="0",
        installed_at=None,
    )
    return account.meters.get()


def walk_to_approval(people, accounts) -> None:
    """Reminder, call, visit, notice and its period: the nightly run asks for the orders."""
    nightly(date(2026, 11, 2))
    nightly(date(2026, 11, 4))
    for account in accounts:
        record(people.collector, account, date(2026, 11, 4), "no_answer")
    nightly(date(2026, 11, 7))
    for account in accounts:
        record(people.collector, account, date(2026, 11, 8), "refused", photo=visit_photo())
    nightly(date(2026, 11, 11))
    for account in accounts:
        record(people.collector, account, date(2026, 11, 11), "delivered")
    nightly(date(2026, 11, 18))


def test_the_ladder_closes_a_remote_valve_instead_of_sending_a_crew(
    django_capture_on_commit_callbacks,
):
    people = People()
    head_end, _key = new_head_end()
    remote = account_in_arrears()
    ordinary = account_in_arrears()
    with pinned(date(2026, 10, 1)):
        meter = with_meter(remote, "WM-REMOTE")
        with_meter(ordinary, "WM-PLAIN")
    valve = RemoteMeter.objects.create(
        meter=meter,
        head_end=head_end,
        device_id="NB-1",
        supports_valve=True,
        last_value=Decimal("321.456"),
    )
    walk_to_approval(people, [remote, ordinary])
    assert case_of(remote).status == DunningStatus.AWAITING_APPROVAL
    assert not ValveCommand.objects.exists()  # nothing before the approval

    with pinned(date(2026, 11, 18), 9), django_capture_on_commit_callbacks(execute=True):
        disconnection_approve(actor=people.supervisor, case=case_of(remote), crew=people.crew)
        disconnection_approve(actor=people.supervisor, case=case_of(ordinary), crew=people.crew)

    # The remote meter: a close command carrying the ladder's approval, confirmed by the
    # sandbox head-end; supply suspended without a crew.
    command = ValveCommand.objects.get()
    assert (command.action, command.origin, command.state) == (
        ValveAction.CLOSE,
        ValveOrigin.DISCONNECTION,
        ValveCommandState.CONFIRMED,
    )
    assert command.approved_by == people.supervisor and command.case == case_of(remote)
    order = DisconnectionOrder.objects.get(dunning__account=remote)
    assert (order.status, order.work_order, order.meter_reading) == (
        DisconnectionOrderStatus.EXECUTED,
        None,
        Decimal("321.45"),
    )
    assert case_of(remote).status == DunningStatus.DISCONNECTED
    remote.refresh_from_db()
    valve.refresh_from_db()
    assert (remote.status, valve.valve_state) == (AccountStatus.SUSPENDED, ValveState.CLOSED)
    assert not WorkOrder.objects.filter(case=case_of(remote)).exists()

    # The ordinary meter: the crew's field order, as before.
    assert case_of(ordinary).status == DunningStatus.DISCONNECTION_APPROVED
    assert WorkOrder.objects.get(case=case_of(ordinary)).purpose == DISCONNECTION_PURPOSE

    # Paid in full: the valve opened at once (no approval, as for a crew), case settled.
    with django_capture_on_commit_callbacks(execute=True):
        pay(remote, "1500.00", date(2026, 11, 19), hour=15)
    reopen = ValveCommand.objects.get(action=ValveAction.OPEN)
    assert (reopen.origin, reopen.state) == (ValveOrigin.RECONNECTION, ValveCommandState.CONFIRMED)
    assert case_of(remote).status == DunningStatus.SETTLED
    remote.refresh_from_db()
    valve.refresh_from_db()
    assert (remote.status, valve.valve_state) == (AccountStatus.ACTIVE, ValveState.OPEN)
    assert not WorkOrder.objects.filter(case=case_of(remote)).exists()


def test_the_remote_close_needs_the_same_second_person(django_capture_on_commit_callbacks):
    people = People()
    head_end, _key = new_head_end()
    remote = account_in_arrears()
    with pinned(date(2026, 10, 1)):
        meter = with_meter(remote, "WM-REMOTE")
    RemoteMeter.objects.create(
        meter=meter, head_end=head_end, device_id="NB-1", supports_valve=True
    )
    walk_to_approval(people, [remote])
    order = DisconnectionOrder.objects.get(dunning__account=remote)
    order.requested_by = people.supervisor  # a supervisor asked: another must approve
    order.save(update_fields=["requested_by"])
    with pinned(date(2026, 11, 18), 9), pytest.raises(IllegalTransition) as refused:
        disconnection_approve(actor=people.supervisor, case=case_of(remote), crew=people.crew)
    assert refused.value.code == "second_person_required"
    assert not ValveCommand.objects.exists()
    assert case_of(remote).status == DunningStatus.AWAITING_APPROVAL


def test_a_failed_remote_close_sends_the_crew_chosen_at_approval(
    django_capture_on_commit_callbacks,
):
    people = People()
    head_end, _key = new_head_end()
    remote = account_in_arrears()
    with pinned(date(2026, 10, 1)):
        meter = with_meter(remote, "WM-REMOTE")
    RemoteMeter.objects.create(
        meter=meter, head_end=head_end, device_id="NB-1-FAIL", supports_valve=True
    )
    walk_to_approval(people, [remote])
    with pinned(date(2026, 11, 18), 9), django_capture_on_commit_callbacks(execute=True):
        disconnection_approve(actor=people.supervisor, case=case_of(remote), crew=people.crew)
    assert ValveCommand.objects.get().state == ValveCommandState.FAILED
    order = DisconnectionOrder.objects.get(dunning__account=remote)
    assert order.status == DisconnectionOrderStatus.APPROVED
    assert order.work_order.crew == people.crew
    assert order.work_order.purpose == DISCONNECTION_PURPOSE
    assert case_of(remote).status == DunningStatus.DISCONNECTION_APPROVED

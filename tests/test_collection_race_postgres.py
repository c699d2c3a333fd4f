"""A payment racing the crew's disconnection (issue 11 acceptance), on PostgreSQL with two
connections: the payment that commits first while the crew is finishing cancels the order
and the crew's finish is refused — supply is never cut for a paid account; the crew that
finishes first is followed by the payment's reconnection order. Never both, never neither.

PostgreSQL only: SQLite serialises every writer, so it cannot show the race."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from tests.collection_ladder_support import (
    DEBT,
    People,
    account_in_arrears,
    case_of,
    crew_on_call,
    order_of,
    pay,
    pinned,
)
from tests.fieldwork_support import photo_upload
from tests.test_collection_stops import reach
from waterdesk.cases.models import CaseEvent
from waterdesk.collection.models import DisconnectionOrder, DisconnectionOrderStatus, DunningStatus
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE
from waterdesk.core.errors import IllegalTransition
from waterdesk.customers.models import AccountStatus
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import WorkOrder

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    # Committed data: restore the rows seeded by migrations (roles, policies, calendar).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = date(2026, 11, 18)


def crew_on_site(people: People, account) -> WorkOrder:
    """The ladder walked to an approved order whose crew has arrived with a photo."""
    reach(DunningStatus.DISCONNECTION_APPROVED, people, account)
    order = order_of(account, DISCONNECTION_PURPOSE)
    with pinned(DAY, 13):
        order = fw.work_order_accept(actor=people.member, order=order)
        order = fw.work_order_set_off(actor=people.member, order=order)
        order = fw.work_order_arrive(actor=people.member, order=order)
        fw.work_order_photo_add(actor=people.member, order=order, upload=photo_upload())
    return order


def finish(people: People, order: WorkOrder):
    return fw.work_order_finish(
        actor=people.member,
        order=order,
        result="已关阀加封",
        site_cleaned=True,
        use_demonstrated=False,
        extra={"meter_reading": "88.00", "seal_number": "QF-7"},
    )


def first_holds_then(first, second):
    """Run ``first`` in a transaction that stays open until ``second`` (in another thread)
    has started and is waiting; then commit. The outcome (result or exception) of each."""
    holding = threading.Event()
    outcomes: dict = {}

    def run_first():
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                holding.set()
                # Give the second a moment to reach the lock it will wait on.
                threading.Event().wait(1.0)
        except Exception as exc:  # the outcome under test
            outcomes["first"] = exc
            holding.set()
        finally:
            connection.close()

    def run_second():
        try:
            holding.wait(timeout=30)
            outcomes["second"] = second()
        except Exception as exc:  # the outcome under test
            outcomes["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes["first"], outcomes["second"]


def test_a_payment_between_approval_and_execution_cancels_the_order():
    people = People()
    account = account_in_arrears()
    order = crew_on_site(people, account)

    with pinned(DAY, 14):
        paid, finished = first_holds_then(
            lambda: pay(account, DEBT, DAY, hour=14), lambda: finish(people, order)
        )

    assert paid.amount == DEBT
    assert isinstance(finished, IllegalTransition)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert DisconnectionOrder.objects.get().status == DisconnectionOrderStatus.CANCELLED
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert case_of(account).status == DunningStatus.SETTLED
    assert not CaseEvent.objects.filter(case=case_of(account), action="disconnect").exists()
    assert not WorkOrder.objects.filter(purpose=RECONNECTION_PURPOSE).exists()


def test_a_payment_after_the_crew_has_finished_orders_the_reconnection():
    people = People()
    account = account_in_arrears()
    order = crew_on_site(people, account)
    crew_on_call(people.crew, DAY)

    with pinned(DAY, 14):
        finished, paid = first_holds_then(
            lambda: finish(people, order), lambda: pay(account, DEBT, DAY, hour=14)
        )

    assert finished.status == "work_done"
    assert paid.amount == DEBT
    assert DisconnectionOrder.objects.get().status == DisconnectionOrderStatus.EXECUTED
    account.refresh_from_db()
    assert account.status == AccountStatus.SUSPENDED  # until the crew reconnects
    assert case_of(account).status == DunningStatus.RECONNECTING
    assert (
        WorkOrder.objects.filter(purpose=RECONNECTION_PURPOSE, closed_at__isnull=True).count() == 1
    )

"""The dunning ladder walked with time pinned (issue 11 acceptance): the first reminder, a
call, a door visit, the written notice and its period, the supervisor's approval, the
crew's disconnection, then payment and reconnection within 24 hours — and the refusals on
the way."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.collection_ladder_support import (
    DEBT,
    People,
    account_in_arrears,
    case_of,
    crew_on_call,
    disconnect,
    dunning_for,
    moment,
    nightly,
    open_task,
    order_of,
    pay,
    pinned,
    reconnect,
    record,
    visit_photo,
)
from waterdesk.cases.models import CaseEvent
from waterdesk.collection.models import (
    ActionStatus,
    CollectedPayment,
    DisconnectionNotice,
    DisconnectionOrder,
    DisconnectionOrderStatus,
    Dunning,
    DunningStatus,
    StepKind,
)
from waterdesk.collection.services.disconnection import (
    disconnection_approve,
    disconnection_request,
)
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.customers.models import AccountStatus
from waterdesk.notify.models import Notification
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db


def statuses(account) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case_of(account))
        .exclude(to_status="")
        .order_by("at", "pk")
        .values_list("to_status", flat=True)
    )


def test_the_ladder_from_reminder_to_reconnection():
    people = People()
    account = account_in_arrears()

    # Day 0: the account is classified intensive; the case opens with a reminder sent.
    counts = nightly(date(2026, 11, 2))
    assert counts["opened"] == 1
    dunning = dunning_for(account)
    assert dunning.strategy.code == "intensive"
    assert dunning.case.status == DunningStatus.REMINDING
    assert dunning.opened_amount == DEBT
    reminders = Notification.objects.filter(template_key="collection.reminder")
    assert reminders.count() >= 1
    assert "1500.00" in reminders.first().body

    # Nothing happens before the call's wait (2 days) has passed.
    assert nightly(date(2026, 11, 3))["climbed"] == 0
    assert nightly(date(2026, 11, 4))["climbed"] == 1
    task = open_task(account)
    assert (task.kind, task.due_on) == (StepKind.CALL, date(2026, 11, 7))
    record(people.collector, account, date(2026, 11, 4), "no_answer")

    # The visit 3 days after the call; it needs a photo.
    assert nightly(date(2026, 11, 6))["climbed"] == 0
    assert nightly(date(2026, 11, 7))["climbed"] == 1
    with pytest.raises(InvalidInput) as refused:
        record(people.collector, account, date(2026, 11, 8), "refused")
    assert refused.value.code == "photo_required"
    assert open_task(account).kind == StepKind.VISIT  # nothing was recorded
    record(people.collector, account, date(2026, 11, 8), "refused", photo=visit_photo())

    # The written notice 3 days after the visit, delivered the same day: 7 days' notice.
    assert nightly(date(2026, 11, 11))["climbed"] == 1
    notice = DisconnectionNotice.objects.get(dunning__account=account)
    assert notice.amount == DEBT and notice.period_days == 7 and notice.ends_on is None
    assert case_of(account).status == DunningStatus.NOTICE_SERVED
    record(people.collector, account, date(2026, 11, 11), "delivered")
    notice.refresh_from_db()
    assert notice.ends_on == date(2026, 11, 18)

    # Before the period has run a disconnection order is refused, with the day it may.
    with pinned(date(2026, 11, 17)), pytest.raises(IllegalTransition) as early:
        disconnection_request(actor=people.collector, case=case_of(account))
    assert early.value.code == "notice_period_running"
    assert "2026-11-18" in str(early.value.message)
    assert not DisconnectionOrder.objects.exists()
    assert nightly(date(2026, 11, 17))["climbed"] == 0

    # The period has run: the nightly run asks for the order; a supervisor approves.
    assert nightly(date(2026, 11, 18))["climbed"] == 1
    assert case_of(account).status == DunningStatus.AWAITING_APPROVAL
    order = DisconnectionOrder.objects.get(dunning__account=account)
    assert (order.status, order.amount) == (DisconnectionOrderStatus.REQUESTED, DEBT)
    with pinned(date(2026, 11, 18), 9):
        disconnection_approve(
            actor=people.supervisor, case=case_of(account), crew=people.crew, note="同意"
        )
    order.refresh_from_db()
    assert order.status == DisconnectionOrderStatus.APPROVED
    assert order.work_order.crew == people.crew
    assert case_of(account).status == DunningStatus.DISCONNECTION_APPROVED

    # The crew cuts supply: reading, seal, photo; the account is suspended.
    disconnect(people.member, order_of(account, DISCONNECTION_PURPOSE), date(2026, 11, 18))
    order.refresh_from_db()
    assert order.status == DisconnectionOrderStatus.EXECUTED
    assert (order.meter_reading, order.seal_number) == (Decimal("1234.50"), "QF-0001")
    account.refresh_from_db()
    assert account.status == AccountStatus.SUSPENDED
    assert case_of(account).status == DunningStatus.DISCONNECTED

    # Payment in full at the counter: a reconnection order at once, due in 24 hours.
    crew_on_call(people.crew, date(2026, 11, 19))
    pay(account, "1500.00", date(2026, 11, 19), hour=15)
    assert case_of(account).status == DunningStatus.RECONNECTING
    reconnection = order_of(account, RECONNECTION_PURPOSE)
    assert reconnection.crew == people.crew and reconnection.urgent
    clock = SlaClock.objects.get(case=case_of(account), milestone="reconnect")
    assert clock.due_at == moment(date(2026, 11, 20), 15)
    told = Notification.objects.filter(template_key="collection.reconnection")
    assert told.exists() and "2026-11-20 15:00" in told.first().body
    assert CollectedPayment.objects.get(dunning__account=account).amount == DEBT

    # Reconnected the next morning, within the 24 hours: the case is settled.
    reconnect(people.member, reconnection, date(2026, 11, 20), 9)
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    clock.refresh_from_db()
    assert clock.stopped_at == moment(date(2026, 11, 20), 9) and clock.is_late is False
    dunning = Dunning.objects.get(account=account)
    assert dunning.is_open is False
    assert dunning.reconnected_at - dunning.reconnection_requested_at == timedelta(hours=18)
    assert statuses(account) == [
        DunningStatus.REMINDING,
        DunningStatus.CALLING,
        DunningStatus.VISITING,
        DunningStatus.NOTICE_SERVED,
        DunningStatus.AWAITING_APPROVAL,
        DunningStatus.DISCONNECTION_APPROVED,
        DunningStatus.DISCONNECTED,
        DunningStatus.RECONNECTING,
        DunningStatus.SETTLED,
    ]
    assert not open_tasks(account)


def open_tasks(account):
    return list(Dunning.objects.get(account=account).actions.filter(status=ActionStatus.OPEN))

"""Helpers of the dunning-ladder tests: the people, an account in arrears classified into
the intensive strategy, the nightly run at a pinned moment, a collector's outcomes, a
counter payment, and the crews' disconnection and reconnection orders walked through the
field-work services."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import time_machine

from tests.collection_support import account_owing
from tests.factories import UserFactory
from tests.fieldwork_support import crew_with_member, photo_upload
from waterdesk.cases.models import Case
from waterdesk.collection.classify import collection_classify
from waterdesk.collection.models import ActionStatus, CollectionAction, Dunning
from waterdesk.collection.services.ladder import collection_action_record, collection_ladder_run
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import DutyShift, WorkOrder
from waterdesk.payments.services.record import payment_record

DEBT = Decimal("1500.00")
DUE = date(2026, 8, 1)  # > 90 days overdue by November: large × over 90 → intensive


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def pinned(day: date, hour: int = 10, minute: int = 0):
    return time_machine.travel(moment(day, hour, minute), tick=False)


class People:
    def __init__(self):
        self.collector = UserFactory(username="collector", role=Role.COLLECTOR)
        self.supervisor = UserFactory(username="collsup", role=Role.COLLECTION_SUPERVISOR)
        self.crew, self.member = crew_with_member("cut", "cutter")


def account_in_arrears(amount=DEBT, *, due: date = DUE):
    return account_owing(amount, due=due)


def nightly(day: date) -> dict[str, int]:
    """The classification and the ladder run of ``day`` at 02:00."""
    with pinned(day, 2):
        collection_classify(as_of=day)
        return collection_ladder_run(today=day)


def dunning_for(account) -> Dunning:
    return Dunning.objects.select_related("case").get(account=account, is_open=True)


def case_of(account) -> Case:
    return Case.objects.get(dunning__account=account)


def open_task(account) -> CollectionAction:
    return CollectionAction.objects.get(dunning__account=account, status=ActionStatus.OPEN)


def record(actor, account, day: date, outcome: str, **fields) -> CollectionAction:
    with pinned(day, 11):
        return collection_action_record(
            actor=actor, action=open_task(account), outcome=outcome, **fields
        )


def visit_photo():
    return photo_upload("door.png")


def pay(account, amount, day: date, *, hour: int = 15, key: str = "R1"):
    with pinned(day, hour):
        return payment_record(
            account=account,
            amount=Decimal(amount),
            channel="counter",
            method="cash",
            source="test-counter",
            external_id=key,
        ).payment


def order_of(account, purpose: str) -> WorkOrder:
    return WorkOrder.objects.get(case__dunning__account=account, purpose=purpose)


def crew_on_call(crew, day: date) -> None:
    DutyShift.objects.create(
        crew=crew,
        starts_at=moment(day, 0),
        ends_at=moment(date.fromordinal(day.toordinal() + 2), 0),
    )


def disconnect(member, order: WorkOrder, day: date, *, reading="1234.50", seal="QF-0001"):
    with pinned(day, 14):
        order = fw.work_order_accept(actor=member, order=order)
        order = fw.work_order_set_off(actor=member, order=order)
        order = fw.work_order_arrive(actor=member, order=order)
        fw.work_order_photo_add(actor=member, order=order, upload=photo_upload("seal.png"))
        return fw.work_order_finish(
            actor=member,
            order=order,
            result="已关阀加封",
            site_cleaned=True,
            use_demonstrated=False,
            extra={"meter_reading": reading, "seal_number": seal},
        )


def reconnect(member, order: WorkOrder, day: date, hour: int, *, reading="1234.50"):
    with pinned(day, hour):
        order = fw.work_order_accept(actor=member, order=order)
        order = fw.work_order_set_off(actor=member, order=order)
        order = fw.work_order_arrive(actor=member, order=order)
        return fw.work_order_finish(
            actor=member,
            order=order,
            result="已拆封开阀，恢复供水",
            site_cleaned=True,
            use_demonstrated=False,
            extra={"meter_reading": reading},
        )


__all__ = [
    "DISCONNECTION_PURPOSE",
    "RECONNECTION_PURPOSE",
]

"""Reads of the collector's pages: the open tasks by area (due and overdue first, then the
coming days), one task, the task after it, and what a case's debt is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from waterdesk.billing.selectors.bills import NoticeItem, account_fee_notice
from waterdesk.cases.selectors import case_scope
from waterdesk.collection.access import task_phone
from waterdesk.collection.models import (
    ActionStatus,
    CollectionAction,
    DisconnectionNotice,
    Dunning,
    StepKind,
)
from waterdesk.collection.services.common import account_owed
from waterdesk.core.errors import NotFound
from waterdesk.customers.models import SupplyZone
from waterdesk.customers.privacy import Shown

# The tasks a collector works by hand (a reminder is sent by the system).
FIELD_KINDS = (StepKind.CALL, StepKind.VISIT, StepKind.NOTICE)
UPCOMING_DAYS = 7  # the coming days the list shows after today's work
MINE, ALL = "mine", "all"


@dataclass(frozen=True)
class TaskFilter:
    scope: str = ALL  # MINE: the cases assigned to the user
    zone: str = ""  # a supply zone's code; "" for every area


@dataclass(frozen=True)
class TaskCard:
    task: CollectionAction
    amount: Decimal  # overdue, from the latest classification (else the case's opening)
    is_overdue: bool
    phone: Shown

    @property
    def case(self):
        return self.task.dunning.case

    @property
    def account(self):
        return self.task.dunning.account


@dataclass
class AreaGroup:
    zone: SupplyZone
    cards: list[TaskCard] = field(default_factory=list)


@dataclass(frozen=True)
class TaskList:
    due: list[AreaGroup]  # due up to today (the overdue marked)
    coming: list[AreaGroup]  # due in the coming days

    @property
    def count(self) -> int:
        return sum(len(group.cards) for group in (*self.due, *self.coming))


def _open_tasks(user) -> QuerySet[CollectionAction]:
    """The open tasks of the cases in the user's scope (``cases.case_scope``)."""
    return CollectionAction.objects.filter(
        status=ActionStatus.OPEN, kind__in=FIELD_KINDS, dunning__case__in=case_scope(user)
    ).select_related(
        "dunning__case__assignee",
        "dunning__account__customer",
        "dunning__account__premise__zone",
        "dunning__account__arrears",
    )


def _filtered(tasks: QuerySet[CollectionAction], user, chosen: TaskFilter):
    if chosen.scope == MINE:
        tasks = tasks.filter(dunning__case__assignee=user)
    if chosen.zone:
        tasks = tasks.filter(dunning__account__premise__zone__code=chosen.zone)
    return tasks.order_by(
        "due_on",
        "dunning__account__premise__zone__code",
        "dunning__account__premise__address",
        "pk",
    )


def task_filter_default(user) -> TaskFilter:
    """ "Mine" for a collector who has cases assigned, "all" otherwise."""
    assigned = _open_tasks(user).filter(dunning__case__assignee=user).exists()
    return TaskFilter(scope=MINE if assigned else ALL)


def _overdue_amount(dunning: Dunning) -> Decimal:
    arrears = getattr(dunning.account, "arrears", None)
    return arrears.overdue_amount if arrears is not None else dunning.opened_amount


def _card(task: CollectionAction, *, user, today: date) -> TaskCard:
    return TaskCard(
        task=task,
        amount=_overdue_amount(task.dunning),
        is_overdue=task.due_on < today,
        phone=task_phone(user=user, task=task),
    )


def _by_area(cards: list[TaskCard]) -> list[AreaGroup]:
    groups: dict[int, AreaGroup] = {}
    for card in cards:
        zone = card.account.premise.zone
        groups.setdefault(zone.pk, AreaGroup(zone=zone)).cards.append(card)
    return sorted(groups.values(), key=lambda group: group.zone.code)


def collection_task_list(*, user, today: date, chosen: TaskFilter) -> TaskList:
    """The collector's list: the open calls, visits and notices to deliver due up to today
    (overdue first), then those due in the coming days, each part grouped by area."""
    tasks = _filtered(_open_tasks(user), user, chosen).filter(
        due_on__lte=today + timedelta(days=UPCOMING_DAYS)
    )
    cards = [_card(task, user=user, today=today) for task in tasks]
    return TaskList(
        due=_by_area([card for card in cards if card.task.due_on <= today]),
        coming=_by_area([card for card in cards if card.task.due_on > today]),
    )


def collection_task_zones(user) -> list[SupplyZone]:
    """The areas that have open tasks in the user's scope (the list's filter)."""
    zone_ids = _open_tasks(user).values("dunning__account__premise__zone")
    return list(SupplyZone.objects.filter(pk__in=zone_ids).order_by("code"))


def collection_task_get(*, user, pk: int) -> CollectionAction:
    """A task of a case in the user's scope (open or not); ``NotFound`` otherwise."""
    task = (
        CollectionAction.objects.filter(pk=pk, dunning__case__in=case_scope(user))
        .select_related(
            "dunning__case__assignee",
            "dunning__account__customer",
            "dunning__account__premise__zone",
            "dunning__account__arrears",
            "done_by",
        )
        .first()
    )
    if task is None:
        raise NotFound()
    return task


def collection_task_card(*, user, task: CollectionAction, today: date) -> TaskCard:
    return _card(task, user=user, today=today)


def collection_task_next(*, user, chosen: TaskFilter, after: CollectionAction):
    """The first open task of the list (as filtered) other than ``after``: the way on."""
    return _filtered(_open_tasks(user), user, chosen).exclude(pk=after.pk).first()


def task_notice(task: CollectionAction) -> DisconnectionNotice | None:
    """The written notice a notice task delivers (the case's latest)."""
    if task.kind != StepKind.NOTICE:
        return None
    return DisconnectionNotice.objects.filter(dunning_id=task.dunning_id).order_by("-pk").first()


@dataclass(frozen=True)
class Debt:
    """What an account owes on a day: the total a plan must cover and its items."""

    total: Decimal
    overdue: Decimal
    items: list[NoticeItem]


def dunning_debt(dunning: Dunning, *, today: date) -> Debt:
    owed = account_owed(dunning.account, day=today)
    items = account_fee_notice(dunning.account, as_of=today).items
    return Debt(total=owed.total, overdue=owed.overdue, items=items)

"""What the collection services share: the policy, what an account owes now, locking a
case and its detail, moving the case, and telling the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum

from waterdesk.billing.selectors.ledger import account_open_debts
from waterdesk.cases.models import Case
from waterdesk.cases.services import case_check_action, case_lock, case_transition
from waterdesk.collection.models import (
    CollectionExemption,
    CollectionPolicy,
    Dunning,
    ExemptionKind,
)
from waterdesk.collection.workflow import KIND
from waterdesk.core.errors import IllegalTransition
from waterdesk.core.timeutil import local
from waterdesk.notify.services import notification_queue

ZERO = Decimal("0.00")
PAY_HINT = "可通过微信、支付宝、网上营业厅或营业厅缴费。"


def policy() -> CollectionPolicy:
    """The collection rules in force (the latest row; the defaults when none is saved)."""
    return CollectionPolicy.objects.order_by("-pk").first() or CollectionPolicy()


@dataclass(frozen=True)
class Owed:
    """What an account owes on a day: the overdue part (debts due before the day) and the
    whole balance, after the ledger's FIFO settlement."""

    overdue: Decimal
    total: Decimal
    oldest_due: date | None


def account_owed(account, *, day: date) -> Owed:
    debts, credit = account_open_debts(account, as_of=day)
    overdue = sum((debt.unpaid for debt in debts if debt.due < day), ZERO)
    total = sum((debt.unpaid for debt in debts), ZERO)
    oldest = min((debt.due for debt in debts if debt.due < day), default=None)
    return Owed(overdue=overdue, total=max(total - credit, ZERO), oldest_due=oldest)


def paid_since(dunning: Dunning, since: datetime) -> Decimal:
    """What the open case collected from ``since`` on (promises and plans are judged by it)."""
    total = dunning.payments.filter(received_at__gte=since).aggregate(total=Sum("amount"))
    return total["total"] or ZERO


def exemptions_active(account, *, day: date, besides_plan: bool = True) -> list:
    """The exemptions that keep ``account`` out of collection on ``day`` (an instalment
    plan's own exemption left out when ``besides_plan``: the plan is handled by itself)."""
    active = CollectionExemption.objects.active_on(day).filter(account=account)
    if besides_plan:
        active = active.exclude(kind=ExemptionKind.INSTALMENT_PLAN)
    return list(active)


def lock_dunning(case: Case) -> tuple[Case, Dunning]:
    """Lock the case, then its detail (the platform's lock order)."""
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case = case_lock(case)
    return case, Dunning.objects.select_for_update().get(pk=case.pk)


def move(*, case: Case, action: str, actor, at: datetime, note: str = "", data=None) -> Case:
    case_check_action(case=case, action=action, actor=actor)
    return case_transition(case=case, action=action, actor=actor, note=note, data=data, at=at)


def day_of(at: datetime) -> date:
    return local(at).date()


def tell_customer(*, case: Case, dunning: Dunning, template: str, context: dict, key: str) -> None:
    """The account holder hears of the case on the channels they chose for notices, once per
    ``key``."""
    notification_queue(
        template=template,
        context={"account": dunning.account.number, **context},
        case=case,
        customer=dunning.account.customer,
        dedupe_key=f"{template}:{case.number}:{key}",
        by_preference=True,
    )

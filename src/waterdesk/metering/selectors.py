"""Reads of metering: arrangements, allocations per cycle, the review queue, the
master/sub differences report and the customer page's section."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from waterdesk.billing.models import ReadingCycle
from waterdesk.core.errors import NotFound
from waterdesk.customers.models import Account, BillingMode
from waterdesk.metering.models import (
    Allocation,
    AllocationShare,
    AllocationStatus,
    Arrangement,
    ArrangementKind,
    ArrangementPart,
    MeteringEvent,
)

VIEW = "metering.view_arrangement"


def arrangement_list(*, kind: str = "", active_only: bool = True) -> QuerySet[Arrangement]:
    arrangements = Arrangement.objects.select_related(
        "meter", "meter__account", "account"
    ).order_by("kind", "name", "pk")
    if kind:
        arrangements = arrangements.filter(kind=kind)
    if active_only:
        arrangements = arrangements.filter(is_active=True)
    return arrangements


def arrangement_get(*, public_id: uuid.UUID | str) -> Arrangement:
    try:
        return Arrangement.objects.select_related("meter", "meter__account", "account").get(
            public_id=public_id
        )
    except (Arrangement.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def arrangement_parts(arrangement: Arrangement) -> list[ArrangementPart]:
    return list(
        arrangement.parts.select_related("meter", "account", "account__customer").order_by(
            "position", "pk"
        )
    )


def arrangement_events(arrangement: Arrangement) -> QuerySet[MeteringEvent]:
    return arrangement.events.select_related("actor", "allocation__cycle").order_by("-at", "-pk")


def arrangement_allocations(arrangement: Arrangement, *, limit: int = 24) -> list[Allocation]:
    return list(
        arrangement.allocations.select_related("cycle", "reviewed_by")
        .prefetch_related("shares__account")
        .order_by("-cycle__period_start")[:limit]
    )


def allocations_for_cycle(cycle: ReadingCycle) -> list[Allocation]:
    return list(
        Allocation.objects.filter(cycle=cycle)
        .select_related("arrangement", "arrangement__meter", "arrangement__account", "cycle")
        .prefetch_related("shares__account", "shares__read")
        .order_by("arrangement__kind", "arrangement__name", "pk")
    )


def allocation_get(*, pk) -> Allocation:
    try:
        return Allocation.objects.select_related("arrangement", "cycle").get(pk=int(pk))
    except (Allocation.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def allocations_flagged() -> list[Allocation]:
    """The review queue: negative differences waiting for a reviewer, oldest cycle first."""
    return list(
        Allocation.objects.filter(status=AllocationStatus.FLAGGED)
        .select_related("arrangement", "arrangement__meter", "arrangement__account", "cycle")
        .prefetch_related("shares__account")
        .order_by("cycle__period_start", "arrangement__name", "pk")
    )


def reading_cycles() -> QuerySet[ReadingCycle]:
    return ReadingCycle.objects.order_by("-period_start", "-pk")


@dataclass(frozen=True)
class DifferenceRow:
    """One master/sub arrangement in a cycle (the report's line)."""

    allocation: Allocation

    @property
    def arrangement(self) -> Arrangement:
        return self.allocation.arrangement

    @property
    def is_flagged(self) -> bool:
        return self.allocation.status == AllocationStatus.FLAGGED


def differences_report(*, cycle: ReadingCycle) -> list[DifferenceRow]:
    """Master/sub differences of a cycle: master volume, Σ subs, difference, rule, status."""
    allocations = (
        Allocation.objects.filter(cycle=cycle, arrangement__kind=ArrangementKind.MASTER_SUB)
        .select_related("arrangement", "arrangement__meter", "cycle")
        .order_by("arrangement__name", "pk")
    )
    return [DifferenceRow(allocation) for allocation in allocations]


# --- the customer page --------------------------------------------------------------------


def account_metering_section(account: Account, user) -> dict | None:
    """The account's roles in arrangements (metering point, master's difference account,
    sub meter, shared-meter member, flat fee) and its latest allocated share; None when it
    takes part in none or the user may not see them. Four queries at most."""
    if not user.has_perm(VIEW):
        return None
    roles = []
    if account.billing_mode == BillingMode.METERING_POINT:
        for arrangement in Arrangement.objects.filter(
            meter__account=account, is_active=True
        ).select_related("meter"):
            roles.append(("metering_point", arrangement))
    for arrangement in Arrangement.objects.filter(account=account, is_active=True):
        roles.append(
            (
                "flat_fee" if arrangement.kind == ArrangementKind.FLAT_FEE else "difference",
                arrangement,
            )
        )
    for part in ArrangementPart.objects.filter(
        account=account, arrangement__is_active=True
    ).select_related("arrangement", "meter"):
        roles.append(
            (
                "sub" if part.arrangement.kind == ArrangementKind.MASTER_SUB else "member",
                part.arrangement,
            )
        )
    if not roles:
        return None
    last_share = (
        AllocationShare.objects.filter(account=account)
        .select_related("allocation", "allocation__cycle", "allocation__arrangement", "read")
        .order_by("-allocation__cycle__period_start", "-pk")
        .first()
    )
    return {"roles": roles, "last_share": last_share}


def arrangements_of_account(account: Account) -> QuerySet[Arrangement]:
    return Arrangement.objects.filter(
        Q(account=account) | Q(meter__account=account) | Q(parts__account=account)
    ).distinct()

"""Reads of collection: one case's file and an account's arrears file."""

from __future__ import annotations

from waterdesk.collection.models import (
    CollectedPayment,
    CollectionAction,
    DisconnectionNotice,
    DisconnectionOrder,
    Dunning,
    InstalmentPlan,
)
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE


def dunning_of(case) -> Dunning:
    return Dunning.objects.select_related(
        "account__customer", "account__premise__zone", "strategy", "step"
    ).get(pk=case.pk)


def dunning_file(dunning: Dunning) -> dict:
    """Everything about one collection case: its tasks, notices, orders, plans, payments
    and crews' work orders, oldest first."""
    return {
        "tasks": list(
            CollectionAction.objects.filter(dunning=dunning)
            .select_related("done_by", "assigned_to")
            .order_by("created_at", "pk")
        ),
        "notices": list(DisconnectionNotice.objects.filter(dunning=dunning).order_by("pk")),
        "orders": list(
            DisconnectionOrder.objects.filter(dunning=dunning)
            .select_related("requested_by", "decided_by", "work_order__crew", "notice")
            .order_by("pk")
        ),
        "plans": list(
            InstalmentPlan.objects.filter(dunning=dunning)
            .prefetch_related("items")
            .select_related("agreed_by")
            .order_by("pk")
        ),
        "payments": list(CollectedPayment.objects.filter(dunning=dunning).order_by("received_at")),
        "work_orders": list(
            dunning.case.work_orders.filter(
                purpose__in=[DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE]
            )
            .select_related("crew")
            .order_by("assigned_at")
        ),
    }

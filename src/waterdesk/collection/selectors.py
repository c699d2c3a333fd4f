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
from waterdesk.fieldwork.models import WorkOrder


def dunning_of(case) -> Dunning:
    return Dunning.objects.select_related(
        "account__customer", "account__premise__zone", "strategy", "step"
    ).get(pk=case.pk)


def dunning_file(dunning: Dunning) -> dict:
    """Everything about one collection case: its tasks, notices, orders, plans, payments
    and crews' work orders, oldest first."""
    return dunning_files([dunning.pk])[dunning.pk]


def dunning_files(case_ids: list[int]) -> dict[int, dict]:
    """``dunning_file`` of each of these cases (by case pk), read in one query per part
    whatever their number."""
    files: dict[int, dict] = {
        pk: {
            "tasks": [],
            "notices": [],
            "orders": [],
            "plans": [],
            "payments": [],
            "work_orders": [],
        }
        for pk in case_ids
    }
    parts = {
        "tasks": CollectionAction.objects.select_related("done_by", "assigned_to").order_by(
            "created_at", "pk"
        ),
        "notices": DisconnectionNotice.objects.order_by("pk"),
        "orders": DisconnectionOrder.objects.select_related(
            "requested_by", "decided_by", "work_order__crew", "notice"
        ).order_by("pk"),
        "plans": InstalmentPlan.objects.prefetch_related("items")
        .select_related("agreed_by")
        .order_by("pk"),
        "payments": CollectedPayment.objects.order_by("received_at", "pk"),
    }
    for part, rows in parts.items():
        for row in rows.filter(dunning_id__in=case_ids):
            files[row.dunning_id][part].append(row)
    work_orders = (
        WorkOrder.objects.filter(
            case_id__in=case_ids, purpose__in=[DISCONNECTION_PURPOSE, RECONNECTION_PURPOSE]
        )
        .select_related("crew")
        .order_by("assigned_at", "pk")
    )
    for order in work_orders:
        files[order.case_id]["work_orders"].append(order)
    return files

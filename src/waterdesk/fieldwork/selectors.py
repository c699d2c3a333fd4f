"""Reads of field work: who is on call, a crew's orders, an order's timeline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from waterdesk.fieldwork.models import Crew, DutyShift, WorkOrder, WorkOrderEvent


def crew_on_duty(*, at: datetime) -> Crew | None:
    """The crew on call at ``at`` (the roster); when shifts overlap, the one that started
    first. None when nobody is on the roster."""
    shift = (
        DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at, crew__is_active=True)
        .select_related("crew")
        .order_by("starts_at", "pk")
        .first()
    )
    return shift.crew if shift is not None else None


def crews_on_duty(*, at: datetime) -> list[Crew]:
    return [
        shift.crew
        for shift in DutyShift.objects.filter(
            starts_at__lte=at, ends_at__gt=at, crew__is_active=True
        )
        .select_related("crew")
        .order_by("starts_at", "pk")
    ]


def crew_open_orders(crew: Crew) -> QuerySet[WorkOrder]:
    """The crew's orders still open: urgent first, then oldest first."""
    return (
        WorkOrder.objects.filter(crew=crew, closed_at__isnull=True)
        .select_related("case")
        .order_by("-urgent", "assigned_at", "pk")
    )


def case_work_orders(case) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(case=case).select_related("crew").order_by("assigned_at", "pk")


def work_order_events(order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return order.events.select_related("actor").order_by("at", "pk")

"""Reads of field work: who is on call, a crew's orders, an order's timeline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from waterdesk.fieldwork.models import (
    Crew,
    CrewMember,
    DutyShift,
    Vehicle,
    WorkOrder,
    WorkOrderEvent,
)


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


def duty_shifts_between(*, start: datetime, end: datetime) -> QuerySet[DutyShift]:
    """Every shift that is on call at some moment from ``start`` to ``end`` (the roster's
    coming days, the one running now included)."""
    return (
        DutyShift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("crew")
        .order_by("starts_at", "crew__code", "pk")
    )


def crews_with_members(*, active_only: bool = True) -> QuerySet[Crew]:
    """Crews with their members (users) and vehicles, and their open orders, for the
    dispatcher's crews page (three queries whatever the number of crews)."""
    crews = Crew.objects.all() if not active_only else Crew.objects.filter(is_active=True)
    return crews.order_by("code").prefetch_related(
        Prefetch(
            "members",
            queryset=CrewMember.objects.select_related("user").order_by(
                "-is_leader", "user__username"
            ),
        ),
        Prefetch("vehicles", queryset=Vehicle.objects.filter(is_active=True).order_by("plate")),
        Prefetch(
            "work_orders",
            queryset=WorkOrder.objects.filter(closed_at__isnull=True).order_by(
                "-urgent", "assigned_at", "pk"
            ),
            to_attr="open_orders",
        ),
    )


def roster_gaps(shifts, *, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches from ``start`` to ``end`` when no crew is on call, given the shifts of
    that time (an urgent job then has nobody to go to)."""
    gaps = []
    covered_until = start
    for shift in sorted(shifts, key=lambda shift: shift.starts_at):
        if shift.starts_at > covered_until:
            gaps.append((covered_until, min(shift.starts_at, end)))
        covered_until = max(covered_until, shift.ends_at)
        if covered_until >= end:
            break
    if covered_until < end:
        gaps.append((covered_until, end))
    return [(begin, finish) for begin, finish in gaps if finish > begin]

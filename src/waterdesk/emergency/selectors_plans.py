"""Reading plans: the version in force, what applies at a level, who is called."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from waterdesk.emergency.models import (
    ContactTarget,
    DutyShift,
    EmergencyPlan,
    PlanContact,
    PlanLevel,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
)
from waterdesk.fieldwork.selectors import crew_on_duty


def plan_current_version(plan: EmergencyPlan) -> PlanVersion | None:
    """The published version of ``plan`` (None before the first publication)."""
    return PlanVersion.objects.filter(plan=plan, status=PlanVersionStatus.PUBLISHED).first()


def plans_in_force(incident_type: str | None = None) -> QuerySet[PlanVersion]:
    """The published versions of the active plans (of one incident type)."""
    versions = PlanVersion.objects.filter(
        status=PlanVersionStatus.PUBLISHED, plan__is_active=True
    ).select_related("plan")
    if incident_type:
        versions = versions.filter(plan__incident_type=incident_type)
    return versions.order_by("plan__incident_type", "plan__code")


def plan_level(version: PlanVersion, level: int) -> PlanLevel | None:
    return PlanLevel.objects.filter(version=version, level=level).first()


def plan_steps_for_level(version: PlanVersion, level: int) -> list[PlanStep]:
    """The steps that apply at ``level`` (a step applies from its level on to the more
    severe ones, which have lower numbers; a step without a level applies at every level),
    in order."""
    return list(
        PlanStep.objects.filter(version=version)
        .filter(Q(level__isnull=True) | Q(level__gte=level))
        .order_by("position", "pk")
    )


def plan_contacts_for_level(version: PlanVersion, level: int) -> list[PlanContact]:
    return list(
        PlanContact.objects.filter(version=version, level__gte=level)
        .select_related("user")
        .order_by("-level", "pk")
    )


def duty_manager_on_duty(*, at: datetime):
    """The duty manager on the emergency roster at ``at`` (the earliest shift's), or None."""
    shift = (
        DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .select_related("user")
        .order_by("starts_at", "pk")
        .first()
    )
    return shift.user if shift is not None else None


def plan_people_for_level(version: PlanVersion, level: int, *, at: datetime) -> list:
    """The staff users to alert when ``version`` is activated at ``level`` at ``at``: the
    holders of each role named, the duty manager and the members of the crew on call at that
    moment, and the people named; each once, active users only."""
    user_model = get_user_model()
    people: dict[int, object] = {}
    for contact in plan_contacts_for_level(version, level):
        found: list = []
        if contact.target == ContactTarget.ROLE and contact.role:
            found = list(
                user_model.objects.filter(groups__name=contact.role, is_active=True).order_by("pk")
            )
        elif contact.target == ContactTarget.DUTY_MANAGER:
            manager = duty_manager_on_duty(at=at)
            found = [manager] if manager is not None else []
        elif contact.target == ContactTarget.CREW_ON_CALL:
            crew = crew_on_duty(at=at)
            if crew is not None:
                found = list(
                    user_model.objects.filter(crew_membership__crew=crew, is_active=True).order_by(
                        "pk"
                    )
                )
        elif contact.target == ContactTarget.PERSON and contact.user is not None:
            found = [contact.user] if contact.user.is_active else []
        for user in found:
            people.setdefault(user.pk, user)
    return list(people.values())

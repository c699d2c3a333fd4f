"""Who hears of a repair, through the outbox (``notify.services.notification_queue``).

- Every caller of the repair (its ``RepairContact`` rows) is texted at the phone they gave
  (and written to on the customer's other channels when the caller is a known customer):
  the registration, the booked visit, a delay, the completion.
- The water-quality team — the active staff of the policy's ``quality_department`` — hears
  of every report of a fault that informs quality (discoloured water).
- The dispatchers — active staff holding ``repairs.dispatch_repair`` through their role —
  hear at once of an urgent repair with no crew on call.

Texts that reach customers are Chinese whatever the agent's screen language.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from waterdesk.cases.models import Case
from waterdesk.core.timeutil import local
from waterdesk.notify.services import notification_queue
from waterdesk.repairs.models import Repair, RepairContact, Urgency
from waterdesk.repairs.workflow import DISPATCH_PERMISSION

logger = logging.getLogger(__name__)

REGISTERED = "repair.registered"
BOOKED = "repair.booked"
DELAYED = "repair.delayed"
COMPLETED = "repair.completed"
QUALITY_ALERT = "repair.quality_alert"
NO_CREW = "repair.no_crew"
LINKED = "repair.linked"  # the report is linked to an incident: its restoration, water points
INCIDENT_RESTORED = "repair.incident_restored"  # the incident's supply is back
NOTICES = (
    REGISTERED,
    BOOKED,
    DELAYED,
    COMPLETED,
    QUALITY_ALERT,
    NO_CREW,
    LINKED,
    INCIDENT_RESTORED,
)


def when(value) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def next_step_text(repair: Repair) -> str:
    """What happens next, as the caller is told at registration."""
    if repair.urgency == Urgency.URGENT:
        return "抢修人员将立即出发赶赴现场"
    return "维修人员将尽快与您联系并预约上门时间"


def repair_context(case: Case, repair: Repair) -> dict:
    return {
        "fault": repair.fault_type.name,
        "address": repair.address,
        "urgency": str(Urgency(repair.urgency).label),
        "next_step": next_step_text(repair),
    }


def notify_contact(
    *,
    case: Case,
    contact: RepairContact,
    template: str,
    context: dict,
    key: str = "",
    urgent: bool = False,
) -> None:
    """One caller hears of the repair, once per message (``key`` tells apart the messages
    of one template, e.g. two delays). Callers who gave the same phone hear once."""
    notification_queue(
        template=template,
        context=context,
        case=case,
        customer=contact.customer,
        phone=contact.phone,
        urgent=urgent,
        dedupe_key=f"{template}:{case.number}{key}",
    )


def notify_contacts(
    *, case: Case, repair: Repair, template: str, context: dict, key: str = ""
) -> None:
    """Every caller of the repair hears of it (in the order they called)."""
    for contact in repair.contacts.select_related("customer").order_by("reported_at", "pk"):
        notify_contact(case=case, contact=contact, template=template, context=context, key=key)


def _staff_of_department(department):
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__department=department)
        .select_related("staff_profile")
        .order_by("pk")
    )


def _dispatchers():
    """Active users whose role (group) or own permissions hold the dispatch permission —
    not superusers, who are administrators rather than the dispatch desk."""
    app_label, codename = DISPATCH_PERMISSION.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=granted) | Q(user_permissions__in=granted))
        .select_related("staff_profile")
        .distinct()
        .order_by("pk")
    )


def notify_quality_team(*, case: Case, repair: Repair, department) -> int:
    """Tell the water-quality department of the report; returns how many staff were told
    (0 when the policy names no department: logged, and the case says so)."""
    if department is None:
        logger.warning("repairs: %s informs quality, but no quality department is set", case)
        return 0
    recipients = list(_staff_of_department(department))
    context = {**repair_context(case, repair), "description": repair.description}
    for user in recipients:
        notification_queue(
            template=QUALITY_ALERT,
            context=context,
            case=case,
            user=user,
            urgent=True,
            dedupe_key=f"{QUALITY_ALERT}:{case.number}:{user.pk}",
        )
    return len(recipients)


def notify_dispatchers_no_crew(*, case: Case, repair: Repair) -> int:
    """Alert the dispatchers that an urgent repair found no crew on call; returns how many
    were told."""
    recipients = list(_dispatchers())
    context = {**repair_context(case, repair), "reported_at": when(repair.reported_at)}
    for user in recipients:
        notification_queue(
            template=NO_CREW,
            context=context,
            case=case,
            user=user,
            urgent=True,
            dedupe_key=f"{NO_CREW}:{case.number}:{user.pk}",
        )
    return len(recipients)

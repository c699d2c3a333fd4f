"""Repairs inside an incident (R-E2: "new repair reports from the area are linked to it
instead of dispatched again").

A report of a fault the incident explains (``FaultType.explained_by_incident``: no water,
low pressure, discoloured water, a burst main) at a premise inside an active incident's
area — or, placed by its supply zone only, in a zone the incident names whole — opens
``linked`` to the incident: no crew, no dispatch or arrival clock, no duplicate check (the
incident is the fault everyone in the area reports). Both timelines say so, and the caller
is texted the incident's expected restoration and temporary water points. Every caller of
the repair stays on it and hears of the restoration.

A dispatcher who finds it is another fault after all sends it on (``dispatch_separately``,
with the reason): it waits for a crew like any report, an urgent one with its clocks
started then. At the incident's restoration (``emergency.hooks``) every repair still
linked is closed — no follow-up call: the incident's review covers the work — and its
callers are told, inside the restoration's transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record, case_lock, case_transition
from waterdesk.core.text import text_input as text
from waterdesk.emergency.models import Incident, IncidentStatus
from waterdesk.emergency.selectors_hotline import (
    IncidentCover,
    active_incidents_covering,
    active_incidents_in_zone,
    incident_covers,
)
from waterdesk.emergency.services.notices import water_points_text, when_text
from waterdesk.repairs.models import FaultType, Repair, RepairContact, RepairStatus, Urgency
from waterdesk.repairs.services.common import REASON_MAX_LENGTH, lock_repair
from waterdesk.repairs.services.notices import (
    INCIDENT_RESTORED,
    LINKED,
    notify_contact,
    notify_contacts,
    repair_context,
)
from waterdesk.repairs.workflow import ARRIVAL_MILESTONE, DISPATCH_MILESTONE
from waterdesk.sla import services as sla

# Water points named in a text message (the SMS stays short; the e-mail and the pages
# have them all).
SMS_WATER_POINTS = 2


def incident_covering_report(*, fault_type: FaultType, premise, zone) -> IncidentCover | None:
    """The active incident that explains a report of ``fault_type`` at ``premise`` (or in
    ``zone`` when no premise is known), the most severe first; None when the fault is not
    one an incident explains or the place is in none."""
    if not fault_type.explained_by_incident:
        return None
    if premise is not None:
        covers = active_incidents_covering(premise)
    elif zone is not None:
        covers = active_incidents_in_zone(zone)
    else:
        return None
    return covers[0] if covers else None


def incident_cover_of(incident: Case) -> IncidentCover | None:
    """The incident a repair is linked to, as its callers are told of it."""
    covers = incident_covers(Case.objects.filter(pk=incident.pk))
    return covers[0] if covers else None


def incident_lock_active(cover: IncidentCover) -> Case | None:
    """Lock the incident's case (a restoration waits for the report, or the report for
    the restoration) and return it while still active; None once restored."""
    case = case_lock(cover.case)
    return case if case.status == IncidentStatus.ACTIVE else None


def linked_context(case: Case, repair: Repair, cover: IncidentCover) -> dict:
    return {
        **repair_context(case, repair),
        "incident_number": cover.number,
        "expected_restoration": cover.expected_restoration,
        "water_points": water_points_text(cover.water_points[:SMS_WATER_POINTS]),
    }


def repair_link_to_incident(
    *,
    actor,
    case: Case,
    repair: Repair,
    contact: RepairContact,
    incident: Case,
    cover: IncidentCover,
    at: datetime,
) -> None:
    """The new repair (opened ``linked``, ``repair.incident`` set) recorded on both
    timelines, and its caller told of the incident. Inside the report's transaction, with
    the incident's case locked."""
    case_event_record(
        case=case,
        actor=actor,
        action="linked_to_incident",
        at=at,
        data={
            "incident": cover.number,
            "incident_public_id": str(incident.public_id),
            "expected_restoration": cover.expected_restoration,
        },
    )
    case_event_record(
        case=incident,
        actor=actor,
        action="repair_linked",
        at=at,
        data={
            "repair": case.number,
            "repair_public_id": str(case.public_id),
            "fault": repair.fault_type.name,
            "address": repair.address,
        },
    )
    notify_contact(
        case=case,
        contact=contact,
        template=LINKED,
        context=linked_context(case, repair, cover),
        urgent=True,  # the caller is on the line now, whatever the hour
    )


@transaction.atomic
def repair_dispatch_separately(*, actor, case: Case, reason: str) -> Case:
    """Not the incident's fault after all (a leak inside the area, a meter): the repair
    leaves the incident and waits for a crew; an urgent one's dispatch and arrival clocks
    start now. Both timelines say why."""
    case, repair = lock_repair(case, "dispatch_separately", actor)
    reason = text(reason, field="reason", label=_("单独派单原因"), limit=REASON_MAX_LENGTH)
    at = timezone.now()
    incident = repair.incident
    case = case_transition(
        case=case,
        action="dispatch_separately",
        actor=actor,
        note=reason,
        data={"incident": incident.number if incident is not None else ""},
        at=at,
    )
    repair.incident = None
    repair.save(update_fields=["incident"])
    if incident is not None:
        case_event_record(
            case=incident,
            actor=actor,
            action="repair_unlinked",
            note=reason,
            at=at,
            data={"repair": case.number, "repair_public_id": str(case.public_id)},
        )
    if repair.urgency == Urgency.URGENT:
        sla.clock_start(case=case, milestone=DISPATCH_MILESTONE, start=at)
        sla.clock_start(case=case, milestone=ARRIVAL_MILESTONE, start=at)
    return case


def repairs_close_on_restoration(*, incident, actor, at: datetime) -> int:
    """The listener of ``emergency.hooks.incident_restored``: every repair still linked to
    the incident is closed (no follow-up call) and its callers told that supply is back.
    Inside the restoration's transaction; returns how many were closed."""
    incident_case = incident.case if isinstance(incident, Incident) else incident
    linked = list(
        Repair.objects.filter(incident=incident_case, case__status=RepairStatus.LINKED)
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )
    closed = 0
    for case_id in linked:
        case = case_lock(Case(pk=case_id))
        if case.status != RepairStatus.LINKED:  # sent separately meanwhile
            continue
        repair = (
            Repair.objects.select_for_update(of=("self",))
            .select_related("fault_type")
            .get(case=case)
        )
        case = case_transition(
            case=case,
            action="incident_restored",
            actor=None,  # the system: the incident's restoration, whoever confirmed it
            note=_("应急事件 %(number)s 已恢复供水，报修随之办结，无需回访。")
            % {"number": incident_case.number},
            data={"incident": incident_case.number, "restored_at": at.isoformat()},
            at=at,
        )
        context = {
            **repair_context(case, repair),
            "incident_number": incident_case.number,
            "restored_at": when_text(at),
        }
        notify_contacts(case=case, repair=repair, template=INCIDENT_RESTORED, context=context)
        closed += 1
    if closed:
        case_event_record(
            case=incident_case,
            actor=actor,
            action="linked_repairs_closed",
            at=at,
            data={"repairs": closed},
        )
    return closed

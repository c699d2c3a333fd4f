"""The repair's side of its crew's work order: the fieldwork purpose ``repair``.

``repair_order_event`` is called by ``fieldwork.services`` inside the transaction of every
move and step of a repair's order (the order is locked; the case is locked here next):

- set_off: the dispatch clock stops (urgent repairs: the crew set off in time or late);
- contact: the contact clock stops and every caller is told the booked visit;
- arrive: the case is on site, the arrival clock stops;
- extend: every caller is told why and the new time;
- sign_off: the case is completed (``completed_at``, ``completed_by_crew``), every caller is
  told, and the follow-up clock starts;
- give_up, cancel: the case goes back to the dispatchers (awaiting dispatch), unless the
  dispatcher's own move on the case closed the order;
- reassign: another crew, on the timeline.

The ``arrive``, ``complete`` and ``return`` moves below are the kind's internal actions:
only this hook takes them.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.dateparse import parse_datetime

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.repairs.models import Repair, RepairStatus
from waterdesk.repairs.selectors.policy import follow_up_limit, repair_policy
from waterdesk.repairs.services.common import lock_repair_quietly, move
from waterdesk.repairs.services.notices import (
    BOOKED,
    COMPLETED,
    DELAYED,
    notify_contacts,
    repair_context,
    when,
)
from waterdesk.repairs.workflow import (
    ARRIVAL_MILESTONE,
    CONTACT_MILESTONE,
    DISPATCH_MILESTONE,
    FOLLOW_UP_MILESTONE,
)
from waterdesk.sla import services as sla

CREW_STATUSES = (RepairStatus.DISPATCHED, RepairStatus.ON_SITE)


def window_text(start: datetime, end: datetime) -> str:
    """``2026-03-03 09:00 至 11:00`` (the end's date only when it is another day)."""
    start_text, end_text = when(start), when(end)
    if start_text[:10] == end_text[:10]:
        end_text = end_text[11:]
    return f"{start_text} 至 {end_text}"


def _crew(order: WorkOrder) -> dict:
    return {"crew": order.crew.name, "crew_code": order.crew.code, "order": order.number}


# --- the internal moves -------------------------------------------------------------------


def repair_arrive(*, actor, case: Case, repair: Repair, order: WorkOrder, at: datetime) -> Case:
    """The crew is on site: the case moves on, the arrival clock stops (and a general
    repair's contact clock, if the crew came without booking first)."""
    case = move(case=case, action="arrive", actor=actor, at=at, data=_crew(order))
    repair.arrived_at = at
    repair.save(update_fields=["arrived_at"])
    sla.clock_stop(case=case, milestone=ARRIVAL_MILESTONE, at=at)
    sla.clock_stop(case=case, milestone=CONTACT_MILESTONE, at=at)
    return case


def repair_complete(*, actor, case: Case, repair: Repair, order: WorkOrder, at: datetime) -> Case:
    """The customer signed (or the crew said why not): the repair is completed by the
    order's crew, every caller is told, and the follow-up call's clock starts."""
    case = move(
        case=case,
        action="complete",
        actor=actor,
        at=at,
        data={**_crew(order), "signed": order.signature is not None},
    )
    repair.completed_at = at
    repair.completed_by_crew = order.crew
    repair.save(update_fields=["completed_at", "completed_by_crew"])
    context = {**repair_context(case, repair), "completed_at": when(at), "result": order.result}
    notify_contacts(case=case, repair=repair, template=COMPLETED, context=context)
    amount, unit = follow_up_limit(case, repair_policy())
    sla.clock_start(case=case, milestone=FOLLOW_UP_MILESTONE, start=at, amount=amount, unit=unit)
    return case


def repair_return(
    *, actor, case: Case, repair: Repair, order: WorkOrder, at: datetime, reason: str
) -> Case:
    """The crew could not complete (or its order was cancelled): back to the dispatchers,
    with the reason; the clocks keep running."""
    case = move(case=case, action="return", actor=actor, at=at, note=reason, data=_crew(order))
    repair.dispatched_at = None
    repair.arrived_at = None
    repair.save(update_fields=["dispatched_at", "arrived_at"])
    return case


# --- the hook -----------------------------------------------------------------------------


def _set_off(case, repair, order, actor, at, data):
    sla.clock_stop(case=case, milestone=DISPATCH_MILESTONE, at=at)
    case_event_record(case=case, actor=actor, action="set_off", at=at, data=_crew(order))


def _arrive(case, repair, order, actor, at, data):
    if case.status == RepairStatus.DISPATCHED:
        repair_arrive(actor=actor, case=case, repair=repair, order=order, at=at)


def _contact(case, repair, order, actor, at, data):
    sla.clock_stop(case=case, milestone=CONTACT_MILESTONE, at=at)
    window = window_text(order.window_start, order.window_end)
    case_event_record(
        case=case,
        actor=actor,
        action="booked",
        at=at,
        data={**_crew(order), "window": window},
    )
    context = {**repair_context(case, repair), "window": window, "crew": order.crew.name}
    notify_contacts(
        case=case,
        repair=repair,
        template=BOOKED,
        context=context,
        key=f":{order.window_start.isoformat()}",
    )


def _extend(case, repair, order, actor, at, data):
    reason = order.events.filter(action="extend").order_by("-at", "-pk").first().note
    eta = parse_datetime(data.get("expected_done_at", "")) or order.expected_done_at
    case_event_record(
        case=case,
        actor=actor,
        action="delayed",
        at=at,
        note=reason,
        data={"expected_done_at": eta.isoformat(), "major_part": bool(data.get("major_part"))},
    )
    context = {**repair_context(case, repair), "reason": reason, "eta": when(eta)}
    notify_contacts(
        case=case, repair=repair, template=DELAYED, context=context, key=f":{eta.isoformat()}"
    )


def _sign_off(case, repair, order, actor, at, data):
    if case.status == RepairStatus.ON_SITE:
        repair_complete(actor=actor, case=case, repair=repair, order=order, at=at)


def _give_up(case, repair, order, actor, at, data):
    # A recall or a cancellation by the dispatcher moved the case first: nothing to do.
    if case.status in CREW_STATUSES:
        reason = order.not_completed_reason
        repair_return(actor=actor, case=case, repair=repair, order=order, at=at, reason=reason)


def _cancel(case, repair, order, actor, at, data):
    if case.status in CREW_STATUSES:
        event = order.events.filter(action="cancel").order_by("-at", "-pk").first()
        reason = f"工单已撤单：{event.note}" if event is not None and event.note else "工单已撤单"
        repair_return(actor=actor, case=case, repair=repair, order=order, at=at, reason=reason)


def _reassign(case, repair, order, actor, at, data):
    case_event_record(case=case, actor=actor, action="crew_changed", at=at, data=data)


HANDLERS = {
    "set_off": _set_off,
    "arrive": _arrive,
    "contact": _contact,
    "extend": _extend,
    "sign_off": _sign_off,
    "give_up": _give_up,
    "cancel": _cancel,
    "reassign": _reassign,
}


def repair_order_event(*, order: WorkOrder, action: str, actor, at: datetime, data: dict) -> None:
    """The purpose's ``on_event``: the repair reacts to a move or step of its order."""
    handler = HANDLERS.get(action)
    if handler is None:
        return
    case, repair = lock_repair_quietly(order.case)
    handler(case, repair, order, actor, at, data)

"""The dispatcher's moves on a repair: send a crew (a ``fieldwork`` work order), take the
job back (recall), cancel the report. An urgent repair is dispatched at intake by the same
``dispatch_to_crew`` with the system as the actor.

A general repair's contact clock starts when a crew is sent: the crew must call the
customer and book a visit within the policy's hours (``work_order_contact`` stops it).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.text import text_input as text
from waterdesk.fieldwork.models import TEXT_MAX_LENGTH, Crew, WorkOrder
from waterdesk.fieldwork.services import work_order_create, work_order_withdraw
from waterdesk.fieldwork.workflow import DISPATCH_PERMISSION as ORDER_DISPATCH_PERMISSION
from waterdesk.repairs.models import Repair, Urgency
from waterdesk.repairs.selectors.case import repair_open_order
from waterdesk.repairs.selectors.policy import contact_limit, repair_policy
from waterdesk.repairs.services.common import REASON_MAX_LENGTH, lock_repair
from waterdesk.repairs.workflow import CONTACT_MILESTONE, PURPOSE
from waterdesk.sla import services as sla


def may_dispatch(case: Case, user) -> bool:
    """The guard of ``dispatch`` and ``recall``: the user sends crews (work orders too)."""
    return user.has_perm(ORDER_DISPATCH_PERMISSION)


def _order_description(repair: Repair) -> str:
    return f"{repair.fault_type.name}：{repair.description}"[:TEXT_MAX_LENGTH]


def dispatch_to_crew(
    *,
    actor,
    case: Case,
    repair: Repair,
    crew: Crew,
    at: datetime,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> tuple[Case, WorkOrder]:
    """Send ``crew``: the work order (its members are notified at once), the case
    dispatched, and for a general repair the contact clock. Inside the caller's
    transaction, with the case and the repair locked; ``actor=None`` is the system."""
    order = work_order_create(
        actor=actor,
        case=case,
        purpose=PURPOSE,
        crew=crew,
        description=_order_description(repair),
        address=repair.address,
        premise=case.premise,
        contact_name=case.contact_name,
        contact_phone=case.contact_phone,
        urgent=repair.urgency == Urgency.URGENT,
        window_start=window_start,
        window_end=window_end,
        at=at,
    )
    case = case_transition(
        case=case,
        action="dispatch",
        actor=actor,
        data={"crew": crew.name, "crew_code": crew.code, "order": order.number},
        at=at,
    )
    repair.dispatched_at = at
    repair.save(update_fields=["dispatched_at"])
    if repair.urgency == Urgency.GENERAL:
        amount, unit = contact_limit(case, repair_policy())
        sla.clock_start(case=case, milestone=CONTACT_MILESTONE, start=at, amount=amount, unit=unit)
    return case, order


@transaction.atomic
def repair_dispatch(
    *,
    actor,
    case: Case,
    crew: Crew,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> Case:
    """A dispatcher sends ``crew`` to a repair waiting for one, optionally with a visit
    window; the crew hears of it at once."""
    case, repair = lock_repair(case, "dispatch", actor)
    if not may_dispatch(case, actor):
        raise NotPermitted()
    if crew is None:
        raise InvalidInput(_("请选择维修班组。"), code="crew_required", field="crew")
    if (window_start is None) != (window_end is None):
        raise InvalidInput(
            _("预约上门时间请同时填写开始和结束时间，或都不填。"),
            code="invalid_window",
            field="window_end" if window_end is None else "window_start",
        )
    case, _order = dispatch_to_crew(
        actor=actor,
        case=case,
        repair=repair,
        crew=crew,
        at=timezone.now(),
        window_start=window_start,
        window_end=window_end,
    )
    return case


def _close_order(order: WorkOrder | None, reason: str) -> None:
    """Close the crew's open order on the dispatcher's decision (the repair service checked
    the dispatcher's permission)."""
    if order is not None:
        work_order_withdraw(order=order, reason=reason)


@transaction.atomic
def repair_recall(*, actor, case: Case, reason: str) -> Case:
    """The dispatcher takes the job back from the crew (a crew needed elsewhere, a phone
    lost): the order is closed with the reason and the repair waits for a crew again.
    The clocks keep running — the customer is still waiting."""
    case, repair = lock_repair(case, "recall", actor)
    reason = text(reason, field="reason", label=_("调回原因"), limit=REASON_MAX_LENGTH)
    order = repair_open_order(case)
    case = case_transition(case=case, action="recall", actor=actor, note=reason)
    _close_order(order, f"调度调回：{reason}")
    repair.dispatched_at = None
    repair.arrived_at = None
    repair.save(update_fields=["dispatched_at", "arrived_at"])
    return case


@transaction.atomic
def repair_cancel(*, actor, case: Case, reason: str) -> Case:
    """A report that needs no crew after all (a false report, fixed already, not the
    company's pipes): the case is cancelled with the reason, the crew's order cancelled and
    every clock stopped."""
    case, _repair = lock_repair(case, "cancel", actor)
    reason = text(reason, field="reason", label=_("撤销原因"), limit=REASON_MAX_LENGTH)
    order = repair_open_order(case)
    case = case_transition(case=case, action="cancel", actor=actor, note=reason)
    _close_order(order, f"报修撤销：{reason}")
    sla.clocks_cancel(case=case)
    return case

"""Pieces every repair service shares: input text, and the lock on a repair case."""

from __future__ import annotations

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_check_action, case_lock, case_transition
from waterdesk.core.errors import IllegalTransition
from waterdesk.repairs.models import Repair
from waterdesk.repairs.workflow import KIND, REPAIR

REASON_MAX_LENGTH = 500


def lock_repair(case: Case, action: str, actor) -> tuple[Case, Repair]:
    """Lock the case, then its repair; check that it is a repair and that ``actor`` may
    take ``action`` now (``actor=None``: the system, e.g. the crew's order) — before any
    input is looked at."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Repair.objects.select_for_update(of=("self",)).select_related("fault_type").get(
        case=case
    )


def lock_repair_quietly(case: Case) -> tuple[Case, Repair]:
    """Lock the case and its repair without asking for a move (the order's hook decides
    what, if anything, the case does)."""
    case = case_lock(case)
    return case, Repair.objects.select_for_update(of=("self",)).select_related("fault_type").get(
        case=case
    )


def move(*, case: Case, action: str, actor, at, note: str = "", data: dict | None = None) -> Case:
    """Take a workflow move for the crew or the system: ``actor`` is recorded when their
    role holds the move's permission, else the move is the system's (a dispatcher who
    cancels an order on the crew pages returns the repair to the queue)."""
    transition = REPAIR.get(action, case.status)
    mover = actor if actor is not None and actor.has_perm(transition.permission) else None
    return case_transition(case=case, action=action, actor=mover, note=note, data=data, at=at)

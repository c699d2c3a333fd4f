"""The moves of a work order, who may make them, and the steps on site that change no status.

    assigned → accepted → en_route → arrived → work_done → signed_off
    accepted | en_route | arrived | work_done → not_completed (with a reason)
    assigned | accepted | en_route → cancelled (by the dispatcher, with a reason)

Crew members (``WORK_PERMISSION``) act only on their own crew's orders; dispatchers
(``DISPATCH_PERMISSION``) create, reassign and cancel.
"""

from waterdesk.fieldwork.models import WorkOrderStatus as S
from waterdesk.fieldwork.purposes import Purpose

WORK_PERMISSION = "fieldwork.work_workorder"
DISPATCH_PERMISSION = "fieldwork.dispatch_workorder"
VIEW_PERMISSION = "fieldwork.view_workorder"

# action -> (sources, target)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((S.ASSIGNED,), S.ACCEPTED),
    "set_off": ((S.ACCEPTED,), S.EN_ROUTE),
    "arrive": ((S.EN_ROUTE,), S.ARRIVED),
    "finish": ((S.ARRIVED,), S.WORK_DONE),
    "sign_off": ((S.WORK_DONE,), S.SIGNED_OFF),
    "give_up": ((S.ACCEPTED, S.EN_ROUTE, S.ARRIVED, S.WORK_DONE), S.NOT_COMPLETED),
    "cancel": ((S.ASSIGNED, S.ACCEPTED, S.EN_ROUTE), S.CANCELLED),
}

# Steps recorded without a move: action -> the statuses they are allowed in.
STEPS: dict[str, tuple[str, ...]] = {
    "contact": (S.ASSIGNED, S.ACCEPTED),  # the customer called, the visit booked
    "diagnose": (S.ARRIVED,),  # diagnosis and plan
    "estimate": (S.ARRIVED,),  # time and cost, shown to the customer
    "estimate_accept": (S.ARRIVED,),  # the customer accepts it on the screen
    "extend": (S.ARRIVED,),  # more time or a major part: reason and new ETA
    "material": (S.ARRIVED, S.WORK_DONE),
    "photo": (S.EN_ROUTE, S.ARRIVED, S.WORK_DONE),
    "reassign": (S.ASSIGNED, S.ACCEPTED),  # another crew (dispatcher)
}

# The steps of a crew that diagnoses and quotes; a purpose without (``diagnosis_required``
# false) has none of them.
DIAGNOSIS_STEPS = frozenset({"diagnose", "estimate", "estimate_accept"})

TERMINAL = frozenset({S.SIGNED_OFF, S.NOT_COMPLETED, S.CANCELLED})

# The crew's actions in the order their page offers them (in each status the next move
# comes before the steps that may repeat); the dispatcher's (reassign, cancel) are not the
# crew's.
CREW_ACTIONS: tuple[str, ...] = (
    "accept",
    "contact",
    "set_off",
    "arrive",
    "diagnose",
    "estimate",
    "estimate_accept",
    "sign_off",
    "material",
    "photo",
    "extend",
    "finish",
    "give_up",
)


def purpose_has_step(purpose: Purpose, action: str) -> bool:
    """Whether orders of ``purpose`` know the step ``action`` at all."""
    return purpose.diagnosis_required or action not in DIAGNOSIS_STEPS


def crew_actions(status: str, purpose: Purpose) -> list[str]:
    """What the crew may do to an order of ``purpose`` in ``status``, by the tables
    above."""
    allowed = []
    for action in CREW_ACTIONS:
        sources = MOVES[action][0] if action in MOVES else STEPS[action]
        if status in sources and purpose_has_step(purpose, action):
            allowed.append(action)
    return allowed

"""The workflow of a repair (报修): every status, every move, and who may make it.

    awaiting_dispatch --dispatch--> dispatched --arrive--> on_site --complete--> completed
    completed --follow_up--> closed
    dispatched | on_site --return--> awaiting_dispatch   (the crew could not complete)
    dispatched | on_site --recall--> awaiting_dispatch   (the dispatcher takes the job back)
    awaiting_dispatch | dispatched | linked --cancel--> cancelled  (a false report …)
    linked --dispatch_separately--> awaiting_dispatch  (not the incident's fault after all)
    linked --incident_restored--> closed  (the incident's supply restored: no follow-up call)

A report of a fault an incident explains (no water, low pressure, discoloured water, a
burst) from inside an active incident's area opens ``linked`` to the incident: no crew, no
clocks; the incident's restoration closes it (``services.incident``).

An urgent repair is dispatched at intake to the crew on call (by the system). ``arrive``,
``complete`` and ``return`` follow the crew's work order (``fieldwork``) and are never
buttons; dispatch, recall, cancel and the follow-up call are people's moves. ``recall`` is
the dispatcher's way out of a job the crew cannot finish and does not give up (a phone
lost, a crew needed elsewhere): the order is closed and the repair waits for a crew again.
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.repairs.models import RepairStatus as S

KIND = "repair"
PURPOSE = "repair"  # the fieldwork purpose of a repair's work orders
INTAKE_PERMISSION = "repairs.intake_repair"
DISPATCH_PERMISSION = "repairs.dispatch_repair"
FOLLOW_UP_PERMISSION = "repairs.follow_up_repair"
# Moves made by the crew's work order (the system; the crew's own checks are fieldwork's).
CREW_PERMISSION = "fieldwork.work_workorder"

# SLA milestones (``sla.SlaPolicy`` rows of kind "repair").
DISPATCH_MILESTONE = "dispatch"  # urgent: the crew sets off
ARRIVAL_MILESTONE = "arrive"  # urgent: the crew is on site
CONTACT_MILESTONE = "contact"  # general: the crew has called and booked a visit
FOLLOW_UP_MILESTONE = "follow_up"  # after completion: the follow-up call

REPAIR = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "dispatch", (S.AWAITING_DISPATCH,), S.DISPATCHED, DISPATCH_PERMISSION, _("派单")
        ),
        Transition("arrive", (S.DISPATCHED,), S.ON_SITE, CREW_PERMISSION, _("到达现场")),
        Transition("complete", (S.ON_SITE,), S.COMPLETED, CREW_PERMISSION, _("完工确认")),
        Transition(
            "return", (S.DISPATCHED, S.ON_SITE), S.AWAITING_DISPATCH, CREW_PERMISSION, _("退回待派")
        ),
        Transition(
            "recall",
            (S.DISPATCHED, S.ON_SITE),
            S.AWAITING_DISPATCH,
            DISPATCH_PERMISSION,
            _("调回重派"),
        ),
        Transition("follow_up", (S.COMPLETED,), S.CLOSED, FOLLOW_UP_PERMISSION, _("回访")),
        Transition(
            "dispatch_separately",
            (S.LINKED,),
            S.AWAITING_DISPATCH,
            DISPATCH_PERMISSION,
            _("单独派单"),
        ),
        Transition(
            "incident_restored",
            (S.LINKED,),
            S.CLOSED,
            DISPATCH_PERMISSION,
            _("应急事件恢复供水，报修结案"),
        ),
        Transition(
            "cancel",
            (S.AWAITING_DISPATCH, S.DISPATCHED, S.LINKED),
            S.CANCELLED,
            DISPATCH_PERMISSION,
            _("撤销报修"),
        ),
    ],
    terminal=frozenset({S.CLOSED, S.CANCELLED}),
)

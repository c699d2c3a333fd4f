"""The workflow of a planned outage (计划停水): every status, every move, and who may make it.

(scheduled at least the notice time ahead)           --> announced
(scheduled inside the notice time, with a reason)    --> awaiting_approval
awaiting_approval --outage_approve--> announced      (the duty manager; the notice goes out)
awaiting_approval --outage_refuse--> refused
awaiting_approval, announced --outage_cancel--> cancelled  (before the start; the customers
                                                            told when they had been)
announced --outage_overrun--> announced              (the works run late: a new end, told)
announced --outage_restore--> restored               (supply back: told, the case closes)

The reminder before the start is no move: the periodic task queues it and records an event.
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.emergency.models import OutageStatus as S

KIND = "outage"
SCHEDULE_PERMISSION = "emergency.schedule_outage"
APPROVE_PERMISSION = "emergency.approve_outage"
# The SLA milestone of a short-notice outage: the duty manager decides within the policy's
# time (2 calendar hours by default).
APPROVE_MILESTONE = "approve"

OUTAGE = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "outage_approve",
            (S.AWAITING_APPROVAL,),
            S.ANNOUNCED,
            APPROVE_PERMISSION,
            _("批准并通知"),
        ),
        Transition(
            "outage_refuse", (S.AWAITING_APPROVAL,), S.REFUSED, APPROVE_PERMISSION, _("不予批准")
        ),
        Transition(
            "outage_overrun", (S.ANNOUNCED,), S.ANNOUNCED, SCHEDULE_PERMISSION, _("延长停水")
        ),
        Transition(
            "outage_restore", (S.ANNOUNCED,), S.RESTORED, SCHEDULE_PERMISSION, _("恢复供水")
        ),
        Transition(
            "outage_cancel",
            (S.AWAITING_APPROVAL, S.ANNOUNCED),
            S.CANCELLED,
            SCHEDULE_PERMISSION,
            _("取消停水"),
        ),
    ],
    terminal=frozenset({S.RESTORED, S.CANCELLED, S.REFUSED}),
)

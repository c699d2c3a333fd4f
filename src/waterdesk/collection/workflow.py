"""The workflow of a collection case (催缴): the rungs of the ladder and who moves it.

    reminding → calling → visiting → notice_served        climbed by the nightly run
    notice_served --request_disconnection--> awaiting_approval  (period run: system, collector)
    awaiting_approval --approve_disconnection--> disconnection_approved  (a supervisor; crew sent)
    awaiting_approval --refuse_disconnection--> notice_served
    disconnection_approved --disconnect--> disconnected    (the crew's work order, finished)
    disconnected --payment_after_disconnection--> reconnecting   (a reconnection order at once)
    disconnected --reconnect_without_payment--> reconnecting   (a supervisor, with reason)
    reconnecting --dispatch_reconnection--> reconnecting   (a supervisor sends a crew)
    reconnecting --reconnect--> settled | reconnect_on_plan --> on_plan
    any rung --settle--> settled                          (paid in full, through any channel)
    any rung --plan_start--> on_plan                      (an instalment plan, first part paid)
    on_plan --resume_*--> the rung it stopped at          (an instalment missed)
    on_plan --plan_complete--> settled
    any rung but disconnected/reconnecting --withdraw--> withdrawn  (a supervisor, with reason)

A strategy may leave rungs out: the climb goes to the next rung its ladder has. Every move
but the supervisor's and the collector's is made by the system (``internal``).
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.collection.models import DunningStatus as S

KIND = "collection"
DISCONNECTION_PURPOSE = "disconnection"
RECONNECTION_PURPOSE = "reconnection"
WORK_PERMISSION = "collection.work_dunning"
APPROVE_PERMISSION = "collection.approve_disconnection"
VIEW_PERMISSION = "collection.view_dunning"
SYSTEM_PERMISSION = "collection.work_dunning"  # moves the system makes (actor None)

RECONNECT_MILESTONE = "reconnect"  # payment after disconnection → supply restored

LADDER = (S.REMINDING, S.CALLING, S.VISITING, S.NOTICE_SERVED)
PENDING_DISCONNECTION = (S.AWAITING_APPROVAL, S.DISCONNECTION_APPROVED)
STOPPABLE = (*LADDER, *PENDING_DISCONNECTION)  # a payment or a plan stops the ladder here

COLLECTION = Workflow(
    kind=KIND,
    transitions=[
        Transition("climb_to_calling", (S.REMINDING,), S.CALLING, SYSTEM_PERMISSION, _("电话催缴")),
        Transition(
            "climb_to_visiting",
            (S.REMINDING, S.CALLING),
            S.VISITING,
            SYSTEM_PERMISSION,
            _("上门催缴"),
        ),
        Transition(
            "climb_to_notice",
            (S.REMINDING, S.CALLING, S.VISITING),
            S.NOTICE_SERVED,
            SYSTEM_PERMISSION,
            _("开具停水通知"),
        ),
        Transition(
            "request_disconnection",
            (S.NOTICE_SERVED,),
            S.AWAITING_APPROVAL,
            WORK_PERMISSION,
            _("申请停水"),
        ),
        Transition(
            "approve_disconnection",
            (S.AWAITING_APPROVAL,),
            S.DISCONNECTION_APPROVED,
            APPROVE_PERMISSION,
            _("批准停水"),
        ),
        Transition(
            "refuse_disconnection",
            (S.AWAITING_APPROVAL,),
            S.NOTICE_SERVED,
            APPROVE_PERMISSION,
            _("不批准停水"),
        ),
        Transition(
            "request_withdrawn",
            (S.AWAITING_APPROVAL,),
            S.NOTICE_SERVED,
            SYSTEM_PERMISSION,
            _("停水申请撤回"),
        ),
        Transition(
            "disconnection_withdrawn",
            (S.DISCONNECTION_APPROVED,),
            S.NOTICE_SERVED,
            SYSTEM_PERMISSION,
            _("停水工单撤销"),
        ),
        Transition(
            "disconnect",
            (S.DISCONNECTION_APPROVED,),
            S.DISCONNECTED,
            SYSTEM_PERMISSION,
            _("已停水"),
        ),
        Transition(
            "payment_after_disconnection",
            (S.DISCONNECTED,),
            S.RECONNECTING,
            SYSTEM_PERMISSION,
            _("缴费后复水"),
        ),
        Transition(
            "reconnect_without_payment",
            (S.DISCONNECTED,),
            S.RECONNECTING,
            APPROVE_PERMISSION,
            _("恢复供水（未缴清）"),
        ),
        Transition(
            "dispatch_reconnection",
            (S.RECONNECTING,),
            S.RECONNECTING,
            APPROVE_PERMISSION,
            _("派复水工单"),
        ),
        Transition("reconnect", (S.RECONNECTING,), S.SETTLED, SYSTEM_PERMISSION, _("已复水")),
        Transition(
            "reconnect_on_plan", (S.RECONNECTING,), S.ON_PLAN, SYSTEM_PERMISSION, _("已复水")
        ),
        Transition("settle", STOPPABLE, S.SETTLED, SYSTEM_PERMISSION, _("缴清欠费")),
        Transition("plan_start", STOPPABLE, S.ON_PLAN, SYSTEM_PERMISSION, _("分期还款开始")),
        Transition("plan_complete", (S.ON_PLAN,), S.SETTLED, SYSTEM_PERMISSION, _("分期还清")),
        Transition(
            "resume_reminding",
            (S.ON_PLAN,),
            S.REMINDING,
            SYSTEM_PERMISSION,
            _("分期违约，恢复催缴"),
        ),
        Transition(
            "resume_calling", (S.ON_PLAN,), S.CALLING, SYSTEM_PERMISSION, _("分期违约，恢复催缴")
        ),
        Transition(
            "resume_visiting", (S.ON_PLAN,), S.VISITING, SYSTEM_PERMISSION, _("分期违约，恢复催缴")
        ),
        Transition(
            "resume_notice_served",
            (S.ON_PLAN,),
            S.NOTICE_SERVED,
            SYSTEM_PERMISSION,
            _("分期违约，恢复催缴"),
        ),
        Transition(
            "withdraw", (*STOPPABLE, S.ON_PLAN), S.WITHDRAWN, APPROVE_PERMISSION, _("撤销催收")
        ),
    ],
    terminal=frozenset({S.SETTLED, S.WITHDRAWN}),
)

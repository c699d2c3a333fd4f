"""The collection kind (催缴) registered once with the case-kind registry — its workflow,
the actions people take on the case page and through the API, the timeline's wording,
the reconnection milestone and the notices — and the field-work purposes of its crews'
disconnection and reconnection orders."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CaseDocument,
    CustomerPanel,
    DeskPage,
    EventView,
    KindSpec,
    register,
)
from waterdesk.collection.documents import (
    disconnection_notice_pdf,
    notice_check_access,
    notice_may_print,
)
from waterdesk.collection.forms import (
    ApproveDisconnectionForm,
    DisconnectionFinishForm,
    ReconnectionCrewForm,
    ReconnectionFinishForm,
    ReconnectWithoutPaymentForm,
    RefuseDisconnectionForm,
    RequestDisconnectionForm,
    WithdrawForm,
)
from waterdesk.collection.models import ActionOutcome, DunningStatus, StepKind
from waterdesk.collection.panel import collection_details
from waterdesk.collection.selectors import dunning_file, dunning_of
from waterdesk.collection.serializers import (
    ApproveDisconnectionInputSerializer,
    CrewInputSerializer,
    DunningSerializer,
    ReasonInputSerializer,
    ReconnectWithoutPaymentInputSerializer,
    RequestDisconnectionInputSerializer,
)
from waterdesk.collection.services import disconnection, ladder, payments
from waterdesk.collection.workflow import (
    COLLECTION,
    DISCONNECTION_PURPOSE,
    KIND,
    RECONNECT_MILESTONE,
    RECONNECTION_PURPOSE,
    STOPPABLE,
)
from waterdesk.core.api.serializers import WithdrawSerializer
from waterdesk.fieldwork.purposes import Purpose, purpose_register


def page_context(case) -> dict:
    detail = dunning_of(case)
    # An instalment plan may be agreed on these rungs (the service's own check).
    plan_allowed = case.status in (*STOPPABLE, DunningStatus.DISCONNECTED)
    return {"detail": detail, "plan_allowed": plan_allowed, **dunning_file(detail)}


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _task_summary(data: dict) -> str:
    text = f"{_label(StepKind, data.get('task'))}：{_label(ActionOutcome, data.get('outcome'))}"
    if data.get("promised_on"):
        text += gettext("，承诺 %(day)s 缴费") % {"day": data["promised_on"]}
    if data.get("promised_amount"):
        text += gettext(" %(amount)s 元") % {"amount": data["promised_amount"]}
    return text


def _amount(data: dict) -> str:
    return gettext("%(amount)s 元") % {"amount": data.get("amount", "")}


EVENTS = {
    "reminder_sent": EventView(label=_("已发送欠费提醒"), summary=_amount),
    "notice_issued": EventView(
        label=_("已开具停水通知书"),
        summary=lambda data: gettext("%(notice)s，欠费 %(amount)s 元") % data,
    ),
    "task_done": EventView(label=_("催收任务已办理"), summary=_task_summary),
    "payment_received": EventView(label=_("收到缴费"), summary=_amount),
    "promise_broken": EventView(
        label=_("未按承诺缴费"),
        summary=lambda data: gettext("承诺缴费日：%(promised_on)s") % data,
    ),
    "strategy_changed": EventView(
        label=_("催收策略调整"), summary=lambda data: f"{data.get('from')} → {data.get('to')}"
    ),
    "plan_agreed": EventView(
        label=_("约定分期还款"),
        summary=lambda data: (
            gettext("共 %(instalments)s 期，%(total)s 元，首期 %(first_due)s") % data
        ),
    ),
    "plan_active": EventView(label=_("首期已缴，分期还款生效")),
    "plan_broken": EventView(
        label=_("分期违约"),
        summary=lambda data: gettext("应缴 %(due)s 元，已缴 %(paid)s 元") % data,
    ),
    "plan_not_started": EventView(label=_("首期未缴，分期协议取消")),
    "no_crew_for_reconnection": EventView(label=_("无值班班组，待主管派复水工单")),
    "remote_close_sent": EventView(
        label=_("远程关阀指令已发出"), summary=lambda data: gettext("指令 %(command)s") % data
    ),
    "remote_open_sent": EventView(
        label=_("远程开阀指令已发出"), summary=lambda data: gettext("指令 %(command)s") % data
    ),
    "remote_valve_failed": EventView(
        label=_("远程阀控失败，改派班组"), summary=lambda data: str(data.get("reason", ""))
    ),
    "reconnection_order_closed": EventView(
        label=_("复水工单未完成"), summary=lambda data: gettext("工单 %(order)s") % data
    ),
    "disconnect": EventView(
        summary=lambda data: gettext("表读数 %(reading)s，铅封号 %(seal)s") % data
    ),
    "reconnect": EventView(summary=lambda data: gettext("表读数 %(reading)s") % data),
    "reconnect_on_plan": EventView(summary=lambda data: gettext("表读数 %(reading)s") % data),
}

ERROR_CODES = (
    ("balance_paid", 409, "Nothing is overdue any more: no disconnection."),
    ("account_exempt", 409, "The account has an active exemption: no disconnection."),
    ("instalment_plan", 409, "An instalment plan is being kept: no disconnection."),
    ("notice_not_delivered", 409, "The written notice has not been delivered."),
    ("notice_period_running", 409, "The notice period has not run yet."),
    ("no_order_to_approve", 409, "No disconnection order waits for approval."),
    ("second_person_required", 409, "The requester may not approve their own order."),
    ("disconnection_cancelled", 409, "The disconnection order was cancelled."),
)

STATUS_CLASSES = {
    DunningStatus.REMINDING: "badge-open",
    DunningStatus.CALLING: "badge-open",
    DunningStatus.VISITING: "badge-info",
    DunningStatus.NOTICE_SERVED: "badge-waiting",
    DunningStatus.AWAITING_APPROVAL: "badge-waiting",
    DunningStatus.DISCONNECTION_APPROVED: "badge-danger",
    DunningStatus.DISCONNECTED: "badge-danger",
    DunningStatus.RECONNECTING: "badge-info",
    DunningStatus.ON_PLAN: "badge-info",
    DunningStatus.SETTLED: "badge-done",
    DunningStatus.WITHDRAWN: "badge-closed",
}

COLLECTION_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("催缴"),
        number_prefix="CJ",
        statuses=DunningStatus,
        initial_statuses=(DunningStatus.REMINDING,),
        workflow=COLLECTION,
        actions={
            "request_disconnection": ActionSpec(
                service=disconnection.disconnection_request,
                form=RequestDisconnectionForm,
                serializer=RequestDisconnectionInputSerializer,
            ),
            "approve_disconnection": ActionSpec(
                service=disconnection.disconnection_approve,
                form=ApproveDisconnectionForm,
                serializer=ApproveDisconnectionInputSerializer,
            ),
            "refuse_disconnection": ActionSpec(
                service=disconnection.disconnection_refuse,
                form=RefuseDisconnectionForm,
                serializer=ReasonInputSerializer,
                css="secondary",
            ),
            "dispatch_reconnection": ActionSpec(
                service=disconnection.reconnection_dispatch,
                form=ReconnectionCrewForm,
                serializer=CrewInputSerializer,
                guard=disconnection.may_dispatch_reconnection,
            ),
            "reconnect_without_payment": ActionSpec(
                service=disconnection.reconnection_without_payment,
                form=ReconnectWithoutPaymentForm,
                serializer=ReconnectWithoutPaymentInputSerializer,
                css="secondary",
            ),
            "withdraw": ActionSpec(
                service=payments.dunning_withdraw,
                form=WithdrawForm,
                serializer=WithdrawSerializer,
                css="secondary",
            ),
            # The system's moves (the nightly run, payments, the crews' orders).
            **{
                name: ActionSpec(service=ladder.step_start, internal=True)
                for name in ("climb_to_calling", "climb_to_visiting", "climb_to_notice")
            },
            **{
                name: ActionSpec(service=payments.collection_payment_received, internal=True)
                for name in (
                    "settle",
                    "plan_start",
                    "plan_complete",
                    "payment_after_disconnection",
                    "resume_reminding",
                    "resume_calling",
                    "resume_visiting",
                    "resume_notice_served",
                )
            },
            **{
                name: ActionSpec(service=disconnection.disconnection_order_event, internal=True)
                for name in ("disconnect", "disconnection_withdrawn", "request_withdrawn")
            },
            **{
                name: ActionSpec(service=disconnection.reconnection_order_event, internal=True)
                for name in ("reconnect", "reconnect_on_plan")
            },
        },
        detail_field="dunning",
        detail_serializer=DunningSerializer,
        detail_related=("dunning__account", "dunning__strategy", "dunning__step"),
        detail_template="collection/partials/dunning_details.html",
        page_context=page_context,
        events=EVENTS,
        status_classes=STATUS_CLASSES,
        milestones={RECONNECT_MILESTONE: _("复水")},
        notices=(
            ladder.REMINDER,
            ladder.NOTICE,
            disconnection.RECONNECTION,
            disconnection.RECONNECTED,
        ),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.collection.urls",
        desk_pages=(
            # The supervisor lands on the supervisor's page (listed first), the
            # collector on the task list.
            DeskPage(
                label=_("催收管理"),
                url_name="workbench:collection_supervisor",
                permission="collection.approve_disconnection",
                landing=True,
            ),
            DeskPage(
                label=_("催收任务"),
                url_name="workbench:collection_tasks",
                permission="collection.work_dunning",
                landing=True,
            ),
        ),
        customer_panel=CustomerPanel(
            template="collection/partials/customer_panel.html", details=collection_details
        ),
        documents={
            "disconnection-notice": CaseDocument(
                label=_("打印停水通知书"),
                render=disconnection_notice_pdf,
                may_print=notice_may_print,
                check_access=notice_check_access,
            )
        },
    )
)


def _case_facts(case) -> list[tuple[str, str]]:
    detail = dunning_of(case)
    return [
        (gettext("户号"), detail.account.number),
        (gettext("立案时逾期欠费"), f"{detail.opened_amount:.2f} 元"),
    ]


DISCONNECTION_PURPOSE_SPEC = purpose_register(
    Purpose(
        code=DISCONNECTION_PURPOSE,
        label=_("欠费停水"),
        sheet_title=_("欠费停水工单"),
        on_event=disconnection.disconnection_order_event,
        case_facts=_case_facts,
        diagnosis_required=False,
        finish_form=DisconnectionFinishForm,
        photo_required_at_finish=True,
    )
)
RECONNECTION_PURPOSE_SPEC = purpose_register(
    Purpose(
        code=RECONNECTION_PURPOSE,
        label=_("缴费复水"),
        sheet_title=_("缴费复水工单"),
        on_event=disconnection.reconnection_order_event,
        case_facts=_case_facts,
        diagnosis_required=False,
        finish_form=ReconnectionFinishForm,
    )
)

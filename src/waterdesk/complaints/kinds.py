"""The complaint kind (投诉) registered once with the case-kind registry: its workflow,
actions and their inputs, page and API pieces, timeline wording, milestones and notices."""

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CustomerPanel,
    DeskPage,
    EventView,
    IntakeSpec,
    KindSpec,
    register,
)
from waterdesk.cases.models import Case, Channel
from waterdesk.complaints import forms, serializers
from waterdesk.complaints.models import (
    ROUNDS_LIMIT,
    ComplaintStatus,
    EscalationLevel,
    Interview,
    ReplyChannel,
    RootCause,
)
from waterdesk.complaints.selectors import (
    complaint_details,
    complaint_measures,
    complaint_of,
    complaint_reply_channel,
    complaint_rounds,
)
from waterdesk.complaints.services import closing, handling, intake, investigation, plan, rounds
from waterdesk.complaints.services.mail import MAIL_EVENT_VIEWS
from waterdesk.complaints.services.notices import NOTICES
from waterdesk.complaints.workflow import (
    ACKNOWLEDGE_MILESTONE,
    COMPLAINT,
    FOLLOW_UP_MILESTONE,
    HANDLE_PERMISSION,
    INTAKE_PERMISSION,
    KIND,
    REPLY_POLICY,
    SUPERVISE_PERMISSION,
    reply_milestone,
)
from waterdesk.core.api.serializers import WithdrawSerializer
from waterdesk.core.errors import InvalidInput
from waterdesk.core.masking import mask_email

MILESTONES = {
    ACKNOWLEDGE_MILESTONE: _("受理确认"),
    **{
        reply_milestone(number): format_lazy(_("第 {number} 轮答复"), number=number)
        for number in range(1, ROUNDS_LIMIT + 1)
    },
    FOLLOW_UP_MILESTONE: _("投诉回访"),
}
MILESTONE_POLICIES = {reply_milestone(n): REPLY_POLICY for n in range(1, ROUNDS_LIMIT + 1)}


def complaint_intake(*, actor, linked_case: str = "", **fields):
    """The intake of the shells (page and ``POST /api/complaints/``): ``complaint_register``
    with ``linked_case`` (a case number) resolved to the case it names."""
    if fields.get("channel") == Channel.CITY_HOTLINE:
        raise InvalidInput(
            _("12345 转办件由平台接口推送，不能在此登记。"), code="invalid_channel", field="channel"
        )
    target = None
    number = (linked_case or "").strip()
    if number:
        target = Case.objects.filter(number=number).first()
        if target is None:
            raise InvalidInput(
                _("关联工单 %(number)s 不存在，请核对工单号。") % {"number": number},
                code="linked_case_invalid",
                field="linked_case",
            )
    return intake.complaint_register(actor=actor, linked_case=target, **fields)


def page_context(case) -> dict:
    """What the case page's partial shows besides the case: the complaint, its rounds (each
    with its report, interviews, reply and response), the plan's measures (open ones past
    their deadline marked) and how a written reply reaches the complainant."""
    detail = complaint_of(case)
    today = timezone.localdate()
    measures = complaint_measures(detail)
    for measure in measures:
        measure.is_overdue = not measure.is_done and measure.deadline < today
    return {
        "detail": detail,
        "rounds": complaint_rounds(detail),
        "measures": measures,
        "open_measures": sum(1 for measure in measures if not measure.is_done),
        "reply_email": mask_email(detail.email) if detail.email else "",
        "reply_channel": ReplyChannel(complaint_reply_channel(case, detail)).label
        if case.is_open
        else "",
        "city_overdue": detail.city_deadline is not None
        and case.is_open
        and detail.city_deadline < timezone.now(),
    }


# --- the timeline -------------------------------------------------------------------------


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def _round_text(data: dict) -> str:
    return gettext("第 %(round)s 轮") % {"round": data.get("round", "")}


def _route_summary(data: dict) -> str:
    return f"{data.get('from') or '—'} → {data.get('to') or '—'}"


def _interview_summary(data: dict) -> str:
    return gettext("%(round)s：%(person)s（%(party)s）") % {
        "round": _round_text(data),
        "person": data.get("person", ""),
        "party": _label(Interview.Party, data.get("party", "")),
    }


def _report_summary(data: dict) -> str:
    verdict = {True: gettext("属实"), False: gettext("不属实")}.get(data.get("is_substantiated"))
    return gettext("%(round)s：%(cause)s，%(verdict)s") % {
        "round": _round_text(data),
        "cause": _label(RootCause, data.get("root_cause", "")),
        "verdict": verdict or "—",
    }


def _plan_summary(data: dict) -> str:
    return gettext("责任部门：%(department)s；责任人：%(owner)s") % {
        "department": data.get("department", ""),
        "owner": data.get("owner", ""),
    }


def _measure_summary(data: dict) -> str:
    return gettext("%(description)s（%(owner)s，%(deadline)s 前）") % {
        "description": data.get("description", ""),
        "owner": data.get("owner", ""),
        "deadline": data.get("deadline", ""),
    }


def _measure_done_summary(data: dict) -> str:
    late = gettext("（逾期完成）") if data.get("late") else ""
    return f"{data.get('description', '')}{late}"


def _reply_summary(data: dict) -> str:
    return gettext("%(round)s，答复方式：%(channel)s") % {
        "round": _round_text(data),
        "channel": _label(ReplyChannel, data.get("channel", "")),
    }


def _not_satisfied_summary(data: dict) -> str:
    text = gettext("开始第 %(round)s 轮处理") % {"round": data.get("round", "")}
    if data.get("escalated"):
        text += gettext("，升级至%(level)s") % {
            "level": _label(EscalationLevel, data.get("level")),
        }
    return text


def _escalate_summary(data: dict) -> str:
    return (
        f"{_label(EscalationLevel, data.get('from'))} → {_label(EscalationLevel, data.get('to'))}"
    )


EVENTS = {
    "route": EventView(summary=_route_summary),
    "interview": EventView(summary=_interview_summary),
    "report": EventView(summary=_report_summary),
    "plan": EventView(summary=_plan_summary),
    "add_measure": EventView(summary=_measure_summary),
    "measure_done": EventView(summary=_measure_done_summary),
    "reply": EventView(summary=_reply_summary),
    "satisfied": EventView(summary=_round_text),
    "not_satisfied": EventView(summary=_not_satisfied_summary),
    "escalate": EventView(summary=_escalate_summary),
    "follow_up": EventView(
        summary=lambda data: gettext("满意度 %(score)s 分") % {"score": data.get("satisfaction")}
    ),
    "close": EventView(
        summary=lambda data: gettext("共 %(rounds)s 轮，%(measures)s 项措施") % data
    ),
}

# The codes the complaint services raise besides the platform's (required, too_long,
# invalid_phone, invalid_email, illegal_transition, …).
ERROR_CODES = (
    ("category_inactive", 400, "The complaint category is no longer in use."),
    ("email_required", 400, "An e-mail complaint needs the address to reply to (`email`)."),
    ("contact_required", 400, "Neither a phone nor an e-mail to reply to."),
    ("deadline_past", 400, "The 12345 platform's deadline is already past."),
    ("linked_case_invalid", 400, "`linked_case` names no case."),
    ("same_department", 400, "`route`: the complaint is with that department already."),
    ("invalid_party", 400, "`interview`: party is not complainant/staff/witness/other."),
    ("held_in_future", 400, "`interview`: `held_at` is later than now."),
    ("held_before_complaint", 400, "`interview`: `held_at` is before the complaint."),
    (
        "investigation_report_exists",
        400,
        "`report`: the round has its report (evidence, never replaced); a further finding is "
        "the next round's report.",
    ),
    ("invalid_root_cause", 400, "`report`: root_cause is not one of the causes."),
    ("user_inactive", 400, "`plan`/`add_measure`: the person's account is disabled."),
    ("measure_deadline_past", 400, "`add_measure`: the deadline is before today."),
    ("measure_invalid", 400, "`measure_done`: the measure is not this complaint's."),
    ("measure_done_already", 400, "`measure_done`: the measure was done already."),
    (
        "investigation_report_required",
        400,
        "`reply`: the current round has no investigation report yet (`report` first).",
    ),
    ("invalid_channel", 400, "The channel is not one of the choices."),
    ("rounds_limit", 400, "`not_satisfied`: the rounds' limit is reached."),
    ("escalation_top", 400, "`escalate`: the complaint is with the management already."),
    ("follow_up_recorded", 400, "`follow_up`: the follow-up call is recorded already."),
    ("invalid_satisfaction", 400, "`follow_up`: satisfaction is not 1–5."),
    ("measures_open", 400, "`close`: measures are open (`details.measures`: their ids)."),
    ("follow_up_required", 400, "`close`: no follow-up call is recorded (`follow_up` first)."),
)

COMPLAINT_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("投诉"),
        number_prefix="TS",
        statuses=ComplaintStatus,
        initial_statuses=(ComplaintStatus.REGISTERED,),
        workflow=COMPLAINT,
        actions={
            "acknowledge": ActionSpec(
                service=handling.complaint_acknowledge,
                form=forms.AcknowledgeForm,
                serializer=serializers.ComplaintAcknowledgeSerializer,
            ),
            "route": ActionSpec(
                service=handling.complaint_route,
                form=forms.RouteForm,
                serializer=serializers.ComplaintRouteSerializer,
            ),
            "interview": ActionSpec(
                service=investigation.complaint_interview,
                form=forms.InterviewForm,
                serializer=serializers.ComplaintInterviewSerializer,
            ),
            "report": ActionSpec(
                service=investigation.complaint_report,
                form=forms.ReportForm,
                serializer=serializers.ComplaintReportSerializer,
                guard=investigation.may_report,
            ),
            "plan": ActionSpec(
                service=plan.complaint_plan,
                form=forms.PlanForm,
                serializer=serializers.ComplaintPlanSerializer,
            ),
            "add_measure": ActionSpec(
                service=plan.complaint_measure_add,
                form=forms.MeasureAddForm,
                serializer=serializers.ComplaintMeasureAddSerializer,
            ),
            "measure_done": ActionSpec(
                service=plan.complaint_measure_done,
                form=forms.MeasureDoneForm,
                serializer=serializers.ComplaintMeasureDoneSerializer,
                guard=plan.may_mark_measure_done,
            ),
            "reply": ActionSpec(
                service=rounds.complaint_reply,
                form=forms.ReplyForm,
                serializer=serializers.ComplaintReplySerializer,
            ),
            "satisfied": ActionSpec(
                service=rounds.complaint_satisfied,
                form=forms.SatisfiedForm,
                serializer=serializers.ComplaintSatisfiedSerializer,
            ),
            "not_satisfied": ActionSpec(
                service=rounds.complaint_not_satisfied,
                form=forms.NotSatisfiedForm,
                serializer=serializers.ComplaintNotSatisfiedSerializer,
                guard=rounds.may_open_round,
                css="secondary",
            ),
            "escalate": ActionSpec(
                service=handling.complaint_escalate,
                form=forms.EscalateForm,
                serializer=serializers.ComplaintEscalateSerializer,
                guard=handling.may_escalate,
                css="secondary",
            ),
            "follow_up": ActionSpec(
                service=closing.complaint_follow_up,
                form=forms.FollowUpForm,
                serializer=serializers.ComplaintFollowUpSerializer,
                guard=closing.may_follow_up,
            ),
            "close": ActionSpec(
                service=closing.complaint_close,
                form=forms.CloseForm,
                serializer=serializers.ComplaintCloseSerializer,
            ),
            "withdraw": ActionSpec(
                service=handling.complaint_withdraw,
                form=forms.WithdrawForm,
                serializer=WithdrawSerializer,
                css="secondary",
            ),
        },
        detail_field="complaint",
        detail_serializer=serializers.ComplaintSerializer,
        detail_related=(
            "complaint__category",
            "complaint__linked_case",
            "complaint__department_concerned",
        ),
        detail_template="complaints/partials/complaint_details.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=INTAKE_PERMISSION,
            label=_("投诉"),
            url_name="workbench:intake_complaint",
            service=complaint_intake,
            serializer=serializers.ComplaintIntakeSerializer,
            api_path="complaints/",
            api_name="complaint",
            summary="Register a complaint (投诉)",
            description=(
                "A complaint by phone, at the counter, by e-mail or from the web. It goes to "
                "the category's department (else the department complained about, else the "
                "caller's) with two clocks: the acknowledgement (受理确认) and the reply of "
                "round 1, in the policy's working days. The complainant is told the case "
                "number and the reply deadline by SMS or e-mail. `linked_case`: the number "
                "of a case the complaint is about. The handling goes on through "
                "`POST /api/cases/{public_id}/actions/<action>/` (acknowledge, route, "
                "interview, report, plan, add_measure, measure_done, reply, satisfied, "
                "not_satisfied, escalate, follow_up, close, withdraw)."
            ),
        ),
        events={**EVENTS, **MAIL_EVENT_VIEWS},
        status_classes={
            ComplaintStatus.REGISTERED: "badge-open",
            ComplaintStatus.INVESTIGATING: "badge-info",
            ComplaintStatus.AWAITING_RESPONSE: "badge-info",
            ComplaintStatus.RESOLVING: "badge-info",
            ComplaintStatus.CLOSED: "badge-done",
            ComplaintStatus.WITHDRAWN: "badge-closed",
        },
        milestones=MILESTONES,
        milestone_policies=MILESTONE_POLICIES,
        notices=NOTICES,
        error_codes=ERROR_CODES,
        page_urls="waterdesk.complaints.urls",
        customer_panel=CustomerPanel(
            template="complaints/partials/customer_panel.html", details=complaint_details
        ),
        view_permission=HANDLE_PERMISSION,
        desk_pages=(
            DeskPage(
                label=_("投诉分析"),
                url_name="workbench:complaint_analysis",
                permission=SUPERVISE_PERMISSION,
            ),
            DeskPage(
                label=_("投诉经验库"),
                url_name="workbench:complaint_lessons",
                permission=HANDLE_PERMISSION,
            ),
        ),
    )
)

"""The repair kind (报修) registered once with the case-kind registry — its workflow,
actions and their inputs, page and API pieces, timeline wording, milestones and notices —
and the fieldwork purpose of its crews' work orders."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CaseDocument,
    CustomerPanel,
    DeskPage,
    EventView,
    IntakeSpec,
    KindSpec,
    register,
)
from waterdesk.core.errors import InvalidInput
from waterdesk.core.timeutil import local_text
from waterdesk.fieldwork.purposes import Purpose, purpose_register
from waterdesk.repairs.documents import (
    repair_sheet_check_access,
    repair_sheet_may_print,
    repair_sheet_pdf,
)
from waterdesk.repairs.forms.actions import (
    CancelForm,
    DispatchForm,
    DispatchSeparatelyForm,
    FollowUpForm,
    RecallForm,
)
from waterdesk.repairs.models import FollowUpOutcome, RepairStatus, Urgency
from waterdesk.repairs.selectors.case import (
    repair_case_facts,
    repair_case_get,
    repair_contacts,
    repair_follow_ups,
    repair_of,
    repair_work_orders,
)
from waterdesk.repairs.selectors.panel import repair_details
from waterdesk.repairs.serializers.actions import (
    RepairCancelInputSerializer,
    RepairDispatchInputSerializer,
    RepairDispatchSeparatelyInputSerializer,
    RepairFollowUpInputSerializer,
    RepairRecallInputSerializer,
)
from waterdesk.repairs.serializers.detail import RepairSerializer
from waterdesk.repairs.serializers.intake import RepairIntakeSerializer
from waterdesk.repairs.services import dispatch, follow_up, hooks, incident, intake
from waterdesk.repairs.services.notices import NOTICES
from waterdesk.repairs.workflow import (
    ARRIVAL_MILESTONE,
    CONTACT_MILESTONE,
    DISPATCH_MILESTONE,
    DISPATCH_PERMISSION,
    FOLLOW_UP_MILESTONE,
    INTAKE_PERMISSION,
    KIND,
    PURPOSE,
    REPAIR,
)


def repair_intake(*, actor, link_to=None, **fields):
    """The intake of the shells (page and ``POST /api/repairs/``): ``repair_report``, with
    ``link_to`` (a public id) resolved to the open repair it names."""
    target = None
    if link_to is not None:
        target = repair_case_get(link_to)
        if target is None:
            raise InvalidInput(
                _("要并入的报修不存在，请重新查找。"), code="link_target_invalid", field="link_to"
            )
    return intake.repair_report(actor=actor, link_to=target, **fields)


def page_context(case) -> dict:
    """What the case page's partial shows besides the case: the repair, its callers, its
    crews' orders and its follow-up calls."""
    detail = repair_of(case)
    return {
        "detail": detail,
        "incident": incident.incident_cover_of(detail.incident) if detail.incident_id else None,
        "contacts": list(repair_contacts(detail)),
        "work_orders": list(repair_work_orders(case)),
        "follow_ups": list(repair_follow_ups(detail)),
    }


# --- the timeline -------------------------------------------------------------------------


def _crew_summary(data: dict) -> str:
    if not data.get("crew"):
        return ""
    if data.get("order"):
        return gettext("班组：%(crew)s（工单 %(order)s）") % data
    return gettext("班组：%(crew)s") % data


def _complete_summary(data: dict) -> str:
    signed = gettext("客户已签字") if data.get("signed") else gettext("客户未签字（已说明原因）")
    crew = _crew_summary(data)
    return f"{crew}；{signed}" if crew else signed


def _follow_up_summary(data: dict) -> str:
    outcome = data.get("outcome", "")
    label = FollowUpOutcome(outcome).label if outcome in FollowUpOutcome.values else outcome
    if data.get("satisfaction"):
        return gettext("%(outcome)s，满意度 %(score)s 分") % {
            "outcome": label,
            "score": data["satisfaction"],
        }
    return str(label)


def _contact_added_summary(data: dict) -> str:
    return gettext("%(name)s（%(phone)s）") % {
        "name": data.get("name", ""),
        "phone": data.get("phone", ""),
    }


def _quality_summary(data: dict) -> str:
    if not data.get("department"):
        return gettext("未设置水质部门，请在维修规则中设置")
    return gettext("%(department)s（%(staff)s 人）") % data


def _urgency_summary(data: dict) -> str:
    def label(value):
        return Urgency(value).label if value in Urgency.values else value

    return f"{label(data.get('from', ''))} → {label(data.get('to', ''))}"


def _delayed_summary(data: dict) -> str:
    text = gettext("预计完成：%(eta)s") % {"eta": local_text(data.get("expected_done_at", ""))}
    return text + (gettext("（更换主要部件）") if data.get("major_part") else "")


def _referred_summary(data: dict) -> str:
    department = data.get("department") or gettext("承办部门")
    if data.get("words"):
        return gettext("%(department)s：客户意见含“%(words)s”") % {
            "department": department,
            "words": "、".join(data["words"]),
        }
    return gettext("%(department)s：满意度 %(score)s 分") % {
        "department": department,
        "score": data.get("satisfaction"),
    }


EVENTS = {
    "dispatch": EventView(summary=_crew_summary),
    "arrive": EventView(summary=_crew_summary),
    "complete": EventView(summary=_complete_summary),
    "return": EventView(summary=_crew_summary),
    "follow_up": EventView(summary=_follow_up_summary),
    "contact_added": EventView(label=_("新增报修人（同一故障）"), summary=_contact_added_summary),
    "urgency_raised": EventView(label=_("升级为紧急"), summary=_urgency_summary),
    "marked_failed": EventView(
        label=_("返修：本次维修记为不合格"),
        summary=lambda data: gettext("同类故障再次报修：%(case)s") % data,
    ),
    "repeat_of": EventView(
        label=_("返修报修"),
        summary=lambda data: gettext("前次维修 %(case)s 记为不合格") % data,
    ),
    "quality_informed": EventView(label=_("已告知水质部门"), summary=_quality_summary),
    "no_crew_on_duty": EventView(
        label=_("无值班班组"),
        summary=lambda data: gettext("已通知调度员 %(dispatchers)s 人") % data,
    ),
    "set_off": EventView(label=_("班组出发"), summary=_crew_summary),
    "booked": EventView(
        label=_("已联系客户并预约"), summary=lambda data: gettext("预约：%(window)s") % data
    ),
    "delayed": EventView(label=_("延期或更换主要部件"), summary=_delayed_summary),
    "crew_changed": EventView(
        label=_("改派班组"),
        summary=lambda data: f"{data.get('from', '—')} → {data.get('to', '—')}",
    ),
    "follow_up_attempt": EventView(
        label=_("回访未接通"),
        summary=lambda data: gettext("第 %(attempt)s 次（满 %(of)s 次即结案）") % data,
    ),
    "referred": EventView(label=_("转责任部门"), summary=_referred_summary),
    "linked_to_incident": EventView(
        label=_("并入应急事件"),
        summary=lambda data: gettext("并入应急事件 %(incident)s，不单独派单") % data,
    ),
    "dispatch_separately": EventView(
        summary=lambda data: (
            gettext("移出应急事件 %(incident)s，等待派单") % data if data.get("incident") else ""
        )
    ),
    "incident_restored": EventView(
        summary=lambda data: gettext("应急事件 %(incident)s 已恢复供水，无需回访") % data
    ),
}

# The codes the repair services raise besides the platform's (required, too_long,
# invalid_phone, illegal_transition, …) and fieldwork's (crew_required, invalid_window).
ERROR_CODES = (
    (
        "duplicate_suspected",
        409,
        "Open repairs of the same fault nearby (`details.candidates`: public_id, number, "
        "address, reported_at, contacts — the number of callers): send `link_to` (join one) "
        "or `confirm_new` (a new fault). Nothing was written.",
    ),
    (
        "address_required",
        400,
        "No address, and no `premise` or `account` to place the fault: give one of them.",
    ),
    ("urgency_below_default", 400, "The fault type is urgent by default; it cannot be lowered."),
    ("invalid_urgency", 400, "Urgency is not urgent/general."),
    ("fault_type_inactive", 400, "The fault type is no longer in use."),
    ("invalid_location", 400, "Latitude/longitude out of range, or only one of them."),
    ("account_premise_mismatch", 400, "The account is not at the given premise."),
    ("link_target_invalid", 400, "`link_to` names no repair."),
    ("link_target_closed", 400, "`link_to` names a repair completed or cancelled already."),
    ("invalid_outcome", 400, "Follow-up outcome is not reached/not_reached/declined."),
    ("satisfaction_required", 400, "A follow-up that reached the customer needs 1–5."),
    ("satisfaction_not_allowed", 400, "No satisfaction without talking to the customer."),
    ("invalid_satisfaction", 400, "Satisfaction is not 1–5."),
)

REPAIR_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("报修"),
        number_prefix="BX",
        statuses=RepairStatus,
        initial_statuses=(RepairStatus.AWAITING_DISPATCH, RepairStatus.LINKED),
        workflow=REPAIR,
        desk_pages=(
            DeskPage(
                label=_("调度台"),
                url_name="workbench:repair_board",
                permission=DISPATCH_PERMISSION,
                landing=True,
            ),
        ),
        customer_panel=CustomerPanel(
            template="repairs/partials/customer_panel.html", details=repair_details
        ),
        documents={
            "repair-sheet": CaseDocument(
                label=_("维修服务单"),
                render=repair_sheet_pdf,
                may_print=repair_sheet_may_print,
                check_access=repair_sheet_check_access,
            )
        },
        actions={
            "dispatch": ActionSpec(
                service=dispatch.repair_dispatch,
                form=DispatchForm,
                serializer=RepairDispatchInputSerializer,
                guard=dispatch.may_dispatch,
            ),
            "dispatch_separately": ActionSpec(
                service=incident.repair_dispatch_separately,
                form=DispatchSeparatelyForm,
                serializer=RepairDispatchSeparatelyInputSerializer,
                guard=dispatch.may_dispatch,
            ),
            "recall": ActionSpec(
                service=dispatch.repair_recall,
                form=RecallForm,
                serializer=RepairRecallInputSerializer,
                guard=dispatch.may_dispatch,
                css="secondary",
            ),
            "cancel": ActionSpec(
                service=dispatch.repair_cancel,
                form=CancelForm,
                serializer=RepairCancelInputSerializer,
                css="secondary",
            ),
            "follow_up": ActionSpec(
                service=follow_up.repair_follow_up,
                form=FollowUpForm,
                serializer=RepairFollowUpInputSerializer,
            ),
            # The crew's work order moves the case (``services.hooks``): never offered.
            "arrive": ActionSpec(service=hooks.repair_arrive, internal=True),
            "complete": ActionSpec(service=hooks.repair_complete, internal=True),
            "return": ActionSpec(service=hooks.repair_return, internal=True),
            # The incident's restoration closes the repairs linked to it.
            "incident_restored": ActionSpec(
                service=incident.repairs_close_on_restoration, internal=True
            ),
        },
        detail_field="repair",
        detail_serializer=RepairSerializer,
        detail_related=(
            "repair__fault_type",
            "repair__zone",
            "repair__account",
            "repair__completed_by_crew",
            "repair__failed_by",
            "repair__incident",
        ),
        detail_template="repairs/partials/repair_details.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=INTAKE_PERMISSION,
            label=_("报修"),
            url_name="workbench:intake_repair",
            service=repair_intake,
            serializer=RepairIntakeSerializer,
            api_path="repairs/",
            api_name="repair",
            summary="Report a fault (报修)",
            description=(
                "A fault reported by phone, at the counter or from an inquiry, at any hour. "
                "Urgency is the fault type's default unless raised (`urgency`); a "
                "`green_channel_reason` puts it in the green channel. When open repairs of "
                "the same fault are nearby (same premise, within the policy's distance, the "
                "same address, or the same supply zone for zone-wide faults, within the "
                "policy's time window) the answer is 409 `duplicate_suspected` with the "
                "candidates and nothing is written: repeat with `link_to` (the caller joins "
                "that repair: 200 with it) or `confirm_new` (201, a new repair). An urgent "
                "repair is dispatched at once to the crew on call (dispatch and arrival "
                "clocks in calendar minutes); a general one waits for a dispatcher "
                "(`POST /api/cases/{public_id}/actions/dispatch/`). A report of a fault an "
                "incident explains (no water, low pressure, discoloured water, a burst main) "
                "from inside an active incident's area is linked to the incident instead "
                "(status `linked`, no crew, no clocks, no duplicate check; the caller is "
                "texted the expected restoration and water points); a dispatcher may still "
                "`dispatch_separately` it, and the incident's restoration closes it."
            ),
            joins="link_to",
            starts_from="account",  # a fault is at a place: one link per account
        ),
        events=EVENTS,
        status_classes={
            RepairStatus.AWAITING_DISPATCH: "badge-open",
            RepairStatus.DISPATCHED: "badge-info",
            RepairStatus.ON_SITE: "badge-info",
            RepairStatus.COMPLETED: "badge-done",
            RepairStatus.CLOSED: "badge-closed",
            RepairStatus.CANCELLED: "badge-closed",
            RepairStatus.LINKED: "badge-neutral",
        },
        milestones={
            DISPATCH_MILESTONE: _("出发（紧急）"),
            ARRIVAL_MILESTONE: _("到达现场（紧急）"),
            CONTACT_MILESTONE: _("联系客户预约（一般）"),
            FOLLOW_UP_MILESTONE: _("维修回访"),
        },
        notices=NOTICES,
        error_codes=ERROR_CODES,
        page_urls="waterdesk.repairs.urls",
    )
)

REPAIR_PURPOSE = purpose_register(
    Purpose(
        code=PURPOSE,
        label=_("维修"),
        sheet_title=_("维修服务单"),
        on_event=hooks.repair_order_event,
        case_facts=repair_case_facts,
    )
)

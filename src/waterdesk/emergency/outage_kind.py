"""The planned-outage kind (计划停水) registered once with the case-kind registry: its
workflow, actions and their inputs, the desk intake page (``workbench:outage_new``) and
``POST /api/outages/``, timeline wording, the approval milestone and the notices.

Its pages live in ``urls_outages``, included through ``waterdesk.emergency.urls``, which
the incident kind names for the app (with the desk pages of both kinds)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CustomerPanel,
    EventView,
    IntakeSpec,
    KindSpec,
    register,
)
from waterdesk.core.roles import Role, role_grant
from waterdesk.emergency import forms_outages as forms
from waterdesk.emergency import serializers_outages as serializers
from waterdesk.emergency.models import OutageStatus
from waterdesk.emergency.outage_workflow import (
    APPROVE_MILESTONE,
    KIND,
    OUTAGE,
    SCHEDULE_PERMISSION,
)
from waterdesk.emergency.selectors_outages import outage_panel
from waterdesk.emergency.services import outages as services


def page_context(case) -> dict:
    return outage_panel(case)


def _round_summary(data: dict) -> str:
    if "round" not in data:
        return ""
    return gettext("第 %(round)s 次通知：%(customers)s 户（其中重点用户 %(sensitive)s 户）") % {
        "round": data["round"],
        "customers": data.get("customers", 0),
        "sensitive": data.get("sensitive", 0),
    }


def _overrun_summary(data: dict) -> str:
    moved = gettext("预计恢复时间由 %(from)s 延至 %(to)s") % {
        "from": data.get("from", ""),
        "to": data.get("to", ""),
    }
    return "；".join(part for part in (moved, _round_summary(data)) if part)


def _restore_summary(data: dict) -> str:
    restored = gettext("恢复供水时间：%(at)s") % {"at": data.get("restored_at", "")}
    return "；".join(part for part in (restored, _round_summary(data)) if part)


ERROR_CODES = (
    (
        "short_notice",
        400,
        "Outage: the start is inside the notice time and no emergency reason "
        "was given; the message names the earliest start without approval.",
    ),
    ("start_in_past", 400, "Outage: the start has passed."),
    ("end_before_start", 400, "Outage: the expected end is not after the start."),
    ("too_many_water_points", 400, "Outage: more temporary water points than allowed."),
    ("area_required", 400, "Emergency: no zone, street or premise chosen."),
    ("area_no_customers", 400, "Emergency: the area chosen matches no customer."),
    ("too_many_streets", 400, "Emergency: more streets than an area may list."),
    ("too_many_premises", 400, "Emergency: more premises than an area may list."),
    ("own_outage", 403, "Outage: a short-notice outage is approved by another duty manager."),
    ("outage_start_passed", 400, "Outage: the start has passed; it can no longer be approved."),
    ("overrun_not_later", 400, "Outage: the new end is not later than the current one."),
    ("expected_restoration_past", 400, "Emergency: the expected restoration has passed."),
    ("restored_in_future", 400, "Outage: the restoration time is in the future."),
    ("restored_before_start", 400, "Outage: the restoration time is not after the start."),
    ("outage_started", 400, "Outage: the water is off already; restore instead of cancelling."),
)


def outage_intake(*, actor, **fields):
    """The intake of the shells (page and ``POST /api/outages/``): ``outage_schedule``."""
    return services.outage_schedule(actor=actor, **fields)


OUTAGE_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("计划停水"),
        number_prefix="JH",
        statuses=OutageStatus,
        initial_statuses=(OutageStatus.ANNOUNCED, OutageStatus.AWAITING_APPROVAL),
        workflow=OUTAGE,
        actions={
            "outage_approve": ActionSpec(
                service=services.outage_approve,
                form=forms.OutageApproveForm,
                serializer=serializers.OutageApproveSerializer,
                guard=services.outage_may_approve,
            ),
            "outage_refuse": ActionSpec(
                service=services.outage_refuse,
                form=forms.OutageRefuseForm,
                serializer=serializers.OutageReasonSerializer,
                css="secondary",
            ),
            "outage_overrun": ActionSpec(
                service=services.outage_overrun,
                form=forms.OutageOverrunForm,
                serializer=serializers.OutageOverrunSerializer,
            ),
            "outage_restore": ActionSpec(
                service=services.outage_restore,
                form=forms.OutageRestoreForm,
                serializer=serializers.OutageRestoreSerializer,
                guard=services.outage_may_restore,
            ),
            "outage_cancel": ActionSpec(
                service=services.outage_cancel,
                form=forms.OutageCancelForm,
                serializer=serializers.OutageReasonSerializer,
                guard=services.outage_may_cancel,
                css="secondary",
            ),
        },
        detail_field="outage",
        detail_serializer=serializers.PlannedOutageSerializer,
        detail_related=("outage__approved_by",),
        detail_template="emergency/outages/detail.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=SCHEDULE_PERMISSION,
            label=_("计划停水"),
            url_name="workbench:outage_new",
            starts_from="",  # works on the network, not a customer's request
            service=outage_intake,
            serializer=serializers.OutageIntakeSerializer,
            api_path="outages/",
            api_name="outage",
            summary="Schedule a planned outage (计划停水)",
            description=(
                "Works that stop supply over an area (supply zones, streets, premises). "
                "Starting at least the notice time ahead (`OutagePolicy.notice_hours`, 24 "
                "by default) it is announced at once to every affected customer. Inside "
                "that time it is refused (`short_notice`) unless `short_notice_reason` is "
                "given: it then waits for a duty manager's approval (`POST /api/cases/"
                "{public_id}/actions/outage_approve/`) before anyone is told. A reminder "
                "goes out before the start; overruns (`outage_overrun`) and the "
                "restoration (`outage_restore`) are told to every customer too."
            ),
        ),
        events={
            "outage_approve": EventView(summary=_round_summary),
            "outage_overrun": EventView(summary=_overrun_summary),
            "outage_restore": EventView(summary=_restore_summary),
            "outage_cancel": EventView(summary=_round_summary),
            "outage_remind": EventView(label=_("停水前提醒"), summary=_round_summary),
        },
        status_classes={
            OutageStatus.AWAITING_APPROVAL: "badge-open",
            OutageStatus.ANNOUNCED: "badge-info",
            OutageStatus.RESTORED: "badge-done",
            OutageStatus.CANCELLED: "badge-closed",
            OutageStatus.REFUSED: "badge-closed",
        },
        milestones={APPROVE_MILESTONE: _("批准紧急停水")},
        notices=(*services.TEMPLATES.values(), services.APPROVAL_TEMPLATE),
        error_codes=ERROR_CODES,
        # An outage is about an area, not one customer: nothing on a customer's page.
        customer_panel=CustomerPanel(details=None),
        # The emergency office and the duty managers work every outage, whoever's
        # department scheduled it.
        view_permission=SCHEDULE_PERMISSION,
    )
)

# Scheduling an outage opens a case (cases.register_case).
role_grant(Role.EMERGENCY_OFFICE, "cases.register_case")
role_grant(Role.DUTY_MANAGER, "cases.register_case")

"""The incident kind (突发事件) registered once with the case-kind registry: its workflow,
actions and their inputs, pages (desk and public), timeline wording, milestone, notices,
and the emergency desk pages of every part of the app (plans, drills, outages, measures)."""

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
from waterdesk.core.roles import Role, role_grant
from waterdesk.emergency import forms_incidents as forms
from waterdesk.emergency import serializers_incidents as serializers
from waterdesk.emergency.models import IncidentStatus, NoticeKind
from waterdesk.emergency.selectors_incidents import incident_page_context
from waterdesk.emergency.services import incident_handling as handling
from waterdesk.emergency.services import incident_review as review
from waterdesk.emergency.services.incident_common import NOTICES, level_label
from waterdesk.emergency.services.incident_open import incident_intake
from waterdesk.emergency.workflow import (
    INCIDENT,
    KIND,
    MANAGE_PERMISSION,
    OPEN_PERMISSION,
    REVIEW_MILESTONE,
)


def _notice_text(data: dict) -> str:
    if not data.get("notice"):
        return ""
    kind = data.get("notice_kind", "")
    label = NoticeKind(kind).label if kind in NoticeKind.values else kind
    return gettext(
        "第 %(number)s 次通知（%(kind)s）：%(customers)s 户，其中重点用户 %(sensitive)s 户"
    ) % {
        "number": data.get("notice"),
        "kind": label,
        "customers": data.get("customers", 0),
        "sensitive": data.get("sensitive", 0),
    }


def _join(*parts) -> str:
    return "；".join(str(part) for part in parts if part)


def _alerted(data: dict) -> str:
    names = data.get("alerted") or []
    return gettext("通知人员：%(names)s") % {"names": "、".join(names)} if names else ""


def _escalate_summary(data: dict) -> str:
    return _join(
        f"{level_label(data.get('from'))} → {level_label(data.get('to'))}",
        gettext("新增任务 %(count)s 项") % {"count": data["tasks"]} if data.get("tasks") else "",
        _alerted(data),
    )


def _update_summary(data: dict) -> str:
    estimate = ""
    if data.get("to") and data.get("to") != data.get("from"):
        estimate = gettext("预计恢复：%(when)s") % {"when": data["to"]}
    return _join(estimate, _notice_text(data))


def _point_summary(data: dict) -> str:
    return _join(data.get("address", ""), _notice_text(data))


def _area_summary(data: dict) -> str:
    names = [*data.get("to", {}).get("zones", []), *data.get("to", {}).get("streets", [])]
    return _join("、".join(names[:6]), _notice_text(data))


def _task_summary(data: dict) -> str:
    late = gettext("（超时完成）") if data.get("late") else ""
    return f"{data.get('task', '')}. {data.get('title', '')}{late}"


def _task_add_summary(data: dict) -> str:
    return _join(
        f"{data.get('task', '')}. {data.get('title', '')}",
        data.get("owner", ""),
        gettext("时限 %(when)s") % {"when": data["due"]} if data.get("due") else "",
    )


def _restore_summary(data: dict) -> str:
    return _join(
        gettext("恢复供水：%(when)s") % {"when": data.get("restored_at", "")},
        _notice_text(data),
    )


def _review_summary(data: dict) -> str:
    measures = data.get("measures") or []
    return gettext("改进措施 %(count)s 项") % {"count": len(measures)}


EVENTS = {
    "incident_escalate": EventView(summary=_escalate_summary),
    "incident_update": EventView(summary=_update_summary),
    "incident_water_point_add": EventView(summary=_point_summary),
    "incident_water_point_close": EventView(summary=_point_summary),
    "incident_area": EventView(summary=_area_summary),
    "incident_task_done": EventView(summary=_task_summary),
    "incident_task_add": EventView(summary=_task_add_summary),
    "incident_restore": EventView(summary=_restore_summary),
    "incident_review": EventView(summary=_review_summary),
    "incident_cancel": EventView(summary=_notice_text),
    # Recorded by the water-quality anomaly response on its incident.
    "quality_treatment": EventView(label=_("水质处理工艺调整")),
}

ERROR_CODES = (
    ("invalid_incident_type", 400, "`incident_type` is not one of the types."),
    ("invalid_level", 400, "`level` is not 1–4."),
    ("invalid_source", 400, "`source` is not one of the sources."),
    ("time_in_future", 400, "`started_at` / `restored_at` is later than now."),
    ("plan_version_invalid", 400, "`plan_version` is not a published version of the type's plan."),
    ("area_required", 400, "No zone, street nor premise given."),
    ("area_no_customers", 400, "The area matches no customer: probably a wrong choice."),
    ("too_many_streets", 400, "More streets than one area may list: choose zones."),
    ("too_many_premises", 400, "More premises than one area may list: choose streets or zones."),
    ("too_many_water_points", 400, "More water points than one intake may open."),
    ("expected_restoration_past", 400, "The expected restoration time has passed."),
    ("same_level", 400, "`incident_escalate`: the incident is at that level already."),
    ("update_empty", 400, "`incident_update`: neither a new estimate nor a note."),
    ("water_point_invalid", 400, "The water point is not this incident's."),
    ("water_point_closed", 400, "`incident_water_point_close`: closed already."),
    ("task_invalid", 400, "The task is not this incident's."),
    ("task_done_already", 400, "`incident_task_done`: the task is done already."),
    ("owner_required", 400, "`incident_task_add`: neither an owner nor an owner role."),
    ("due_past", 400, "`incident_task_add`: the due time has passed."),
    ("restored_before_start", 400, "`incident_restore`: before the incident started."),
    ("review_exists", 400, "`incident_review`: the review is written already."),
    ("measure_deadline_past", 400, "`incident_review`: a measure's deadline is before today."),
    ("tasks_open", 400, "`incident_close`: tasks are open (`details.tasks`: their ids)."),
    ("restoration_required", 400, "`incident_close`: the restoration is not confirmed yet."),
    ("review_required", 400, "`incident_close`: no post-incident review yet."),
)


def _restored(case, user) -> bool:
    return case.status == IncidentStatus.RESTORED


INCIDENT_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("突发事件"),
        number_prefix="YJ",
        statuses=IncidentStatus,
        initial_statuses=(IncidentStatus.ACTIVE,),
        workflow=INCIDENT,
        actions={
            "incident_escalate": ActionSpec(
                service=handling.incident_escalate,
                form=forms.EscalateForm,
                serializer=serializers.IncidentEscalateSerializer,
            ),
            "incident_update": ActionSpec(
                service=handling.incident_update,
                form=forms.UpdateForm,
                serializer=serializers.IncidentUpdateSerializer,
            ),
            "incident_water_point_add": ActionSpec(
                service=handling.incident_water_point_add,
                form=forms.WaterPointAddForm,
                serializer=serializers.WaterPointInputSerializer,
            ),
            "incident_water_point_close": ActionSpec(
                service=handling.incident_water_point_close,
                form=forms.WaterPointCloseForm,
                serializer=serializers.IncidentWaterPointCloseSerializer,
            ),
            "incident_area": ActionSpec(
                service=handling.incident_area,
                form=forms.AreaForm,
                serializer=serializers.IncidentAreaSerializer,
            ),
            "incident_task_done": ActionSpec(
                service=handling.incident_task_done,
                form=forms.TaskDoneForm,
                serializer=serializers.IncidentTaskDoneSerializer,
            ),
            "incident_task_add": ActionSpec(
                service=handling.incident_task_add,
                form=forms.TaskAddForm,
                serializer=serializers.IncidentTaskAddSerializer,
            ),
            "incident_restore": ActionSpec(
                service=handling.incident_restore,
                form=forms.RestoreForm,
                serializer=serializers.IncidentRestoreSerializer,
            ),
            "incident_review": ActionSpec(
                service=review.incident_review,
                form=forms.ReviewForm,
                serializer=serializers.IncidentReviewInputSerializer,
            ),
            "incident_close": ActionSpec(
                service=review.incident_close,
                form=forms.CloseForm,
                serializer=serializers.IncidentNoteSerializer,
                # Offered on the page once restored; before, the service says why not.
                guard=_restored,
            ),
            "incident_cancel": ActionSpec(
                service=handling.incident_cancel,
                form=forms.CancelForm,
                serializer=serializers.IncidentCancelSerializer,
                css="secondary",
            ),
        },
        detail_field="incident",
        detail_serializer=serializers.IncidentSerializer,
        detail_related=("incident__plan_version__plan",),
        detail_template="emergency/incidents/detail.html",
        page_context=incident_page_context,
        intake=IntakeSpec(
            permission=OPEN_PERMISSION,
            label=_("突发事件"),
            url_name="workbench:incident_new",
            starts_from="",  # an incident is about an area, not about one customer
            service=incident_intake,
            serializer=serializers.IncidentIntakeSerializer,
            api_path="incidents/",
            api_name="incident",
            summary="Open an incident (突发事件)",
            description=(
                "A burst main, a pollution event, a natural disaster or a supply shortage, "
                "reported by the hotline, a dispatcher, the quality lab or a supervisor. The "
                "type's plan in force (or `plan_version`) is activated at `level`: its steps "
                "become the incident's tasks with owners and due times, the people of the "
                "level are alerted at once (urgent SMS/e-mail), the affected area (zones, "
                "streets, premises) is recorded and every customer inside it gets the first "
                "notice, sensitive customers first. `source_reference` (a quality result, a "
                "repair case): an active incident with the same reference is joined (200) "
                "instead of opening another. The handling goes on through "
                "`POST /api/cases/{public_id}/actions/<action>/` (incident_escalate, "
                "incident_update, incident_water_point_add, incident_water_point_close, "
                "incident_area, incident_task_done, incident_task_add, incident_restore, "
                "incident_review, incident_close, incident_cancel)."
            ),
        ),
        events=EVENTS,
        status_classes={
            IncidentStatus.ACTIVE: "badge-overdue",
            IncidentStatus.RESTORED: "badge-info",
            IncidentStatus.CLOSED: "badge-done",
            IncidentStatus.CANCELLED: "badge-closed",
        },
        milestones={REVIEW_MILESTONE: _("事件复盘")},
        notices=NOTICES,
        error_codes=ERROR_CODES,
        page_urls="waterdesk.emergency.urls",
        public_urls="waterdesk.emergency.urls_public",
        # An incident is about an area: nothing on a customer's page from this panel (the
        # hotline's banner of incidents covering a premise is its own).
        customer_panel=CustomerPanel(details=None),
        view_permission=MANAGE_PERMISSION,
        desk_pages=(
            DeskPage(
                label=_("应急事件"),
                url_name="workbench:emergency_board",
                permission=MANAGE_PERMISSION,
                landing=True,
            ),
            DeskPage(
                label=_("计划停水"),
                url_name="workbench:outages",
                permission="emergency.schedule_outage",
            ),
            DeskPage(
                label=_("应急预案"),
                url_name="workbench:emergency_plans",
                permission="emergency.view_emergencyplan",
            ),
            DeskPage(
                label=_("应急演练"),
                url_name="workbench:emergency_drills",
                permission="emergency.manage_drills",
            ),
            DeskPage(
                label=_("改进措施"),
                url_name="workbench:emergency_measures",
                permission="emergency.review_incident",
            ),
        ),
    )
)

# The emergency office, the duty manager and supervisors open incidents as cases.
role_grant(Role.EMERGENCY_OFFICE, "cases.register_case")
role_grant(Role.DUTY_MANAGER, "cases.register_case")
role_grant(Role.SUPERVISOR, "cases.register_case")

"""Opening an incident (启动应急响应): by the hotline, a dispatcher, the quality lab (a
confirmed failing result) or a supervisor. The plan in force for the type is activated at
the level: its steps become the incident's tasks, the people of the level are alerted at
once, the affected area is recorded and every customer inside it gets the first notice,
sensitive customers first."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, CaseEvent, Channel
from waterdesk.cases.services import case_open, user_display_name
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.emergency.models import (
    Incident,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    NoticeKind,
    PlanVersion,
    PlanVersionStatus,
)
from waterdesk.emergency.public_cache import public_pages_changed
from waterdesk.emergency.selectors_plans import plans_in_force
from waterdesk.emergency.services.area import area_clean, area_data, area_record
from waterdesk.emergency.services.incident_common import (
    TEXT_MAX_LENGTH,
    alert_people,
    incident_notice,
    level_clean,
    notice_data,
    past_time_check,
    plan_people,
    plan_tasks,
)
from waterdesk.emergency.services.notices import expected_restoration_check
from waterdesk.emergency.services.water_points import water_points_clean, water_points_create
from waterdesk.emergency.workflow import KIND, OPEN_PERMISSION

# How the case names who reported it (an incident has no customer).
CONTACT_FALLBACK = "应急指挥"


def incident_joinable(source_reference: str) -> Case | None:
    """The active incident opened with ``source_reference`` (a quality result, a repair
    case), if any: the same event reported again joins it."""
    reference = (source_reference or "").strip()
    if not reference:
        return None
    incident = (
        Incident.objects.filter(source_reference=reference, case__status=IncidentStatus.ACTIVE)
        .select_related("case")
        .order_by("case__opened_at")
        .first()
    )
    return incident.case if incident is not None else None


def _choice(value, choices, *, field: str, message: str) -> str:
    if value not in choices.values:
        raise InvalidInput(message, code=f"invalid_{field}", field=field)
    return value


def _plan_version(plan_version, incident_type: str) -> PlanVersion | None:
    if plan_version is None:
        return plans_in_force(incident_type).first()
    if (
        plan_version.status == PlanVersionStatus.DRAFT
        or plan_version.plan.incident_type != incident_type
    ):
        raise InvalidInput(
            _("所选预案版本不是该事件类型的已发布预案，请选择现行预案或留空自动选用。"),
            code="plan_version_invalid",
            field="plan_version",
        )
    return plan_version


@transaction.atomic
def incident_open(
    *,
    actor,
    incident_type: str,
    level,
    source: str,
    title: str,
    description: str,
    public_summary: str,
    started_at: datetime,
    zones=(),
    streets=(),
    premises=(),
    expected_restoration_at: datetime | None = None,
    plan_version: PlanVersion | None = None,
    water_points=(),
    source_reference: str = "",
    channel: str = Channel.PHONE,
) -> Case:
    """Open an incident and activate its plan. With ``source_reference`` naming an active
    incident (the quality lab's result reported twice), that incident's case is returned
    and nothing is written."""
    if actor is None or not actor.has_perm(OPEN_PERMISSION):
        raise NotPermitted()
    source_reference = text_clean_line(source_reference or "")[:100]
    joined = incident_joinable(source_reference)
    if joined is not None:
        return joined
    now = timezone.now()
    incident_type = _choice(
        incident_type,
        IncidentType,
        field="incident_type",
        message=_("请选择事件类型。"),
    )
    level = level_clean(level)
    source = _choice(source, IncidentSource, field="source", message=_("请选择事件来源。"))
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    title = text_input(text_clean_line(title), field="title", label=_("事件名称"), limit=200)
    description = text_input(
        description, field="description", label=_("事件情况"), limit=TEXT_MAX_LENGTH
    )
    public_summary = text_input(
        text_clean_line(public_summary), field="public_summary", label=_("公告内容"), limit=500
    )
    started_at = past_time_check(started_at, field="started_at", label=_("发生时间"), now=now)
    expected_restoration_check(expected_restoration_at, now=now)
    area = area_clean(zones=zones, streets=streets, premises=premises)
    points = water_points_clean(water_points)
    version = _plan_version(plan_version, incident_type)

    case = case_open(
        actor=actor,
        kind=KIND,
        status=IncidentStatus.ACTIVE,
        channel=channel,
        contact_name=user_display_name(actor) or CONTACT_FALLBACK,
        contact_phone="",
        summary=title,
        opened_at=now,
    )
    incident = Incident.objects.create(
        case=case,
        incident_type=incident_type,
        level=level,
        source=source,
        plan_version=version,
        title=title,
        description=description,
        public_summary=public_summary,
        started_at=started_at,
        activated_at=now,
        expected_restoration_at=expected_restoration_at,
        source_reference=source_reference,
    )
    area_record(case=case, area=area)
    water_points_create(case, points, at=now)
    tasks = plan_tasks(incident, level, at=now)
    notice = incident_notice(
        case=case, incident=incident, kind=NoticeKind.ANNOUNCEMENT, actor=actor, at=now
    )
    people = plan_people(incident, level, at=now)
    alerts = alert_people(
        case=case, incident=incident, people=people, area=area, customers=notice.customers
    )
    # The opening's one event carries what the activation did (the review's timeline).
    event = CaseEvent.objects.get(case=case, action="open")
    event.data = {
        **event.data,
        "level": level,
        "incident_type": incident_type,
        "plan": str(version) if version is not None else "",
        "tasks": len(tasks),
        "alerted": [user_display_name(person) for person in people],
        "alerts": alerts,
        "area": area_data(area),
        "water_points": len(points),
        **notice_data(notice),
    }
    event.save(update_fields=["data"])
    public_pages_changed()
    return case


def incident_intake(*, actor, customer=None, **fields) -> Case:
    """The intake of the shells (desk page and ``POST /api/incidents/``): an incident has no
    customer, whatever page it was opened from."""
    return incident_open(actor=actor, **fields)

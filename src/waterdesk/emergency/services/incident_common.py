"""What the incident services share: the lock of an incident, the texts of its notices and
alerts, the plan's tasks, and the checks of times and water points."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_check_action, case_lock
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.core.text import text_input
from waterdesk.emergency.models import (
    Incident,
    IncidentTask,
    IncidentType,
    NoticeKind,
    NoticeRound,
    ResponseLevel,
)
from waterdesk.emergency.selectors_plans import plan_people_for_level, plan_steps_for_level
from waterdesk.emergency.services.area import Area, affected_counts, area_text
from waterdesk.emergency.services.notices import notice_round_queue, when_text
from waterdesk.emergency.workflow import KIND
from waterdesk.notify.services import notification_queue

NOTICE_TEMPLATE = "emergency.incident_notice"
RESTORED_TEMPLATE = "emergency.incident_restored"
CANCELLED_TEMPLATE = "emergency.incident_cancelled"
ALERT_TEMPLATE = "emergency.incident_alert"
NOTICES = (NOTICE_TEMPLATE, RESTORED_TEMPLATE, CANCELLED_TEMPLATE, ALERT_TEMPLATE)

TEXT_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 500


def incident_lock(case: Case, action: str, actor) -> tuple[Case, Incident]:
    """Lock the case (then its incident), check that it is an incident and that ``actor``
    may take ``action`` now — refusing before any input is looked at."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Incident.objects.select_for_update().get(case=case)


def level_label(level) -> str:
    return str(ResponseLevel(level).label) if level in ResponseLevel.values else str(level)


def type_label(value) -> str:
    return str(IncidentType(value).label) if value in IncidentType.values else str(value)


def level_clean(level) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = None
    if level not in ResponseLevel.values:
        raise InvalidInput(_("请选择响应级别（Ⅰ级至Ⅳ级）。"), code="invalid_level", field="level")
    return level


def note_clean(note, *, field: str = "note", label=None, required: bool = False) -> str:
    return text_input(
        note, field=field, label=label or _("说明"), limit=NOTE_MAX_LENGTH, required=required
    )


def past_time_check(value: datetime | None, *, field: str, label: str, now: datetime) -> datetime:
    """A time that has happened: given, and not later than now."""
    if value is None:
        raise InvalidInput(_("请填写%(label)s。") % {"label": label}, code="required", field=field)
    if timezone.is_naive(value):
        raise InvalidInput(_("时间必须带时区。"), code="naive_datetime", field=field)
    if value > now:
        raise InvalidInput(
            _("%(label)s不能晚于现在，请按实际时间填写。") % {"label": label},
            code="time_in_future",
            field=field,
        )
    return value


def tasks_from_steps(incident: Incident, steps, *, at: datetime) -> list[IncidentTask]:
    """The plan's steps as the incident's tasks (due ``at`` + the step's target), after the
    tasks it has; a step already on the list is not added twice."""
    have = set(incident.tasks.exclude(step=None).values_list("step_id", flat=True))
    position = incident.tasks.count()
    created = []
    for step in steps:
        if step.pk in have:
            continue
        position += 1
        created.append(
            IncidentTask.objects.create(
                incident=incident,
                step=step,
                position=position,
                title=step.title,
                owner_role=step.owner_role,
                due_at=at + timedelta(minutes=step.target_minutes) if step.target_minutes else None,
            )
        )
    return created


def plan_tasks(incident: Incident, level: int, *, at: datetime) -> list[IncidentTask]:
    if incident.plan_version_id is None:
        return []
    return tasks_from_steps(incident, plan_steps_for_level(incident.plan_version, level), at=at)


def plan_people(incident: Incident, level: int, *, at: datetime) -> list:
    if incident.plan_version_id is None:
        return []
    return plan_people_for_level(incident.plan_version, level, at=at)


def alert_people(*, case: Case, incident: Incident, people, area: Area, customers: int) -> int:
    """An urgent SMS / e-mail to each of ``people``: the plan is activated at the incident's
    level. Returns how many messages were queued."""
    context = {
        "level": level_label(incident.level),
        "incident_type": type_label(incident.incident_type),
        "title": incident.title,
        "area": area_text(area),
        "customers": str(customers),
    }
    queued = 0
    for person in people:
        queued += len(
            notification_queue(
                template=ALERT_TEMPLATE, context=context, case=case, user=person, urgent=True
            )
        )
    return queued


def _notice_stage(incident: Incident, kind: str) -> str:
    """The notice's heading: a pollution incident is about the water, not its supply."""
    if incident.incident_type == IncidentType.POLLUTION:
        return _("水质异常进展") if kind == NoticeKind.UPDATE else _("水质异常通知")
    return _("停水进展") if kind == NoticeKind.UPDATE else _("停水通知")


def incident_notice(
    *, case: Case, incident: Incident, kind: str, actor, summary: str = "", at: datetime
) -> NoticeRound:
    """A notice round of the incident to every affected customer (urgent: the water)."""
    template = {
        NoticeKind.RESTORATION: RESTORED_TEMPLATE,
        NoticeKind.CANCELLATION: CANCELLED_TEMPLATE,
    }.get(kind, NOTICE_TEMPLATE)
    context = {
        "stage": _notice_stage(incident, kind),
        "title": incident.title,
        "summary": summary or incident.public_summary,
        "restored_at": when_text(incident.restored_at),
    }
    restoration = (
        incident.expected_restoration_at
        if kind
        in (
            NoticeKind.ANNOUNCEMENT,
            NoticeKind.UPDATE,
        )
        else None
    )
    return notice_round_queue(
        case=case,
        kind=kind,
        template=template,
        context=context,
        actor=actor,
        expected_restoration_at=restoration,
        urgent=True,
        at=at,
    )


def notice_data(notice: NoticeRound) -> dict:
    """A notice round on the timeline."""
    return {
        "notice": notice.number,
        "notice_kind": notice.kind,
        "customers": notice.customers,
        "sensitive": notice.sensitive_customers,
        "messages": notice.messages,
    }


def counts_data(area: Area) -> dict:
    customers, sensitive = affected_counts(area)
    return {"customers": customers, "sensitive": sensitive}

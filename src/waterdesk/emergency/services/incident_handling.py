"""The moves of an active incident: the level, the estimate, the water points, the area,
the checklist, the restoration, and the cancellation of a false alarm.

Each move is one transaction on the locked case with one event on its timeline; a change
the customers must hear of (the estimate, the water points, the area, the restoration) is
a notice round to every affected customer; a change the public pages show moves their
cache on. A refusal writes nothing."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition, user_display_name
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.emergency import hooks
from waterdesk.emergency.models import (
    IncidentTask,
    NoticeKind,
    NoticeRound,
    WaterPoint,
)
from waterdesk.emergency.public_cache import public_pages_changed
from waterdesk.emergency.services.area import area_clean, area_data, area_of, area_record
from waterdesk.emergency.services.incident_common import (
    alert_people,
    counts_data,
    incident_lock,
    incident_notice,
    level_clean,
    level_label,
    note_clean,
    notice_data,
    past_time_check,
    plan_people,
    plan_tasks,
)
from waterdesk.emergency.services.notices import expected_restoration_check, when_text
from waterdesk.emergency.services.water_points import water_point_clean
from waterdesk.emergency.workflow import REVIEW_MILESTONE
from waterdesk.sla import services as sla


def _reason(reason, label) -> str:
    return note_clean(reason, field="reason", label=label, required=True)


@transaction.atomic
def incident_escalate(*, actor, case: Case, level, reason: str) -> Case:
    """Change the response level (up or down) with the reason. Up: the new level's further
    steps become tasks and its further people are alerted at once."""
    case, incident = incident_lock(case, "incident_escalate", actor)
    level = level_clean(level)
    if level == incident.level:
        raise InvalidInput(
            _("事件已是%(level)s响应，请选择其他级别。") % {"level": level_label(level)},
            code="same_level",
            field="level",
        )
    reason = _reason(reason, _("调整原因"))
    now = timezone.now()
    previous = incident.level
    incident.level = level
    incident.save(update_fields=["level"])
    tasks, people, alerts = [], [], 0
    if level < previous:  # Ⅰ is the most severe
        tasks = plan_tasks(incident, level, at=now)
        known = {person.pk for person in plan_people(incident, previous, at=now)}
        people = [
            person for person in plan_people(incident, level, at=now) if person.pk not in known
        ]
        area = area_of(case)
        alerts = alert_people(
            case=case,
            incident=incident,
            people=people,
            area=area,
            customers=counts_data(area)["customers"],
        )
    case = case_transition(
        case=case,
        action="incident_escalate",
        actor=actor,
        note=reason,
        data={
            "from": previous,
            "to": level,
            "tasks": len(tasks),
            "alerted": [user_display_name(person) for person in people],
            "alerts": alerts,
        },
        at=now,
    )
    public_pages_changed()
    return case


@transaction.atomic
def incident_update(
    *, actor, case: Case, expected_restoration_at: datetime | None = None, note: str = ""
) -> Case:
    """A new estimate of the restoration and/or progress to tell: a notice round
    (``update``) to every affected customer. A time that has passed is refused."""
    case, incident = incident_lock(case, "incident_update", actor)
    now = timezone.now()
    expected_restoration_check(expected_restoration_at, now=now)
    note = note_clean(note, label=_("进展说明"))
    if expected_restoration_at is None and not note:
        raise InvalidInput(
            _("请填写新的预计恢复时间或进展说明（至少一项）。"),
            code="update_empty",
            field="expected_restoration_at",
        )
    previous = incident.expected_restoration_at
    if expected_restoration_at is not None:
        incident.expected_restoration_at = expected_restoration_at
        incident.save(update_fields=["expected_restoration_at"])
    notice = incident_notice(
        case=case, incident=incident, kind=NoticeKind.UPDATE, actor=actor, summary=note, at=now
    )
    case = case_transition(
        case=case,
        action="incident_update",
        actor=actor,
        note=note,
        data={
            "from": when_text(previous),
            "to": when_text(incident.expected_restoration_at),
            **notice_data(notice),
        },
        at=now,
    )
    public_pages_changed()
    return case


@transaction.atomic
def incident_water_point_add(
    *, actor, case: Case, address: str, opening_hours: str, supplies: str, district: str = ""
) -> Case:
    """Open a temporary water point: every affected customer is told where to get water."""
    case, incident = incident_lock(case, "incident_water_point_add", actor)
    fields = water_point_clean(
        address=address, opening_hours=opening_hours, supplies=supplies, district=district
    )
    now = timezone.now()
    point = WaterPoint.objects.create(case=case, opened_at=now, **fields)
    notice = incident_notice(
        case=case,
        incident=incident,
        kind=NoticeKind.UPDATE,
        actor=actor,
        summary=_("新设临时供水点：%(address)s。") % {"address": point.address},
        at=now,
    )
    case = case_transition(
        case=case,
        action="incident_water_point_add",
        actor=actor,
        data={"address": point.address, "supplies": point.supplies, **notice_data(notice)},
        at=now,
    )
    public_pages_changed()
    return case


@transaction.atomic
def incident_water_point_close(*, actor, case: Case, water_point, note: str = "") -> Case:
    """Close a temporary water point: every affected customer is told the points left."""
    case, incident = incident_lock(case, "incident_water_point_close", actor)
    point = (
        WaterPoint.objects.select_for_update()
        .filter(case=case, pk=getattr(water_point, "pk", water_point))
        .first()
    )
    if point is None:
        raise InvalidInput(
            _("所选供水点不属于该事件，请从列表中选择。"),
            code="water_point_invalid",
            field="water_point",
        )
    if point.closed_at is not None:
        raise InvalidInput(
            _("该供水点已撤除，无需重复操作。"),
            code="water_point_closed",
            field="water_point",
        )
    note = note_clean(note)
    now = timezone.now()
    point.closed_at = now
    point.save(update_fields=["closed_at"])
    notice = incident_notice(
        case=case,
        incident=incident,
        kind=NoticeKind.UPDATE,
        actor=actor,
        summary=_("临时供水点%(address)s已撤除。") % {"address": point.address},
        at=now,
    )
    case = case_transition(
        case=case,
        action="incident_water_point_close",
        actor=actor,
        note=note,
        data={"address": point.address, **notice_data(notice)},
        at=now,
    )
    public_pages_changed()
    return case


@transaction.atomic
def incident_area(*, actor, case: Case, zones=(), streets=(), premises=(), note: str = "") -> Case:
    """Redraw the affected area: recorded anew, and a notice round (``update``) to every
    customer inside the new area."""
    case, incident = incident_lock(case, "incident_area", actor)
    area = area_clean(zones=zones, streets=streets, premises=premises)
    note = note_clean(note)
    now = timezone.now()
    previous = area_data(area_of(case))
    area_record(case=case, area=area)
    notice = incident_notice(
        case=case,
        incident=incident,
        kind=NoticeKind.UPDATE,
        actor=actor,
        summary=note,
        at=now,
    )
    case = case_transition(
        case=case,
        action="incident_area",
        actor=actor,
        note=note,
        data={"from": previous, "to": area_data(area), **notice_data(notice)},
        at=now,
    )
    public_pages_changed()
    return case


def _task(case: Case, task) -> IncidentTask:
    found = (
        IncidentTask.objects.select_for_update()
        .filter(incident__case=case, pk=getattr(task, "pk", task))
        .first()
    )
    if found is None:
        raise InvalidInput(
            _("所选任务不属于该事件，请从任务清单中选择。"), code="task_invalid", field="task"
        )
    return found


@transaction.atomic
def incident_task_done(*, actor, case: Case, task, note: str = "") -> Case:
    """Tick a task of the checklist off."""
    case, _incident = incident_lock(case, "incident_task_done", actor)
    task = _task(case, task)
    if task.done_at is not None:
        raise InvalidInput(
            _("该任务已于 %(when)s 完成，无需重复操作。") % {"when": when_text(task.done_at)},
            code="task_done_already",
            field="task",
        )
    note = note_clean(note)
    now = timezone.now()
    task.done_at, task.done_by, task.note = now, actor, note
    task.save(update_fields=["done_at", "done_by", "note"])
    return case_transition(
        case=case,
        action="incident_task_done",
        actor=actor,
        note=note,
        data={
            "task": task.position,
            "title": task.title,
            "late": bool(task.due_at and now > task.due_at),
        },
        at=now,
    )


@transaction.atomic
def incident_task_add(
    *,
    actor,
    case: Case,
    title: str,
    owner=None,
    owner_role: str = "",
    due_at: datetime | None = None,
) -> Case:
    """Add a task to the checklist on the spot (with its owner and due time)."""
    case, incident = incident_lock(case, "incident_task_add", actor)
    title = text_input(text_clean_line(title), field="title", label=_("任务"), limit=300)
    owner_role = text_input(
        text_clean_line(owner_role),
        field="owner_role",
        label=_("负责岗位"),
        limit=40,
        required=False,
    )
    if owner is not None and not owner.is_active:
        raise InvalidInput(
            _("所选负责人账号已停用，请选择其他人员。"), code="user_inactive", field="owner"
        )
    if owner is None and not owner_role:
        raise InvalidInput(_("请指定负责人或负责岗位。"), code="owner_required", field="owner")
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise InvalidInput(_("完成时限已过，请填写今后的时间。"), code="due_past", field="due_at")
    position = (incident.tasks.aggregate(last=Max("position"))["last"] or 0) + 1
    task = IncidentTask.objects.create(
        incident=incident,
        position=position,
        title=title,
        owner=owner,
        owner_role=owner_role,
        due_at=due_at,
    )
    return case_transition(
        case=case,
        action="incident_task_add",
        actor=actor,
        data={
            "task": task.position,
            "title": task.title,
            "owner": user_display_name(owner) if owner else owner_role,
            "due": when_text(due_at),
        },
        at=now,
    )


@transaction.atomic
def incident_restore(*, actor, case: Case, restored_at: datetime, note: str = "") -> Case:
    """Confirm the supply is restored (at ``restored_at``, not later than now): the water
    points close, every affected customer is told, the listeners hear of it (the linked
    repairs complete) and the review's clock starts."""
    case, incident = incident_lock(case, "incident_restore", actor)
    now = timezone.now()
    restored_at = past_time_check(
        restored_at, field="restored_at", label=_("恢复供水时间"), now=now
    )
    if restored_at < incident.started_at:
        raise InvalidInput(
            _("恢复供水时间早于事件发生时间，请核对。"),
            code="restored_before_start",
            field="restored_at",
        )
    note = note_clean(note, label=_("恢复说明"))
    incident.restored_at, incident.restoration_note = restored_at, note
    incident.save(update_fields=["restored_at", "restoration_note"])
    closed = WaterPoint.objects.filter(case=case, closed_at__isnull=True).update(closed_at=now)
    notice = incident_notice(
        case=case,
        incident=incident,
        kind=NoticeKind.RESTORATION,
        actor=actor,
        summary=note,
        at=now,
    )
    case = case_transition(
        case=case,
        action="incident_restore",
        actor=actor,
        note=note,
        data={
            "restored_at": when_text(restored_at),
            "water_points_closed": closed,
            **notice_data(notice),
        },
        at=now,
    )
    hooks.incident_restored(incident=incident, actor=actor, at=restored_at)
    sla.clock_start(case=case, milestone=REVIEW_MILESTONE, start=now)
    public_pages_changed()
    return case


@transaction.atomic
def incident_cancel(*, actor, case: Case, reason: str) -> Case:
    """Cancel a false alarm: the water points close and, when customers were told, they
    are told it is withdrawn."""
    case, incident = incident_lock(case, "incident_cancel", actor)
    reason = _reason(reason, _("撤销原因"))
    now = timezone.now()
    WaterPoint.objects.filter(case=case, closed_at__isnull=True).update(closed_at=now)
    data: dict = {}
    if NoticeRound.objects.filter(case=case).exists():
        notice = incident_notice(
            case=case,
            incident=incident,
            kind=NoticeKind.CANCELLATION,
            actor=actor,
            at=now,
        )
        data = notice_data(notice)
    case = case_transition(
        case=case, action="incident_cancel", actor=actor, note=reason, data=data, at=now
    )
    sla.clocks_cancel(case=case)
    public_pages_changed()
    return case

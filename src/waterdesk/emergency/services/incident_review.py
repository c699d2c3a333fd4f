"""After the restoration: the post-incident review (事后复盘) with its improvement
measures, and the closing of the incident — refused while a task of the checklist is open,
before the restoration is confirmed, or without the review."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition, user_display_name
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input
from waterdesk.emergency.models import IncidentReview
from waterdesk.emergency.public_cache import public_pages_changed
from waterdesk.emergency.services.incident_common import (
    TEXT_MAX_LENGTH,
    incident_lock,
    note_clean,
)
from waterdesk.emergency.services.measures import measure_add
from waterdesk.emergency.workflow import REVIEW_MILESTONE
from waterdesk.sla import services as sla

MAX_MEASURES = 20


def _text(value, field: str, label, *, required: bool = False) -> str:
    return text_input(value, field=field, label=label, limit=TEXT_MAX_LENGTH, required=required)


@transaction.atomic
def incident_review(
    *, actor, case: Case, causes: str, went_well: str = "", went_badly: str = "", measures=()
) -> Case:
    """Write the review (once): the causes, what went well and badly, and the measures
    (each ``{"description", "owner", "deadline"}``), tracked to done on the measures page.
    The timeline of the review is the case's events."""
    case, incident = incident_lock(case, "incident_review", actor)
    if IncidentReview.objects.filter(incident=incident).exists():
        raise InvalidInput(
            _("该事件已复盘；如有新的改进措施，请在改进措施页面跟踪。"),
            code="review_exists",
        )
    causes = _text(causes, "causes", _("原因分析"), required=True)
    went_well = _text(went_well, "went_well", _("做得好的"))
    went_badly = _text(went_badly, "went_badly", _("存在问题"))
    measures = [measure for measure in (measures or ()) if measure]
    if len(measures) > MAX_MEASURES:
        raise InvalidInput(
            _("一次最多登记 %(count)s 项改进措施。") % {"count": MAX_MEASURES},
            code="too_many_measures",
            field="measures",
        )
    today = timezone.localdate()
    for measure in measures:
        deadline = measure.get("deadline")
        if deadline is not None and deadline < today:
            raise InvalidInput(
                _("改进措施的完成期限不能早于今天。"),
                code="measure_deadline_past",
                field="measures",
            )
    now = timezone.now()
    review = IncidentReview.objects.create(
        incident=incident,
        causes=causes,
        went_well=went_well,
        went_badly=went_badly,
        written_by=actor,
        written_at=now,
    )
    added = [
        measure_add(
            review=review,
            description=measure.get("description", ""),
            owner=measure.get("owner"),
            deadline=measure.get("deadline"),
        )
        for measure in measures
    ]
    case = case_transition(
        case=case,
        action="incident_review",
        actor=actor,
        data={
            "measures": [
                {
                    "description": measure.description,
                    "owner": user_display_name(measure.owner),
                    "deadline": measure.deadline.isoformat(),
                }
                for measure in added
            ]
        },
        at=now,
    )
    sla.clock_stop(case=case, milestone=REVIEW_MILESTONE, at=now)
    return case


@transaction.atomic
def incident_close(*, actor, case: Case, note: str = "") -> Case:
    """Close the incident: every task done, the restoration confirmed, the review written."""
    case, incident = incident_lock(case, "incident_close", actor)
    open_tasks = list(
        incident.tasks.filter(done_at__isnull=True)
        .order_by("position")
        .values_list("pk", "position")
    )
    if open_tasks:
        raise InvalidInput(
            _("还有 %(count)s 项处置任务未完成（第 %(positions)s 项），请完成后再结案。")
            % {
                "count": len(open_tasks),
                "positions": "、".join(str(position) for _pk, position in open_tasks),
            },
            code="tasks_open",
            details={"tasks": [pk for pk, _position in open_tasks]},
        )
    if incident.restored_at is None:
        raise InvalidInput(
            _("尚未确认恢复供水，请先确认恢复供水时间，再复盘结案。"),
            code="restoration_required",
        )
    if not IncidentReview.objects.filter(incident=incident).exists():
        raise InvalidInput(
            _("尚未复盘，请先填写事件复盘（原因、经验和改进措施），再结案。"),
            code="review_required",
        )
    note = note_clean(note)
    case = case_transition(case=case, action="incident_close", actor=actor, note=note)
    public_pages_changed()
    return case

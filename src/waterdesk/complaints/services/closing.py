"""The end of a complaint (R-K4): the follow-up call after the complainant was satisfied,
and the closure — only when every measure is done and the follow-up is recorded — with
the lessons learned, searchable afterwards."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.complaints.models import TEXT_MAX_LENGTH, Complaint, Measure
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.complaints.workflow import FOLLOW_UP_MILESTONE
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input
from waterdesk.sla import services as sla

SATISFACTION_SCORES = range(1, 6)


def may_follow_up(case: Case, user) -> bool:
    """No follow-up call is recorded yet."""
    return Complaint.objects.filter(case=case, follow_up_at__isnull=True).exists()


@transaction.atomic
def complaint_follow_up(*, actor, case: Case, note: str, satisfaction: int) -> Case:
    """Record the follow-up call (回访): what the complainant said and their satisfaction
    (1–5). The follow-up clock stops."""
    case, complaint = complaint_lock(case, "follow_up", actor)
    if complaint.follow_up_at is not None:
        raise InvalidInput(
            _("回访已于 %(when)s 登记。")
            % {"when": timezone.localtime(complaint.follow_up_at).strftime("%Y-%m-%d %H:%M")},
            code="follow_up_recorded",
        )
    note = text_input(note, field="note", label=_("回访记录"), limit=TEXT_MAX_LENGTH)
    if satisfaction not in SATISFACTION_SCORES:
        raise InvalidInput(
            _("满意度请选择 1 至 5 分。"), code="invalid_satisfaction", field="satisfaction"
        )
    now = timezone.now()
    complaint.follow_up_at = now
    complaint.follow_up_by = actor
    complaint.follow_up_note = note
    complaint.follow_up_satisfaction = satisfaction
    complaint.save(
        update_fields=["follow_up_at", "follow_up_by", "follow_up_note", "follow_up_satisfaction"]
    )
    case = case_transition(
        case=case,
        action="follow_up",
        actor=actor,
        note=note,
        at=now,
        data={"satisfaction": satisfaction},
    )
    sla.clock_stop(case=case, milestone=FOLLOW_UP_MILESTONE, at=now)
    return case


@transaction.atomic
def complaint_close(*, actor, case: Case, lessons: str) -> Case:
    """Close the complaint (办结) with the lessons learned: refused while a measure is open
    or before the follow-up call is recorded."""
    case, complaint = complaint_lock(case, "close", actor)
    open_measures = list(
        Measure.objects.filter(complaint=complaint, done_at__isnull=True).order_by("deadline")
    )
    if open_measures:
        raise InvalidInput(
            _("还有 %(count)s 项处理措施未落实（如“%(first)s”）：措施全部落实后才能办结。")
            % {"count": len(open_measures), "first": open_measures[0].description[:30]},
            code="measures_open",
            details={"measures": [measure.pk for measure in open_measures]},
        )
    if complaint.follow_up_at is None:
        raise InvalidInput(
            _("尚未回访投诉人：请先登记回访记录和满意度，再办结。"),
            code="follow_up_required",
        )
    lessons = text_input(lessons, field="lessons", label=_("经验教训"), limit=TEXT_MAX_LENGTH)
    complaint.lessons = lessons
    complaint.save(update_fields=["lessons"])
    now = timezone.now()
    case = case_transition(
        case=case,
        action="close",
        actor=actor,
        at=now,
        data={"rounds": complaint.round, "measures": complaint.measures.count()},
    )
    sla.clocks_cancel(case=case, at=now)  # none should run; none may outlive the case
    return case

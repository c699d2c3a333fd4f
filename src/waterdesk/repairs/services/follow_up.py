"""The follow-up call after a repair (维修回访, R-R4): outcome, satisfaction 1–5 and the
customer's comments; a low score or a complaint goes to the responsible department.

A call that reached the customer (or that the customer declined) closes the case and stops
the follow-up clock. A call nobody answered is recorded and the case waits for the next
try; the ``MAX_ATTEMPTS``-th unanswered call closes it.

Referral: a satisfaction at or below the policy's ``low_satisfaction``, or comments that
contain one of ``COMPLAINT_WORDS``, mark the follow-up ``referred`` and put a "转责任部门"
event for the case's department on the timeline — the record later complaints can pick up.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record, case_transition
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input as text
from waterdesk.repairs.models import COMMENT_MAX_LENGTH, FollowUp, FollowUpOutcome
from waterdesk.repairs.selectors.policy import repair_policy
from waterdesk.repairs.services.common import lock_repair
from waterdesk.repairs.workflow import FOLLOW_UP_MILESTONE
from waterdesk.sla import services as sla

MAX_ATTEMPTS = 3
# Words that make a comment a complaint whatever the score (a small list on purpose: a
# missed one still reaches the department through a low score; a bare "差" would also
# catch "差不多").
COMPLAINT_WORDS = (
    "投诉",
    "不满意",
    "不满",
    "太差",
    "很差",
    "真差",
    "差劲",
    "态度差",
    "态度不好",
    "敷衍",
    "推诿",
    "没修好",
    "没有修好",
    "未修好",
    "又坏",
    "又漏",
    "还在漏",
    "乱收费",
    "举报",
)


def complaint_words_in(comments: str) -> list[str]:
    return [word for word in COMPLAINT_WORDS if word in (comments or "")]


def _satisfaction(outcome: str, satisfaction) -> int | None:
    if outcome != FollowUpOutcome.REACHED:
        if satisfaction not in (None, ""):
            raise InvalidInput(
                _("未与客户通话，不能填写满意度；请留空。"),
                code="satisfaction_not_allowed",
                field="satisfaction",
            )
        return None
    if satisfaction in (None, ""):
        raise InvalidInput(
            _("请填写客户对本次维修的满意度（1–5 分）。"),
            code="satisfaction_required",
            field="satisfaction",
        )
    try:
        score = int(satisfaction)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise InvalidInput(
            _("满意度应为 1 到 5 分。"), code="invalid_satisfaction", field="satisfaction"
        )
    return score


@transaction.atomic
def repair_follow_up(
    *, actor, case: Case, outcome: str, satisfaction: int | None = None, comments: str = ""
) -> Case:
    """Record the follow-up call; see the module's description."""
    case, repair = lock_repair(case, "follow_up", actor)
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput(_("请选择回访结果。"), code="invalid_outcome", field="outcome")
    score = _satisfaction(outcome, satisfaction)
    comments = text(
        comments, field="comments", label=_("客户意见"), limit=COMMENT_MAX_LENGTH, required=False
    )
    policy = repair_policy()
    # Nobody answered: nothing the customer said to refer.
    talked = outcome != FollowUpOutcome.NOT_REACHED
    complaints = complaint_words_in(comments) if talked else []
    low = score is not None and score <= policy.low_satisfaction
    at = timezone.now()
    FollowUp.objects.create(
        repair=repair,
        outcome=outcome,
        satisfaction=score,
        comments=comments,
        referred=low or bool(complaints),
        called_by=actor,
        called_at=at,
    )
    attempts = repair.follow_ups.count()
    if not talked and attempts < MAX_ATTEMPTS:
        case_event_record(
            case=case,
            actor=actor,
            action="follow_up_attempt",
            at=at,
            note=comments,
            data={"attempt": attempts, "of": MAX_ATTEMPTS},
        )
        return case
    case = case_transition(
        case=case,
        action="follow_up",
        actor=actor,
        note=comments,
        data={"outcome": outcome, "satisfaction": score},
        at=at,
    )
    sla.clock_stop(case=case, milestone=FOLLOW_UP_MILESTONE, at=at)
    if low or complaints:
        case_event_record(
            case=case,
            actor=actor,
            action="referred",
            at=at,
            note=comments,
            data={
                "department": case.department.name if case.department_id else "",
                "department_code": case.department.code if case.department_id else "",
                "satisfaction": score,
                "words": complaints,
            },
        )
    return case

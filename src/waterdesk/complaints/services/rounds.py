"""Reply and rounds (R-K3): the outcome and its basis told to the complainant, and their
response — satisfied (the measures are carried out and a follow-up call made) or not (a
further round with its own investigation addendum and reply; past the policy's N rounds
the complaint is escalated a level and shown to the supervisors)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.complaints.models import (
    ROUNDS_LIMIT,
    TEXT_MAX_LENGTH,
    ComplaintRound,
    EscalationLevel,
    Investigation,
    ReplyChannel,
    Response,
)
from waterdesk.complaints.selectors import complaint_policy
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.complaints.services.intake import complaint_notice, complaint_reply_clock_start
from waterdesk.complaints.services.notices import REPLIED, complaint_supervisors_notify
from waterdesk.complaints.workflow import FOLLOW_UP_MILESTONE, reply_milestone
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input
from waterdesk.sla import services as sla
from waterdesk.sla.models import SlaUnit

# What a text message carries of the reply; the whole reply goes by e-mail and on the
# platform's pull.
SMS_REPLY_LENGTH = 200


def _current_round(complaint) -> ComplaintRound:
    return ComplaintRound.objects.select_for_update().get(
        complaint=complaint, number=complaint.round
    )


@transaction.atomic
def complaint_reply(*, actor, case: Case, reply: str, basis: str, channel: str) -> Case:
    """Tell the complainant the outcome of this round and its basis (答复). Needs the
    round's investigation report. The round's reply clock stops; the complainant is told in
    writing (SMS or e-mail) where they can be; a 12345 transfer's reply is returned through
    the platform's pull of the round."""
    case, complaint = complaint_lock(case, "reply", actor)
    current = _current_round(complaint)
    if not Investigation.objects.filter(round=current).exists():
        raise InvalidInput(
            _(
                "第 %(number)s 轮尚无调查报告：请责任部门先提交本轮调查报告（核实情况、调查"
                "过程、结论和处理建议），再答复投诉人。"
            )
            % {"number": current.number},
            code="investigation_report_required",
        )
    reply = text_input(reply, field="reply", label=_("处理结果"), limit=TEXT_MAX_LENGTH)
    basis = text_input(basis, field="basis", label=_("处理依据"), limit=TEXT_MAX_LENGTH)
    if channel not in ReplyChannel.values:
        raise InvalidInput(_("请选择答复方式。"), code="invalid_channel", field="channel")
    now = timezone.now()
    current.reply = reply
    current.basis = basis
    current.reply_channel = channel
    current.replied_at = now
    current.replied_by = actor
    current.save(update_fields=["reply", "basis", "reply_channel", "replied_at", "replied_by"])
    case = case_transition(
        case=case,
        action="reply",
        actor=actor,
        at=now,
        data={"round": current.number, "channel": channel},
    )
    sla.clock_stop(case=case, milestone=reply_milestone(current.number), at=now)
    short = reply if len(reply) <= SMS_REPLY_LENGTH else reply[: SMS_REPLY_LENGTH - 1] + "…"
    complaint_notice(
        case=case,
        complaint=complaint,
        template=REPLIED,
        context={"round": current.number, "reply": short, "full_reply": reply, "basis": basis},
    )
    return case


def _response_record(current: ComplaintRound, *, actor, response: str, note: str, at) -> None:
    current.response = response
    current.response_note = note
    current.response_at = at
    current.response_by = actor
    current.save(update_fields=["response", "response_note", "response_at", "response_by"])


@transaction.atomic
def complaint_satisfied(*, actor, case: Case, note: str = "") -> Case:
    """The complainant is satisfied with the reply (满意): the measures are carried out and
    the follow-up call is due within the policy's working days."""
    case, complaint = complaint_lock(case, "satisfied", actor)
    note = text_input(
        note, field="note", label=_("评价说明"), limit=TEXT_MAX_LENGTH, required=False
    )
    current = _current_round(complaint)
    now = timezone.now()
    _response_record(current, actor=actor, response=Response.SATISFIED, note=note, at=now)
    case = case_transition(
        case=case,
        action="satisfied",
        actor=actor,
        note=note,
        at=now,
        data={"round": current.number},
    )
    sla.clock_start(
        case=case,
        milestone=FOLLOW_UP_MILESTONE,
        start=now,
        amount=complaint_policy().follow_up_days,
        unit=SlaUnit.WORKING_DAYS,
    )
    return case


def may_open_round(case: Case, user) -> bool:
    """Another round is possible (fewer than the rounds' limit so far)."""
    return case.complaint.round < ROUNDS_LIMIT


@transaction.atomic
def complaint_not_satisfied(*, actor, case: Case, reason: str) -> Case:
    """The complainant is not satisfied (不满意): the round records why and the next round
    opens with its own reply clock. Past the policy's rounds the complaint goes up a level
    (the department head, then the management) and the supervisors are told."""
    case, complaint = complaint_lock(case, "not_satisfied", actor)
    if complaint.round >= ROUNDS_LIMIT:
        raise InvalidInput(
            _("投诉已处理 %(rounds)s 轮，不能再开新一轮：请公司领导研究决定后答复投诉人并办结。")
            % {"rounds": complaint.round},
            code="rounds_limit",
        )
    reason = text_input(reason, field="reason", label=_("不满意原因"), limit=TEXT_MAX_LENGTH)
    current = _current_round(complaint)
    now = timezone.now()
    _response_record(current, actor=actor, response=Response.NOT_SATISFIED, note=reason, at=now)
    number = current.number + 1
    ComplaintRound.objects.create(complaint=complaint, number=number, opened_at=now, reason=reason)
    previous_level = complaint.escalation_level
    beyond = number > complaint_policy().max_rounds
    if beyond:
        complaint.escalation_level = min(previous_level + 1, EscalationLevel.MANAGEMENT)
    complaint.round = number
    complaint.save(update_fields=["round", "escalation_level"])
    case = case_transition(
        case=case,
        action="not_satisfied",
        actor=actor,
        note=reason,
        at=now,
        data={
            "round": number,
            "escalated": complaint.escalation_level != previous_level,
            "level": complaint.escalation_level,
        },
    )
    complaint_reply_clock_start(case=case, complaint=complaint, round_number=number, at=now)
    if beyond:
        complaint_supervisors_notify(case=case, complaint=complaint, reason=reason)
    return case

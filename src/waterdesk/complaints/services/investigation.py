"""The investigation of a round (R-K2): the parties interviewed and the investigation
report (facts, process, finding, proposal). A round has one report: it is evidence, so a
second one is refused; what a later round finds is that round's report (its addendum)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.complaints.models import (
    TEXT_MAX_LENGTH,
    ComplaintRound,
    Interview,
    Investigation,
    RootCause,
)
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input

PERSON_MAX_LENGTH = 100
# An interview is recorded after it was held; a clock a few minutes fast is no reason to
# refuse it.
CLOCK_SLACK = timedelta(minutes=5)


def _current_round(complaint) -> ComplaintRound:
    return ComplaintRound.objects.select_for_update().get(
        complaint=complaint, number=complaint.round
    )


@transaction.atomic
def complaint_interview(
    *, actor, case: Case, person: str, party: str, held_at: datetime, summary: str
) -> Case:
    """Record a party interviewed in the current round (询问记录)."""
    case, complaint = complaint_lock(case, "interview", actor)
    person = text_input(person, field="person", label=_("被询问人"), limit=PERSON_MAX_LENGTH)
    if party not in Interview.Party.values:
        raise InvalidInput(_("请选择被询问人的身份。"), code="invalid_party", field="party")
    now = timezone.now()
    if held_at is None:
        raise InvalidInput(_("请填写询问时间。"), code="required", field="held_at")
    if timezone.is_naive(held_at):
        raise InvalidInput(_("询问时间不正确。"), code="invalid_datetime", field="held_at")
    if held_at > now + CLOCK_SLACK:
        raise InvalidInput(
            _("询问时间不能晚于现在：询问结束后再登记。"), code="held_in_future", field="held_at"
        )
    if held_at < case.opened_at - CLOCK_SLACK:
        raise InvalidInput(
            _("询问时间早于投诉受理时间，请核对。"), code="held_before_complaint", field="held_at"
        )
    summary = text_input(summary, field="summary", label=_("询问内容"), limit=TEXT_MAX_LENGTH)
    current = _current_round(complaint)
    interview = Interview.objects.create(
        round=current,
        person=person,
        party=party,
        held_at=held_at,
        summary=summary,
        recorded_by=actor,
    )
    return case_transition(
        case=case,
        action="interview",
        actor=actor,
        at=now,
        data={
            "round": current.number,
            "interview": interview.pk,
            "person": person,
            "party": party,
        },
    )


def may_report(case: Case, user) -> bool:
    """The current round has no investigation report yet."""
    return not Investigation.objects.filter(
        round__complaint__case=case, round__number=case.complaint.round
    ).exists()


@transaction.atomic
def complaint_report(
    *,
    actor,
    case: Case,
    facts: str,
    process: str,
    finding: str,
    proposal: str,
    root_cause: str,
    is_substantiated: bool | None,
) -> Case:
    """The current round's investigation report (调查报告; a later round's is its addendum).
    Its cause and whether the complaint is substantiated are kept on the complaint for the
    analysis (the last round's word)."""
    case, complaint = complaint_lock(case, "report", actor)
    current = _current_round(complaint)
    if Investigation.objects.filter(round=current).exists():
        raise InvalidInput(
            _(
                "第 %(number)s 轮已提交调查报告，报告作为证据不能修改或重复提交；"
                "新的调查情况在投诉人不满意、进入下一轮后以补充报告提交。"
            )
            % {"number": current.number},
            code="investigation_report_exists",
        )
    facts = text_input(facts, field="facts", label=_("投诉事项核实情况"), limit=TEXT_MAX_LENGTH)
    process = text_input(process, field="process", label=_("调查过程"), limit=TEXT_MAX_LENGTH)
    finding = text_input(finding, field="finding", label=_("调查结论"), limit=TEXT_MAX_LENGTH)
    proposal = text_input(proposal, field="proposal", label=_("处理建议"), limit=TEXT_MAX_LENGTH)
    if root_cause not in RootCause.values:
        raise InvalidInput(_("请选择原因分类。"), code="invalid_root_cause", field="root_cause")
    if is_substantiated not in (True, False):
        raise InvalidInput(_("请选择投诉是否属实。"), code="required", field="is_substantiated")
    now = timezone.now()
    Investigation.objects.create(
        round=current,
        facts=facts,
        process=process,
        finding=finding,
        proposal=proposal,
        reported_by=actor,
        reported_at=now,
    )
    complaint.root_cause = root_cause
    complaint.is_substantiated = is_substantiated
    complaint.save(update_fields=["root_cause", "is_substantiated"])
    return case_transition(
        case=case,
        action="report",
        actor=actor,
        at=now,
        data={
            "round": current.number,
            "root_cause": root_cause,
            "is_substantiated": is_substantiated,
        },
    )

"""Inquiries (业务咨询, R-B1): one service per step, on the Case backbone.

An inquiry is answered at intake (opened and answered in one transaction, closed at once)
or recorded with an answer deadline — the category's working days on the working-day
calendar — and routed to the category's department, which answers it later. The answer
reaches the customer through the channel they used, through the notification outbox:
e-mail for an e-mail, SMS for the rest (when there is a mobile). An inquiry turned into a
case of another kind (``case_open(..., follows=inquiry)``) is closed as converted (转办) by
``inquiry_follow_up``, the kind's ``on_follow_up`` hook.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel, Priority
from waterdesk.cases.services import (
    case_check_action,
    case_lock,
    case_open,
    case_priority,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.text import text_input as _text
from waterdesk.core.timeutil import local
from waterdesk.customers.validation import validate_email_address, validate_phone
from waterdesk.inquiries.models import (
    ANSWER_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    AnswerChannel,
    Inquiry,
    InquiryCategory,
    InquiryStatus,
)
from waterdesk.inquiries.selectors import (
    ANSWER_MILESTONE,
    inquiry_reply_channel,
)
from waterdesk.inquiries.workflow import INTAKE_PERMISSION, KIND
from waterdesk.notify.services import notification_queue
from waterdesk.sla import services as sla
from waterdesk.sla.models import SlaUnit

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language; the refusals below are translated for the clerk's screen.

REASON_MAX_LENGTH = 2000


def _category(category) -> InquiryCategory:
    if category is None or category.pk is None:
        raise InvalidInput(_("请选择咨询类别。"), code="required", field="category")
    category = InquiryCategory.objects.select_related("department").get(pk=category.pk)
    if not category.is_active:
        raise InvalidInput(
            _("咨询类别“%(name)s”已停用，请选择其他类别。") % {"name": category.name},
            code="category_inactive",
            field="category",
        )
    return category


def _lock(case: Case, action: str, actor) -> tuple[Case, Inquiry]:
    """Lock the case (then its detail), check that it is an inquiry and that ``actor`` may
    take ``action`` now — refusing before any input is looked at."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Inquiry.objects.select_for_update().get(case=case)


def _due_text(clock) -> str:
    return local(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock is not None else ""


def _answer(*, actor, case: Case, detail: Inquiry, answer: str, at: datetime, at_intake: bool):
    """Record the answer, close the case, stop the clock and send the answer on its way."""
    channel = inquiry_reply_channel(case, detail, at_intake=at_intake)
    case = case_transition(
        case=case, action="answer", actor=actor, note=answer, data={"channel": channel}, at=at
    )
    detail.answer, detail.answered_by, detail.answered_at = answer, actor, at
    detail.answer_channel = channel
    detail.save(update_fields=["answer", "answered_by", "answered_at", "answer_channel"])
    sla.clock_stop(case=case, milestone=ANSWER_MILESTONE, at=at)
    if channel in (AnswerChannel.SMS, AnswerChannel.EMAIL):
        notification_queue(
            template="inquiry.answered",
            context={
                "category": detail.category.name,
                "question": detail.question,
                "answer": answer,
            },
            case=case,
            channels=[channel],
            email=detail.email,
        )
    return case


# --- intake -------------------------------------------------------------------------------


@transaction.atomic
def inquiry_register(
    *,
    actor,
    channel: str,
    contact_name: str,
    contact_phone: str,
    category: InquiryCategory,
    question: str,
    customer=None,
    email: str = "",
    answer: str = "",
    priority: str = Priority.NORMAL,
    green_channel_reason: str = "",
    summary: str = "",
) -> Case:
    """Register an inquiry (受理登记).

    With ``answer`` it was answered at intake: the case is opened and answered by ``actor``
    at the same moment and closed (at the counter or on the phone the customer has it
    already; through other channels it is sent like a later answer). Without, the case goes
    to the category's department with an answer deadline of the category's working days,
    and the customer is told the case number and the deadline. An e-mail inquiry needs the
    address to answer (``email``, or the customer's); its contact phone is optional. The
    case's summary is the question unless ``summary`` says otherwise.
    """
    if not actor.has_perm(INTAKE_PERMISSION):
        raise NotPermitted()
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    contact_name = _text(contact_name, field="contact_name", label=_("联系人"), limit=100)
    if channel == Channel.EMAIL and not str(contact_phone or "").strip():
        contact_phone = ""
    else:
        contact_phone = validate_phone(contact_phone)
    category = _category(category)
    question = _text(question, field="question", label=_("咨询内容"), limit=QUESTION_MAX_LENGTH)
    answer = _text(
        answer, field="answer", label=_("答复内容"), limit=ANSWER_MAX_LENGTH, required=False
    )
    email = validate_email_address(email)
    if channel == Channel.EMAIL and not (email or (customer is not None and customer.email)):
        raise InvalidInput(
            _("电子邮件咨询须填写客户的电子邮箱，答复将发送至该邮箱。"),
            code="email_required",
            field="email",
        )
    priority, green_channel_reason = case_priority(customer, priority, green_channel_reason)
    now = timezone.now()
    case = case_open(
        actor=actor,
        kind=KIND,
        status=InquiryStatus.AWAITING_ANSWER,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        customer=customer,
        department=category.department,  # None: the actor's department
        priority=priority,
        green_channel_reason=green_channel_reason,
        # The question is what the case is about: a case opened from the inquiry starts
        # with it (``?follows=``), so nobody types it again.
        summary=str(summary or "").strip() or question,
        opened_at=now,
    )
    detail = Inquiry.objects.create(case=case, category=category, question=question, email=email)
    if answer:
        return _answer(actor=actor, case=case, detail=detail, answer=answer, at=now, at_intake=True)
    clock = sla.clock_start(
        case=case,
        milestone=ANSWER_MILESTONE,
        start=now,
        amount=category.reply_days,
        unit=SlaUnit.WORKING_DAYS,
    )
    reply_channel = inquiry_reply_channel(case, detail)
    if reply_channel in (AnswerChannel.SMS, AnswerChannel.EMAIL):
        notification_queue(
            template="inquiry.registered",
            context={"category": category.name, "due_at": _due_text(clock)},
            case=case,
            channels=[reply_channel],
            email=email,
        )
    return case


# --- answer and withdrawal ------------------------------------------------------------------


@transaction.atomic
def inquiry_answer(*, actor, case: Case, answer: str) -> Case:
    """Answer an inquiry waiting for it: the case closes, the answer clock stops (met or
    late) and the answer goes to the customer through the channel they used."""
    case, detail = _lock(case, "answer", actor)
    answer = _text(answer, field="answer", label=_("答复内容"), limit=ANSWER_MAX_LENGTH)
    return _answer(
        actor=actor, case=case, detail=detail, answer=answer, at=timezone.now(), at_intake=False
    )


@transaction.atomic
def inquiry_withdraw(*, actor, case: Case, reason: str) -> Case:
    """The customer no longer needs an answer: closed without one, the clock cancelled."""
    case, _detail = _lock(case, "withdraw", actor)
    reason = _text(reason, field="reason", label=_("撤销原因"), limit=REASON_MAX_LENGTH)
    case = case_transition(case=case, action="withdraw", actor=actor, note=reason)
    sla.clocks_cancel(case=case)
    return case


# --- turned into a case of another kind -------------------------------------------------------


@transaction.atomic
def inquiry_convert(*, actor, case: Case, target: Case) -> Case:
    """Close an inquiry waiting for its answer as converted (转办) into ``target``, a case of
    another kind opened from it; the answer clock stops — the customer's request is now
    handled as that case. The internal move of the follow-up hook, never offered."""
    case, detail = _lock(case, "convert", actor)
    now = timezone.now()
    case = case_transition(
        case=case,
        action="convert",
        actor=actor,
        data={"case": target.number, "kind": target.kind},
        at=now,
    )
    detail.converted_to = target
    detail.save(update_fields=["converted_to"])
    sla.clock_stop(case=case, milestone=ANSWER_MILESTONE, at=now)
    return case


def inquiry_follow_up(*, actor, source: Case, target: Case) -> None:
    """The kind's ``on_follow_up`` hook: a case of another kind was opened from this inquiry
    (the link is on both timelines already). An inquiry still waiting for its answer is
    closed as converted into it; one already closed stays as it is. Runs inside the
    transaction that opens ``target``."""
    source = case_lock(source)
    if source.status == InquiryStatus.AWAITING_ANSWER:
        inquiry_convert(actor=actor, case=source, target=target)

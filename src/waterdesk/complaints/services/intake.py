"""Complaint intake (投诉受理, R-K1): from the counter, the hotline, e-mail, the web form and
the city's 12345 platform, one service opens the case.

The complaint goes to the category's department (else the department complained about,
else the intake's own) with two clocks: acknowledge (受理确认, policy's working days) and
the reply of round 1 (policy's working days; a 12345 transfer's own deadline when it is
earlier). The complainant is told the case number and the reply deadline.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel, Priority
from waterdesk.cases.services import case_open, case_priority
from waterdesk.complaints.models import (
    MATTER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Complaint,
    ComplaintCategory,
    ComplaintRound,
    ComplaintStatus,
    ReplyChannel,
)
from waterdesk.complaints.selectors import complaint_policy, complaint_reply_channel
from waterdesk.complaints.workflow import (
    ACKNOWLEDGE_MILESTONE,
    INTAKE_PERMISSION,
    KIND,
    REPLY_POLICY,
    reply_milestone,
)
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.text import text_input
from waterdesk.core.timeutil import local
from waterdesk.customers.validation import validate_email_address, validate_phone
from waterdesk.notify.services import notification_queue
from waterdesk.sla import services as sla
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import SlaUnit

CITY_REFERENCE_MAX_LENGTH = 64


def _category(category) -> ComplaintCategory:
    if category is None or category.pk is None:
        raise InvalidInput(_("请选择投诉类别。"), code="required", field="category")
    category = ComplaintCategory.objects.select_related("department").get(pk=category.pk)
    if not category.is_active:
        raise InvalidInput(
            _("投诉类别“%(name)s”已停用，请选择其他类别。") % {"name": category.name},
            code="category_inactive",
            field="category",
        )
    return category


def complaint_reply_clock_start(*, case: Case, complaint: Complaint, round_number: int, at):
    """Start the reply clock of a round: the policy's working days, or the 12345 platform's
    deadline when that comes first (then timed in calendar hours up to it)."""
    policy = complaint_policy()
    amount, unit = policy.reply_days, SlaUnit.WORKING_DAYS
    deadline = complaint.city_deadline
    if deadline is not None and deadline < load_calendar().due_at(at, unit, Decimal(amount)):
        amount = Decimal(max((deadline - at).total_seconds(), 0) / 3600).quantize(Decimal("0.01"))
        unit = SlaUnit.CALENDAR_HOURS
    clock = sla.clock_start(
        case=case,
        milestone=reply_milestone(round_number),
        policy_milestone=REPLY_POLICY,
        start=at,
        amount=amount,
        unit=unit,
    )
    return clock


def complaint_notice(*, case: Case, complaint: Complaint, template: str, context: dict) -> None:
    """Tell the complainant through their channel (SMS or e-mail); a 12345 transfer is
    answered through the platform's pull, a complainant without either is called."""
    channel = complaint_reply_channel(case, complaint)
    if channel not in (ReplyChannel.SMS, ReplyChannel.EMAIL):
        return
    notification_queue(
        template=template,
        context={"category": complaint.category.name, **context},
        case=case,
        channels=[channel],
        email=complaint.email,
    )


def _due_text(clock) -> str:
    return local(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock is not None else ""


@transaction.atomic
def complaint_register(
    *,
    actor,
    channel: str,
    contact_name: str,
    contact_phone: str,
    category: ComplaintCategory,
    matter: str,
    demand: str = "",
    customer=None,
    premise=None,
    email: str = "",
    staff_concerned=None,
    department_concerned=None,
    linked_case: Case | None = None,
    linked_bill=None,
    city_reference: str = "",
    city_deadline: datetime | None = None,
    city_payload: dict | None = None,
    priority: str = Priority.NORMAL,
    green_channel_reason: str = "",
    opened_at: datetime | None = None,
) -> Case:
    """Register a complaint (投诉受理). ``actor=None``: a channel the system reads itself
    (the complaint mailbox, the 12345 platform's push, whose callers check their own
    permission). A complaint by e-mail needs the address to reply to; its phone is
    optional. Returns the case, routed and timed, with round 1 open."""
    if actor is not None and not actor.has_perm(INTAKE_PERMISSION):
        raise NotPermitted()
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    contact_name = text_input(contact_name, field="contact_name", label=_("投诉人"), limit=100)
    if channel in (Channel.EMAIL, Channel.WEB) and not str(contact_phone or "").strip():
        contact_phone = ""
    else:
        contact_phone = validate_phone(contact_phone)
    category = _category(category)
    matter = text_input(matter, field="matter", label=_("投诉事项"), limit=MATTER_MAX_LENGTH)
    demand = text_input(
        demand, field="demand", label=_("投诉诉求"), limit=TEXT_MAX_LENGTH, required=False
    )
    email = validate_email_address(email)
    if channel == Channel.EMAIL and not (email or (customer is not None and customer.email)):
        raise InvalidInput(
            _("电子邮件投诉须填写投诉人的电子邮箱，答复将发送至该邮箱。"),
            code="email_required",
            field="email",
        )
    if not contact_phone and not email:
        raise InvalidInput(
            _("请填写联系电话或电子邮箱，以便答复投诉人。"),
            code="contact_required",
            field="contact_phone",
        )
    city_reference = str(city_reference or "").strip()
    if len(city_reference) > CITY_REFERENCE_MAX_LENGTH:
        raise InvalidInput(_("12345 工单号过长。"), code="too_long", field="city_reference")
    if city_reference and channel != Channel.CITY_HOTLINE:
        raise InvalidInput(
            _("只有 12345 转办件有平台工单号。"), code="invalid_channel", field="channel"
        )
    priority, green_channel_reason = case_priority(customer, priority, green_channel_reason)
    now = opened_at or timezone.now()
    if city_deadline is not None and city_deadline <= now:
        raise InvalidInput(
            _("12345 办结时限已过，请与平台核对。"), code="deadline_past", field="deadline"
        )
    department = category.department or department_concerned
    case = case_open(
        actor=actor,
        kind=KIND,
        status=ComplaintStatus.REGISTERED,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        customer=customer,
        premise=premise,
        department=department,
        priority=priority,
        green_channel_reason=green_channel_reason,
        summary=matter,
        opened_at=now,
    )
    complaint = Complaint.objects.create(
        case=case,
        category=category,
        matter=matter,
        demand=demand,
        email=email,
        staff_concerned=staff_concerned,
        department_concerned=department_concerned,
        linked_case=linked_case,
        linked_bill=linked_bill,
        city_reference=city_reference,
        city_deadline=city_deadline,
        city_payload=city_payload or {},
    )
    ComplaintRound.objects.create(complaint=complaint, number=1, opened_at=now)
    policy = complaint_policy()
    sla.clock_start(
        case=case,
        milestone=ACKNOWLEDGE_MILESTONE,
        start=now,
        amount=policy.acknowledge_days,
        unit=SlaUnit.WORKING_DAYS,
    )
    clock = complaint_reply_clock_start(case=case, complaint=complaint, round_number=1, at=now)
    complaint_notice(
        case=case,
        complaint=complaint,
        template="complaint.registered",
        context={"due_at": _due_text(clock)},
    )
    return case

"""Praise (表扬, R-K1): recorded from every channel like a complaint, acknowledged within
the policy's working days — passed to the praised department (and staff member) and the
customer thanked — or withdrawn when recorded in error.

The praised staff member, department and crew stay on the record (foreign keys), so that
praise and complaint counts per department and staff can be computed side by side.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel
from waterdesk.cases.services import case_check_action, case_lock, case_open, case_transition
from waterdesk.complaints.models import (
    PRAISE_MATTER_MAX_LENGTH,
    TEAM_NAME_MAX_LENGTH,
    Praise,
    PraiseStatus,
)
from waterdesk.complaints.praise_workflow import ACKNOWLEDGE_MILESTONE, INTAKE_PERMISSION, KIND
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.text import text_input
from waterdesk.customers.validation import validate_email_address, validate_phone
from waterdesk.notify.services import notification_queue
from waterdesk.sla import services as sla

NOTE_MAX_LENGTH = 2000


def praised_label(praise: Praise) -> str:
    """Who is praised, in words: the staff member, the crew, the department."""
    parts = []
    if praise.staff_praised_id:
        user = praise.staff_praised
        parts.append(user.get_full_name() or user.get_username())
    if praise.team_name:
        parts.append(praise.team_name)
    if praise.department_praised_id:
        parts.append(praise.department_praised.name)
    return "、".join(parts) or _("我们的工作")


@transaction.atomic
def praise_register(
    *,
    actor,
    channel: str,
    contact_name: str,
    contact_phone: str,
    matter: str,
    customer=None,
    premise=None,
    email: str = "",
    staff_praised=None,
    department_praised=None,
    team_name: str = "",
    opened_at=None,
) -> Case:
    """Register a praise (表扬登记) from any channel. ``actor=None``: a channel the system
    reads itself (the mailbox). The case stays with the intake's department (the complaint
    desk that passes it on), with an acknowledgement clock ("acknowledge", the praise
    policy's working days); the praised department is recorded for the counts."""
    if actor is not None and not actor.has_perm(INTAKE_PERMISSION):
        raise NotPermitted()
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    contact_name = text_input(contact_name, field="contact_name", label=_("表扬人"), limit=100)
    if channel in (Channel.EMAIL, Channel.WEB) and not str(contact_phone or "").strip():
        contact_phone = ""
    else:
        contact_phone = validate_phone(contact_phone)
    matter = text_input(matter, field="matter", label=_("表扬事项"), limit=PRAISE_MATTER_MAX_LENGTH)
    team_name = text_input(
        team_name,
        field="team_name",
        label=_("被表扬班组"),
        limit=TEAM_NAME_MAX_LENGTH,
        required=False,
    )
    email = validate_email_address(email)
    if staff_praised is not None and not staff_praised.is_active:
        raise InvalidInput(_("被表扬员工已停用。"), code="staff_inactive", field="staff_praised")
    if department_praised is None and staff_praised is not None:
        # Counted for the staff member's department too.
        profile = getattr(staff_praised, "staff_profile", None)
        department_praised = profile.department if profile is not None else None
    now = opened_at or timezone.now()
    case = case_open(
        actor=actor,
        kind=KIND,
        status=PraiseStatus.REGISTERED,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        customer=customer,
        premise=premise,
        summary=matter,
        opened_at=now,
    )
    Praise.objects.create(
        case=case,
        matter=matter,
        email=email,
        staff_praised=staff_praised,
        department_praised=department_praised,
        team_name=team_name,
    )
    sla.clock_start(case=case, milestone=ACKNOWLEDGE_MILESTONE, start=now)
    return case


def _lock(case: Case, action: str, actor) -> tuple[Case, Praise]:
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Praise.objects.select_for_update().get(case=case)


@transaction.atomic
def praise_acknowledge(*, actor, case: Case, note: str = "") -> Case:
    """Pass the praise to the praised department (recorded as ``forwarded_to``, on the
    timeline) and thank the customer: by e-mail when they wrote in by e-mail or left only
    an address, else by SMS."""
    case, praise = _lock(case, "acknowledge", actor)
    note = text_input(
        note, field="note", label=_("转达说明"), limit=NOTE_MAX_LENGTH, required=False
    )
    now = timezone.now()
    # The praised department (the staff member's when only they were named); none when
    # only a crew by name, or nobody in particular, was praised.
    department = praise.department_praised
    case = case_transition(
        case=case,
        action="acknowledge",
        actor=actor,
        note=note,
        data={"department": department.name if department is not None else ""},
        at=now,
    )
    praise.acknowledged_at, praise.acknowledged_by = now, actor
    praise.forwarded_to, praise.acknowledge_note = department, note
    praise.save(
        update_fields=["acknowledged_at", "acknowledged_by", "forwarded_to", "acknowledge_note"]
    )
    sla.clock_stop(case=case, milestone=ACKNOWLEDGE_MILESTONE, at=now)
    by_email = case.channel == Channel.EMAIL or not case.contact_phone
    if not by_email or praise.email:
        notification_queue(
            template="praise.thanked",
            context={"praised": praised_label(praise)},
            case=case,
            channels=["email" if by_email else "sms"],
            email=praise.email,
        )
    return case


@transaction.atomic
def praise_withdraw(*, actor, case: Case, reason: str) -> Case:
    """A praise recorded in error: closed without thanks, the clock cancelled."""
    case, _praise = _lock(case, "withdraw", actor)
    reason = text_input(reason, field="reason", label=_("撤销原因"), limit=NOTE_MAX_LENGTH)
    case = case_transition(case=case, action="withdraw", actor=actor, note=reason)
    sla.clocks_cancel(case=case)
    return case

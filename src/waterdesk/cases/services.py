"""Writes on the Case backbone: numbering, opening, transitions, assignment, attachments."""

from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.access import case_may_act_now
from waterdesk.cases.kinds import case_closed_listeners, kind_check, kind_spec, workflow_for
from waterdesk.cases.models import (
    ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH,
    Attachment,
    Case,
    CaseEvent,
    CaseSequence,
    Priority,
)
from waterdesk.cases.workflow import Transition
from waterdesk.core.errors import ConcurrentUpdate, IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.text import text_clean_line
from waterdesk.core.timeutil import local

# The green-channel reason recorded for vulnerable customers (elderly living alone, …).
GREEN_FOR_VULNERABLE = "特殊关爱客户"


def case_priority(customer, priority: str, green_channel_reason: str) -> tuple[str, str]:
    """The priority a new case gets, for every kind: a green channel needs a reason;
    vulnerable customers (elderly living alone, hospitals …) always get it."""
    if priority not in Priority.values:
        raise InvalidInput(_("优先级不正确。"), code="invalid_priority", field="priority")
    reason = str(green_channel_reason or "").strip()
    if priority == Priority.GREEN and not reason:
        raise InvalidInput(
            _("绿色通道须注明原因。"), code="green_reason_required", field="green_channel_reason"
        )
    if customer is not None and customer.is_vulnerable and priority != Priority.GREEN:
        return Priority.GREEN, GREEN_FOR_VULNERABLE
    return priority, reason


def case_number_next(*, kind: str, at: datetime) -> str:
    """Hand out the next number for a kind and local day, e.g. ``XZ-20261127-0042``.

    The counter row is bumped with an atomic ``UPDATE … SET last_value = last_value + 1``,
    so concurrent intakes never get the same number; the caller's transaction owns it.
    """
    return number_next(prefix=kind_spec(kind).number_prefix, at=at)


def number_next(*, prefix: str, at: datetime) -> str:
    """The next number under ``prefix`` for the local day of ``at``: a case kind's, or a
    record's that is numbered like a case (the quality lab's samples, ``QS-…``)."""
    day = local(at).date()
    for _attempt in range(3):
        updated = CaseSequence.objects.filter(prefix=prefix, day=day).update(
            last_value=F("last_value") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    CaseSequence.objects.create(prefix=prefix, day=day, last_value=1)
            except IntegrityError:
                continue  # somebody created today's row first; bump it instead
        value = CaseSequence.objects.get(prefix=prefix, day=day).last_value
        return f"{prefix}-{day:%Y%m%d}-{value:04d}"
    raise ConcurrentUpdate()


def case_event_record(
    *,
    case: Case,
    actor,
    action: str,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        at=at or timezone.now(),
    )


@transaction.atomic
def case_open(
    *,
    actor,
    kind: str,
    status: str,
    channel: str,
    contact_name: str,
    contact_phone: str,
    customer=None,
    premise=None,
    department=None,
    priority: str = "normal",
    green_channel_reason: str = "",
    summary: str = "",
    opened_at: datetime | None = None,
    follows: Case | None = None,
) -> Case:
    """Open a case of a registered kind. ``follows``: the case it was opened from (an
    inquiry turned into an application); both timelines record the link and the source
    kind's ``on_follow_up`` reacts (e.g. closes the inquiry as turned into a case).
    ``actor=None`` is the system (the nightly job that opens collection cases)."""
    if actor is not None and not actor.has_perm("cases.register_case"):
        raise NotPermitted()
    kind_check(kind)
    opened_at = opened_at or timezone.now()
    if department is None:
        profile = getattr(actor, "staff_profile", None)
        department = profile.department if profile else None
    case = Case.objects.create(
        number=case_number_next(kind=kind, at=opened_at),
        kind=kind,
        channel=channel,
        customer=customer,
        premise=premise,
        contact_name=text_clean_line(contact_name),
        contact_phone=contact_phone,
        department=department,
        priority=priority,
        green_channel_reason=green_channel_reason,
        status=status,
        summary=summary,
        opened_at=opened_at,
        opened_by=actor,
    )
    case_event_record(
        case=case,
        actor=actor,
        action="open",
        to_status=status,
        at=opened_at,
        data={"channel": channel, "priority": priority},
    )
    if follows is not None:
        case_follow_up_record(actor=actor, source=follows, target=case)
    return case


def case_follow_up_record(*, actor, source: Case, target: Case) -> None:
    """Link a new case to the case it was opened from, on both timelines, and let the
    source's kind react. Part of the caller's transaction."""
    if source.pk == target.pk or source.kind == target.kind:
        raise InvalidInput(
            _("只能由其他类型的工单转办。"), code="invalid_follow_up", field="follows"
        )
    case_event_record(
        case=source,
        actor=actor,
        action="followed_up",
        data={"case": target.number, "kind": target.kind},
    )
    case_event_record(
        case=target,
        actor=actor,
        action="follows",
        data={"case": source.number, "kind": source.kind},
    )
    hook = kind_spec(source.kind).on_follow_up
    if hook is not None:
        hook(actor=actor, source=source, target=target)


def case_lock(case: Case) -> Case:
    """Lock the case row for the rest of the transaction (lock order: case, then detail)."""
    return Case.objects.select_for_update().get(pk=case.pk)


def case_check_action(*, case: Case, action: str, actor) -> Transition:
    """The transition ``action`` from the case's current status, if ``actor`` may take it."""
    transition = workflow_for(case.kind).get(action, case.status)
    if actor is not None and not actor.has_perm(transition.permission):
        raise NotPermitted()
    return transition


def case_transition(
    *,
    case: Case,
    action: str,
    actor,
    note: str = "",
    data: dict | None = None,
    assignee=...,
    at: datetime | None = None,
) -> Case:
    """Move a case along its workflow. Must run inside the caller's transaction after
    ``case_lock``; the compare-and-set on status makes a lost race visible even without it.

    ``actor=None`` means the system (a periodic job) and skips the permission check.
    A move to a terminal status calls the case-closed listeners
    (``cases.kinds.case_closed_listener_register``) after its event is recorded.
    """
    transition = case_check_action(case=case, action=action, actor=actor)
    at = at or timezone.now()
    workflow = workflow_for(case.kind)
    updates: dict = {"status": transition.target, "version": F("version") + 1}
    if transition.target in workflow.terminal:
        updates["closed_at"] = at
    if assignee is not ...:
        updates["assignee"] = assignee
    changed = Case.objects.filter(pk=case.pk, status=case.status).update(**updates)
    if changed != 1:
        raise ConcurrentUpdate()
    case_event_record(
        case=case,
        actor=actor,
        action=action,
        from_status=case.status,
        to_status=transition.target,
        note=note,
        data=data,
        at=at,
    )
    case.refresh_from_db()
    if transition.target in workflow.terminal:
        for listener in case_closed_listeners():
            listener(case=case, actor=actor, action=action, at=at)
    return case


# --- owners ---------------------------------------------------------------------------
#
# A case gets an owner when it is taken: claimed from the team queue by someone who can act
# on it now, or assigned by a supervisor (with a reason). Reassignments are timeline events.

REASSIGN_REASON_MAX_LENGTH = 200


def user_display_name(user) -> str:
    """How staff are named on pages, timelines and documents: the full name, else the login."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def case_workable_by(*, user, case: Case) -> bool:
    """The user is active and the user's role has a move on the case in its current status:
    only such a person may own it (an owner who cannot move the case is a dead end)."""
    return user is not None and user.is_active and case_may_act_now(user=user, case=case)


def _owned_by_someone_else(case: Case, user) -> bool:
    return case.assignee_id not in (None, user.pk) and case.assignee.is_active


def case_claimable_by(*, user, case: Case) -> bool:
    """``case_claim`` would make ``user`` the owner: the case is open, nobody active owns it
    yet and the user's role has a move on it now."""
    return (
        case.assignee_id != user.pk
        and not _owned_by_someone_else(case, user)
        and case_workable_by(user=user, case=case)
    )


def _owner_event(*, case: Case, actor, action: str, previous, owner, note: str = "") -> None:
    case_event_record(
        case=case,
        actor=actor,
        action=action,
        note=note,
        data={
            "from": previous.get_username() if previous else None,
            "to": owner.get_username() if owner else None,
            "from_name": user_display_name(previous) or None,
            "to_name": user_display_name(owner) or None,
        },
    )


@transaction.atomic
def case_claim(*, case: Case, actor) -> Case:
    """Take an unowned case from the team queue: the actor becomes its owner."""
    case = case_lock(case)
    if not case.is_open:
        raise IllegalTransition(_("工单已办结，无需领取。"))
    if not case_workable_by(user=actor, case=case):
        raise NotPermitted(_("您的岗位在当前状态下不能办理此工单，不能领取。"))
    if case.assignee_id == actor.pk:
        return case
    if _owned_by_someone_else(case, actor):
        raise IllegalTransition(
            _("该工单已由%(name)s领取；如需转给您，请联系主管改派。")
            % {"name": user_display_name(case.assignee)},
            code="already_claimed",
        )
    previous = case.assignee
    Case.objects.filter(pk=case.pk).update(assignee=actor, version=F("version") + 1)
    _owner_event(case=case, actor=actor, action="claim", previous=previous, owner=actor)
    case.refresh_from_db()
    return case


def _reassign_reason(reason: str) -> str:
    reason = text_clean_line(reason or "")
    if not reason:
        raise InvalidInput(_("请填写改派原因。"), code="reason_required", field="reason")
    if len(reason) > REASSIGN_REASON_MAX_LENGTH:
        raise InvalidInput(
            _("改派原因不能超过 %(limit)d 个字。") % {"limit": REASSIGN_REASON_MAX_LENGTH},
            code="reason_too_long",
            field="reason",
        )
    return reason


def _assign_locked(*, case: Case, assignee, actor, reason: str) -> Case:
    if not case.is_open:
        raise IllegalTransition(_("工单 %(number)s 已办结，不能改派。") % {"number": case.number})
    if not case_workable_by(user=assignee, case=case):
        raise InvalidInput(
            _("%(name)s 的岗位不能办理工单 %(number)s 的当前环节，请选择其他人员。")
            % {"name": user_display_name(assignee), "number": case.number},
            code="assignee_not_eligible",
            field="assignee",
        )
    previous = case.assignee
    if previous is not None and previous.pk == assignee.pk:
        return case
    Case.objects.filter(pk=case.pk).update(assignee=assignee, version=F("version") + 1)
    _owner_event(
        case=case, actor=actor, action="reassign", previous=previous, owner=assignee, note=reason
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_assign(*, case: Case, assignee, actor, reason: str) -> Case:
    """A supervisor gives the case to ``assignee`` (who must be able to act on it now),
    with a reason recorded on the timeline."""
    if not actor.has_perm("cases.reassign_case"):
        raise NotPermitted()
    reason = _reassign_reason(reason)
    return _assign_locked(case=case_lock(case), assignee=assignee, actor=actor, reason=reason)


@transaction.atomic
def cases_assign_bulk(*, cases, assignee, actor, reason: str) -> list[Case]:
    """Give several cases to one person at once (a colleague is off sick): all of them or,
    when one cannot go to that person, none, with the case named in the refusal."""
    if not actor.has_perm("cases.reassign_case"):
        raise NotPermitted()
    reason = _reassign_reason(reason)
    cases = list(cases)
    if not cases:
        raise InvalidInput(_("请至少选择一个工单。"), code="no_cases_selected", field="cases")
    locked = list(
        Case.objects.select_for_update().filter(pk__in=[c.pk for c in cases]).order_by("pk")
    )
    return [
        _assign_locked(case=case, assignee=assignee, actor=actor, reason=reason) for case in locked
    ]


# File signatures of the types we accept; the browser's Content-Type is not trusted.
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff_content_type(uploaded: UploadedFile) -> str | None:
    """The type of an upload by its first bytes (PDF, JPEG, PNG), None for anything else."""
    head = uploaded.read(16)
    uploaded.seek(0)
    for content_type, signatures in _MAGIC.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


PHOTO_MAX_BYTES = 10 * 1024 * 1024


def photo_content_type(upload: UploadedFile, *, field: str = "photo") -> str:
    """The type of a photo taken on site (JPEG or PNG by its first bytes, at most 10 MB);
    ``InvalidInput`` on ``field`` otherwise."""
    if upload.size > PHOTO_MAX_BYTES:
        raise InvalidInput(_("照片不能超过 10 MB。"), code="photo_too_large", field=field)
    content_type = sniff_content_type(upload)
    if content_type not in ("image/jpeg", "image/png"):
        raise InvalidInput(
            _("请上传 JPEG 或 PNG 照片。"), code="photo_type_not_allowed", field=field
        )
    return content_type


@transaction.atomic
def attachment_add(
    *, case: Case, actor, uploaded_file: UploadedFile, material_code: str = ""
) -> Attachment:
    """Attach a file to a case. ``actor=None`` is the system (a file that came with a
    complaint by e-mail): no permission check, no uploader recorded."""
    if actor is not None and not actor.has_perm("cases.add_attachment"):
        raise NotPermitted()
    max_bytes = settings.WATERDESK_ATTACHMENT_MAX_BYTES
    if uploaded_file.size > max_bytes:
        raise InvalidInput(
            _("文件过大：%(size).1f MB，上限为 %(limit).0f MB。")
            % {"size": uploaded_file.size / 1048576, "limit": max_bytes / 1048576},
            code="attachment_too_large",
            field="file",
        )
    content_type = sniff_content_type(uploaded_file)
    if content_type is None or content_type not in settings.WATERDESK_ATTACHMENT_TYPES:
        raise InvalidInput(
            _("不支持的文件类型，请上传 PDF、JPEG 或 PNG 文件。"),
            code="attachment_type_not_allowed",
            field="file",
        )
    attachment = Attachment(
        case=case,
        material_code=material_code,
        original_name=uploaded_file.name[:200],
        content_type=content_type,
        size=uploaded_file.size,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    attachment.file.save(uploaded_file.name, uploaded_file, save=False)
    attachment.save()
    case_event_record(
        case=case,
        actor=actor,
        action="attach",
        data={"file": attachment.original_name, "material": material_code},
    )
    return attachment


def attachment_may_withdraw(*, actor, attachment: Attachment) -> bool:
    """Whether ``actor`` may withdraw this attachment: with the permission, its uploader,
    the case's assignee, or a supervisor who sees every case."""
    if not actor.has_perm("cases.withdraw_attachment"):
        return False
    return (
        attachment.uploaded_by_id == actor.pk
        or attachment.case.assignee_id == actor.pk
        or actor.has_perm("cases.view_all_cases")
    )


@transaction.atomic
def attachment_withdraw(*, actor, attachment: Attachment, reason: str) -> Attachment:
    """Withdraw a wrongly uploaded file. Evidence is never deleted: the row and the file stay,
    marked withdrawn with the reason, and the timeline records who did it and why."""
    if not attachment_may_withdraw(actor=actor, attachment=attachment):
        raise NotPermitted(
            _("只有上传人、工单经办人或服务监督员可以撤回附件。"),
        )
    reason = " ".join(str(reason or "").split())  # one line, as shown on the timeline
    if not reason:
        raise InvalidInput(
            _("请填写撤回原因，例如“上传错了文件”。"), code="reason_required", field="reason"
        )
    if len(reason) > ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH:
        raise InvalidInput(
            _("撤回原因不能超过 %(limit)s 个字。")
            % {"limit": ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH},
            code="too_long",
            field="reason",
        )
    now = timezone.now()
    # Compare-and-set: of two withdrawals at the same time exactly one wins.
    withdrawn = Attachment.objects.filter(pk=attachment.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=actor, withdrawal_reason=reason
    )
    if withdrawn != 1:
        raise IllegalTransition(
            _("该附件已经撤回，无需再次撤回；如需补充材料，请上传新的文件。"),
            code="attachment_already_withdrawn",
        )
    case_event_record(
        case=attachment.case,
        actor=actor,
        action="withdraw_attachment",
        note=reason,
        data={
            "attachment": str(attachment.public_id),
            "file": attachment.original_name,
            "material": attachment.material_code,
        },
        at=now,
    )
    attachment.refresh_from_db()
    return attachment

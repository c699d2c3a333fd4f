"""Whistleblower reports (举报, R-V2): intake from every channel, the investigation and the
feedback to the reporter, the tracking code, and the reporter's identity (supervisors only,
every attempt logged).

Intake: ``whistleblower_report_register`` — ``actor=None`` for the public channels (the web
form, the report mailbox), whose callers protect themselves (rate limit, bot checks).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel
from waterdesk.cases.services import (
    case_check_action,
    case_lock,
    case_open,
    case_transition,
    sniff_content_type,
)
from waterdesk.complaints.models import (
    REPORT_LINE_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    REPORTER_PLACEHOLDER,
    IdentityViewChannel,
    Report,
    ReporterIdentityView,
    ReportEvidence,
    ReportFinding,
    ReportIdentity,
    ReportStatus,
)
from waterdesk.complaints.report_workflow import (
    ACKNOWLEDGE_MILESTONE,
    CONCLUDE_MILESTONE,
    HANDLE_PERMISSION,
    IDENTITY_PERMISSIONS,
    INTAKE_PERMISSION,
    KIND,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.customers.validation import validate_email_address, validate_phone
from waterdesk.notify.models import NotificationChannel
from waterdesk.notify.services import mobile_address, notification_queue
from waterdesk.sla import services as sla

# The tracking code: 16 characters of an alphabet without look-alikes (no 0/O, 1/I/L),
# about 79 bits; shown in groups of four.
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 16
EVIDENCE_MAX_FILES = 3
# The channels with no staff member at the intake (the caller checks for abuse).
PUBLIC_CHANNELS = (Channel.WEB, Channel.EMAIL)


@dataclass(frozen=True)
class ReportReceipt:
    """A registered report and its tracking code, in clear only here: show it once."""

    case: Case
    tracking_code: str


def tracking_code_new() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_LENGTH, 4))


def tracking_code_normal(code) -> str:
    """The code as typed, without separators or spaces, upper case."""
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def tracking_hash(code) -> str:
    return hashlib.sha256(tracking_code_normal(code).encode()).hexdigest()


def report_lock(case: Case, action: str, actor) -> tuple[Case, Report]:
    """Lock the case (then its report); check that it is a report and that ``actor`` may
    take ``action`` now — before any input is looked at."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Report.objects.select_for_update().get(case=case)


def _phone(value) -> str:
    if not str(value or "").strip():
        return ""
    try:
        return validate_phone(value)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="reporter_phone") from error


def evidence_check(files) -> list[UploadedFile]:
    """The evidence files, checked like every case attachment (type by content, size);
    refused before anything is written."""
    files = [f for f in (files or ()) if f]
    if len(files) > EVIDENCE_MAX_FILES:
        raise InvalidInput(
            _("最多上传 %(count)s 个证据文件。") % {"count": EVIDENCE_MAX_FILES},
            code="too_many_files",
            field="evidence",
        )
    max_bytes = settings.WATERDESK_ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size > max_bytes:
            raise InvalidInput(
                _("文件“%(name)s”过大，上限为 %(limit).0f MB。")
                % {"name": upload.name[:100], "limit": max_bytes / 1048576},
                code="attachment_too_large",
                field="evidence",
            )
        if sniff_content_type(upload) not in settings.WATERDESK_ATTACHMENT_TYPES:
            raise InvalidInput(
                _("文件“%(name)s”的类型不支持，请上传 PDF、JPEG 或 PNG 文件。")
                % {"name": upload.name[:100]},
                code="attachment_type_not_allowed",
                field="evidence",
            )
    return files


def report_reply_channel(case: Case, identity: ReportIdentity | None) -> str:
    """How a notice reaches the reporter: e-mail for a report by e-mail, else SMS to a
    mobile, else e-mail; "" when the reporter left no way (the tracking code only)."""
    if identity is None:
        return ""
    email = identity.email if settings.WATERDESK_EMAIL_ENABLED else ""
    if case.channel == Channel.EMAIL and email:
        return NotificationChannel.EMAIL
    if mobile_address(identity.phone):
        return NotificationChannel.SMS
    return NotificationChannel.EMAIL if email else ""


def _notice(*, case: Case, identity: ReportIdentity | None, template: str, context: dict):
    channel = report_reply_channel(case, identity)
    if not channel:
        return
    notification_queue(
        template=template,
        context=context,
        case=case,
        channels=[channel],
        phone=identity.phone if channel == NotificationChannel.SMS else "",
        email=identity.email if channel == NotificationChannel.EMAIL else "",
    )


def _identity_of(report: Report) -> ReportIdentity | None:
    return ReportIdentity.objects.filter(report=report).first()


@transaction.atomic
def whistleblower_report_register(
    *,
    actor,
    channel: str,
    subject: str,
    matter: str,
    occurred_when: str = "",
    occurred_where: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    evidence=(),
    opened_at: datetime | None = None,
) -> ReportReceipt:
    """Register a report (举报受理). ``actor=None``: a public channel (the web form, the
    report mailbox). The reporter may stay anonymous (no name, phone nor e-mail). Returns
    the case and the tracking code — never stored in clear, so shown to the reporter once."""
    if actor is not None and not actor.has_perm(INTAKE_PERMISSION):
        raise NotPermitted()
    if channel not in Channel.values or (actor is None and channel not in PUBLIC_CHANNELS):
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    subject = text_clean_line(subject)
    subject = text_input(
        subject, field="subject", label=_("被举报人或部门"), limit=REPORT_LINE_MAX_LENGTH
    )
    matter = text_input(matter, field="matter", label=_("举报事项"), limit=REPORT_TEXT_MAX_LENGTH)
    occurred_when = text_input(
        text_clean_line(occurred_when),
        field="occurred_when",
        label=_("发生时间"),
        limit=REPORT_LINE_MAX_LENGTH,
        required=False,
    )
    occurred_where = text_input(
        text_clean_line(occurred_where),
        field="occurred_where",
        label=_("发生地点"),
        limit=REPORT_LINE_MAX_LENGTH,
        required=False,
    )
    reporter_name = text_input(
        text_clean_line(reporter_name),
        field="reporter_name",
        label=_("举报人姓名"),
        limit=100,
        required=False,
    )
    reporter_phone = _phone(reporter_phone)
    reporter_email = validate_email_address(reporter_email, field="reporter_email")
    files = evidence_check(evidence)
    now = opened_at or timezone.now()
    case = case_open(
        actor=actor,
        kind=KIND,
        status=ReportStatus.RECEIVED,
        channel=channel,
        contact_name=REPORTER_PLACEHOLDER,
        contact_phone="",
        summary=subject,
        opened_at=now,
    )
    code = tracking_code_new()
    report = Report.objects.create(
        case=case,
        subject=subject,
        occurred_when=occurred_when,
        occurred_where=occurred_where,
        matter=matter,
        tracking_hash=tracking_hash(code),
    )
    identity = ReportIdentity.objects.create(
        report=report, name=reporter_name, phone=reporter_phone, email=reporter_email
    )
    for upload in files:
        item = ReportEvidence(
            report=report,
            original_name=upload.name[:200],
            content_type=sniff_content_type(upload),
            size=upload.size,
            received_at=now,
        )
        item.file.save(upload.name, upload, save=False)
        item.save()
    sla.clock_start(case=case, milestone=ACKNOWLEDGE_MILESTONE, start=now)
    sla.clock_start(case=case, milestone=CONCLUDE_MILESTONE, start=now)
    _notice(case=case, identity=identity, template="report.received", context={})
    return ReportReceipt(case=case, tracking_code=code)


def report_intake(*, actor, **fields) -> Case:
    """The intake of the shells (desk page and ``POST /api/reports/``): the case, carrying
    the tracking code as ``case.tracking_code`` for the caller that can show it."""
    receipt = whistleblower_report_register(actor=actor, **fields)
    receipt.case.tracking_code = receipt.tracking_code
    return receipt.case


def _handler(user, *, field: str):
    if user is None:
        raise InvalidInput(_("请选择调查人。"), code="required", field=field)
    if not (user.is_active and user.has_perm(HANDLE_PERMISSION)):
        raise InvalidInput(
            _("所选人员不能调查处理举报。"), code="assignee_not_eligible", field=field
        )
    return user


@transaction.atomic
def report_acknowledge(*, actor, case: Case, investigator, note: str = "") -> Case:
    """Accept the report for investigation and name the investigator (the case's owner)."""
    case, report = report_lock(case, "report_acknowledge", actor)
    investigator = _handler(investigator, field="investigator")
    note = text_input(
        note, field="note", label=_("说明"), limit=REPORT_TEXT_MAX_LENGTH, required=False
    )
    now = timezone.now()
    report.investigator = investigator
    report.save(update_fields=["investigator"])
    case = case_transition(
        case=case,
        action="report_acknowledge",
        actor=actor,
        note=note,
        data={"investigator": investigator.get_username()},
        assignee=investigator,
        at=now,
    )
    sla.clock_stop(case=case, milestone=ACKNOWLEDGE_MILESTONE, at=now)
    return case


@transaction.atomic
def report_note(*, actor, case: Case, note: str) -> Case:
    """An investigation note (interviews, records checked): on the timeline."""
    case, _report = report_lock(case, "report_note", actor)
    note = text_input(note, field="note", label=_("调查记录"), limit=REPORT_TEXT_MAX_LENGTH)
    return case_transition(case=case, action="report_note", actor=actor, note=note)


@transaction.atomic
def report_conclude(
    *,
    actor,
    case: Case,
    finding: str,
    action_taken: str,
    feedback: str,
    subject_staff=None,
) -> Case:
    """The investigation's finding, the action taken and the feedback for the reporter."""
    case, report = report_lock(case, "report_conclude", actor)
    if finding not in ReportFinding.values:
        raise InvalidInput(_("请选择调查结论。"), code="required", field="finding")
    action_taken = text_input(
        action_taken, field="action_taken", label=_("处理措施"), limit=REPORT_TEXT_MAX_LENGTH
    )
    feedback = text_input(
        feedback, field="feedback", label=_("反馈内容"), limit=REPORT_TEXT_MAX_LENGTH
    )
    now = timezone.now()
    report.finding = finding
    report.action_taken = action_taken
    report.feedback = feedback
    report.concluded_at = now
    fields = ["finding", "action_taken", "feedback", "concluded_at"]
    if subject_staff is not None:
        report.subject_staff = subject_staff
        fields.append("subject_staff")
    report.save(update_fields=fields)
    case = case_transition(
        case=case, action="report_conclude", actor=actor, data={"finding": finding}, at=now
    )
    sla.clock_stop(case=case, milestone=CONCLUDE_MILESTONE, at=now)
    return case


@transaction.atomic
def report_feedback(*, actor, case: Case, note: str = "") -> Case:
    """Give the reporter the feedback: told through their channel when they left one; on
    the status page of the tracking code in any case."""
    case, report = report_lock(case, "report_feedback", actor)
    note = text_input(
        note, field="note", label=_("说明"), limit=REPORT_TEXT_MAX_LENGTH, required=False
    )
    now = timezone.now()
    report.feedback_at = now
    report.save(update_fields=["feedback_at"])
    identity = _identity_of(report)
    channel = report_reply_channel(case, identity)
    case = case_transition(
        case=case,
        action="report_feedback",
        actor=actor,
        note=note,
        data={"channel": channel or "tracking_code"},
        at=now,
    )
    _notice(
        case=case,
        identity=identity,
        template="report.feedback",
        context={"feedback": report.feedback},
    )
    return case


@transaction.atomic
def report_close(*, actor, case: Case, note: str = "") -> Case:
    case, _report = report_lock(case, "report_close", actor)
    note = text_input(
        note, field="note", label=_("说明"), limit=REPORT_TEXT_MAX_LENGTH, required=False
    )
    return case_transition(case=case, action="report_close", actor=actor, note=note)


def _end(*, actor, case: Case, action: str, reason: str, label) -> Case:
    case, _report = report_lock(case, action, actor)
    reason = text_input(reason, field="reason", label=label, limit=REPORT_TEXT_MAX_LENGTH)
    case = case_transition(case=case, action=action, actor=actor, note=reason)
    sla.clocks_cancel(case=case)
    return case


@transaction.atomic
def report_withdraw(*, actor, case: Case, reason: str) -> Case:
    """The reporter withdraws the report: ended, the clocks cancelled."""
    return _end(
        actor=actor, case=case, action="report_withdraw", reason=reason, label=_("撤回原因")
    )


@transaction.atomic
def report_invalidate(*, actor, case: Case, reason: str) -> Case:
    """Not a matter to investigate (no staff conduct, nothing to go on): ended."""
    return _end(
        actor=actor, case=case, action="report_invalidate", reason=reason, label=_("不予受理原因")
    )


# --- the reporter's identity ----------------------------------------------------------


def identity_may_view(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perms(IDENTITY_PERMISSIONS))


def reporter_identity_view(*, actor, case: Case, reason: str, channel: str) -> ReportIdentity:
    """Open the reporter's identity for a supervisor, with a reason; logged. Anyone else is
    refused (``NotPermitted``) and the attempt is logged all the same — so this runs in its
    own transaction: call it outside any other (the refusal's log row must stay)."""
    if case.kind != KIND:
        raise InvalidInput(_("该工单不是举报。"), code="not_a_report", field="case")
    if channel not in IdentityViewChannel.values:
        raise InvalidInput(_("途径不正确。"), code="invalid_channel", field="channel")
    reason = text_clean_line(reason)[:REPORT_LINE_MAX_LENGTH]
    granted = identity_may_view(actor)
    if granted and not reason:
        raise InvalidInput(_("请填写查看原因。"), code="reason_required", field="reason")
    with transaction.atomic():
        ReporterIdentityView.objects.create(
            case=case,
            user=actor,
            reason=reason,
            channel=channel,
            at=timezone.now(),
            granted=granted,
        )
    if not granted:
        raise NotPermitted(
            _("举报人身份仅限服务监督员查看。您的查看请求已被拒绝，并已记录。"),
            code="identity_not_permitted",
        )
    identity = ReportIdentity.objects.filter(report__case=case).first()
    return identity or ReportIdentity()

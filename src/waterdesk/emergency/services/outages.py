"""Planned outages (计划停水, R-E2): works that stop supply, announced to every affected
customer at least ``OutagePolicy.notice_hours`` (24 by default) before the start.

- Scheduled with that notice: announced at once (the announcement round).
- Scheduled inside the notice window: refused, unless an emergency reason is given; then it
  waits for a duty manager's approval (``emergency.approve_outage``; never the person who
  scheduled it: four eyes on a short notice), who is alerted, and nobody is told yet.
  Approved while the start is still ahead, it is announced; refused, it ends.
- ``OutagePolicy.reminder_hours`` (2 by default) before the start every customer is
  reminded once (``outage_reminders_send``, periodic). An outage announced inside that
  time needs no reminder: the announcement was it.
- The works run late: a new expected end, told at once (urgent: day or night).
- Supply back: the restoration round, the water points closed, the case closed.
- Cancelled before the start: told when it had been announced.

Each move is one transaction with the case locked (then the outage row), one case event,
and ``public_pages_changed()``; a refusal writes nothing. The notices go through
``notices.notice_round_queue`` (each customer once per round, sensitive customers first).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel
from waterdesk.cases.selectors import users_with_any_permission
from waterdesk.cases.services import (
    case_check_action,
    case_event_record,
    case_lock,
    case_open,
    case_transition,
    user_display_name,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.text import text_input
from waterdesk.emergency.models import (
    NoticeKind,
    NoticeRound,
    OutagePolicy,
    OutageStatus,
    PlannedOutage,
    WaterPoint,
)
from waterdesk.emergency.outage_workflow import (
    APPROVE_MILESTONE,
    APPROVE_PERMISSION,
    KIND,
    SCHEDULE_PERMISSION,
)
from waterdesk.emergency.public_cache import public_pages_changed
from waterdesk.emergency.selectors_plans import duty_manager_on_duty
from waterdesk.emergency.services.area import (
    affected_counts,
    area_clean,
    area_record,
)
from waterdesk.emergency.services.notices import notice_round_queue, when_text
from waterdesk.emergency.services.water_points import water_points_clean, water_points_create
from waterdesk.notify.services import notification_queue
from waterdesk.sla import services as sla

WORKS_MAX_LENGTH = 300
SUMMARY_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500

# The notification templates of each round (seeded by migration 0020).
TEMPLATES = {
    NoticeKind.ANNOUNCEMENT: "emergency.outage_notice",
    NoticeKind.REMINDER: "emergency.outage_reminder",
    NoticeKind.OVERRUN: "emergency.outage_overrun",
    NoticeKind.RESTORATION: "emergency.outage_restored",
    NoticeKind.CANCELLATION: "emergency.outage_cancelled",
}
# To the duty managers: a short-notice outage waits for their decision.
APPROVAL_TEMPLATE = "emergency.outage_approval"


def outage_policy() -> OutagePolicy:
    """The rules in force: the latest row (an unsaved default when none was entered)."""
    return OutagePolicy.objects.order_by("-pk").first() or OutagePolicy()


def outage_earliest_start(*, now: datetime | None = None) -> datetime:
    """The earliest start that needs no approval: now + the notice time."""
    return (now or timezone.now()) + timedelta(hours=outage_policy().notice_hours)


def outage_may_approve(case: Case, user) -> bool:
    """The guard of ``outage_approve``: a holder of the permission who did not schedule it."""
    return user.has_perm(APPROVE_PERMISSION) and case.opened_by_id != user.pk


def _has_started(case: Case) -> bool:
    return PlannedOutage.objects.filter(case=case, starts_at__lte=timezone.now()).exists()


def outage_may_restore(case: Case, user) -> bool:
    """The guard of ``outage_restore``: the water is off (the start has passed)."""
    return user.has_perm(SCHEDULE_PERMISSION) and _has_started(case)


def outage_may_cancel(case: Case, user) -> bool:
    """The guard of ``outage_cancel``: the water is not off yet."""
    return user.has_perm(SCHEDULE_PERMISSION) and not _has_started(case)


# --- input -----------------------------------------------------------------------------


def _times_check(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise InvalidInput(
            _("停水开始时间已过，请填写今后的时间。"), code="start_in_past", field="starts_at"
        )
    if ends_at <= starts_at:
        raise InvalidInput(
            _("预计恢复时间须晚于停水开始时间，请核对。"),
            code="end_before_start",
            field="ends_at",
        )


def _reason(value, *, label: str, field: str = "reason") -> str:
    return text_input(value, field=field, label=label, limit=REASON_MAX_LENGTH)


# --- notices ---------------------------------------------------------------------------


def _notice_context(outage: PlannedOutage, **extra) -> dict:
    return {
        "works": outage.works,
        "starts_at": when_text(outage.starts_at),
        "ends_at": when_text(outage.ends_at),
        **extra,
    }


def _round(
    case: Case, outage: PlannedOutage, kind: str, *, actor, at, urgent=False, **extra
) -> NoticeRound:
    return notice_round_queue(
        case=case,
        kind=kind,
        template=TEMPLATES[kind],
        context=_notice_context(outage, **extra),
        actor=actor,
        expected_restoration_at=outage.ends_at,
        urgent=urgent,
        at=at,
    )


def _round_data(notice: NoticeRound) -> dict:
    return {
        "round": notice.number,
        "notice": notice.kind,
        "customers": notice.customers,
        "sensitive": notice.sensitive_customers,
    }


def _announce(case: Case, outage: PlannedOutage, *, actor, at: datetime) -> NoticeRound:
    """The announcement round; an outage announced inside the reminder time is not
    reminded again (the announcement was the reminder)."""
    notice = _round(case, outage, NoticeKind.ANNOUNCEMENT, actor=actor, at=at)
    outage.announced_at = at
    if outage.starts_at - at <= timedelta(hours=outage_policy().reminder_hours):
        outage.reminded_at = at
    return notice


def _approvers(scheduler) -> list:
    """Whom a short-notice outage is put to: the duty manager on the roster now, else every
    holder of the approval permission; never the scheduler."""
    on_duty = duty_manager_on_duty(at=timezone.now())
    if on_duty is not None and on_duty.pk != getattr(scheduler, "pk", None):
        return [on_duty]
    holders = users_with_any_permission({APPROVE_PERMISSION})
    if scheduler is not None:
        holders = holders.exclude(pk=scheduler.pk)
    return list(holders)


# --- moves -----------------------------------------------------------------------------


@transaction.atomic
def outage_schedule(
    *,
    actor,
    works: str,
    public_summary: str,
    starts_at: datetime,
    ends_at: datetime,
    zones=(),
    streets=(),
    premises=(),
    short_notice_reason: str = "",
    water_points=(),
    channel: str = Channel.SYSTEM,
) -> Case:
    """Schedule a planned outage over an area (zones, (district, street) pairs, premises).

    At least the notice time ahead: announced now. Inside it: refused
    (``short_notice``) without an emergency reason; with one, it waits for a duty
    manager's approval (they are alerted) and no customer is told yet."""
    if actor is None or not actor.has_perm(SCHEDULE_PERMISSION):
        raise NotPermitted()
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    works = text_input(works, field="works", label=_("施工内容"), limit=WORKS_MAX_LENGTH)
    public_summary = text_input(
        public_summary, field="public_summary", label=_("公告内容"), limit=SUMMARY_MAX_LENGTH
    )
    reason = text_input(
        short_notice_reason,
        field="short_notice_reason",
        label=_("紧急原因"),
        limit=REASON_MAX_LENGTH,
        required=False,
    )
    now = timezone.now()
    _times_check(starts_at, ends_at, now)
    earliest = outage_earliest_start(now=now)
    short_notice = starts_at < earliest
    if short_notice and not reason:
        raise InvalidInput(
            _(
                "计划停水须至少提前 %(hours)s 小时通知客户，最早可安排在 %(earliest)s 开始。"
                "如确需提前，请填写紧急原因，经值班主任批准后再通知客户。"
            )
            % {"hours": outage_policy().notice_hours, "earliest": when_text(earliest)},
            code="short_notice",
            field="starts_at",
        )
    points = water_points_clean(water_points)
    area = area_clean(zones=zones, streets=streets, premises=premises)

    status = OutageStatus.AWAITING_APPROVAL if short_notice else OutageStatus.ANNOUNCED
    case = case_open(
        actor=actor,
        kind=KIND,
        status=status,
        channel=channel,
        contact_name=user_display_name(actor),
        contact_phone="",
        summary=works,
        opened_at=now,
    )
    area_record(case=case, area=area)
    water_points_create(case, points, at=now)
    outage = PlannedOutage.objects.create(
        case=case,
        works=works,
        public_summary=public_summary,
        starts_at=starts_at,
        ends_at=ends_at,
        planned_ends_at=ends_at,
        short_notice_reason=reason if short_notice else "",
    )
    if short_notice:
        sla.clock_start(case=case, milestone=APPROVE_MILESTONE, start=now)
        customers, _sensitive = affected_counts(area)
        for approver in _approvers(actor):
            notification_queue(
                template=APPROVAL_TEMPLATE,
                context={
                    "works": works,
                    "starts_at": when_text(starts_at),
                    "customers": customers,
                    "reason": reason,
                },
                case=case,
                user=approver,
                urgent=True,
            )
    else:
        _announce(case, outage, actor=actor, at=now)
        outage.save(update_fields=["announced_at", "reminded_at"])
    public_pages_changed()
    return case


def _lock(case: Case, action: str, actor) -> tuple[Case, PlannedOutage]:
    """Lock order: the case, then the outage."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, PlannedOutage.objects.select_for_update().get(case=case)


@transaction.atomic
def outage_approve(*, actor, case: Case, note: str = "") -> Case:
    """A duty manager approves a short-notice outage: announced now, while its start is
    still ahead."""
    case, outage = _lock(case, "outage_approve", actor)
    if actor is not None and case.opened_by_id == actor.pk:
        raise NotPermitted(
            _("紧急停水须由安排人以外的值班主任批准，请联系当班值班主任。"), code="own_outage"
        )
    note = text_input(
        note, field="note", label=_("批准意见"), limit=REASON_MAX_LENGTH, required=False
    )
    now = timezone.now()
    if outage.starts_at <= now:
        raise InvalidInput(
            _("停水开始时间已过，不能再批准；请取消后按实际时间重新安排。"),
            code="outage_start_passed",
        )
    notice = _announce(case, outage, actor=actor, at=now)
    outage.approved_by, outage.approved_at = actor, now
    outage.save(update_fields=["announced_at", "reminded_at", "approved_by", "approved_at"])
    case = case_transition(
        case=case, action="outage_approve", actor=actor, note=note, data=_round_data(notice), at=now
    )
    sla.clock_stop(case=case, milestone=APPROVE_MILESTONE, at=now)
    public_pages_changed()
    return case


@transaction.atomic
def outage_refuse(*, actor, case: Case, reason: str) -> Case:
    """A duty manager refuses a short-notice outage; nobody had been told."""
    case, _outage = _lock(case, "outage_refuse", actor)
    reason = _reason(reason, label=_("不予批准的原因"))
    case = case_transition(case=case, action="outage_refuse", actor=actor, note=reason)
    sla.clocks_cancel(case=case)
    public_pages_changed()
    return case


@transaction.atomic
def outage_overrun(*, actor, case: Case, ends_at: datetime, reason: str) -> Case:
    """The works run late: the expected end moves to ``ends_at`` (later than the current
    one, still ahead) and every customer is told at once, day or night."""
    case, outage = _lock(case, "outage_overrun", actor)
    reason = _reason(reason, label=_("延长原因"))
    now = timezone.now()
    if ends_at <= now:
        raise InvalidInput(
            _("新的预计恢复时间已过，请填写今后的时间。"),
            code="expected_restoration_past",
            field="ends_at",
        )
    if ends_at <= outage.ends_at:
        raise InvalidInput(
            _("新的预计恢复时间须晚于原预计时间 %(current)s；提前恢复请办理“恢复供水”。")
            % {"current": when_text(outage.ends_at)},
            code="overrun_not_later",
            field="ends_at",
        )
    previous = outage.ends_at
    outage.ends_at = ends_at
    outage.save(update_fields=["ends_at"])
    notice = _round(
        case, outage, NoticeKind.OVERRUN, actor=actor, at=now, urgent=True, reason=reason
    )
    case = case_transition(
        case=case,
        action="outage_overrun",
        actor=actor,
        note=reason,
        data={"from": when_text(previous), "to": when_text(ends_at), **_round_data(notice)},
        at=now,
    )
    public_pages_changed()
    return case


@transaction.atomic
def outage_restore(
    *, actor, case: Case, restored_at: datetime | None = None, note: str = ""
) -> Case:
    """Supply is back (at ``restored_at``: after the start, not in the future): every
    customer is told, the water points close and the case closes."""
    case, outage = _lock(case, "outage_restore", actor)
    note = text_input(note, field="note", label=_("说明"), limit=REASON_MAX_LENGTH, required=False)
    now = timezone.now()
    restored_at = restored_at or now
    if restored_at > now:
        raise InvalidInput(
            _("恢复供水时间不能晚于现在，请填写实际恢复的时间。"),
            code="restored_in_future",
            field="restored_at",
        )
    if restored_at <= outage.starts_at:
        raise InvalidInput(
            _("恢复供水时间须晚于停水开始时间 %(start)s；未停水即取消的，请办理“取消停水”。")
            % {"start": when_text(outage.starts_at)},
            code="restored_before_start",
            field="restored_at",
        )
    outage.restored_at = restored_at
    outage.save(update_fields=["restored_at"])
    notice = _round(
        case,
        outage,
        NoticeKind.RESTORATION,
        actor=actor,
        at=now,
        restored_at=when_text(restored_at),
    )
    WaterPoint.objects.filter(case=case, closed_at__isnull=True).update(closed_at=restored_at)
    case = case_transition(
        case=case,
        action="outage_restore",
        actor=actor,
        note=note,
        data={"restored_at": when_text(restored_at), **_round_data(notice)},
        at=now,
    )
    sla.clocks_cancel(case=case)
    public_pages_changed()
    return case


@transaction.atomic
def outage_cancel(*, actor, case: Case, reason: str) -> Case:
    """Called off before the start; the customers are told when it had been announced.
    Once the water is off it cannot be cancelled: it is restored."""
    case, outage = _lock(case, "outage_cancel", actor)
    reason = _reason(reason, label=_("取消原因"))
    now = timezone.now()
    if outage.starts_at <= now:
        raise InvalidInput(
            _("停水已经开始，不能取消；供水恢复后请办理“恢复供水”。"),
            code="outage_started",
        )
    data = {}
    if case.status == OutageStatus.ANNOUNCED:
        notice = _round(case, outage, NoticeKind.CANCELLATION, actor=actor, at=now, reason=reason)
        data = _round_data(notice)
    WaterPoint.objects.filter(case=case, closed_at__isnull=True).update(closed_at=now)
    case = case_transition(
        case=case, action="outage_cancel", actor=actor, note=reason, data=data, at=now
    )
    sla.clocks_cancel(case=case)
    public_pages_changed()
    return case


# --- the reminder ----------------------------------------------------------------------


def outages_due_for_reminder(*, now: datetime):
    """The announced outages starting within the reminder time, not reminded yet."""
    window = timedelta(hours=outage_policy().reminder_hours)
    return PlannedOutage.objects.filter(
        case__status=OutageStatus.ANNOUNCED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + window,
    ).order_by("starts_at", "pk")


def outage_remind(*, case: Case, now: datetime | None = None) -> NoticeRound | None:
    """Send the reminder round of one outage if it is still due; None when it is not (an
    earlier or a concurrent run sent it, or the outage moved on). Its own transaction:
    the case and the outage locked, ``reminded_at`` set with the round."""
    now = now or timezone.now()
    with transaction.atomic():
        case = case_lock(case)
        outage = PlannedOutage.objects.select_for_update().get(case=case)
        window = timedelta(hours=outage_policy().reminder_hours)
        due = (
            case.status == OutageStatus.ANNOUNCED
            and outage.reminded_at is None
            and now < outage.starts_at <= now + window
        )
        if not due:
            return None
        notice = _round(case, outage, NoticeKind.REMINDER, actor=None, at=now)
        outage.reminded_at = now
        outage.save(update_fields=["reminded_at"])
        case_event_record(
            case=case, actor=None, action="outage_remind", data=_round_data(notice), at=now
        )
    return notice


def outage_reminders_send(*, now: datetime | None = None) -> list[str]:
    """Remind every outage due (periodic; safe to run twice or concurrently). Returns the
    case numbers reminded now."""
    now = now or timezone.now()
    reminded = []
    for outage in outages_due_for_reminder(now=now).select_related("case"):
        if outage_remind(case=outage.case, now=now) is not None:
            reminded.append(outage.case.number)
    return reminded

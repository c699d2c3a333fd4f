"""Intake and materials of every application kind (新装, 过户, 用水性质变更): the green
channel, checking what the customer brought against the kind's checklist, registering the
case with its clocks, the one-time notice (一次性告知) listing everything missing while the
clocks wait, supplying materials later, and withdrawing applications whose materials never
arrived.

The functions run inside the calling service's transaction, after it locked the case and
checked the actor's permission.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.applications.models import ApplicationKind, MaterialNotice, NewConnectionPolicy
from waterdesk.applications.selectors import ChecklistItem, checklist_missing, material_checklist
from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record, case_lock, case_open, case_transition
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.core.timeutil import local
from waterdesk.notify.services import notification_queue
from waterdesk.sla import services as sla

# Every application kind waits for materials in this status and leaves it with "withdraw".
MATERIALS_PENDING = "materials_pending"
COMPLETE_MILESTONE = "complete"
# Template key prefix of each kind's customer notices.
NOTICE_PREFIX = {
    ApplicationKind.NEW_CONNECTION: "new_connection",
    ApplicationKind.OWNERSHIP_TRANSFER: "ownership_transfer",
    ApplicationKind.USAGE_CHANGE: "usage_change",
}
# Customer-facing texts are Chinese whatever the clerk's screen language.
STALE_REASON = "逾期未补齐材料，申请自动撤回。"


def required_text(value: str, *, field: str, label: str) -> str:
    """``value`` stripped, or ``InvalidInput`` naming the field ("请填写联系人。")."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(_("请填写%(label)s。") % {"label": label}, code="required", field=field)
    return value


def notify_customer(case: Case, event: str, *, customer=None, **context) -> None:
    """Queue the kind's notice ``event`` (e.g. "registered") to the case's customer."""
    notification_queue(
        template=f"{NOTICE_PREFIX[case.kind]}.{event}",
        context=context,
        case=case,
        customer=customer,
    )


def expected_completion(case: Case) -> str:
    clock = case.clocks.filter(milestone=COMPLETE_MILESTONE).first()
    if clock is None:
        return ""
    if clock.state == "paused":
        return "材料补齐后起算"
    return local(clock.due_at).strftime("%Y-%m-%d %H:%M")


def application_register(
    *,
    actor,
    kind: str,
    customer,
    premise,
    materials_received: list[str] | None,
    create_detail: Callable[[Case, list[str]], object],
    milestones: tuple[str, ...],
    registered_context: dict,
    **case_fields,
) -> Case:
    """Open the case of an application (受理登记): "registered" with its clocks running when
    the materials are complete, else waiting for them with one notice listing everything
    missing. ``create_detail(case, received_codes)`` writes the kind's detail row;
    ``case_fields`` are the rest of ``case_open``'s (channel, contact, priority …)."""
    received, missing = materials_check(
        case_kind=kind, customer_kind=customer.kind, materials_received=materials_received
    )
    case = case_open(
        actor=actor,
        kind=kind,
        status=MATERIALS_PENDING if missing else "registered",
        customer=customer,
        premise=premise,
        **case_fields,
    )
    create_detail(case, received)
    for milestone in milestones:
        sla.clock_start(case=case, milestone=milestone, start=case.opened_at)
    if missing:
        material_notice_issue(case=case, actor=actor, missing=missing)
    else:
        notify_customer(
            case,
            "registered",
            **registered_context,
            expected_completion=expected_completion(case),
        )
    return case


def materials_check(
    *, case_kind: str, customer_kind: str, materials_received: list[str] | None
) -> tuple[list[str], list[ChecklistItem]]:
    """The received codes (each must be on the checklist) and the checklist items missing."""
    checklist = material_checklist(case_kind=case_kind, customer_kind=customer_kind)
    known = {code for item in checklist for code in item.codes}
    received = sorted(set(materials_received or []))
    unknown = [code for code in received if code not in known]
    if unknown:
        raise InvalidInput(
            _("未知的材料类型：%(codes)s") % {"codes": "、".join(unknown)},
            code="unknown_material",
            field="materials_received",
        )
    return received, checklist_missing(checklist, received)


def material_notice_issue(*, case: Case, actor, missing: list[ChecklistItem]) -> MaterialNotice:
    """One notice listing every missing item; the case's clocks wait until they arrive."""
    policy = NewConnectionPolicy.current()
    deadline = local(case.opened_at).date() + timedelta(days=policy.materials_wait_days)
    notice = MaterialNotice.objects.create(
        case=case,
        missing=[{"code": "|".join(item.codes), "name": item.name} for item in missing],
        issued_at=case.opened_at,
        issued_by=actor,
        deadline=deadline,
    )
    sla.clocks_pause(case=case, at=case.opened_at)
    case_event_record(
        case=case,
        actor=actor,
        action="material_notice",
        data={"missing": ["|".join(item.codes) for item in missing], "deadline": str(deadline)},
        at=case.opened_at,
    )
    notify_customer(
        case, "materials_missing", missing=[item.name for item in missing], deadline=str(deadline)
    )
    return notice


def materials_supply(*, actor, case: Case, detail, materials: list[str], note: str) -> Case:
    """Record what the customer brought; a complete checklist registers the case and its
    clocks run again."""
    if case.status != MATERIALS_PENDING:
        raise IllegalTransition()
    checklist = material_checklist(case_kind=case.kind, customer_kind=case.customer.kind)
    known = {code for item in checklist for code in item.codes}
    supplied = set(materials) & known
    if not supplied - set(detail.materials_received):
        raise InvalidInput(_("请勾选本次补交的材料。"), code="no_materials", field="materials")
    detail.materials_received = sorted(set(detail.materials_received) | supplied)
    detail.save(update_fields=["materials_received"])
    still_missing = checklist_missing(checklist, detail.materials_received)
    if still_missing:
        case_event_record(
            case=case,
            actor=actor,
            action="materials_partial",
            note=note,
            data={
                "supplied": sorted(supplied),
                "missing": ["|".join(item.codes) for item in still_missing],
            },
        )
        return case
    now = timezone.now()
    MaterialNotice.objects.filter(case=case, fulfilled_at__isnull=True).update(fulfilled_at=now)
    case = case_transition(
        case=case,
        action="supply_materials",
        actor=actor,
        note=note,
        data={"supplied": sorted(supplied)},
        at=now,
    )
    sla.clocks_resume(case=case, at=now)
    notify_customer(case, "materials_complete", expected_completion=expected_completion(case))
    return case


def application_withdraw(*, actor, case: Case, reason: str) -> Case:
    """Withdraw an application (the customer's wish, or ``actor=None``: materials overdue)."""
    case = case_transition(case=case, action="withdraw", actor=actor, note=reason, assignee=None)
    sla.clocks_cancel(case=case)
    notify_customer(case, "withdrawn", reason=reason)
    return case


def applications_withdraw_stale(*, today: date | None = None) -> list[str]:
    """Withdraw every application, of any kind, whose material notice deadline has passed.
    Each case is its own transaction, so one failure holds back no other; safe to run twice."""
    today = today or local(timezone.now()).date()
    stale = (
        Case.objects.filter(
            kind__in=list(NOTICE_PREFIX),
            status=MATERIALS_PENDING,
            material_notices__fulfilled_at__isnull=True,
            material_notices__deadline__lt=today,
        )
        .distinct()
        .order_by("pk")
    )
    withdrawn = []
    for case in stale:
        with transaction.atomic():
            case = case_lock(case)
            if case.status != MATERIALS_PENDING:
                continue  # the materials arrived meanwhile
            application_withdraw(actor=None, case=case, reason=STALE_REASON)
        withdrawn.append(case.number)
    return withdrawn

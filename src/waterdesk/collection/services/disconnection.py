"""Suspending supply for arrears and restoring it (issue 11 §2–§3).

Supply is suspended only after the written notice was delivered and its period has run,
on an order a collection supervisor approved — payments, exemptions and plans are checked
when the order is asked for, when it is approved, and again by the crew's work order when
it sets off, arrives and finishes (``disconnection_order_event``). The crew records the
meter reading and the seal number with a photo; the account's supply is then suspended.

A payment that leaves nothing overdue after disconnection creates the reconnection order at
once (``reconnection_start_locked``), due within the ``reconnect`` time limit (24 calendar
hours by default), sent to the crew on call (else the policy's reconnection crew; else the
supervisors dispatch it from the case page).

Lock order, everywhere: the work order, then the case, then the collection detail, then
the account (a crew's step locks its order first; so does a payment that may cancel one).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record
from waterdesk.collection.hooks import remote_valve_for
from waterdesk.collection.models import (
    DisconnectionOrder,
    DisconnectionOrderStatus,
    Dunning,
    DunningStatus,
    InstalmentPlan,
    PlanStatus,
    StepKind,
)
from waterdesk.collection.services.common import (
    ZERO,
    account_owed,
    day_of,
    exemptions_active,
    lock_dunning,
    move,
    policy,
    tell_customer,
)
from waterdesk.collection.workflow import (
    APPROVE_PERMISSION,
    DISCONNECTION_PURPOSE,
    RECONNECT_MILESTONE,
    RECONNECTION_PURPOSE,
    WORK_PERMISSION,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.text import text_input
from waterdesk.core.timeutil import local
from waterdesk.customers.services import account_supply_set
from waterdesk.fieldwork.models import Crew
from waterdesk.fieldwork.selectors import crew_on_duty
from waterdesk.fieldwork.services import work_order_create, work_order_withdraw
from waterdesk.sla import services as sla

REASON_MAX_LENGTH = 300
RECONNECTION = "collection.reconnection"
RECONNECTED = "collection.reconnected"
PAID_REASON = "客户已缴清欠费，停水令撤销"


def disconnection_blockers(dunning: Dunning, *, day: date) -> list[IllegalTransition]:
    """Why supply may not be suspended on ``day`` (empty: it may): the overdue debt paid, an
    exemption, an instalment plan being kept, a notice not delivered or its period running."""
    reasons = []
    if account_owed(dunning.account, day=day).overdue == ZERO:
        reasons.append(IllegalTransition(_("该户逾期欠费已缴清，不得停水。"), code="balance_paid"))
    exempt = exemptions_active(dunning.account, day=day)
    if exempt:
        kinds = "、".join(str(exemption.get_kind_display()) for exemption in exempt)
        reasons.append(
            IllegalTransition(
                _("该户有催收豁免（%(kinds)s），不得停水；豁免不再适用时请先撤销豁免。")
                % {"kinds": kinds},
                code="account_exempt",
            )
        )
    if InstalmentPlan.objects.filter(dunning=dunning, status=PlanStatus.ACTIVE).exists():
        reasons.append(
            IllegalTransition(_("该户正在履行分期还款协议，不得停水。"), code="instalment_plan")
        )
    notice = dunning.notices.order_by("-pk").first()
    if notice is None or notice.ends_on is None:
        reasons.append(
            IllegalTransition(
                _("停水通知书尚未送达，不得停水；请先送达并登记送达方式。"),
                code="notice_not_delivered",
            )
        )
    elif day < notice.ends_on:
        reasons.append(
            IllegalTransition(
                _("停水通知期未满：%(day)s 起方可停水，请期满后再申请。")
                % {"day": notice.ends_on.isoformat()},
                code="notice_period_running",
            )
        )
    return reasons


def _refuse_if_blocked(dunning: Dunning, *, day: date, suffix: str = "") -> None:
    blockers = disconnection_blockers(dunning, day=day)
    if blockers:
        first = blockers[0]
        raise IllegalTransition(f"{first.message}{suffix}", code=first.code)


def _pending_order(dunning: Dunning) -> DisconnectionOrder | None:
    return (
        DisconnectionOrder.objects.select_for_update()
        .filter(
            dunning=dunning,
            status__in=[DisconnectionOrderStatus.REQUESTED, DisconnectionOrderStatus.APPROVED],
        )
        .first()
    )


def disconnection_request_locked(*, case: Case, dunning: Dunning, actor, at: datetime) -> Case:
    """Ask for the disconnection order (case and detail locked by the caller)."""
    _refuse_if_blocked(dunning, day=day_of(at))
    case = move(case=case, action="request_disconnection", actor=actor, at=at)
    notice = dunning.notices.order_by("-pk").first()
    owed = account_owed(dunning.account, day=day_of(at))
    DisconnectionOrder.objects.create(
        dunning=dunning,
        notice=notice,
        amount=owed.overdue,
        requested_at=at,
        requested_by=actor,
    )
    step = dunning.strategy.steps.filter(kind=StepKind.DISCONNECTION).first()
    dunning.step = step or dunning.step
    dunning.step_ended_on = None
    dunning.save(update_fields=["step", "step_ended_on"])
    return case


@transaction.atomic
def disconnection_request(*, actor, case: Case, at: datetime | None = None) -> Case:
    """A collector asks for the order once the notice period has run (the nightly run asks
    by itself; after a supervisor said no, only a person asks again)."""
    require_permission(actor, WORK_PERMISSION)
    case, dunning = lock_dunning(case)
    return disconnection_request_locked(
        case=case, dunning=dunning, actor=actor, at=at or timezone.now()
    )


def _order_description(dunning: Dunning, order: DisconnectionOrder) -> str:
    return gettext(
        "欠费停水：户号 %(account)s，逾期欠费 %(amount)s 元，停水通知书 %(notice)s。"
        "到场后请再次确认未缴费，关闭表前阀门并加铅封，记录表读数和铅封号，拍照。"
    ) % {
        "account": dunning.account.number,
        "amount": f"{order.amount:.2f}",
        "notice": order.notice.number,
    }


@transaction.atomic
def disconnection_approve(
    *, actor, case: Case, crew, note: str = "", at: datetime | None = None
) -> Case:
    """A supervisor approves the order (payments, exemptions, plan and notice checked
    again) and sends ``crew``: the work order carries it out."""
    require_permission(actor, APPROVE_PERMISSION)
    case, dunning = lock_dunning(case)
    at = at or timezone.now()
    order = _pending_order(dunning)
    if order is None or order.status != DisconnectionOrderStatus.REQUESTED:
        raise IllegalTransition(_("没有待审批的停水令。"), code="no_order_to_approve")
    if order.requested_by_id is not None and order.requested_by_id == actor.pk:
        raise IllegalTransition(
            _("停水令须由申请人以外的主管审批，请交其他催收主管审批。"),
            code="second_person_required",
        )
    _refuse_if_blocked(dunning, day=day_of(at), suffix=gettext("请选择“不批准停水”。"))
    text = text_input(
        note, field="note", label=_("审批意见"), limit=REASON_MAX_LENGTH, required=False
    )
    case = move(case=case, action="approve_disconnection", actor=actor, at=at, note=text)
    order.status = DisconnectionOrderStatus.APPROVED
    order.decided_at = at
    order.decided_by = actor
    order.decision_note = text
    valve = remote_valve_for(dunning.account)
    if valve is not None:
        # The meter's valve is closed from afar; ``crew`` goes only if the command fails.
        order.save()
        reference = valve.close(
            case=case,
            account=dunning.account,
            requested_by=order.requested_by,
            approved_by=actor,
            crew=crew,
            note=text,
            at=at,
        )
        case_event_record(
            case=case, actor=actor, action="remote_close_sent", at=at, data={"command": reference}
        )
        return case
    order.work_order = _disconnection_dispatch(
        case=case, dunning=dunning, order=order, crew=crew, actor=actor, at=at
    )
    order.save()
    return case


def _disconnection_dispatch(*, case: Case, dunning: Dunning, order, crew, actor, at: datetime):
    premise = case.premise
    return work_order_create(
        actor=actor,
        case=case,
        purpose=DISCONNECTION_PURPOSE,
        crew=crew,
        description=_order_description(dunning, order),
        address=premise.address if premise else dunning.account.premise.address,
        premise=premise,
        contact_name=case.contact_name,
        contact_phone=case.contact_phone,
        at=at,
    )


def _remote_order(dunning: Dunning) -> DisconnectionOrder | None:
    """The approved order being carried out by a remote valve (no crew's work order)."""
    order = _pending_order(dunning)
    if order is None or order.status != DisconnectionOrderStatus.APPROVED or order.work_order_id:
        return None
    return order


def _suspend(*, case: Case, dunning: Dunning, order, actor, at: datetime, data: dict) -> Case:
    order.status = DisconnectionOrderStatus.EXECUTED
    order.executed_at = at
    order.save()
    dunning.disconnected_at = at
    dunning.save(update_fields=["disconnected_at"])
    account_supply_set(
        actor=actor, account=dunning.account, suspended=True, reason=f"欠费停水 {case.number}"
    )
    return move(case=case, action="disconnect", actor=None, at=at, data=data)


@transaction.atomic
def disconnection_remote_done(
    *, case: Case, reference: str, reading: Decimal | None, at: datetime
) -> Case:
    """The head-end confirmed the remote close of an approved order: supply is suspended as
    when a crew finishes (the reading is the meter's last remote reading). Nothing happens
    when the order was withdrawn meanwhile (the provider reopens the valve)."""
    case, dunning = lock_dunning(case)
    order = _remote_order(dunning)
    if order is None:
        return case
    order.meter_reading = reading
    text = f"{reading:.2f}" if reading is not None else "—"
    return _suspend(
        case=case,
        dunning=dunning,
        order=order,
        actor=None,
        at=at,
        data={"reading": text, "seal": gettext("远程关阀 %(command)s") % {"command": reference}},
    )


@transaction.atomic
def disconnection_remote_failed(*, case: Case, crew_id: int | None, reason: str, at: datetime):
    """The remote close failed: the crew chosen at approval is sent after all (the order's
    approval stands); without a crew the order is withdrawn and a collector asks again."""
    case, dunning = lock_dunning(case)
    order = _remote_order(dunning)
    if order is None:
        return case
    case_event_record(
        case=case, actor=None, action="remote_valve_failed", at=at, data={"reason": reason[:200]}
    )
    crew = Crew.objects.filter(pk=crew_id, is_active=True).first() if crew_id else None
    if crew is None:
        return disconnection_cancel_locked(case=case, dunning=dunning, reason=reason, at=at)
    order.work_order = _disconnection_dispatch(
        case=case, dunning=dunning, order=order, crew=crew, actor=None, at=at
    )
    order.save(update_fields=["work_order"])
    return case


@transaction.atomic
def disconnection_refuse(*, actor, case: Case, reason: str, at: datetime | None = None) -> Case:
    """A supervisor says no to the order, with the reason; the case stays in its notice
    period and a collector may ask again."""
    require_permission(actor, APPROVE_PERMISSION)
    case, dunning = lock_dunning(case)
    at = at or timezone.now()
    order = _pending_order(dunning)
    if order is None or order.status != DisconnectionOrderStatus.REQUESTED:
        raise IllegalTransition(_("没有待审批的停水令。"), code="no_order_to_approve")
    text = text_input(reason, field="reason", label=_("不批准原因"), limit=REASON_MAX_LENGTH)
    case = move(case=case, action="refuse_disconnection", actor=actor, at=at, note=text)
    order.status = DisconnectionOrderStatus.REFUSED
    order.decided_at = at
    order.decided_by = actor
    order.decision_note = text
    order.save()
    return case


def disconnection_cancel_locked(*, case: Case, dunning: Dunning, reason: str, at: datetime) -> Case:
    """Withdraw a pending order (a payment, an exemption, a plan): a requested one is
    cancelled, an approved one's work order too (the crew is told by fieldwork)."""
    order = _pending_order(dunning)
    if order is None:
        return case
    order.status = DisconnectionOrderStatus.CANCELLED
    order.cancelled_at = at
    order.cancelled_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancelled_reason"])
    if order.work_order is not None and order.work_order.is_open:
        work_order_withdraw(order=order.work_order, reason=reason)
    elif order.work_order is None and order.decided_at is not None:
        valve = remote_valve_for(dunning.account)
        if valve is not None:
            valve.withdraw(case=case, reason=reason, at=at)
    if case.status == DunningStatus.DISCONNECTION_APPROVED:
        case = move(case=case, action="disconnection_withdrawn", actor=None, at=at, note=reason)
    elif case.status == DunningStatus.AWAITING_APPROVAL:
        case = move(case=case, action="request_withdrawn", actor=None, at=at, note=reason)
    return case


def _reading(data: dict, *, field: str = "meter_reading") -> Decimal:
    try:
        value = Decimal(str(data.get(field, "")).strip())
    except InvalidOperation:
        value = None
    if value is None or value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            _("请填写表读数（不小于 0，最多两位小数）。"), code="invalid_reading", field=field
        )
    return value


def disconnection_order_event(*, order, action: str, actor, at: datetime, data: dict) -> None:
    """The disconnection crew's steps (the ``disconnection`` purpose's hook, inside the
    step's transaction, the work order locked): before setting off, on arrival and at the
    finish the order is checked again and refused when it no longer holds; the finish
    records the reading and the seal and suspends supply; a cancelled order or one the crew
    could not complete sends the case back to its notice period."""
    disconnection = (
        DisconnectionOrder.objects.filter(work_order=order).select_related("dunning").first()
    )
    if disconnection is None:
        return
    case, dunning = lock_dunning(order.case)
    disconnection = DisconnectionOrder.objects.select_for_update().get(pk=disconnection.pk)
    if action in ("set_off", "arrive", "finish"):
        if disconnection.status != DisconnectionOrderStatus.APPROVED:
            raise IllegalTransition(
                _("停水令已撤销（%(reason)s），请勿停水。")
                % {"reason": disconnection.cancelled_reason},
                code="disconnection_cancelled",
            )
        _refuse_if_blocked(
            dunning, day=day_of(at), suffix=gettext("请勿停水，并联系催收主管撤销工单。")
        )
    if action == "finish":
        reading = _reading(data)
        seal = str(data.get("seal_number", "")).strip()
        if not seal:
            raise InvalidInput(_("请填写铅封号。"), code="required", field="seal_number")
        disconnection.meter_reading = reading
        disconnection.seal_number = seal[:40]
        _suspend(
            case=case,
            dunning=dunning,
            order=disconnection,
            actor=actor,
            at=at,
            data={"reading": f"{reading:.2f}", "seal": disconnection.seal_number},
        )
    elif (
        action in ("cancel", "give_up")
        and disconnection.status == DisconnectionOrderStatus.APPROVED
    ):
        reason = gettext("外勤工单已撤销") if action == "cancel" else gettext("班组未能完成停水")
        disconnection.status = DisconnectionOrderStatus.CANCELLED
        disconnection.cancelled_at = at
        disconnection.cancelled_reason = reason
        disconnection.save(update_fields=["status", "cancelled_at", "cancelled_reason"])
        move(case=case, action="disconnection_withdrawn", actor=None, at=at, note=reason)


# --- reconnection ---------------------------------------------------------------------------


def _reconnection_dispatch_locked(
    *, case: Case, dunning: Dunning, crew, actor, at: datetime, due_at: datetime
):
    premise = case.premise
    return work_order_create(
        actor=actor,
        case=case,
        purpose=RECONNECTION_PURPOSE,
        crew=crew,
        urgent=True,
        description=gettext(
            "缴费复水：户号 %(account)s 欠费已缴清，请拆除铅封、开启阀门恢复供水，记录表读数。"
            "最迟 %(due)s 前完成。"
        )
        % {"account": dunning.account.number, "due": local(due_at).strftime("%Y-%m-%d %H:%M")},
        address=premise.address if premise else dunning.account.premise.address,
        premise=premise,
        contact_name=case.contact_name,
        contact_phone=case.contact_phone,
        window_end=due_at,
        at=at,
    )


def reconnection_due_at(case: Case, *, at: datetime) -> datetime:
    clock = sla.clock_start(case=case, milestone=RECONNECT_MILESTONE, start=at)
    return clock.due_at if clock is not None else at + timedelta(hours=24)


def _reconnection_begin(
    *, case: Case, dunning: Dunning, at: datetime, crew=None, actor=None
) -> datetime:
    """The reconnection clock started and the order sent to ``crew`` (else the crew on call,
    else the policy's crew; else waiting for a supervisor); the customer told when."""
    dunning.reconnection_requested_at = at
    dunning.save(update_fields=["reconnection_requested_at"])
    due_at = reconnection_due_at(case, at=at)
    valve = remote_valve_for(dunning.account)
    if valve is not None:
        # The valve is opened from afar; a crew goes only if the command fails.
        reference = valve.open(
            case=case,
            account=dunning.account,
            approved_by=actor,
            reason=gettext("缴费复水 %(case)s") % {"case": case.number},
            at=at,
        )
        case_event_record(
            case=case, actor=actor, action="remote_open_sent", at=at, data={"command": reference}
        )
        tell_customer(
            case=case,
            dunning=dunning,
            template=RECONNECTION,
            context={
                "due_at": local(due_at).strftime("%Y-%m-%d %H:%M"),
                "crew": gettext("远程开阀"),
            },
            key=at.isoformat(),
        )
        return due_at
    crew = crew or crew_on_duty(at=at) or policy().reconnection_crew
    if crew is None:
        case_event_record(case=case, actor=None, action="no_crew_for_reconnection", at=at)
    else:
        _reconnection_dispatch_locked(
            case=case, dunning=dunning, crew=crew, actor=actor, at=at, due_at=due_at
        )
    tell_customer(
        case=case,
        dunning=dunning,
        template=RECONNECTION,
        context={
            "due_at": local(due_at).strftime("%Y-%m-%d %H:%M"),
            "crew": crew.name if crew is not None else "维修班组",
        },
        key=at.isoformat(),
    )
    return due_at


def reconnection_start_locked(*, case: Case, dunning: Dunning, at: datetime) -> Case:
    """Payment after disconnection: the reconnection order at once, due within the
    ``reconnect`` limit (see ``_reconnection_begin``)."""
    case = move(case=case, action="payment_after_disconnection", actor=None, at=at)
    _reconnection_begin(case=case, dunning=dunning, at=at)
    return case


@transaction.atomic
def reconnection_without_payment(
    *, actor, case: Case, crew, reason: str, at: datetime | None = None
) -> Case:
    """A supervisor restores supply before the debt is paid (a household found vulnerable,
    a disconnection found mistaken), with the reason; the debt stays on the account."""
    require_permission(actor, APPROVE_PERMISSION)
    case, dunning = lock_dunning(case)
    at = at or timezone.now()
    text = text_input(reason, field="reason", label=_("恢复供水原因"), limit=REASON_MAX_LENGTH)
    case = move(case=case, action="reconnect_without_payment", actor=actor, at=at, note=text)
    _reconnection_begin(case=case, dunning=dunning, at=at, crew=crew, actor=actor)
    return case


def reconnection_open_order(case: Case):
    return case.work_orders.filter(purpose=RECONNECTION_PURPOSE, closed_at__isnull=True).first()


def may_dispatch_reconnection(case: Case, user) -> bool:
    """The guard of ``dispatch_reconnection``: no crew is on the way yet."""
    return user.has_perm(APPROVE_PERMISSION) and reconnection_open_order(case) is None


@transaction.atomic
def reconnection_dispatch(*, actor, case: Case, crew, at: datetime | None = None) -> Case:
    """A supervisor sends a crew to reconnect (nobody was on call, or the crew could not
    finish); the order is due at the case's reconnection deadline."""
    require_permission(actor, APPROVE_PERMISSION)
    case, dunning = lock_dunning(case)
    if case.status != DunningStatus.RECONNECTING:
        raise IllegalTransition(_("该户不在待复水状态。"), code="not_reconnecting")
    if reconnection_open_order(case) is not None:
        raise IllegalTransition(
            _("已有进行中的复水工单；如需换班组，请在工单页面改派。"),
            code="reconnection_dispatched",
        )
    at = at or timezone.now()
    case = move(
        case=case, action="dispatch_reconnection", actor=actor, at=at, data={"crew": crew.name}
    )
    _reconnection_dispatch_locked(
        case=case,
        dunning=dunning,
        crew=crew,
        actor=actor,
        at=at,
        due_at=reconnection_due_at(case, at=at),
    )
    return case


def reconnection_order_event(*, order, action: str, actor, at: datetime, data: dict) -> None:
    """The reconnection crew's finish restores supply (reading recorded), stops the clock and
    ends the case (or returns it to its instalment plan); a cancelled or unfinished order
    leaves the case waiting for a supervisor to send another crew, the clock running."""
    case, dunning = lock_dunning(order.case)
    if case.status != DunningStatus.RECONNECTING:
        return
    if action == "finish":
        reading = _reading(data)
        _restore(case=case, dunning=dunning, actor=actor, at=at, reading=f"{reading:.2f}")
    elif action in ("cancel", "give_up"):
        case_event_record(
            case=case,
            actor=actor,
            action="reconnection_order_closed",
            at=at,
            data={"order": order.number},
        )


def _restore(*, case: Case, dunning: Dunning, actor, at: datetime, reading: str) -> None:
    """Supply restored (by the crew's finish or a remote open): the clock stopped, the case
    ended (or back on its instalment plan), the customer told."""
    dunning.reconnected_at = at
    dunning.save(update_fields=["reconnected_at"])
    account_supply_set(
        actor=actor, account=dunning.account, suspended=False, reason=f"缴费复水 {case.number}"
    )
    sla.clock_stop(case=case, milestone=RECONNECT_MILESTONE, at=at)
    live = InstalmentPlan.objects.filter(dunning=dunning, status=PlanStatus.ACTIVE).exists()
    data = {"reading": reading}
    if live:
        move(case=case, action="reconnect_on_plan", actor=None, at=at, data=data)
    else:
        move(case=case, action="reconnect", actor=None, at=at, data=data)
        dunning.is_open = False
        dunning.settled_at = dunning.settled_at or at
        dunning.save(update_fields=["is_open", "settled_at"])
    tell_customer(case=case, dunning=dunning, template=RECONNECTED, context={}, key="done")


@transaction.atomic
def reconnection_remote_done(*, case: Case, reading: Decimal | None, at: datetime) -> Case:
    """The head-end confirmed the remote open: supply restored as when a crew finishes
    (nothing happens when the case no longer waits for reconnection)."""
    case, dunning = lock_dunning(case)
    if case.status != DunningStatus.RECONNECTING:
        return case
    text = f"{reading:.2f}" if reading is not None else "—"
    _restore(case=case, dunning=dunning, actor=None, at=at, reading=text)
    case.refresh_from_db()
    return case


@transaction.atomic
def reconnection_remote_failed(*, case: Case, reason: str, at: datetime) -> Case:
    """The remote open failed: a crew after all — the crew on call, else the policy's, else
    the supervisors dispatch one from the case page; the reconnection clock keeps running."""
    case, dunning = lock_dunning(case)
    if case.status != DunningStatus.RECONNECTING:
        return case
    case_event_record(
        case=case, actor=None, action="remote_valve_failed", at=at, data={"reason": reason[:200]}
    )
    crew = crew_on_duty(at=at) or policy().reconnection_crew
    if crew is None:
        case_event_record(case=case, actor=None, action="no_crew_for_reconnection", at=at)
        return case
    _reconnection_dispatch_locked(
        case=case,
        dunning=dunning,
        crew=crew,
        actor=None,
        at=at,
        due_at=reconnection_due_at(case, at=at),
    )
    return case

"""Valve commands (阀控指令): open or close a meter's valve through its head-end.

    requested --approve (a second person, amr.approve_valve_command)--> approved
    requested --refuse--> refused
    approved --send (after commit)--> sent --confirm--> confirmed
                                           --fail--> failed
    approved | sent --withdraw (the ladder's order cancelled)--> withdrawn

A command is sent only once approved: ``valve_command_send`` refuses any other state
(``not_approved``) and changes nothing. The requester may not approve their own command
(``second_person_required``; also a database constraint). Commands of the collection
ladder (``origin`` disconnection / reconnection) are made already approved — their approval
is the disconnection order's, given by a collection supervisor other than the requester;
restoring supply after payment needs no approval, as for a crew — and report back to the
ladder when confirmed or failed.

The head-end confirms through the API (``valve_command_confirm``), idempotently: the same
confirmation again changes nothing; another confirmation id for a settled command is
refused (``confirmation_conflict``). Every move writes a ``ValveCommandEvent``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.adapters import adapter_for
from waterdesk.amr.models import (
    RemoteMeter,
    ValveAction,
    ValveCommand,
    ValveCommandEvent,
    ValveCommandState,
    ValveOrigin,
    ValveState,
)
from waterdesk.cases.models import Case
from waterdesk.collection.services import disconnection as ladder
from waterdesk.core.errors import DomainError, IllegalTransition, InvalidInput, require_permission
from waterdesk.core.text import text_input

REQUEST_PERMISSION = "amr.request_valve_command"
APPROVE_PERMISSION = "amr.approve_valve_command"
_CENTS = Decimal("0.01")
PENDING = (ValveCommandState.REQUESTED, ValveCommandState.APPROVED, ValveCommandState.SENT)


class ConfirmationConflict(DomainError):
    code = "confirmation_conflict"
    http_status = 409


def _event(command: ValveCommand, action: str, actor, at: datetime, note: str = "") -> None:
    ValveCommandEvent.objects.create(
        command=command, action=action, actor=actor, at=at, note=note[:300]
    )


def _lock(command: ValveCommand) -> ValveCommand:
    """The command's case first (the ladder's lock order: case, then what hangs off it),
    then the command."""
    case_id = ValveCommand.objects.filter(pk=command.pk).values_list("case_id", flat=True).first()
    if case_id is not None:
        Case.objects.select_for_update().filter(pk=case_id).first()
    return (
        ValveCommand.objects.select_for_update()
        .select_related("remote_meter__head_end", "remote_meter__meter")
        .get(pk=command.pk)
    )


@shared_task(name="waterdesk.amr.tasks.valve_command_send_task", ignore_result=True)
def valve_command_send_task(command_id: int) -> None:
    """Send an approved command (after the approval's commit; safe to run twice)."""
    command = ValveCommand.objects.filter(pk=command_id).first()
    if command is not None:
        valve_command_send(command=command)


def _send_after_commit(command: ValveCommand) -> None:
    transaction.on_commit(lambda: valve_command_send_task.delay(command.pk))


def _refuse_if_pending(meter: RemoteMeter) -> None:
    if ValveCommand.objects.filter(remote_meter=meter, state__in=PENDING).exists():
        raise IllegalTransition(
            _("该表已有未完成的阀控指令，请等待其执行或撤销后再申请。"),
            code="command_pending",
        )


def _create(
    *, meter: RemoteMeter, action: str, reason: str, origin: str, at: datetime, **fields
) -> ValveCommand:
    _refuse_if_pending(meter)
    return ValveCommand.objects.create(
        remote_meter=meter, action=action, reason=reason, origin=origin, requested_at=at, **fields
    )


@transaction.atomic
def valve_command_request(
    *, actor, remote_meter: RemoteMeter, action: str, reason: str, at: datetime | None = None
) -> ValveCommand:
    """Ask for a valve to be opened or closed, with the reason; it waits for approval."""
    require_permission(actor, REQUEST_PERMISSION)
    at = at or timezone.now()
    if action not in ValveAction.values:
        raise InvalidInput(_("请选择开阀或关阀。"), code="invalid_action", field="action")
    text = text_input(reason, field="reason", label=_("原因"), limit=300)
    meter = RemoteMeter.objects.select_for_update().get(pk=remote_meter.pk)
    if not meter.supports_valve or not meter.is_active:
        raise IllegalTransition(
            _("该表不带远程阀控，无法下发阀控指令；请派外勤处理。"), code="no_valve"
        )
    command = _create(
        meter=meter,
        action=action,
        reason=text,
        origin=ValveOrigin.MANUAL,
        at=at,
        requested_by=actor,
    )
    _event(command, "requested", actor, at, text)
    return command


@transaction.atomic
def valve_command_approve(*, actor, command: ValveCommand, at: datetime | None = None):
    """A second person approves; the command is sent after commit."""
    require_permission(actor, APPROVE_PERMISSION)
    at = at or timezone.now()
    command = _lock(command)
    if command.state != ValveCommandState.REQUESTED:
        raise IllegalTransition(_("该指令不在待审批状态。"), code="not_requested")
    if command.requested_by_id == actor.pk:
        raise IllegalTransition(
            _("阀控指令须由申请人以外的人员审批，请交其他主管审批。"),
            code="second_person_required",
        )
    command.state = ValveCommandState.APPROVED
    command.approved_by = actor
    command.approved_at = at
    command.save(update_fields=["state", "approved_by", "approved_at"])
    _event(command, "approved", actor, at)
    _send_after_commit(command)
    return command


@transaction.atomic
def valve_command_refuse(*, actor, command: ValveCommand, reason: str, at=None) -> ValveCommand:
    require_permission(actor, APPROVE_PERMISSION)
    at = at or timezone.now()
    command = _lock(command)
    if command.state != ValveCommandState.REQUESTED:
        raise IllegalTransition(_("该指令不在待审批状态。"), code="not_requested")
    text = text_input(reason, field="reason", label=_("不批准原因"), limit=300)
    command.state = ValveCommandState.REFUSED
    command.save(update_fields=["state"])
    _event(command, "refused", actor, at, text)
    return command


@transaction.atomic
def valve_command_send(*, command: ValveCommand, at: datetime | None = None) -> ValveCommand:
    """Hand an approved command to its head-end's adapter (the task after approval). A
    command that is not approved is refused (``not_approved``) and nothing changes; one
    already sent is left alone (the task may run twice)."""
    at = at or timezone.now()
    command = _lock(command)
    if command.state in (
        ValveCommandState.SENT,
        ValveCommandState.CONFIRMED,
        ValveCommandState.FAILED,
        ValveCommandState.WITHDRAWN,
    ):
        return command
    if command.state != ValveCommandState.APPROVED or command.approved_at is None:
        raise IllegalTransition(
            _("阀控指令未经审批，不能下发；请先由第二人审批。"), code="not_approved"
        )
    result = adapter_for(command.remote_meter.head_end).send(command)
    command.state = ValveCommandState.SENT
    command.sent_at = at
    command.save(update_fields=["state", "sent_at"])
    _event(command, "sent", None, at)
    if not result.accepted:
        return _settle(command, succeeded=False, confirmation_id="", at=at, reason=result.failure)
    if result.confirmation_id:
        return _settle(
            command,
            succeeded=True,
            confirmation_id=result.confirmation_id,
            at=result.confirmed_at or at,
        )
    return command


def _settle(
    command: ValveCommand, *, succeeded: bool, confirmation_id: str, at: datetime, reason=""
) -> ValveCommand:
    meter = RemoteMeter.objects.select_for_update().get(pk=command.remote_meter_id)
    withdrawn = command.state == ValveCommandState.WITHDRAWN
    command.confirmation_id = confirmation_id[:64]
    command.confirmed_at = at
    if succeeded:
        if not withdrawn:
            command.state = ValveCommandState.CONFIRMED
        meter.valve_state = (
            ValveState.CLOSED if command.action == ValveAction.CLOSE else ValveState.OPEN
        )
        meter.save(update_fields=["valve_state"])
        _event(command, "confirmed", None, at, confirmation_id)
    else:
        if not withdrawn:
            command.state = ValveCommandState.FAILED
        command.failure_reason = (reason or gettext("主站报告执行失败"))[:300]
        _event(command, "failed", None, at, command.failure_reason)
    command.save()
    if withdrawn:
        if succeeded and command.action == ValveAction.CLOSE:
            # Closed after its order was withdrawn (a payment came first): open it again.
            reopen = _create(
                meter=meter,
                action=ValveAction.OPEN,
                reason=gettext("停水令已撤销，恢复开阀"),
                origin=ValveOrigin.RECONNECTION,
                at=at,
                approved_at=at,
                state=ValveCommandState.APPROVED,
            )
            _event(reopen, "approved", None, at)
            _send_after_commit(reopen)
        return command
    if command.case_id is not None:
        reading = (
            meter.last_value.quantize(_CENTS, rounding=ROUND_DOWN)
            if meter.last_value is not None
            else None
        )
        if command.origin == ValveOrigin.DISCONNECTION:
            if succeeded:
                ladder.disconnection_remote_done(
                    case=command.case, reference=command.number, reading=reading, at=at
                )
            else:
                ladder.disconnection_remote_failed(
                    case=command.case,
                    crew_id=command.fallback_crew_id,
                    reason=command.failure_reason,
                    at=at,
                )
        elif command.origin == ValveOrigin.RECONNECTION:
            if succeeded:
                ladder.reconnection_remote_done(case=command.case, reading=reading, at=at)
            else:
                ladder.reconnection_remote_failed(
                    case=command.case, reason=command.failure_reason, at=at
                )
    return command


@transaction.atomic
def valve_command_confirm(
    *,
    head_end,
    command: ValveCommand,
    confirmation_id: str,
    confirmed_at: datetime | None = None,
    succeeded: bool = True,
    reason: str = "",
) -> ValveCommand:
    """The head-end's answer to a sent command (idempotent: see the module)."""
    command = _lock(command)
    if command.remote_meter.head_end_id != head_end.pk:
        raise IllegalTransition(_("该指令不属于本主站。"), code="not_your_command")
    confirmation_id = str(confirmation_id or "").strip()
    if not confirmation_id:
        raise InvalidInput(_("请提供主站确认号。"), code="required", field="confirmation_id")
    if command.confirmation_id or command.state in (
        ValveCommandState.CONFIRMED,
        ValveCommandState.FAILED,
    ):
        same = command.confirmation_id == confirmation_id[:64] and (
            (command.state == ValveCommandState.CONFIRMED) == succeeded
            or command.state == ValveCommandState.WITHDRAWN
        )
        if same:
            return command
        raise ConfirmationConflict(_("该指令已有不同的确认结果。"), field="confirmation_id")
    if command.state not in (ValveCommandState.SENT, ValveCommandState.WITHDRAWN):
        raise IllegalTransition(_("该指令尚未下发，不能确认。"), code="not_sent")
    return _settle(
        command,
        succeeded=succeeded,
        confirmation_id=confirmation_id,
        at=confirmed_at or timezone.now(),
        reason=reason,
    )


# --- the collection ladder's remote valve (``collection.hooks.RemoteValve``) ----------------


def _valve_meter(account) -> RemoteMeter | None:
    return (
        RemoteMeter.objects.filter(
            meter__account=account,
            meter__state="installed",
            supports_valve=True,
            is_active=True,
            head_end__is_active=True,
        )
        .order_by("pk")
        .first()
    )


def ladder_supports(account) -> bool:
    return _valve_meter(account) is not None


def ladder_close(*, case, account, requested_by, approved_by, crew, note, at) -> str:
    meter = RemoteMeter.objects.select_for_update().get(pk=_valve_meter(account).pk)
    command = _create(
        meter=meter,
        action=ValveAction.CLOSE,
        reason=gettext("欠费停水 %(case)s") % {"case": case.number},
        origin=ValveOrigin.DISCONNECTION,
        at=at,
        case=case,
        requested_by=requested_by,
        approved_by=approved_by,
        approved_at=at,
        state=ValveCommandState.APPROVED,
        fallback_crew_id=crew.pk if crew is not None else None,
    )
    _event(command, "approved", approved_by, at, note)
    _send_after_commit(command)
    return command.number


def ladder_open(*, case, account, approved_by, reason, at) -> str:
    meter = RemoteMeter.objects.select_for_update().get(pk=_valve_meter(account).pk)
    command = _create(
        meter=meter,
        action=ValveAction.OPEN,
        reason=reason,
        origin=ValveOrigin.RECONNECTION,
        at=at,
        case=case,
        approved_by=approved_by,
        approved_at=at,
        state=ValveCommandState.APPROVED,
    )
    _event(command, "approved", approved_by, at, reason)
    _send_after_commit(command)
    return command.number


def ladder_withdraw(*, case, reason, at) -> None:
    for command in ValveCommand.objects.select_for_update().filter(
        case=case,
        origin=ValveOrigin.DISCONNECTION,
        state__in=(ValveCommandState.APPROVED, ValveCommandState.SENT),
    ):
        command.state = ValveCommandState.WITHDRAWN
        command.save(update_fields=["state"])
        _event(command, "withdrawn", None, at, reason)

"""The on-call roster (值班表): dispatchers add a crew's shift and remove one that has not
started. A crew's shifts never overlap, so "who is on call" has one answer per crew; the
crew's row is locked while its shifts are checked, so two dispatchers adding at once
cannot both pass the check."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.fieldwork.models import Crew, DutyShift
from waterdesk.fieldwork.workflow import DISPATCH_PERMISSION

SHIFT_MAX_LENGTH = timedelta(days=7)
NOTE_MAX_LENGTH = 200  # DutyShift.note


def _check_dispatcher(actor) -> None:
    if actor is not None and not actor.has_perm(DISPATCH_PERMISSION):
        raise NotPermitted()


def _when(value: datetime) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def duty_shift_add(
    *, actor, crew: Crew | None, starts_at: datetime | None, ends_at: datetime | None, note=""
) -> DutyShift:
    """``crew`` is on call from ``starts_at`` to ``ends_at`` (not yet over, at most a week,
    not overlapping another shift of the same crew)."""
    _check_dispatcher(actor)
    if crew is None:
        raise InvalidInput(_("请选择在用的班组。"), code="crew_required", field="crew")
    crew = Crew.objects.select_for_update().filter(pk=crew.pk, is_active=True).first()
    if crew is None:
        raise InvalidInput(_("请选择在用的班组。"), code="crew_required", field="crew")
    if starts_at is None:
        raise InvalidInput(_("请填写值班开始时间。"), code="required", field="starts_at")
    if ends_at is None:
        raise InvalidInput(_("请填写值班结束时间。"), code="required", field="ends_at")
    if ends_at <= starts_at:
        raise InvalidInput(_("值班结束时间应晚于开始时间。"), code="invalid_shift", field="ends_at")
    if ends_at <= timezone.now():
        raise InvalidInput(
            _("该时段已经过去，不能再安排值班；请核对日期。"), code="shift_in_past", field="ends_at"
        )
    if ends_at - starts_at > SHIFT_MAX_LENGTH:
        raise InvalidInput(
            _("一次值班不能超过 7 天；更长的值班请分段安排。"),
            code="shift_too_long",
            field="ends_at",
        )
    text = str(note or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            _("备注不能超过 %(limit)s 个字。") % {"limit": NOTE_MAX_LENGTH},
            code="too_long",
            field="note",
        )
    clash = (
        DutyShift.objects.filter(crew=crew, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise InvalidInput(
            _(
                "%(crew)s在 %(start)s 至 %(end)s 已有值班，时间不能重叠；"
                "请调整时间，或先删除原有的值班。"
            )
            % {"crew": crew.name, "start": _when(clash.starts_at), "end": _when(clash.ends_at)},
            code="shift_overlaps",
            field="starts_at",
        )
    shift = DutyShift(crew=crew, starts_at=starts_at, ends_at=ends_at, note=text)
    shift._history_user = actor
    shift.save()
    return shift


@transaction.atomic
def duty_shift_remove(*, actor, shift: DutyShift) -> None:
    """Take a shift that has not started off the roster (one that has started is what
    happened: it stays)."""
    _check_dispatcher(actor)
    shift = DutyShift.objects.select_for_update().select_related("crew").get(pk=shift.pk)
    if shift.starts_at <= timezone.now():
        raise IllegalTransition(
            _("该值班已于 %(start)s 开始，不能删除；如需调整，请为接替的班组新增一段值班。")
            % {"start": _when(shift.starts_at)},
            code="shift_started",
        )
    shift._history_user = actor
    shift.delete()

"""Work orders: one service per move or step (``fieldwork.workflow``), each one transaction
that locks the order, checks who acts, records a ``WorkOrderEvent`` and tells the order's
purpose (``fieldwork.purposes``), which reacts for its case in the same transaction.

Crew members act only on their own crew's orders. ``actor=None`` is a service of a case
kind that checked its own permissions (an urgent repair dispatched at intake).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from io import BytesIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from waterdesk.cases.services import case_lock, photo_content_type
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import money_validate
from waterdesk.core.text import text_input
from waterdesk.core.timeutil import local
from waterdesk.customers.validation import validate_phone
from waterdesk.fieldwork.access import crew_of as crew_of  # where it was, for callers
from waterdesk.fieldwork.access import work_order_may_work
from waterdesk.fieldwork.models import (
    REASON_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Crew,
    MaterialUse,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from waterdesk.fieldwork.purposes import purpose_get
from waterdesk.fieldwork.workflow import (
    DISPATCH_PERMISSION,
    MOVES,
    STEPS,
    WORK_PERMISSION,
    purpose_has_step,
)
from waterdesk.notify.services import notification_queue

ASSIGNED_TEMPLATE = "fieldwork.assigned"
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_SIDE = 4000  # pixels: a canvas on a tablet at 3x is about 3000 wide
# A crew may give a time a little ahead of the server's clock (a phone's clock), no more.
CLOCK_SLACK = timedelta(minutes=5)


# --- input ---------------------------------------------------------------------------------


# A text input of the order (at most ``TEXT_MAX_LENGTH`` characters unless told).
_text = partial(text_input, limit=TEXT_MAX_LENGTH)


def _moment(value: datetime | None, *, after: datetime | None, field: str, label: str) -> datetime:
    """``value`` (now when not given): not in the future, not before ``after``."""
    now = timezone.now()
    at = value or now
    if at > now + CLOCK_SLACK:
        raise InvalidInput(
            _("%(label)s不能晚于当前时间。") % {"label": label}, code="time_in_future", field=field
        )
    if after is not None and at < after:
        raise InvalidInput(
            _("%(label)s不能早于 %(after)s，请核对时间。")
            % {"label": label, "after": local(after).strftime("%Y-%m-%d %H:%M")},
            code="time_before_previous_step",
            field=field,
        )
    return at


# --- the order, its crew, its purpose -----------------------------------------------------


def _lock(order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().select_related("case", "crew").get(pk=order.pk)


def work_order_lock(order: WorkOrder) -> WorkOrder:
    """Lock the order's row for the caller's transaction, before the case's: the lock order
    of every move of an order (a kind that must wait for a crew's step in progress, e.g. a
    payment that may cancel a disconnection, takes it first too)."""
    return _lock(order)


def _check_crew(actor, order: WorkOrder) -> None:
    if actor is None:
        return
    if not actor.has_perm(WORK_PERMISSION):
        raise NotPermitted()
    if not work_order_may_work(user=actor, order=order):
        raise NotPermitted(
            _("该工单不属于您所在的班组，不能操作；如需接手，请联系调度员改派。"),
            code="not_your_crew",
        )


def _check_dispatcher(actor) -> None:
    if actor is not None and not actor.has_perm(DISPATCH_PERMISSION):
        raise NotPermitted()


def _refuse_status(order: WorkOrder, action: str) -> None:
    raise IllegalTransition(
        _("工单当前状态为“%(status)s”，不能进行此操作。") % {"status": order.get_status_display()},
        details={"action": action, "status": order.status},
    )


def _record(
    order: WorkOrder, action: str, *, actor, at, note="", data=None, from_status="", to_status=""
):
    WorkOrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=at,
        note=note,
        data=data or {},
    )
    purpose = purpose_get(order.purpose)
    if purpose.on_event is not None:
        purpose.on_event(order=order, action=action, actor=actor, at=at, data=data or {})


def _move(order: WorkOrder, action: str, *, actor, at, note="", data=None, **fields) -> WorkOrder:
    sources, target = MOVES[action]
    if order.status not in sources:
        _refuse_status(order, action)
    previous = order.status
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    if target in ("signed_off", "not_completed", "cancelled"):
        order.closed_at = at
    order.save()
    _record(
        order,
        action,
        actor=actor,
        at=at,
        note=note,
        data=data,
        from_status=previous,
        to_status=target,
    )
    return order


def _step_allowed(order: WorkOrder, action: str) -> None:
    if order.status not in STEPS[action]:
        _refuse_status(order, action)
    purpose = purpose_get(order.purpose)
    if not purpose_has_step(purpose, action):
        raise IllegalTransition(
            _("%(purpose)s工单无需故障诊断和报价，请直接完工。") % {"purpose": purpose.label},
            code="step_not_for_purpose",
            details={"action": action},
        )


# --- dispatch ------------------------------------------------------------------------------


def _notify_crew(order: WorkOrder) -> None:
    """The crew hears of the order at once, wherever they are (SMS and e-mail to every
    member, through the outbox; urgent orders ignore quiet hours)."""
    context = {
        "order_number": order.number,
        "address": order.address,
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "description": order.description,
        "case_number": order.case.number,
        "urgent": "紧急" if order.urgent else "一般",
    }
    for member in order.crew.members.select_related("user__staff_profile"):
        notification_queue(
            template=ASSIGNED_TEMPLATE,
            context=context,
            case=order.case,
            user=member.user,
            urgent=order.urgent,
            dedupe_key=f"{ASSIGNED_TEMPLATE}:{order.number}:{order.crew_id}:{member.user_id}",
        )


@transaction.atomic
def work_order_create(
    *,
    actor,
    case,
    purpose: str,
    crew: Crew,
    description: str,
    address: str,
    premise=None,
    contact_name: str = "",
    contact_phone: str = "",
    urgent: bool = False,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """A new order for ``case``, assigned to ``crew``, whose members are notified at once.
    Its number is the case's number and the order's place among the case's orders
    (``BX-20261206-0003-1``)."""
    _check_dispatcher(actor)
    purpose_get(purpose)  # refuses an unknown purpose
    if crew is None or not Crew.objects.filter(pk=crew.pk, is_active=True).exists():
        raise InvalidInput(_("请选择在用的班组。"), code="crew_required", field="crew")
    if window_start and window_end and window_end <= window_start:
        raise InvalidInput(
            _("预约结束时间应晚于开始时间。"), code="invalid_window", field="window_end"
        )
    case = case_lock(case)
    at = at or timezone.now()
    place = WorkOrder.objects.filter(case=case).count() + 1
    order = WorkOrder.objects.create(
        number=f"{case.number}-{place}",
        case=case,
        purpose=purpose,
        crew=crew,
        urgent=urgent,
        address=_text(address, field="address", label=_("地址"), limit=300),
        premise=premise,
        contact_name=_text(
            contact_name, field="contact_name", label=_("联系人"), limit=100, required=False
        ),
        contact_phone=validate_phone(contact_phone) if contact_phone else "",
        description=_text(description, field="description", label=_("工作内容")),
        window_start=window_start,
        window_end=window_end,
        assigned_at=at,
        created_by=actor,
    )
    _record(
        order,
        "assign",
        actor=actor,
        at=at,
        data={"crew": crew.code, "urgent": urgent},
        to_status=order.status,
    )
    _notify_crew(order)
    return order


@transaction.atomic
def work_order_reassign(*, actor, order: WorkOrder, crew: Crew, reason: str) -> WorkOrder:
    """Another crew takes the order (back to assigned); the new crew is notified."""
    _check_dispatcher(actor)
    order = _lock(order)
    _step_allowed(order, "reassign")
    text = _text(reason, field="reason", label=_("改派原因"), limit=REASON_MAX_LENGTH)
    if crew is None or not crew.is_active:
        raise InvalidInput(_("请选择在用的班组。"), code="crew_required", field="crew")
    if crew.pk == order.crew_id:
        raise InvalidInput(_("工单已在该班组。"), code="same_crew", field="crew")
    previous = order.crew
    order.crew, order.status, order.accepted_at = crew, "assigned", None
    order.save(update_fields=["crew", "status", "accepted_at"])
    _record(
        order,
        "reassign",
        actor=actor,
        at=timezone.now(),
        note=text,
        data={"from": previous.code, "to": crew.code},
    )
    _notify_crew(order)
    return order


def work_order_withdraw(*, order: WorkOrder, reason: str) -> WorkOrder:
    """The case no longer needs the order (a decision its kind's service checked): cancelled
    while the crew has not arrived, otherwise recorded as not completed with the reason.
    The system's move, inside the caller's transaction."""
    if order.status in MOVES["cancel"][0]:
        return work_order_cancel(actor=None, order=order, reason=reason)
    return work_order_give_up(actor=None, order=order, reason=reason)


@transaction.atomic
def work_order_cancel(*, actor, order: WorkOrder, reason: str) -> WorkOrder:
    _check_dispatcher(actor)
    order = _lock(order)
    text = _text(reason, field="reason", label=_("撤单原因"), limit=REASON_MAX_LENGTH)
    return _move(order, "cancel", actor=actor, at=timezone.now(), note=text)


# --- the crew's moves ----------------------------------------------------------------------


@transaction.atomic
def work_order_accept(*, actor, order: WorkOrder) -> WorkOrder:
    order = _lock(order)
    _check_crew(actor, order)
    at = timezone.now()
    return _move(order, "accept", actor=actor, at=at, accepted_at=at)


@transaction.atomic
def work_order_contact(
    *, actor, order: WorkOrder, window_start: datetime, window_end: datetime, note: str = ""
) -> WorkOrder:
    """The crew called the customer and booked the visit (general jobs)."""
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "contact")
    if window_start is None or window_end is None:
        raise InvalidInput(_("请填写预约上门时间。"), code="required", field="window_start")
    if window_end <= window_start:
        raise InvalidInput(
            _("预约结束时间应晚于开始时间。"), code="invalid_window", field="window_end"
        )
    at = timezone.now()
    order.window_start, order.window_end = window_start, window_end
    order.contacted_at = order.contacted_at or at
    order.save(update_fields=["window_start", "window_end", "contacted_at"])
    text = _text(note, field="note", label=_("说明"), limit=REASON_MAX_LENGTH, required=False)
    _record(
        order,
        "contact",
        actor=actor,
        at=at,
        note=text,
        data={"window_start": window_start.isoformat(), "window_end": window_end.isoformat()},
    )
    return order


@transaction.atomic
def work_order_set_off(*, actor, order: WorkOrder, at: datetime | None = None) -> WorkOrder:
    order = _lock(order)
    _check_crew(actor, order)
    when = _moment(at, after=order.accepted_at, field="at", label=_("出发时间"))
    return _move(order, "set_off", actor=actor, at=when, en_route_at=when)


def _coordinate(value, *, field: str, limit: int):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        number = None
    if number is None or abs(number) > limit:
        raise InvalidInput(_("位置坐标无效。"), code="invalid_location", field=field)
    return number


@transaction.atomic
def work_order_arrive(
    *, actor, order: WorkOrder, at: datetime | None = None, latitude=None, longitude=None
) -> WorkOrder:
    """On site: the time (not before the crew set off) and, optionally, the phone's place."""
    order = _lock(order)
    _check_crew(actor, order)
    if order.status != "en_route":
        _refuse_status(order, "arrive")
    when = _moment(at, after=order.en_route_at, field="at", label=_("到达时间"))
    lat = _coordinate(latitude, field="latitude", limit=90)
    lon = _coordinate(longitude, field="longitude", limit=180)
    return _move(
        order,
        "arrive",
        actor=actor,
        at=when,
        arrived_at=when,
        arrived_latitude=lat,
        arrived_longitude=lon,
    )


@transaction.atomic
def work_order_diagnose(*, actor, order: WorkOrder, diagnosis: str, plan: str) -> WorkOrder:
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "diagnose")
    order.diagnosis = _text(diagnosis, field="diagnosis", label=_("故障诊断"))
    order.plan = _text(plan, field="plan", label=_("维修方案"))
    order.save(update_fields=["diagnosis", "plan"])
    _record(order, "diagnose", actor=actor, at=timezone.now(), note=order.diagnosis)
    return order


@transaction.atomic
def work_order_estimate(*, actor, order: WorkOrder, minutes, cost) -> WorkOrder:
    """The time and cost the crew tells the customer; the customer accepts it next (a new
    estimate must be accepted again)."""
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "estimate")
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 0 < minutes <= 7 * 24 * 60:
        raise InvalidInput(
            _("预计用时应为 1 分钟到 7 天之间。"), code="invalid_minutes", field="minutes"
        )
    value = money_validate(cost, field="cost")
    if value < 0:
        raise InvalidInput(_("预计费用不能为负数。"), code="invalid_amount", field="cost")
    at = timezone.now()
    order.estimate_minutes, order.estimate_cost = minutes, value
    order.estimate_accepted_at = None
    order.expected_done_at = at + timedelta(minutes=minutes)
    order.save(
        update_fields=[
            "estimate_minutes",
            "estimate_cost",
            "estimate_accepted_at",
            "expected_done_at",
        ]
    )
    _record(
        order, "estimate", actor=actor, at=at, data={"minutes": minutes, "cost": f"{value:.2f}"}
    )
    return order


@transaction.atomic
def work_order_estimate_accept(*, actor, order: WorkOrder) -> WorkOrder:
    """The customer accepted the time and cost on the crew's screen."""
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "estimate_accept")
    if order.estimate_minutes is None:
        raise IllegalTransition(
            _("请先填写预计用时和费用，再请客户确认。"), code="estimate_missing"
        )
    at = timezone.now()
    order.estimate_accepted_at = at
    order.save(update_fields=["estimate_accepted_at"])
    _record(order, "estimate_accept", actor=actor, at=at)
    return order


@transaction.atomic
def work_order_extend(
    *, actor, order: WorkOrder, reason: str, expected_done_at: datetime, major_part: bool = False
) -> WorkOrder:
    """More time, or a major part to replace: the reason and the new ETA, which the
    order's purpose tells the customer."""
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "extend")
    text = _text(reason, field="reason", label=_("延期原因"), limit=REASON_MAX_LENGTH)
    now = timezone.now()
    if expected_done_at is None or expected_done_at <= now:
        raise InvalidInput(
            _("新的预计完成时间应晚于当前时间。"), code="invalid_eta", field="expected_done_at"
        )
    order.expected_done_at = expected_done_at
    order.save(update_fields=["expected_done_at"])
    _record(
        order,
        "extend",
        actor=actor,
        at=now,
        note=text,
        data={"expected_done_at": expected_done_at.isoformat(), "major_part": major_part},
    )
    return order


@transaction.atomic
def work_order_material_add(
    *, actor, order: WorkOrder, name: str, quantity, unit: str, specification: str = ""
) -> MaterialUse:
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "material")
    try:
        amount = Decimal(str(quantity)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = Decimal(0)
    if not Decimal(0) < amount < Decimal("100000"):
        raise InvalidInput(_("数量应大于零。"), code="invalid_quantity", field="quantity")
    at = timezone.now()
    material = MaterialUse.objects.create(
        order=order,
        name=_text(name, field="name", label=_("物料名称"), limit=100),
        specification=_text(
            specification, field="specification", label=_("规格"), limit=100, required=False
        ),
        quantity=amount,
        unit=_text(unit, field="unit", label=_("单位"), limit=16),
        recorded_by=actor,
        recorded_at=at,
    )
    _record(
        order,
        "material",
        actor=actor,
        at=at,
        data={"name": material.name, "quantity": f"{amount}", "unit": material.unit},
    )
    return material


@transaction.atomic
def work_order_photo_add(*, actor, order: WorkOrder, upload, caption: str = "") -> WorkOrderPhoto:
    order = _lock(order)
    _check_crew(actor, order)
    _step_allowed(order, "photo")
    if upload is None:
        raise InvalidInput(_("请选择或拍摄一张照片。"), code="required", field="photo")
    content_type = photo_content_type(upload)
    at = timezone.now()
    photo = WorkOrderPhoto(
        order=order,
        content_type=content_type,
        caption=_text(caption, field="caption", label=_("说明"), limit=200, required=False),
        taken_by=actor,
        taken_at=at,
    )
    photo.image.save(upload.name or "photo", upload, save=False)
    photo.save()
    _record(order, "photo", actor=actor, at=at, data={"photo": photo.pk})
    return photo


@transaction.atomic
def work_order_finish(
    *,
    actor,
    order: WorkOrder,
    result: str,
    site_cleaned: bool,
    use_demonstrated: bool,
    extra: dict | None = None,
) -> WorkOrder:
    """The work is done: what was done, the site cleaned and the use shown to the customer.
    An estimate the customer has not accepted stops it; so does a missing diagnosis, or a
    missing site photo, when the order's purpose asks for them.

    ``extra``: what the purpose's finish form records besides (JSON values: a reading, a
    seal number). It is the finish event's data, which the purpose's ``on_event`` checks
    and may refuse, and stays on the order as ``finish_details``."""
    order = _lock(order)
    _check_crew(actor, order)
    if order.status != "arrived":
        _refuse_status(order, "finish")
    purpose = purpose_get(order.purpose)
    if purpose.diagnosis_required and not order.diagnosis:
        raise IllegalTransition(_("请先填写故障诊断和维修方案。"), code="diagnosis_missing")
    if order.estimate_minutes is not None and order.estimate_accepted_at is None:
        raise IllegalTransition(
            _("客户尚未确认预计用时和费用：请客户在屏幕上确认，或重新报价。"),
            code="estimate_not_accepted",
        )
    if purpose.photo_required_at_finish and not order.photos.exists():
        raise IllegalTransition(_("完工前请先上传至少一张现场照片。"), code="photo_required")
    if not site_cleaned:
        raise InvalidInput(
            _("完工前请清理维修现场并勾选确认。"), code="site_not_cleaned", field="site_cleaned"
        )
    text = _text(result, field="result", label=_("处理结果"))
    at = timezone.now()
    details = dict(extra or {})
    return _move(
        order,
        "finish",
        actor=actor,
        at=at,
        note=text,
        data=details,
        result=text,
        work_done_at=at,
        site_cleaned=True,
        use_demonstrated=bool(use_demonstrated),
        finish_details=details,
    )


def _signature_png(data) -> bytes:
    if isinstance(data, str):  # a canvas's data URL
        prefix = "data:image/png;base64,"
        if not data.startswith(prefix):
            raise InvalidInput(
                _("签名图像无效，请重新签字。"), code="invalid_signature", field="signature"
            )
        try:
            data = base64.b64decode(data[len(prefix) :], validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput(
                _("签名图像无效，请重新签字。"), code="invalid_signature", field="signature"
            ) from error
    if (
        not data.startswith(b"\x89PNG\r\n\x1a\n")
        or len(data) > SIGNATURE_MAX_BYTES
        or not _png_decodes(bytes(data))
    ):
        raise InvalidInput(
            _("签名图像无效，请重新签字。"), code="invalid_signature", field="signature"
        )
    return bytes(data)


def _png_decodes(data: bytes) -> bool:
    """The bytes are a whole PNG of a sensible size: the printed sheet draws it later, and
    a truncated or forged image must be refused now, not when the sheet is printed."""
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format != "PNG" or not (
                0 < image.width <= SIGNATURE_MAX_SIDE and 0 < image.height <= SIGNATURE_MAX_SIDE
            ):
                return False
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    return True


@transaction.atomic
def work_order_sign_off(
    *,
    actor,
    order: WorkOrder,
    signature=None,
    signer_name: str = "",
    no_signature_reason: str = "",
) -> WorkOrder:
    """The customer signs the sheet on the screen (a PNG, or a canvas's data URL) — or the
    crew records why they could not; one of the two is required."""
    order = _lock(order)
    _check_crew(actor, order)
    if order.status != "work_done":
        _refuse_status(order, "sign_off")
    reason = _text(
        no_signature_reason,
        field="no_signature_reason",
        label=_("未签字原因"),
        limit=REASON_MAX_LENGTH,
        required=False,
    )
    if not signature and not reason:
        raise InvalidInput(
            _("请客户在屏幕上签字确认；客户无法签字时，请填写原因。"),
            code="signature_required",
            field="signature",
        )
    at = timezone.now()
    png = _signature_png(signature) if signature else None
    name = _text(
        signer_name, field="signer_name", label=_("签字人"), limit=100, required=png is not None
    )
    return _move(
        order,
        "sign_off",
        actor=actor,
        at=at,
        signature=png,
        signer_name=name,
        signed_at=at if png else None,
        no_signature_reason="" if png else reason,
        data={"signed": png is not None},
    )


@transaction.atomic
def work_order_give_up(*, actor, order: WorkOrder, reason: str) -> WorkOrder:
    """The crew could not complete the job (no access, a part to order, the customer
    declined the estimate …): the reason goes back to the dispatcher."""
    order = _lock(order)
    _check_crew(actor, order)
    text = _text(reason, field="reason", label=_("未能完成原因"), limit=REASON_MAX_LENGTH)
    return _move(
        order, "give_up", actor=actor, at=timezone.now(), note=text, not_completed_reason=text
    )

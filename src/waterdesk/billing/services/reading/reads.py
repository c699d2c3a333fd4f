"""Reads one by one: record, approve or reject in review, and the meter exchange."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import (
    MeterRead,
    ReadKind,
    ReadSource,
    ReadStatus,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account, Meter, MeterState
from waterdesk.customers.services import meter_attach_to_account, meter_install

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

from waterdesk.billing.services.reading.common import (
    FIELD_KINDS,
    RECORDABLE_KINDS,
    _clean_kind,
    _clean_note,
    _clean_read_on,
    _clean_source,
    _lock_account,
    _require,
    _resolve_meter,
    _stamp,
    _user_or_none,
)
from waterdesk.billing.services.reading.recording import (
    _duplicate,
    _ReadBook,
    _record_read,
)

# --- reads ----------------------------------------------------------------------------

# What a review (or a correction) decides about a read.
JUDGEMENT_FIELDS = [
    "status",
    "previous",
    "consumption",
    "issues",
    "reviewed_by",
    "reviewed_at",
    "review_note",
]


@transaction.atomic
def meter_read_record(
    *,
    actor: Actor,
    account: Account,
    read_on: date,
    value,
    kind: str = ReadKind.ACTUAL,
    source: str = ReadSource.MANUAL,
    meter: Meter | None = None,
    note: str = "",
) -> MeterRead:
    """Record a reading of the account's meter (``meter`` may be omitted when the account
    has exactly one installed meter).

    Refused (``InvalidInput``): a value that is not a number ≥ 0 (``invalid_read_value``)
    or above the register's maximum (``read_over_maximum``), a day in the future
    (``read_in_future``) or before an existing read of the meter (``read_out_of_order``),
    a meter not installed on the account (``meter_not_on_account``, ``no_meter``,
    ``meter_ambiguous``), a second read of the same meter, day and kind
    (``read_duplicate``), a closed account (``account_closed``).

    Stored with status ``needs_review`` (never billed until approved): see
    ``waterdesk.billing.read_rules`` for ``negative_consumption``, ``rollover``, ``jump``,
    ``no_baseline``, ``previous_pending``. Estimated reads are validated when nothing else
    is wrong and carry ``estimated``.
    """
    value = rules.clean_read_value(value)
    kind = _clean_kind(kind, allowed=RECORDABLE_KINDS)
    source = _clean_source(source, allowed=ReadSource.values)
    read_on = _clean_read_on(read_on)
    note = _clean_note(note)
    if kind in FIELD_KINDS:
        _require(actor, "billing.add_meterread")
    account = _lock_account(account)
    meter = _resolve_meter(account=account, meter=meter)
    book = _ReadBook.load(meters=[meter], accounts=[account], first_day=read_on, last_day=read_on)
    return _record_read(
        book=book,
        actor=actor,
        account=account,
        meter=meter,
        read_on=read_on,
        value=value,
        kind=kind,
        source=source,
        note=note,
        savepoint=True,
    )


@transaction.atomic
def meter_read_approve(
    *, actor: Actor, read: MeterRead, consumption=None, note: str = ""
) -> MeterRead:
    """A reviewer accepts a read from the review queue: it becomes ``validated``.

    The consumption is measured again against the meter's last validated read (a read
    approved or rejected in between counts), or set to ``consumption`` when the reviewer
    corrects it — then a ``note`` is required and the read carries ``corrected``. A read
    whose consumption cannot be computed (negative, no baseline) needs a correction
    (``consumption_required``). Reads of one meter are reviewed in order
    (``earlier_read_pending``).
    """
    _require(actor, "billing.review_meterread")
    note = _clean_note(note, field="note")
    corrected = None
    if consumption is not None and str(consumption).strip() != "":
        corrected = rules.clean_consumption(consumption)
        if not note:
            raise InvalidInput(_("修正用水量时请填写说明。"), code="note_required", field="note")
    read = _lock_read(read)
    meter = read.meter
    previous = _last_validated_before(read)
    if previous is None:
        computed = rules.compute_consumption(meter.initial_reading, read.value, meter.max_reading)
    else:
        computed = rules.compute_consumption(previous.value, read.value, meter.max_reading)
    issues = list(read.issues)
    if corrected is not None:
        volume = corrected
        if rules.ISSUE_CORRECTED not in issues:
            issues.append(rules.ISSUE_CORRECTED)
    elif computed.volume is None:
        raise InvalidInput(
            _("无法按读数计算用水量，请填写核定的用水量及说明。"),
            code="consumption_required",
            field="consumption",
        )
    else:
        volume = computed.volume
    read.status = ReadStatus.VALIDATED
    read.previous = previous
    read.consumption = volume
    read.issues = issues
    read.reviewed_by = _user_or_none(actor)
    read.reviewed_at = timezone.now()
    read.review_note = note
    read.save(update_fields=JUDGEMENT_FIELDS)
    return read


@transaction.atomic
def meter_read_reject(*, actor: Actor, read: MeterRead, note: str) -> MeterRead:
    """A reviewer rejects a read: it is never billed, and the meter's next read is
    measured against its last validated one. A note is required."""
    _require(actor, "billing.review_meterread")
    note = _clean_note(note, field="note")
    if not note:
        raise InvalidInput(_("作废读数时请填写原因。"), code="note_required", field="note")
    read = _lock_read(read)
    read.status = ReadStatus.REJECTED
    read.reviewed_by = _user_or_none(actor)
    read.reviewed_at = timezone.now()
    read.review_note = note
    read.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return read


def _lock_read_rows(read: MeterRead) -> MeterRead:
    """Lock the read's account, meter and the read itself, in the reading services' order."""
    if read is None or read.pk is None:
        raise InvalidInput(_("请选择读数。"), code="invalid_read", field="read")
    Account.objects.select_for_update().filter(pk=read.account_id).first()
    Meter.objects.select_for_update().filter(pk=read.meter_id).first()
    return MeterRead.objects.select_for_update().select_related("meter", "account").get(pk=read.pk)


def _lock_read(read: MeterRead) -> MeterRead:
    """The read, locked and waiting for review (and the meter's oldest such read)."""
    locked = _lock_read_rows(read)
    if locked.status != ReadStatus.NEEDS_REVIEW:
        raise IllegalTransition(
            format_lazy(
                _("该读数状态为“{status}”，不在待复核状态。"), status=locked.get_status_display()
            ),
            code="read_not_pending",
        )
    earlier = MeterRead.objects.filter(
        meter_id=locked.meter_id,
        account_id=locked.account_id,
        status=ReadStatus.NEEDS_REVIEW,
    ).filter(Q(read_on__lt=locked.read_on) | Q(read_on=locked.read_on, pk__lt=locked.pk))
    if earlier.exists():
        raise IllegalTransition(
            _("该水表有更早的读数待复核，请按日期顺序复核。"), code="earlier_read_pending"
        )
    return locked


def _last_validated_before(read: MeterRead) -> MeterRead | None:
    return (
        MeterRead.objects.filter(
            meter_id=read.meter_id, account_id=read.account_id, status=ReadStatus.VALIDATED
        )
        .filter(Q(read_on__lt=read.read_on) | Q(read_on=read.read_on, pk__lt=read.pk))
        .order_by("-read_on", "-pk")
        .first()
    )


# --- meter exchange -------------------------------------------------------------------


class MeterExchange(NamedTuple):
    final_read: MeterRead  # of the old meter, kind final
    initial_read: MeterRead  # of the new meter, kind initial, consumption 0
    new_meter: Meter


@transaction.atomic
def meter_exchange_record(
    *,
    actor: Actor,
    account: Account,
    read_on: date,
    old_final_value,
    new_serial: str,
    new_size_dn: int,
    new_initial_value,
    old_meter: Meter | None = None,
    source: str = ReadSource.MANUAL,
    note: str = "",
) -> MeterExchange:
    """Replace the account's meter: the old meter's final read (consumption since its
    previous read, validated by the same rules as any read), the old meter removed, the
    new one installed at the account's premise with its initial read (consumption 0).
    Later reads of the new meter are measured from that initial read.

    Errors of the new meter (``invalid_meter_serial``, ``meter_in_use``,
    ``invalid_reading`` …) come from ``customers.services.meter_install``.
    """
    _require(actor, "billing.add_meterread")
    value = rules.clean_read_value(old_final_value, field="old_final_value")
    read_on = _clean_read_on(read_on)
    source = _clean_source(source, allowed=ReadSource.values)
    note = _clean_note(note)
    account = _lock_account(account)
    old = _resolve_meter(account=account, meter=old_meter)
    book = _ReadBook.load(meters=[old], accounts=[account], first_day=read_on, last_day=read_on)
    final_read = _record_read(
        book=book,
        actor=actor,
        account=account,
        meter=old,
        read_on=read_on,
        value=value,
        kind=ReadKind.FINAL,
        source=source,
        note=note,
        savepoint=False,
    )

    old.state = MeterState.REMOVED
    old.account = None
    _stamp(old, actor)
    old.save(update_fields=["state", "account"])

    new_meter = meter_install(
        actor=actor,
        meter_serial=new_serial,
        size_dn=new_size_dn,
        premise=account.premise,
        initial_reading=new_initial_value,
        installed_at=_install_time(read_on),
    )
    new_meter = meter_attach_to_account(actor=actor, meter=new_meter, account=account)
    initial_read = MeterRead(
        account=account,
        meter=new_meter,
        cycle=book.cycle_for(read_on),
        read_on=read_on,
        value=new_meter.initial_reading,
        kind=ReadKind.INITIAL,
        source=source,
        status=ReadStatus.VALIDATED,
        previous=None,
        consumption=Decimal("0.00"),
        issues=[],
        note=note,
        entered_by=_user_or_none(actor),
        entered_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            initial_read.save()
    except IntegrityError as error:
        raise _duplicate(new_meter, read_on) from error
    return MeterExchange(final_read, initial_read, new_meter)


def _install_time(read_on: date) -> datetime:
    if read_on == timezone.localdate():
        return timezone.now()
    return datetime.combine(read_on, time(12, 0), tzinfo=LOCAL_TZ)

"""The billing read of each remote meter, per reading cycle.

Rule (``billing_reads_make``): a meter's billing read for a cycle is its **last reading
whose local day falls in the cycle's read window** — from ``read_from`` (or, when
``AmrPolicy.billing_window_days`` is set, that many days before ``read_to``, whichever is
later) to ``read_to`` inclusive. Its value (register truncated to 0.01 m³, as the register
shows it) becomes a billing ``MeterRead`` of kind actual, source AMR, dated that day,
recorded through ``billing.services.reading.meter_read_record`` so that billing's own
validation applies (order, jumps, negative use, closed accounts, …: a read it flags waits
in billing's review queue like any other).

Idempotent: a meter that already has a (not rejected) read in the cycle is counted as
``existing`` and left alone; a second run adds nothing. Meters skipped are listed with the
reason: ``no_reading_in_window``, ``meter_not_installed``, or billing's refusal code.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.models import BillingReadRun, RemoteMeter, RemoteReading
from waterdesk.amr.services.alarms import amr_policy
from waterdesk.billing.models import MeterRead, ReadingCycle, ReadKind, ReadSource, ReadStatus
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.timeutil import LOCAL_TZ, local

PERMISSION = "amr.make_billing_read"
_CENTS = Decimal("0.01")


def billing_window(cycle: ReadingCycle) -> tuple[datetime, datetime]:
    """[start, end) of the readings that may become the cycle's billing read."""
    first = cycle.read_from
    days = amr_policy().billing_window_days
    if days:
        first = max(first, cycle.read_to - timedelta(days=days))
    start = datetime.combine(first, time(0), tzinfo=LOCAL_TZ)
    end = datetime.combine(cycle.read_to + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return start, end


def _skip(run: BillingReadRun, meter: RemoteMeter, code: str, message) -> None:
    run.skipped.append(
        {
            "meter": meter.meter.serial,
            "device": meter.device_id,
            "code": code,
            "message": str(message),
        }
    )


@transaction.atomic
def billing_reads_make(*, actor, cycle: ReadingCycle, at: datetime | None = None) -> BillingReadRun:
    """Make the cycle's billing reads of every active remote meter (see the module);
    ``actor`` None is the daily task."""
    if actor is not None:
        require_permission(actor, PERMISSION)
    cycle = ReadingCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.is_closed:
        raise IllegalTransition(_("该账期已关账，不能再生成结算读数。"), code="cycle_closed")
    at = at or timezone.now()
    if cycle.read_from > local(at).date():
        raise IllegalTransition(
            _("该账期的抄表期尚未开始（%(day)s 起）。") % {"day": cycle.read_from.isoformat()},
            code="cycle_not_started",
        )
    run = BillingReadRun(cycle=cycle, run_at=at, run_by=actor, skipped=[])
    start, end = billing_window(cycle)
    meters = list(
        RemoteMeter.objects.filter(is_active=True)
        .select_related("meter__account")
        .order_by("meter__serial")
    )
    billed = set(
        MeterRead.objects.filter(cycle=cycle, meter_id__in=[m.meter_id for m in meters])
        .exclude(status=ReadStatus.REJECTED)
        .values_list("meter_id", flat=True)
    )
    chosen: dict[int, tuple[datetime, Decimal]] = {}
    readings = (
        RemoteReading.objects.filter(read_at__gte=start, read_at__lt=end)
        .order_by("remote_meter_id", "read_at")
        .values_list("remote_meter_id", "read_at", "value")
    )
    for meter_id, read_at, value in readings.iterator(chunk_size=2000):
        chosen[meter_id] = (read_at, value)  # the last one wins
    for meter in meters:
        if meter.meter_id in billed:
            run.existing += 1
            continue
        if meter.meter.account_id is None or meter.meter.state != "installed":
            _skip(run, meter, "meter_not_installed", gettext("水表未安装在账户上"))
            continue
        pick = chosen.get(meter.pk)
        if pick is None:
            _skip(run, meter, "no_reading_in_window", gettext("抄表期内没有远传读数"))
            continue
        read_at, value = pick
        try:
            meter_read_record(
                actor=actor,
                account=meter.meter.account,
                meter=meter.meter,
                read_on=local(read_at).date(),
                value=value.quantize(_CENTS, rounding=ROUND_DOWN),
                kind=ReadKind.ACTUAL,
                source=ReadSource.AMR,
                note=gettext("远传 %(device)s %(at)s")
                % {"device": meter.device_id, "at": local(read_at).strftime("%Y-%m-%d %H:%M")},
            )
        except (InvalidInput, IllegalTransition) as error:
            _skip(run, meter, error.code, error.message)
            continue
        run.created += 1
    run.save()
    return run

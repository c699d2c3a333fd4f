"""Allocations: each arrangement worked out for a reading cycle into derived reads.

Rules:

1. **Source volume.** The master's (or shared meter's) volume in cycle C is the sum of
   the consumptions of its validated reads in C. No validated read → the allocation waits
   (``master_unread``; when the master is read in a later cycle its read spans the gap
   and the sub meters are counted over the same cycles, rule 2); a read of C in review →
   it waits (``master_in_review``).
2. **Sub meters' volume** (master/sub): the consumptions of the sub meters' validated
   reads in the cycles the master's read spans — after the cycle of the master's
   previous read (or after its day when it has no cycle) up to C. A sub meter read in
   review there → the allocation waits (``sub_in_review``); a sub meter not read counts 0.
3. **Difference** = master volume − Σ sub volumes. Negative → the allocation is flagged
   for review: each receiving account gets a derived read in review (no volume), so the
   bill run skips its bill ("本期抄表待复核") until a reviewer accepts the difference as
   zero (``allocation_accept_zero``) or the reads are corrected after a re-read and the
   allocation is recalculated (``allocation_recalculate``).
4. **Shares.** Rule ``master_account``: all of it to the chosen account. Otherwise to the
   sub meters' (member) accounts in proportion to a weight: the sub meter's volume
   (``by_consumption``; all zero → equal), 1 (``equal``: per account, whatever its size),
   the account's household size (``household_size``; all zero → equal), the fixed
   percentage (``fixed``). Shares are rounded to 0.01 m³ half up on the running total
   (as ``billing.pricing.split_by_days``): share i = round(V × Σ weights up to i ÷ Σ
   weights) − the same up to i − 1, so the shares add up exactly to V.
   Example: a difference of 25 m³ over sub meters of 30 and 45 m³ → 10.00 and 15.00;
   37 m³ at 33.33 % / 66.67 % → 12.33 and 24.67.
5. **Flat fee.** Each cycle the flat-fee account gets a ``flat`` read of the fixed volume
   (amount basis: 0 m³; the bill charges the account's fixed amount per flat read).
6. **Derived reads.** One per receiving account and allocation, on the account's virtual
   meter of the arrangement, kind ``allocated`` (``flat`` for flat fees), source system,
   in cycle C, dated the latest source read's day (flat fee: the cycle's last day) — or
   the day after the account's last bill when that is later. Its value is the virtual
   register: the previous derived value plus the share. An account that has never been
   billed and has no read at all gets a baseline (kind ``initial``, 0 m³) the day before
   the period the volume covers, so its first bill starts there.
7. **Recalculation and idempotency.** Calculating a cycle again changes nothing when the
   figures are the same. When they differ (a read corrected, the setting changed) and
   no derived read of the allocation is billed yet, the old derived reads are rejected
   and new ones written; once one is billed, the allocation is fixed. The bill run
   calculates its cycle before it plans the accounts (``billing.hooks.bill_run_preparing``)
   and the waiting allocations of earlier open cycles, so no bill misses its share and a
   run repeated on a cycle adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    Bill,
    MeterRead,
    ReadingCycle,
    ReadKind,
    ReadSource,
    ReadStatus,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account, Meter, MeterState
from waterdesk.metering.models import (
    Allocation,
    AllocationPoint,
    AllocationRule,
    AllocationShare,
    AllocationStatus,
    Arrangement,
    ArrangementKind,
    FlatBasis,
    MeteringEvent,
    MeteringEventKind,
    WaitingReason,
)

MANAGE = "metering.manage_arrangement"
REVIEW = "metering.review_allocation"
VOLUME_PLACES = Decimal("0.01")
ZERO = Decimal("0.00")
ONE_DAY = timedelta(days=1)
NEGATIVE_ISSUE = "negative_consumption"  # billing.read_rules.ISSUE_NEGATIVE: its label


def split_by_weights(volume: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Shares of ``volume`` in proportion to ``weights`` (rule 4); equal when all are 0."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [Decimal(1)] * len(weights)
    total = sum(weights)
    shares = []
    running = Decimal(0)
    allocated = ZERO
    for weight in weights:
        running += weight
        target = (volume * running / total).quantize(VOLUME_PLACES, ROUND_HALF_UP)
        shares.append(target - allocated)
        allocated = target
    return shares


@dataclass
class Outcome:
    """What an arrangement comes to for a cycle (not written yet)."""

    status: str
    waiting_reason: str = ""
    source_volume: Decimal | None = None
    subs_volume: Decimal | None = None
    difference: Decimal | None = None
    # (account, weight, volume — None while flagged)
    shares: list[tuple[Account, Decimal, Decimal | None]] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    read_day: date | None = None
    baseline_day: date | None = None
    read_kind: str = ReadKind.ALLOCATED.value

    @property
    def allocated_volume(self) -> Decimal | None:
        volumes = [volume for _account, _weight, volume in self.shares]
        if not volumes or any(volume is None for volume in volumes):
            return None
        return sum(volumes, ZERO)

    def key(self) -> tuple:
        return (
            self.status,
            self.waiting_reason,
            self.source_volume,
            self.subs_volume,
            self.difference,
            tuple((account.pk, volume) for account, _weight, volume in self.shares),
        )


def _allocation_key(allocation: Allocation) -> tuple:
    status = allocation.status
    return (
        status,
        allocation.waiting_reason,
        allocation.source_volume,
        allocation.subs_volume,
        allocation.difference,
        tuple(
            (share.account_id, share.volume)
            for share in sorted(allocation.shares.all(), key=lambda share: share.pk)
        ),
    )


# --- working out ------------------------------------------------------------------------


def _source_reads(meter: Meter, cycle: ReadingCycle) -> tuple[list[MeterRead], bool]:
    reads = list(
        MeterRead.objects.filter(meter=meter, cycle=cycle)
        .exclude(status=ReadStatus.REJECTED)
        .select_related("previous", "previous__cycle")
        .order_by("read_on", "pk")
    )
    validated = [
        read
        for read in reads
        if read.status == ReadStatus.VALIDATED and read.consumption is not None
    ]
    return validated, any(read.status == ReadStatus.NEEDS_REVIEW for read in reads)


def _weights(arrangement: Arrangement, parts, volumes: dict[int, Decimal]) -> list[Decimal]:
    rule = arrangement.rule
    if rule == AllocationRule.BY_CONSUMPTION:
        return [volumes.get(part.meter_id, ZERO) for part in parts]
    if rule == AllocationRule.HOUSEHOLD_SIZE:
        return [Decimal(part.account.household_size) for part in parts]
    if rule == AllocationRule.FIXED:
        return [part.share_percent or ZERO for part in parts]
    return [Decimal(1) for _part in parts]


def _work_out(arrangement: Arrangement, cycle: ReadingCycle) -> Outcome:
    if arrangement.kind == ArrangementKind.FLAT_FEE:
        return _work_out_flat(arrangement, cycle)
    parts = list(arrangement.parts.select_related("meter", "account").order_by("position", "pk"))
    master_reads, master_pending = _source_reads(arrangement.meter, cycle)
    if master_pending:
        return Outcome(
            status=AllocationStatus.WAITING, waiting_reason=WaitingReason.MASTER_IN_REVIEW
        )
    if not master_reads:
        return Outcome(status=AllocationStatus.WAITING, waiting_reason=WaitingReason.MASTER_UNREAD)
    source_volume = sum((read.consumption for read in master_reads), ZERO)
    previous = master_reads[0].previous
    if previous is not None:
        baseline_day = previous.read_on
    elif arrangement.meter.installed_at is not None:
        baseline_day = local(arrangement.meter.installed_at).date()
    else:
        baseline_day = cycle.period_start - ONE_DAY
    read_day = master_reads[-1].read_on
    figures: dict = {
        "source": [
            {
                "read": read.pk,
                "meter": arrangement.meter.serial,
                "day": read.read_on.isoformat(),
                "value": str(read.value),
                "consumption": str(read.consumption),
            }
            for read in master_reads
        ]
    }
    if arrangement.kind == ArrangementKind.SHARED:
        weights = _weights(arrangement, parts, {})
        volumes = split_by_weights(source_volume, weights)
        return Outcome(
            status=AllocationStatus.CALCULATED,
            source_volume=source_volume,
            shares=[
                (part.account, weight, volume)
                for part, weight, volume in zip(parts, weights, volumes, strict=True)
            ],
            figures=figures,
            read_day=read_day,
            baseline_day=baseline_day,
        )
    # Master and sub meters: the sub meters' reads over the cycles the master's read spans.
    sub_reads = MeterRead.objects.filter(
        meter_id__in=[part.meter_id for part in parts],
        cycle__period_start__lte=cycle.period_start,
    ).exclude(status=ReadStatus.REJECTED)
    if previous is not None and previous.cycle_id is not None:
        sub_reads = sub_reads.filter(cycle__period_start__gt=previous.cycle.period_start)
    else:
        sub_reads = sub_reads.filter(read_on__gt=baseline_day)
    volumes: dict[int, Decimal] = defaultdict(lambda: ZERO)
    read_ids: dict[int, list[int]] = defaultdict(list)
    for read in sub_reads.order_by("read_on", "pk"):
        if read.status == ReadStatus.NEEDS_REVIEW:
            return Outcome(
                status=AllocationStatus.WAITING, waiting_reason=WaitingReason.SUB_IN_REVIEW
            )
        if read.consumption is not None:
            volumes[read.meter_id] += read.consumption
            read_ids[read.meter_id].append(read.pk)
            read_day = max(read_day, read.read_on)
    subs_volume = sum((volumes[part.meter_id] for part in parts), ZERO)
    difference = source_volume - subs_volume
    figures["subs"] = [
        {
            "meter": part.meter.serial,
            "account": part.account.number,
            "volume": str(volumes[part.meter_id]),
            "reads": read_ids[part.meter_id],
        }
        for part in parts
    ]
    if arrangement.rule == AllocationRule.MASTER_ACCOUNT:
        receivers = [(arrangement.account, Decimal(1))]
    else:
        receivers = list(
            zip(
                [part.account for part in parts],
                _weights(arrangement, parts, volumes),
                strict=True,
            )
        )
    if difference < 0:
        return Outcome(
            status=AllocationStatus.FLAGGED,
            source_volume=source_volume,
            subs_volume=subs_volume,
            difference=difference,
            shares=[(account, weight, None) for account, weight in receivers],
            figures=figures,
            read_day=read_day,
            baseline_day=baseline_day,
        )
    shares = split_by_weights(difference, [weight for _account, weight in receivers])
    return Outcome(
        status=AllocationStatus.CALCULATED,
        source_volume=source_volume,
        subs_volume=subs_volume,
        difference=difference,
        shares=[
            (account, weight, volume)
            for (account, weight), volume in zip(receivers, shares, strict=True)
        ],
        figures=figures,
        read_day=read_day,
        baseline_day=baseline_day,
    )


def _work_out_flat(arrangement: Arrangement, cycle: ReadingCycle) -> Outcome:
    volume = arrangement.flat_volume if arrangement.flat_basis == FlatBasis.VOLUME else ZERO
    return Outcome(
        status=AllocationStatus.CALCULATED,
        source_volume=volume,
        shares=[(arrangement.account, Decimal(1), volume)],
        figures={
            "basis": arrangement.flat_basis,
            "volume": None if arrangement.flat_volume is None else str(arrangement.flat_volume),
            "amount": None if arrangement.flat_amount is None else str(arrangement.flat_amount),
        },
        read_day=cycle.period_end,
        baseline_day=cycle.period_start - ONE_DAY,
        read_kind=ReadKind.FLAT.value,
    )


# --- writing ------------------------------------------------------------------------------


def _billed_to(account_ids) -> dict[int, date]:
    return dict(
        Bill.objects.filter(account_id__in=list(account_ids))
        .values("account_id")
        .annotate(end=Max("period_end"))
        .values_list("account_id", "end")
    )


def allocation_is_billed(allocation: Allocation) -> bool:
    """A derived read of the allocation is covered by a bill (then it is fixed)."""
    shares = list(allocation.shares.select_related("read"))
    billed_to = _billed_to({share.account_id for share in shares})
    return any(
        share.account_id in billed_to and share.read.read_on <= billed_to[share.account_id]
        for share in shares
    )


def _point(arrangement: Arrangement, account: Account) -> tuple[AllocationPoint, bool]:
    point = (
        AllocationPoint.objects.select_related("meter")
        .filter(arrangement=arrangement, account=account)
        .first()
    )
    if point is not None:
        return point, False
    meter = Meter.objects.create(
        serial=f"V{arrangement.pk}-{account.number}",
        size_dn=15,
        state=MeterState.VIRTUAL,
        premise_id=account.premise_id,
        account=account,
        installed_at=timezone.now(),
        initial_reading=ZERO,
    )
    return AllocationPoint.objects.create(
        arrangement=arrangement, account=account, meter=meter
    ), True


def _explain(arrangement: Arrangement, outcome: Outcome, volume: Decimal | None) -> str:
    if arrangement.kind == ArrangementKind.FLAT_FEE:
        text = _("包费户每期核定：%(name)s") % {"name": arrangement.name}
    elif outcome.status == AllocationStatus.FLAGGED:
        text = _("%(name)s：总分表差额 %(difference)s m³ 为负，待复核") % {
            "name": arrangement.name,
            "difference": outcome.difference,
        }
    elif arrangement.kind == ArrangementKind.SHARED:
        text = _("%(name)s：共用表水量 %(total)s m³，本户分摊 %(volume)s m³（%(rule)s）") % {
            "name": arrangement.name,
            "total": outcome.source_volume,
            "volume": volume,
            "rule": AllocationRule(arrangement.rule).label,
        }
    else:
        text = _(
            "%(name)s：总表 %(total)s m³ − 分表 %(subs)s m³ = 差额 %(difference)s m³，"
            "本户 %(volume)s m³（%(rule)s）"
        ) % {
            "name": arrangement.name,
            "total": outcome.source_volume,
            "subs": outcome.subs_volume,
            "difference": outcome.difference,
            "volume": volume,
            "rule": AllocationRule(arrangement.rule).label,
        }
    return str(text)[:300]


def _write_read(
    *,
    arrangement: Arrangement,
    cycle: ReadingCycle,
    outcome: Outcome,
    account: Account,
    volume: Decimal | None,
    billed_to: date | None,
    actor,
) -> MeterRead:
    point, created = _point(arrangement, account)
    day = outcome.read_day
    if billed_to is not None and day <= billed_to:
        day = billed_to + ONE_DAY
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    if (
        created
        and billed_to is None
        and outcome.baseline_day is not None
        and outcome.baseline_day < day
        and not MeterRead.objects.filter(account=account, status=ReadStatus.VALIDATED).exists()
    ):
        MeterRead.objects.create(
            account=account,
            meter=point.meter,
            cycle=None,
            read_on=outcome.baseline_day,
            value=ZERO,
            kind=ReadKind.INITIAL,
            source=ReadSource.SYSTEM,
            status=ReadStatus.VALIDATED,
            consumption=ZERO,
            note=str(_("分摊起算")),
            entered_by=user,
            entered_at=now,
        )
    previous = (
        MeterRead.objects.filter(meter=point.meter, status=ReadStatus.VALIDATED, read_on__lte=day)
        .order_by("-read_on", "-pk")
        .first()
    )
    base = previous.value if previous is not None else ZERO
    flagged = volume is None
    return MeterRead.objects.create(
        account=account,
        meter=point.meter,
        cycle=cycle,
        read_on=day,
        value=base + (volume or ZERO),
        kind=outcome.read_kind,
        source=ReadSource.SYSTEM,
        status=ReadStatus.NEEDS_REVIEW if flagged else ReadStatus.VALIDATED,
        previous=previous,
        consumption=volume,
        issues=[NEGATIVE_ISSUE] if flagged else [],
        note=_explain(arrangement, outcome, volume),
        entered_by=user,
        entered_at=now,
    )


def _discard_reads(allocation: Allocation, *, note: str, actor) -> None:
    read_ids = list(allocation.shares.values_list("read_id", flat=True))
    allocation.shares.all().delete()
    MeterRead.objects.filter(pk__in=read_ids).exclude(status=ReadStatus.REJECTED).update(
        status=ReadStatus.REJECTED,
        reviewed_by=actor if actor is not None and actor.is_authenticated else None,
        reviewed_at=timezone.now(),
        review_note=note,
    )


def _store(
    *,
    arrangement: Arrangement,
    cycle: ReadingCycle,
    outcome: Outcome,
    existing: Allocation | None,
    actor,
    event_kind: str | None = None,
    note: str = "",
) -> Allocation:
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    if existing is not None:
        _discard_reads(existing, note=str(_("分摊重新计算，本记录作废。")), actor=actor)
        allocation = existing
    else:
        allocation = Allocation(arrangement=arrangement, cycle=cycle)
    allocation.status = outcome.status
    allocation.waiting_reason = outcome.waiting_reason
    allocation.rule = arrangement.rule
    allocation.source_volume = outcome.source_volume
    allocation.subs_volume = outcome.subs_volume
    allocation.difference = outcome.difference
    allocation.allocated_volume = outcome.allocated_volume
    allocation.figures = outcome.figures
    allocation.calculated_at = now
    allocation.save()
    if outcome.status != AllocationStatus.WAITING:
        billed_to = _billed_to({account.pk for account, _weight, _volume in outcome.shares})
        for account, weight, volume in outcome.shares:
            read = _write_read(
                arrangement=arrangement,
                cycle=cycle,
                outcome=outcome,
                account=account,
                volume=volume,
                billed_to=billed_to.get(account.pk),
                actor=actor,
            )
            AllocationShare.objects.create(
                allocation=allocation, account=account, weight=weight, volume=volume, read=read
            )
    if event_kind is None:
        event_kind = (
            MeteringEventKind.FLAGGED
            if outcome.status == AllocationStatus.FLAGGED
            else MeteringEventKind.CALCULATED
        )
    MeteringEvent.objects.create(
        arrangement=arrangement,
        allocation=allocation,
        kind=event_kind,
        actor=user,
        at=now,
        note=note,
        data={
            "cycle": cycle.code,
            "status": outcome.status,
            "waiting_reason": outcome.waiting_reason,
            "source_volume": _text(outcome.source_volume),
            "subs_volume": _text(outcome.subs_volume),
            "difference": _text(outcome.difference),
            "shares": [
                {"account": account.number, "volume": _text(volume)}
                for account, _weight, volume in outcome.shares
            ],
        },
    )
    return allocation


def _text(value) -> str | None:
    return None if value is None else str(value)


def _calculate_one(arrangement: Arrangement, cycle: ReadingCycle, *, actor) -> Allocation | None:
    existing = (
        Allocation.objects.select_for_update().filter(arrangement=arrangement, cycle=cycle).first()
    )
    if existing is not None and allocation_is_billed(existing):
        return existing
    outcome = _work_out(arrangement, cycle)
    if existing is not None:
        key = _allocation_key(existing)
        if key == outcome.key():
            return existing
        if (
            existing.status == AllocationStatus.ACCEPTED_ZERO
            and outcome.status == AllocationStatus.FLAGGED
            and outcome.difference == existing.difference
            and outcome.source_volume == existing.source_volume
        ):
            return existing  # accepted as zero for these very figures
    elif outcome.status == AllocationStatus.WAITING and not arrangement.is_active:
        return None
    return _store(
        arrangement=arrangement, cycle=cycle, outcome=outcome, existing=existing, actor=actor
    )


def _calculate_cycle(cycle: ReadingCycle, *, actor) -> list[Allocation]:
    results = []
    arrangements = list(
        Arrangement.objects.select_for_update(of=("self",))
        .filter(is_active=True)
        .select_related("meter", "account")
        .order_by("pk")
    )
    for arrangement in arrangements:
        allocation = _calculate_one(arrangement, cycle, actor=actor)
        if allocation is not None:
            results.append(allocation)
    return results


@transaction.atomic
def allocations_calculate(*, actor, cycle: ReadingCycle) -> list[Allocation]:
    """Work out every active arrangement for ``cycle`` (the page's "计算分摊"; rules in the
    module docstring). Refused on a closed cycle."""
    require_permission(actor, MANAGE)
    cycle = ReadingCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.is_closed:
        raise IllegalTransition(_("该账期已关账，不能再计算分摊。"), code="cycle_closed")
    return _calculate_cycle(cycle, actor=actor)


def allocations_prepare_run(*, cycle: ReadingCycle, actor) -> None:
    """``billing.hooks.bill_run_preparing``: inside ``bill_run_create``'s transaction (the
    cycle row locked), before the accounts are planned: the waiting allocations of earlier
    open cycles, then the cycle's own. The run's permission covers it."""
    waiting = (
        Allocation.objects.filter(
            status=AllocationStatus.WAITING,
            cycle__is_closed=False,
            cycle__period_start__lt=cycle.period_start,
            arrangement__is_active=True,
        )
        .select_related("arrangement__meter", "arrangement__account", "cycle")
        .order_by("cycle__period_start", "arrangement_id")
    )
    for allocation in list(waiting):
        _calculate_one(allocation.arrangement, allocation.cycle, actor=actor)
    _calculate_cycle(cycle, actor=actor)


# --- review -------------------------------------------------------------------------------


def _lock_flagged(allocation: Allocation) -> Allocation:
    locked = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("arrangement", "cycle")
        .get(pk=allocation.pk)
    )
    if locked.status != AllocationStatus.FLAGGED:
        raise IllegalTransition(_("该分摊结果不在待复核状态。"), code="allocation_not_flagged")
    if allocation_is_billed(locked):
        # Its derived read was validated and billed meanwhile (from the read review queue):
        # the bill stands; corrections go through the account's ledger.
        raise IllegalTransition(
            _("该分摊已随账单出账，不能再复核；如需更正请在账户账务页做调整。"),
            code="allocation_billed",
        )
    return locked


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("请填写复核说明。"), code="note_required", field="note")
    if len(note) > 300:
        raise InvalidInput(_("复核说明不能超过300字。"), code="note_too_long", field="note")
    return note


@transaction.atomic
def allocation_accept_zero(*, actor, allocation: Allocation, note: str) -> Allocation:
    """A reviewer accepts a negative difference as zero: the receiving accounts' derived
    reads become 0 m³ validated reads, so their bills go out. A note is required."""
    require_permission(actor, REVIEW)
    note = _clean_note(note)
    allocation = _lock_flagged(allocation)
    arrangement = allocation.arrangement
    outcome = _work_out(arrangement, allocation.cycle)
    if outcome.status != AllocationStatus.FLAGGED:
        raise IllegalTransition(
            _("抄表数据已变化，差额不再为负：请重新计算分摊。"), code="allocation_changed"
        )
    outcome.status = AllocationStatus.ACCEPTED_ZERO
    outcome.shares = [(account, weight, ZERO) for account, weight, _volume in outcome.shares]
    stored = _store(
        arrangement=arrangement,
        cycle=allocation.cycle,
        outcome=outcome,
        existing=allocation,
        actor=actor,
        event_kind=MeteringEventKind.ACCEPTED_ZERO,
        note=note,
    )
    stored.reviewed_by = actor
    stored.reviewed_at = timezone.now()
    stored.review_note = note
    stored.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return stored


@transaction.atomic
def allocation_recalculate(*, actor, allocation: Allocation, note: str) -> Allocation:
    """After a re-read (the master's or a sub meter's read corrected), the reviewer has the
    flagged allocation worked out again with a note. Refused while the difference is still
    negative: correct the reads, or accept it as zero."""
    require_permission(actor, REVIEW)
    note = _clean_note(note)
    allocation = _lock_flagged(allocation)
    outcome = _work_out(allocation.arrangement, allocation.cycle)
    if outcome.status == AllocationStatus.FLAGGED:
        raise InvalidInput(
            _("差额仍为负数（%(difference)s m³）：请先更正总表或分表读数，或按零接受。")
            % {"difference": outcome.difference},
            code="difference_still_negative",
            field="note",
        )
    stored = _store(
        arrangement=allocation.arrangement,
        cycle=allocation.cycle,
        outcome=outcome,
        existing=allocation,
        actor=actor,
        event_kind=MeteringEventKind.REVIEWED,
        note=note,
    )
    stored.reviewed_by = actor
    stored.reviewed_at = timezone.now()
    stored.review_note = note
    stored.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return stored

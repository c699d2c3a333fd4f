"""The one recording path of every read (entered, imported, exchange): consumption, the
validation rules, duplicate checks, in bulk for a file and one by one for a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import (
    MeterRead,
    ReadImport,
    ReadingCycle,
    ReadKind,
    ReadStatus,
)
from waterdesk.billing.selectors.reading import (
    account_use_history,
    reading_policy,
)
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.models import Account, AccountStatus, Meter, MeterState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

from waterdesk.billing.services.reading.common import (
    _chunks,
    _user_or_none,
)

# --- the shared recording path --------------------------------------------------------


@dataclass
class _LastRead:
    pk: int
    value: Decimal
    read_on: date


@dataclass
class _MeterState:
    last_validated: _LastRead | None = None
    latest_day: date | None = None  # of any read that is not rejected
    has_pending: bool = False


@dataclass
class _ReadBook:
    """What the rules need about a set of meters and accounts, loaded with a few queries
    and kept up to date as reads are added (a file may read a meter twice)."""

    policy: object
    cycles: list[ReadingCycle]
    meters: dict[tuple[int, int], _MeterState] = field(default_factory=dict)
    # (meter, day, kind) → (value, account id) of the reads already recorded
    existing: dict[tuple[int, date, str], tuple[Decimal, int]] = field(default_factory=dict)
    history: dict[int, list[rules.HistoryRead]] = field(default_factory=dict)  # newest first

    @classmethod
    def load(
        cls,
        *,
        meters: list[Meter],
        accounts: list[Account],
        first_day: date | None,
        last_day: date | None,
        leave_out: MeterRead | None = None,
    ) -> _ReadBook:
        """``leave_out``: a read the book ignores (a read being corrected is checked as if
        it were entered again)."""
        policy = reading_policy()
        book = cls(policy=policy, cycles=list(ReadingCycle.objects.order_by("read_from")))
        meter_ids = sorted({meter.pk for meter in meters})
        account_ids = sorted({account.pk for account in accounts})
        left_out = Q(pk=leave_out.pk) if leave_out is not None else Q(pk__in=[])
        for chunk in _chunks(meter_ids):
            reads = MeterRead.objects.filter(meter_id__in=chunk).exclude(left_out)
            last_validated = (
                reads.filter(status=ReadStatus.VALIDATED)
                .annotate(
                    position=Window(
                        RowNumber(),
                        partition_by=[F("meter_id"), F("account_id")],
                        order_by=[F("read_on").desc(), F("pk").desc()],
                    )
                )
                .filter(position=1)
                .values_list("meter_id", "account_id", "pk", "value", "read_on")
            )
            for meter_id, account_id, pk, value, read_on in last_validated:
                book._state(meter_id, account_id).last_validated = _LastRead(pk, value, read_on)
            summary = (
                reads.exclude(status=ReadStatus.REJECTED)
                .values("meter_id", "account_id")
                .annotate(
                    latest=Max("read_on"),
                    pending=Count("pk", filter=Q(status=ReadStatus.NEEDS_REVIEW)),
                )
            )
            for row in summary:
                state = book._state(row["meter_id"], row["account_id"])
                state.latest_day = row["latest"]
                state.has_pending = row["pending"] > 0
            if first_day is not None:
                # A rejected read does not count: the meter may be read again that day.
                keys = (
                    reads.exclude(status=ReadStatus.REJECTED)
                    .filter(read_on__range=(first_day, last_day))
                    .values_list("meter_id", "read_on", "kind", "value", "account_id")
                )
                for meter_id, read_on, kind, value, account_id in keys:
                    book.existing[(meter_id, read_on, kind)] = (value, account_id)
        use = account_use_history(
            account_ids,
            limit=policy.history_reads,
            leave_out=leave_out.pk if leave_out is not None else None,
        )
        for account_id, account_use in use.items():
            book.history[account_id] = [
                rules.HistoryRead(period.consumption, period.days) for period in account_use.periods
            ]
        return book

    def _state(self, meter_id: int, account_id: int) -> _MeterState:
        return self.meters.setdefault((meter_id, account_id), _MeterState())

    def cycle_for(self, day: date) -> ReadingCycle | None:
        for cycle in self.cycles:
            if cycle.read_from <= day <= cycle.read_to:
                return cycle
        return None

    def threshold(self, account_id: int, days: int | None) -> Decimal | None:
        if days is None:
            return None
        return rules.jump_threshold(
            history=self.history.get(account_id, []),
            days=days,
            factor=self.policy.jump_factor,
            min_reads=self.policy.min_history_reads,
            min_volume=self.policy.jump_min_volume,
        )

    def add(self, read: MeterRead, *, previous: _LastRead | None) -> None:
        self.existing[(read.meter_id, read.read_on, read.kind)] = (read.value, read.account_id)
        state = self._state(read.meter_id, read.account_id)
        state.latest_day = max(filter(None, [state.latest_day, read.read_on]))
        if read.status == ReadStatus.NEEDS_REVIEW:
            state.has_pending = True
        elif read.status == ReadStatus.VALIDATED:
            state.last_validated = _LastRead(read.pk, read.value, read.read_on)
            if previous is not None and read.consumption is not None:
                history = self.history.setdefault(read.account_id, [])
                history.insert(
                    0, rules.HistoryRead(read.consumption, (read.read_on - previous.read_on).days)
                )
                del history[self.policy.history_reads :]


def _record_read(
    *,
    book: _ReadBook,
    actor: Actor,
    account: Account,
    meter: Meter,
    read_on: date,
    value: Decimal,
    kind: str,
    source: str,
    note: str,
    savepoint: bool,
    import_batch: ReadImport | None = None,
) -> MeterRead:
    """Check one read against the book, decide its status and store it (the caller holds
    the account and meter locks)."""
    _check_value_fits(meter, value)
    if read_on > timezone.localdate():
        raise InvalidInput(_("抄表日期不能晚于今天。"), code="read_in_future", field="read_on")
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(
            format_lazy(_("账户{number}已销户。"), number=account.number),
            code="account_closed",
            field="account",
        )
    if meter.state != MeterState.INSTALLED or meter.account_id != account.pk:
        raise InvalidInput(
            format_lazy(
                _("水表{serial}未安装在账户{number}上。"),
                serial=meter.serial,
                number=account.number,
            ),
            code="meter_not_on_account",
            field="meter",
        )
    installed_on = timezone.localtime(meter.installed_at).date() if meter.installed_at else None
    if installed_on is not None and read_on < installed_on:
        raise InvalidInput(
            format_lazy(_("抄表日期早于水表安装日期{day}。"), day=installed_on.isoformat()),
            code="read_before_install",
            field="read_on",
        )
    if (meter.pk, read_on, kind) in book.existing:
        raise _duplicate(meter, read_on)
    state = book._state(meter.pk, account.pk)
    if state.latest_day is not None and read_on < state.latest_day:
        raise InvalidInput(
            format_lazy(
                _("该表已有{day}的读数，不能补录更早日期的读数。"),
                day=state.latest_day.isoformat(),
            ),
            code="read_out_of_order",
            field="read_on",
        )

    previous = state.last_validated
    verdict = _evaluate(
        book=book, account=account, meter=meter, read_on=read_on, value=value, kind=kind
    )
    read = MeterRead(
        account=account,
        meter=meter,
        cycle=book.cycle_for(read_on),
        read_on=read_on,
        value=value,
        kind=kind,
        source=source,
        status=verdict.status,
        previous_id=previous.pk if previous is not None else None,
        consumption=verdict.consumption,
        issues=list(verdict.issues),
        note=note,
        import_batch=import_batch,
        entered_by=_user_or_none(actor),
        entered_at=timezone.now(),
    )
    if savepoint:
        try:
            with transaction.atomic():
                read.save(force_insert=True)
        except IntegrityError as error:
            raise _duplicate(meter, read_on) from error
    else:
        read.save(force_insert=True)
    book.add(read, previous=previous)
    return read


def _check_value_fits(meter: Meter, value: Decimal) -> None:
    if value > Decimal(meter.max_reading):
        raise InvalidInput(
            format_lazy(_("读数不能超过水表最大读数{maximum}。"), maximum=meter.max_reading),
            code="read_over_maximum",
            field="value",
        )


def _evaluate(
    *, book: _ReadBook, account: Account, meter: Meter, read_on: date, value: Decimal, kind: str
) -> rules.Verdict:
    """The rules' verdict on ``value`` read on ``read_on``: consumption since the meter's
    last validated read in the book (or its initial reading), the account's jump threshold,
    a pending earlier read."""
    state = book._state(meter.pk, account.pk)
    previous = state.last_validated
    installed_on = timezone.localtime(meter.installed_at).date() if meter.installed_at else None
    if previous is None:
        consumption = rules.compute_consumption(meter.initial_reading, value, meter.max_reading)
        days = rules.days_between(installed_on, read_on)
    else:
        consumption = rules.compute_consumption(previous.value, value, meter.max_reading)
        days = rules.days_between(previous.read_on, read_on)
    return rules.evaluate_read(
        consumption=consumption,
        threshold=book.threshold(account.pk, days),
        is_first_read=previous is None,
        is_estimated=kind == ReadKind.ESTIMATED,
        previous_pending=state.has_pending,
    )


def _duplicate(meter: Meter, read_on: date) -> InvalidInput:
    return InvalidInput(
        format_lazy(
            _("水表{serial}在{day}已有同类抄表记录。"), serial=meter.serial, day=read_on.isoformat()
        ),
        code="read_duplicate",
        field="read_on",
    )

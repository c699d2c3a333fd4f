"""The rules of meter-read validation, as pure functions (no database).

``billing.services.reading`` loads what the rules need (the previous validated read, the
account's recent history, the policy) and stores what they decide.

Consumption
    ``value − previous value`` where *previous* is the meter's last validated read on the
    same account (rejected and pending reads are skipped). The first read of a meter on an
    account has no previous read: its baseline is the meter's ``initial_reading``.

Roll-over
    A register shows ``0 … max_reading`` and then starts again at zero, so it wraps at the
    next whole cubic metre above ``max_reading`` (99999 → 100000). A value below the
    previous one is a *plausible roll-over* when it fell by more than half the register's
    range (going forward through zero is then the shorter way); consumption is counted
    through the maximum: ``modulus − previous + value`` (99990 → 15 is 25 m³). Any other
    fall is ``negative_consumption``.

Jump
    The account's average daily use is the sum of the consumption of its last
    ``history_reads`` validated reads divided by the days they cover. A consumption above
    ``jump_factor × average × days since the previous read`` (and above
    ``jump_min_volume``) is a ``jump``. With fewer than ``min_history_reads`` reads there is
    no average and no jump check.

Monthly use (on screen)
    The reader and the reviewer see the account's average daily use (the same figure as the
    jump check) times ``DAYS_PER_MONTH``: one number per account whatever the reading
    interval, comparable with a monthly read.

Status
    A read is validated automatically unless one of ``REVIEW_ISSUES`` applies, or it is a
    roll-over that the jump check could not confirm (no history). Informational codes
    (``first_read``, ``rollover``, ``estimated``) stay on the read for the bill to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import InvalidInput

VOLUME_PLACES = Decimal("0.01")
READ_VALUE_LIMIT = Decimal(10) ** 10  # MeterRead.value: 12 digits, 2 of them decimals
DAYS_PER_MONTH = 30

ISSUE_FIRST_READ = "first_read"
ISSUE_ROLLOVER = "rollover"
ISSUE_NEGATIVE = "negative_consumption"
ISSUE_JUMP = "jump"
ISSUE_ESTIMATED = "estimated"
ISSUE_NO_BASELINE = "no_baseline"
ISSUE_PREVIOUS_PENDING = "previous_pending"
ISSUE_CORRECTED = "corrected"

ISSUE_LABELS = {
    ISSUE_FIRST_READ: _("首次抄表"),
    ISSUE_ROLLOVER: _("翻表"),
    ISSUE_NEGATIVE: _("用水量为负"),
    ISSUE_JUMP: _("用水量突增"),
    ISSUE_ESTIMATED: _("估抄"),
    ISSUE_NO_BASELINE: _("无起始读数"),
    ISSUE_PREVIOUS_PENDING: _("上次读数待复核"),
    ISSUE_CORRECTED: _("复核修正用水量"),
}

# Codes that stop a read from being validated automatically.
REVIEW_ISSUES = frozenset({ISSUE_NEGATIVE, ISSUE_JUMP, ISSUE_NO_BASELINE, ISSUE_PREVIOUS_PENDING})

STATUS_VALIDATED = "validated"  # == ReadStatus.VALIDATED (kept free of the models here)
STATUS_NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Consumption:
    """The volume between two register values; ``volume`` is None when it cannot be
    computed (a fall that is not a roll-over, or no baseline)."""

    volume: Decimal | None
    issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryRead:
    """A validated read of the account's history: its consumption and the days it covers."""

    consumption: Decimal
    days: int


def clean_read_value(value, *, field: str = "value") -> Decimal:
    """A register value: a number ≥ 0 with at most two decimals, else ``invalid_read_value``."""
    if not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip()) if value is not None else None
        except (InvalidOperation, ValueError):
            number = None
        if number is not None and number.is_finite() and number >= 0:
            rounded = number.quantize(VOLUME_PLACES)
            if rounded == number and rounded < READ_VALUE_LIMIT:
                return rounded
    raise InvalidInput(
        _("读数应为不小于0、最多两位小数的数字。"), code="invalid_read_value", field=field
    )


def clean_consumption(value, *, field: str = "consumption") -> Decimal:
    """A corrected consumption: a number ≥ 0 with at most two decimals."""
    try:
        return clean_read_value(value, field=field)
    except InvalidInput as error:
        raise InvalidInput(
            _("用水量应为不小于0、最多两位小数的数字。"),
            code="invalid_consumption",
            field=field,
        ) from error


def register_modulus(max_reading) -> Decimal:
    """The value at which the register wraps to zero: the next whole unit above the maximum."""
    return Decimal(max_reading).to_integral_value(rounding=ROUND_FLOOR) + 1


def compute_consumption(previous_value, value, max_reading) -> Consumption:
    """The consumption from ``previous_value`` to ``value`` on a register with this maximum.

    ``previous_value`` None (no baseline known) gives no volume and ``no_baseline``.
    """
    if previous_value is None:
        return Consumption(None, (ISSUE_NO_BASELINE,))
    previous_value, value = Decimal(previous_value), Decimal(value)
    if value >= previous_value:
        return Consumption(value - previous_value)
    modulus = register_modulus(max_reading)
    if previous_value - value > modulus / 2:
        return Consumption(modulus - previous_value + value, (ISSUE_ROLLOVER,))
    return Consumption(None, (ISSUE_NEGATIVE,))


def average_daily_use(history: Iterable[HistoryRead]) -> Decimal | None:
    """Sum of consumption / sum of days covered; None when the reads cover no day."""
    reads = list(history)
    days = sum(read.days for read in reads if read.days > 0)
    if days <= 0:
        return None
    return sum((read.consumption for read in reads if read.days > 0), Decimal(0)) / days


def average_monthly_use(history: Iterable[HistoryRead]) -> Decimal | None:
    """The average daily use times ``DAYS_PER_MONTH`` (to 0.01 m³); None without history."""
    daily = average_daily_use(history)
    if daily is None:
        return None
    return (daily * DAYS_PER_MONTH).quantize(VOLUME_PLACES, rounding=ROUND_HALF_UP)


def jump_threshold(
    *,
    history: Sequence[HistoryRead],
    days: int,
    factor: Decimal,
    min_reads: int,
    min_volume: Decimal,
) -> Decimal | None:
    """The consumption above which a read over ``days`` days is a jump, or None when the
    account has too little history (fewer than ``min_reads`` reads covering any day)."""
    usable = [read for read in history if read.days > 0]
    if len(usable) < min_reads:
        return None
    average = average_daily_use(usable)
    if average is None:
        return None
    threshold = (Decimal(factor) * average * max(days, 0)).quantize(
        VOLUME_PLACES, rounding=ROUND_HALF_UP
    )
    return max(threshold, Decimal(min_volume))


def days_between(earlier: date | None, later: date) -> int | None:
    return None if earlier is None else (later - earlier).days


@dataclass(frozen=True)
class Verdict:
    status: str  # STATUS_VALIDATED or STATUS_NEEDS_REVIEW
    consumption: Decimal | None
    issues: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return self.status == STATUS_NEEDS_REVIEW


def evaluate_read(
    *,
    consumption: Consumption,
    threshold: Decimal | None,
    is_first_read: bool = False,
    is_estimated: bool = False,
    previous_pending: bool = False,
) -> Verdict:
    """Decide a new read's status and issue codes from its consumption and jump threshold."""
    issues: list[str] = []
    if is_first_read:
        issues.append(ISSUE_FIRST_READ)
    issues.extend(consumption.issues)
    volume = consumption.volume
    if volume is not None and threshold is not None and volume > threshold:
        issues.append(ISSUE_JUMP)
    if is_estimated:
        issues.append(ISSUE_ESTIMATED)
    if previous_pending:
        issues.append(ISSUE_PREVIOUS_PENDING)
    # A roll-over is only believed when the account's history says the volume is normal.
    unconfirmed_rollover = ISSUE_ROLLOVER in issues and threshold is None
    needs_review = unconfirmed_rollover or any(code in REVIEW_ISSUES for code in issues)
    return Verdict(
        status=STATUS_NEEDS_REVIEW if needs_review else STATUS_VALIDATED,
        consumption=volume,
        issues=tuple(issues),
    )


def issue_labels(codes: Iterable[str]) -> list[str]:
    return [str(ISSUE_LABELS.get(code, code)) for code in codes]

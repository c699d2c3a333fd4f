"""Late fees (违约金) of a bill — pure functions, no database.

The rules (issue 11 §4, R-C7), for one bill:

1. **Days.** A day *d* may carry a fee when it is after the due date plus the grace days of
   the policy in force on *d* (``LateFeePolicy``: the active row with the latest
   ``effective_from`` on or before *d*), up to and including ``as_of``.
2. **Principal.** The fee of day *d* is charged on the bill's unpaid principal at the end of
   the previous day: the bill's CHARGE entries minus what settled them under the ledger's
   FIFO rules (``selectors.ledger.ledger_settle``) on the entries posted on or before
   *d − 1*. Late fees are never principal (no compounding); a payment, or a reversal of a
   payment, changes the principal from the next day on; a paid bill accrues nothing.
3. **Rate and rounding.** fee(*d*) = principal × the daily rate in force on *d*, rounded to
   the fen half up **each day**. Rounding per day (not once per posting) makes the total
   the same however often the job runs or catches up: a day's fee never depends on which
   night posted it.
4. **Cap.** The bill's cumulative fee (every day since the first) never exceeds the cap
   share of the policy in force on the day × the bill's original principal (the sum of its
   charges), rounded to the fen half up; the day that reaches the cap gets what is left.
5. **Disputes.** No fee on a day any part of which the bill was under dispute (from the
   day the dispute was opened to the day it was closed, both included).

``bill_late_fee_days`` gives the fee of every day; the posting subtracts what was posted.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PolicyTerms:
    effective_from: date
    daily_rate: Decimal
    grace_days: int
    cap_share: Decimal


@dataclass(frozen=True)
class FeeSpan:
    """Days ``first``..``last`` with the same principal and rate: ``per_day`` each (rounded
    to the fen), ``amount`` in all (less than ``per_day`` × days on the day the cap bites)."""

    first: date
    last: date
    principal: Decimal  # unpaid at the end of each previous day
    rate: Decimal
    per_day: Decimal
    amount: Decimal


def fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


class PolicyBook:
    """The policies in force by day (rows ordered by ``effective_from``; inactive rows left
    out by the caller)."""

    def __init__(self, policies: Sequence[PolicyTerms]):
        self.policies = sorted(policies, key=lambda policy: policy.effective_from)
        self.starts = [policy.effective_from for policy in self.policies]

    def on(self, day: date) -> PolicyTerms | None:
        index = bisect_right(self.starts, day) - 1
        return self.policies[index] if index >= 0 else None


class Principal:
    """A bill's unpaid principal as a step function of the day: ``changes`` are
    ``(day, principal at the end of that day)`` in day order, one per day with ledger
    entries; before the first change the principal is zero."""

    def __init__(self, changes: Sequence[tuple[date, Decimal]]):
        self.days = [day for day, _value in changes]
        self.values = [value for _day, value in changes]

    def at_end_of(self, day: date) -> Decimal:
        index = bisect_right(self.days, day) - 1
        return self.values[index] if index >= 0 else ZERO


def disputed_on(day: date, disputes: Sequence[tuple[date, date | None]]) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in disputes)


def bill_late_fee_spans(
    *,
    due_date: date,
    original: Decimal,
    principal: Principal,
    policies: PolicyBook,
    disputes: Sequence[tuple[date, date | None]] = (),
    as_of: date,
) -> list[FeeSpan]:
    """The fees of a bill from the first day after its due date through ``as_of`` (rules 1–5
    of the module docstring), as spans of days with the same fee; days without a fee are
    left out. Works span by span (the principal, the policy and a dispute change on a few
    days only), so a bill a year overdue costs a few steps, not 365."""
    one = timedelta(days=1)
    first = due_date + one
    if first > as_of:
        return []
    # The days on which something may change: the day after a principal change, a policy's
    # first day, a dispute's first day and the day after its last.
    breaks = {first, as_of + one}
    breaks.update(day + one for day in principal.days)
    breaks.update(policy.effective_from for policy in policies.policies)
    for start, end in disputes:
        breaks.add(start)
        if end is not None:
            breaks.add(end + one)
    edges = sorted(day for day in breaks if first <= day <= as_of + one)
    spans: list[FeeSpan] = []
    total = ZERO
    for start, stop in pairwise(edges):
        policy = policies.on(start)
        if policy is None or disputed_on(start, disputes):
            continue
        begin = max(start, due_date + timedelta(days=policy.grace_days + 1))
        if begin >= stop:
            continue
        owed = principal.at_end_of(begin - one)
        per_day = fen(owed * policy.daily_rate)
        if owed <= 0 or per_day <= 0:
            continue
        left = fen(policy.cap_share * original) - total
        if left <= 0:
            continue
        days = (stop - begin).days
        whole = min(days, int(left // per_day))
        if whole < days and whole * per_day < left:
            # The cap bites on day ``whole`` + 1, which gets what is left.
            amount = left
            last = begin + timedelta(days=whole)
        else:
            amount = per_day * whole
            last = begin + timedelta(days=whole - 1)
        if amount > 0:
            spans.append(FeeSpan(begin, last, owed, policy.daily_rate, per_day, amount))
            total += amount
    return spans


def unposted_days(spans: Sequence[FeeSpan], *, posted: Decimal) -> tuple[Decimal, date, date]:
    """What the spans add up to beyond ``posted`` (the bill's late fees posted before), and
    the first and last day it covers (the posting's description). The amount is zero or
    less when nothing is to be posted."""
    total = sum((span.amount for span in spans), ZERO)
    amount = total - posted
    if amount <= 0 or not spans:
        return amount, None, None
    covered = ZERO
    for span in spans:
        if covered + span.amount > posted:
            days_posted = int((posted - covered) // span.per_day) if posted > covered else 0
            return amount, span.first + timedelta(days=days_posted), spans[-1].last
        covered += span.amount
    return amount, spans[-1].first, spans[-1].last

"""Bills: what an account owes for its validated reads, priced and issued in one go.

One code path builds every bill, for the bill run (many accounts per call) and for the final
bill of an ownership transfer or usage change (one account):

1. ``billing_inputs_load`` reads, with a fixed handful of set-based queries, what pricing
   needs for a set of accounts: the accounts, the date up to which each is billed, their
   unbilled reads, their own tariffs and the volume already billed per tier period.
2. ``cycle_bill_reads`` / ``final_bill_reads`` choose the reads one bill covers (or say
   why the account cannot be billed), ``bill_draft_build`` prices them (``billing.pricing``)
   into a ``BillDraft`` — no database access.
3. ``bill_drafts_insert`` writes the bills, their lines and their CHARGE ledger entries:
   with ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

Rules:

- **What a bill covers.** An account is billed up to the ``read_on`` of its last bill's
  closing read (always the bill's ``period_end``). A bill covers every validated read with a
  consumption after that day, up to and including its closing read; its volume is the sum of
  their consumptions. A read waiting for review inside that window stops the bill: a read
  that failed validation is never billed silently.
- **Period.** From the day after the previous bill's ``period_end`` (for a first bill: the
  day after the first covered read's previous read; else, when that first read used nothing
  — a baseline such as the go-live reading — the day after it; else the day the account was
  opened) to the closing read's day. The volume is priced over that period: pricing prorates it by
  days over price changes and tier periods.
- **Cumulative volume.** Annual and monthly tiers count the volume already billed in the
  tier period. It is the sum of the year's bill volumes when that is exact (see
  ``cumulative_before``), otherwise it is read back from the bill lines (the volume of a
  segment is the sum of one component's lines: all its lines over the number of components).
- **Numbers.** Cycle bills ``<cycle code without dashes>-<account number>``
  (``202603-1000000001``); final bills ``F<account number>-<closing read id>``. Both are
  deterministic, so a bill run that is restarted produces the same numbers.
- **Money.** Each line is rounded once to the fen by pricing; the bill is their sum.
- **Immutability.** Nothing here or anywhere else updates a bill: corrections are ledger
  adjustments or credit notes (``services.ledger``).
- **Billing modes** (``customers.BillingMode``, kept by ``metering``). A *metering point*
  (an account holding a master or shared meter whose volume is allocated to other
  accounts) is never billed: ``account_rows`` leaves it out, a final bill is refused. The
  allocated shares and flat-fee volumes reach the receiving accounts as derived reads
  (kinds ``allocated`` and ``flat``, on virtual meters) and are billed like any read:
  added to the account's own volume and priced together, so tiers apply to the sum. A
  *flat-amount* account is billed one line "包费" per covered ``flat`` read at the
  account's fixed amount per cycle (component "other", no tier, volume 0, unit price =
  the amount), whatever its volume: no volume pricing, and nothing counts towards tiers.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import pricing
from waterdesk.billing.hooks import bills_issued
from waterdesk.billing.models import (
    SKIP_NEEDS_REVIEW,
    SKIP_NO_READ,
    AccountTariff,
    Bill,
    BillKind,
    BillLine,
    ComponentKind,
    LedgerEntry,
    LedgerEntryKind,
    MeterRead,
    ReadKind,
    ReadStatus,
    TierBasis,
)
from waterdesk.billing.tariff_book import Segment, TariffBook
from waterdesk.core.errors import DomainError, InvalidInput
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account, BillingMode

ONE_DAY = timedelta(days=1)
_VALIDATED = str(ReadStatus.VALIDATED.value)
_NEEDS_REVIEW = str(ReadStatus.NEEDS_REVIEW.value)
ZERO_VOLUME = Decimal("0.00")


# --- inputs -------------------------------------------------------------------------------


@dataclass(slots=True)
class AccountRow:
    id: int
    number: str
    usage_category: str
    household_size: int
    opened_at: datetime | None  # loaded only for accounts never billed
    status: str
    billed_to: date | None  # the last bill's period end (= its closing read's day)
    has_cycle_bill: bool  # already billed for the cycle asked about (``account_rows``)
    billing_mode: str = BillingMode.METERED.value
    flat_amount: Decimal | None = None  # per covered flat read (FLAT_AMOUNT accounts)


@dataclass(slots=True)
class ReadRow:
    id: int
    account_id: int
    read_on: date
    status: str
    consumption: Decimal | None
    cycle_id: int | None
    previous_id: int | None
    kind: str = ReadKind.ACTUAL.value

    @property
    def is_billable(self) -> bool:
        return self.status == _VALIDATED and self.consumption is not None


@dataclass(slots=True)
class BillingInputs:
    """Everything pricing needs for a set of accounts (see ``billing_inputs_load``)."""

    accounts: dict[int, AccountRow]
    reads: dict[int, list[ReadRow]]  # unbilled validated / in-review reads, by date
    tariffs: dict[int, list[tuple[date, int]]]
    # Volume of the bills lying wholly inside a calendar year, by account and year; and the
    # years touched by a bill that spans 1 January (those need the exact count).
    year_volumes: dict[int, dict[int, Decimal]]
    straddled_years: dict[int, set[int]]
    previous_days: dict[int, date]  # read id → day, for the previous reads of first bills
    # Exact volume per tier period read from the bill lines, for the accounts that need it.
    exact: dict[int, dict[int, Decimal]] = field(default_factory=dict)


def account_rows(queryset, *, cycle_id: int | None = None) -> dict[int, AccountRow]:
    """``AccountRow`` of each account of ``queryset`` (ids within one range) with its
    billed-to day and whether it has a bill for ``cycle_id``: two queries (three when some
    account was never billed: its opening day starts its first bill). Metering points are
    left out: they are never billed."""
    latest_end = Bill.objects.filter(account_id=OuterRef("pk")).order_by("-period_end")
    rows = list(
        queryset.exclude(billing_mode=BillingMode.METERING_POINT)
        .annotate(billed_to=Subquery(latest_end.values("period_end")[:1]))
        .order_by("pk")
        .values_list(
            "id",
            "number",
            "usage_category",
            "household_size",
            "status",
            "billed_to",
            "billing_mode",
            "flat_amount",
        )
    )
    if not rows:
        return {}
    billed_for_cycle: set[int] = set()
    if cycle_id is not None:
        # ``cycle_id + 0``: scan the (account, cycle) unique index over the id range. While a
        # run adds bills to the cycle, statistics taken before it make the cycle's own index
        # look selective, and scanning the cycle's bills would grow with every chunk.
        billed_for_cycle = set(
            Bill.objects.filter(account_id__gte=rows[0][0], account_id__lte=rows[-1][0])
            .annotate(cycle_key=F("cycle_id") + 0)
            .filter(cycle_key=cycle_id)
            .order_by()
            .values_list("account_id", flat=True)
        )
    never_billed = [row[0] for row in rows if row[5] is None]
    opened = (
        dict(Account.objects.filter(pk__in=never_billed).values_list("pk", "opened_at"))
        if never_billed
        else {}
    )
    return {
        pk: AccountRow(
            pk,
            number,
            category,
            household,
            opened.get(pk),
            status,
            billed_to,
            pk in billed_for_cycle,
            mode,
            flat_amount,
        )
        for pk, number, category, household, status, billed_to, mode, flat_amount in rows
    }


def billing_inputs_load(*, accounts: dict[int, AccountRow], up_to: date | None) -> BillingInputs:
    """Load, for ``accounts`` (ids within one range), the inputs of their next bills.

    Three queries whatever the number of accounts, each bounded by the id range of the
    accounts (the bill run's chunks are id ranges): the unbilled reads (up to ``up_to`` when
    given), the own tariffs and the year-to-date billed volumes.
    """
    if not accounts:
        return BillingInputs({}, {}, {}, {}, {}, {})
    first_id, last_id = min(accounts), max(accounts)
    billed = [account.billed_to for account in accounts.values()]

    reads_query = MeterRead.objects.filter(
        account_id__gte=first_id,
        account_id__lte=last_id,
        status__in=[ReadStatus.VALIDATED, ReadStatus.NEEDS_REVIEW],
    )
    # Only reads after the oldest billed-to day of the accounts can be unbilled.
    if None not in billed:
        reads_query = reads_query.filter(read_on__gt=min(billed))
    if up_to is not None:
        reads_query = reads_query.filter(read_on__lte=up_to)
    reads: dict[int, list[ReadRow]] = defaultdict(list)
    for row in reads_query.order_by("read_on", "id").values_list(
        "id", "account_id", "read_on", "status", "consumption", "cycle_id", "previous_id", "kind"
    ):
        account = accounts.get(row[1])
        if account is not None and (account.billed_to is None or row[2] > account.billed_to):
            reads[row[1]].append(ReadRow(*row))
    # A first bill starts the day after its first read's previous read: look those up (only
    # for accounts never billed, so no self-join over the whole read table).
    previous_ids = [
        read.previous_id
        for account_id, account_reads in reads.items()
        if accounts[account_id].billed_to is None
        for read in account_reads
        if read.previous_id is not None
    ]
    previous_days = (
        dict(MeterRead.objects.filter(pk__in=previous_ids).values_list("pk", "read_on"))
        if previous_ids
        else {}
    )

    tariffs: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for account_id, effective_from, tariff_id in (
        AccountTariff.objects.filter(account_id__gte=first_id, account_id__lte=last_id)
        .order_by("account_id", "effective_from")
        .values_list("account_id", "effective_from", "tariff_id")
    ):
        tariffs[account_id].append((effective_from, tariff_id))

    year_volumes: dict[int, dict[int, Decimal]] = defaultdict(dict)
    straddled: dict[int, set[int]] = defaultdict(set)
    billed_days = [day for day in billed if day is not None]
    if billed_days:
        # Per account: the volume of the bills lying wholly inside each year from the
        # earliest billed-to year on, and the count of bills spanning each 1 January.
        years = list(range(min(billed_days).year, max(billed_days).year + 1))
        boundaries = [*years, years[-1] + 1]
        aggregates = {
            f"volume_{year}": Sum(
                "volume",
                filter=Q(period_start__gte=date(year, 1, 1), period_end__lt=date(year + 1, 1, 1)),
            )
            for year in years
        } | {
            f"across_{year}": Count(
                "pk", filter=Q(period_start__lt=date(year, 1, 1), period_end__gte=date(year, 1, 1))
            )
            for year in boundaries
        }
        for account_id, *values in (
            Bill.objects.filter(
                account_id__gte=first_id,
                account_id__lte=last_id,
                period_end__gte=date(years[0], 1, 1),
            )
            .values("account_id")
            .annotate(**aggregates)
            .order_by()
            .values_list("account_id", *aggregates)
        ):
            for year, volume in zip(years, values, strict=False):
                if volume is not None:
                    year_volumes[account_id][year] = volume
            for year, count in zip(boundaries, values[len(years) :], strict=True):
                if count:
                    straddled[account_id].update((year - 1, year))
    return BillingInputs(
        accounts=accounts,
        reads=dict(reads),
        tariffs=dict(tariffs),
        year_volumes=dict(year_volumes),
        straddled_years=dict(straddled),
        previous_days=previous_days,
    )


def billing_inputs_load_exact(inputs: BillingInputs, account_ids: list[int]) -> None:
    """Read the exact billed volume per tier period of some accounts from their bill lines
    (for the accounts ``cumulative_before`` cannot answer from the bill totals).

    A priced segment appears on a bill as lines with the same period, one set per component;
    each component's lines add up to the segment's volume, so the segment's volume is the sum
    of all its lines divided by the number of components. Only segments priced with tiers
    count (pricing rule 4). A segment lies inside one tier period of its own tariff, so it
    is counted for its year and, when it lies inside one month, for that month too.
    """
    accounts = [inputs.accounts[account_id] for account_id in account_ids]
    starts = [account.billed_to for account in accounts if account.billed_to is not None]
    for account_id in account_ids:
        inputs.exact[account_id] = {}
    if not starts:
        return
    since = date(min(starts).year, 1, 1)
    segments = (
        BillLine.objects.filter(bill__account_id__in=account_ids, bill__period_end__gte=since)
        .values("bill__account_id", "bill_id", "period_start", "period_end")
        .annotate(
            total=Sum("volume"),
            components=Count("component_name", distinct=True),
            tiered=Max("tier_index"),
        )
        .order_by()
        .values_list(
            "bill__account_id", "period_start", "period_end", "total", "components", "tiered"
        )
    )
    for account_id, start, end, total, components, tiered in segments:
        if tiered is None or start < since:
            continue
        volume = Decimal(total) / components
        volumes = inputs.exact[account_id]
        volumes[start.year] = volumes.get(start.year, ZERO_VOLUME) + volume
        if (end.year, end.month) == (start.year, start.month):
            month = start.year * 100 + start.month
            volumes[month] = volumes.get(month, ZERO_VOLUME) + volume


class NeedsExactCumulative(Exception):
    """The bill totals cannot tell this account's billed volume per tier period."""


def cumulative_before(
    inputs: BillingInputs, account: AccountRow, cut: Cut, pricer: Pricer
) -> dict[int, Decimal]:
    """The volume billed before, in each tier period the new period's segments touch.

    From the bill totals when that is exact: the account has no own tariff (so every earlier
    bill was priced with its category's default tariff — tariffs and versions cannot change
    in a billed period, a usage change adds an own tariff), no bill spans 1 January of the
    year in question, and the default tariff's versions over the billed part of the year
    all count per year (then the year's bills count wholly) or none have tiers (nothing
    counts). A month is only asked about when the account was billed into it already.
    Otherwise raises ``NeedsExactCumulative``: the caller loads the lines
    (``billing_inputs_load_exact``) and asks again.
    """
    keys = cut.keys
    if not keys:
        return {}
    exact = inputs.exact.get(account.id)
    if exact is not None:
        return {key: exact[key] for key in keys if key in exact}
    billed_to = account.billed_to
    if billed_to is None:
        return {}
    if account.id in inputs.tariffs:
        raise NeedsExactCumulative
    result = {}
    for key in keys:
        if key >= 10000:  # a month (year × 100 + month)
            if billed_to >= date(key // 100, key % 100, 1):
                raise NeedsExactCumulative
            continue
        if billed_to.year < key:
            continue
        if key in inputs.straddled_years.get(account.id, ()):
            raise NeedsExactCumulative
        bases = pricer.tier_bases(account.usage_category, date(key, 1, 1), billed_to)
        if bases == {TierBasis.ANNUAL}:
            result[key] = inputs.year_volumes.get(account.id, {}).get(key, ZERO_VOLUME)
        elif bases != {TierBasis.NONE}:
            raise NeedsExactCumulative
    return result


# --- choosing the reads of a bill ---------------------------------------------------------


@dataclass(slots=True)
class BillReads:
    closing: ReadRow
    covered: list[ReadRow]  # billable reads, closing read last


def cycle_bill_reads(reads: Sequence[ReadRow], *, cycle_id: int) -> BillReads | str:
    """The reads of an account's bill for a cycle, or the code of the reason to skip it.

    The closing read is the latest validated read of the cycle with a consumption; a read of
    the cycle (or any unbilled read up to the closing one) waiting for review skips it.
    """
    if len(reads) == 1:  # the usual case: this cycle's read and nothing else unbilled
        (read,) = reads
        if read.cycle_id != cycle_id:
            return SKIP_NO_READ
        if read.status == _NEEDS_REVIEW:
            return SKIP_NEEDS_REVIEW
        return BillReads(closing=read, covered=[read]) if read.is_billable else SKIP_NO_READ
    cycle_reads = [read for read in reads if read.cycle_id == cycle_id]
    if any(read.status == ReadStatus.NEEDS_REVIEW for read in cycle_reads):
        return SKIP_NEEDS_REVIEW
    candidates = [read for read in cycle_reads if read.is_billable]
    if not candidates:
        return SKIP_NO_READ
    closing = max(candidates, key=lambda read: (read.read_on, read.id))
    return _reads_up_to(reads, closing)


def final_bill_reads(reads: Sequence[ReadRow], *, closing_read_id: int) -> BillReads | str:
    closing = next((read for read in reads if read.id == closing_read_id), None)
    if closing is None or not closing.is_billable:
        return SKIP_NO_READ
    return _reads_up_to(reads, closing)


def _reads_up_to(reads: Sequence[ReadRow], closing: ReadRow) -> BillReads | str:
    window = [read for read in reads if read.read_on <= closing.read_on]
    if any(read.status == ReadStatus.NEEDS_REVIEW for read in window):
        return SKIP_NEEDS_REVIEW
    covered = [read for read in window if read.is_billable and read.id != closing.id]
    covered.append(closing)
    return BillReads(closing=closing, covered=covered)


# --- drafting -----------------------------------------------------------------------------


@dataclass(slots=True)
class BillDraft:
    account_id: int
    number: str
    kind: str
    cycle_id: int | None
    run_id: int | None
    period_start: date
    period_end: date
    closing_read_id: int
    volume: Decimal
    amount: Decimal
    due_date: date
    lines: list[pricing.LineDraft] = field(default_factory=list)


def cycle_bill_number(cycle_code: str, account_number: str) -> str:
    return f"{cycle_code.replace('-', '')}-{account_number}"


def final_bill_number(account_number: str, closing_read_id: int) -> str:
    return f"F{account_number}-{closing_read_id}"


@dataclass(slots=True)
class Cut:
    """A billing period cut into segments, with the tier periods they touch."""

    segments: list[Segment]
    keys: frozenset[int]  # ``pricing.tier_period_key`` of the tiered segments
    ident: tuple  # (start, end, version id) of each segment


class Pricer:
    """Prices bill periods with one tariff book, remembering segment cuts and prices.

    Many accounts of a run share a category and a period, some a volume too: the cuts of a
    period are computed once per (category, own tariffs, period), the lines once per
    (segments, volume, household size, cumulative volumes) — pricing is a pure function.
    """

    def __init__(self, book: TariffBook):
        self.book = book
        self._cuts: dict[tuple, Cut] = {}
        self._bases: dict[tuple, set[str]] = {}
        self._prices: dict[tuple, tuple[list[pricing.LineDraft], Decimal]] = {}

    def cut(
        self, usage_category: str, account_tariffs: list[tuple[date, int]], start: date, end: date
    ) -> Cut:
        key = (usage_category, tuple(account_tariffs), start, end)
        cut = self._cuts.get(key)
        if cut is None:
            segments = self.book.segments(
                usage_category=usage_category, account_tariffs=account_tariffs, start=start, end=end
            )
            tier_keys = (
                pricing.tier_period_key(segment.version.tier_basis, segment.start)
                for segment in segments
            )
            cut = Cut(
                segments=segments,
                keys=frozenset(key for key in tier_keys if key is not None),
                ident=tuple(
                    (segment.start, segment.end, segment.version.id) for segment in segments
                ),
            )
            self._cuts[key] = cut
        return cut

    def tier_bases(self, usage_category: str, start: date, end: date) -> set[str]:
        """The tier bases of the category's default tariff between two days."""
        key = (usage_category, start, end)
        bases = self._bases.get(key)
        if bases is None:
            bases = {
                segment.version.tier_basis
                for segment in self.cut(usage_category, [], start, end).segments
            }
            self._bases[key] = bases
        return bases

    def lines(
        self, cut: Cut, *, volume: Decimal, household_size: int, cumulative: dict[int, Decimal]
    ) -> tuple[list[pricing.LineDraft], Decimal]:
        """The lines and their total."""
        key = (cut.ident, volume, household_size, tuple(sorted(cumulative.items())))
        priced = self._prices.get(key)
        if priced is None:
            lines, _after = pricing.price_volume(
                segments=cut.segments,
                volume=volume,
                household_size=household_size,
                cumulative_before=cumulative,
            )
            priced = self._prices[key] = (lines, pricing.lines_total(lines))
        return priced


@dataclass(slots=True)
class BillTerms:
    """What the bills of one batch share."""

    kind: str
    due_date: date
    cycle_id: int | None = None
    run_id: int | None = None


def bill_draft_build(
    *,
    account: AccountRow,
    bill_reads: BillReads,
    number: str,
    terms: BillTerms,
    inputs: BillingInputs,
    pricer: Pricer,
) -> BillDraft:
    """Price one account's reads into a bill draft. Raises ``DomainError`` when the
    account's tariff has no price for the period, ``NeedsExactCumulative`` when the
    account's exact cumulative volumes must be loaded first."""
    covered = bill_reads.covered
    period_end = bill_reads.closing.read_on
    if account.billed_to is not None:
        period_start = account.billed_to + ONE_DAY
    elif covered[0].previous_id in inputs.previous_days:
        period_start = inputs.previous_days[covered[0].previous_id] + ONE_DAY
    elif len(covered) > 1 and covered[0].consumption == 0:
        # A first read with nothing used since the meter's initial reading is the account's
        # baseline (typically the go-live reading of an account taken over from another
        # billing system): the first bill starts the day after it.
        period_start = covered[0].read_on + ONE_DAY
    else:
        period_start = local(account.opened_at).date()
    period_start = min(period_start, period_end)
    if len(covered) == 1:
        volume = covered[0].consumption
    else:
        volume = sum((read.consumption for read in covered), ZERO_VOLUME)
    if account.billing_mode == BillingMode.FLAT_AMOUNT:
        lines = flat_amount_lines(account, covered, period_start)
        amount = pricing.lines_total(lines)
    else:
        cut = pricer.cut(
            account.usage_category, inputs.tariffs.get(account.id, []), period_start, period_end
        )
        lines, amount = pricer.lines(
            cut,
            volume=volume,
            household_size=account.household_size,
            cumulative=cumulative_before(inputs, account, cut, pricer),
        )
    return BillDraft(
        account_id=account.id,
        number=number,
        kind=terms.kind,
        cycle_id=terms.cycle_id,
        run_id=terms.run_id,
        period_start=period_start,
        period_end=period_end,
        closing_read_id=bill_reads.closing.id,
        volume=volume,
        amount=amount,
        due_date=terms.due_date,
        lines=lines,
    )


FLAT_FEE_LINE_NAME = "包费"


def flat_amount_lines(
    account: AccountRow, covered: Sequence[ReadRow], period_start: date
) -> list[pricing.LineDraft]:
    """The lines of a flat-amount account's bill: one per covered ``flat`` read, from the
    day after the previous one (the bill's first day for the first) to its day."""
    if account.flat_amount is None:
        raise InvalidInput(
            _("包费户未设置每期包费金额，请在包费设置中填写。"), code="flat_amount_missing"
        )
    lines = []
    start = period_start
    for read in covered:
        if read.kind != ReadKind.FLAT:
            continue
        lines.append(
            pricing.LineDraft(
                component_kind=ComponentKind.OTHER.value,
                component_name=FLAT_FEE_LINE_NAME,
                tier_index=None,
                period_start=min(start, read.read_on),
                period_end=read.read_on,
                volume=ZERO_VOLUME,
                unit_price=account.flat_amount,
                amount=account.flat_amount,
            )
        )
        start = read.read_on + ONE_DAY
    return lines


def bill_drafts_build(
    requests: Sequence[tuple[AccountRow, BillReads, str]],
    *,
    terms: BillTerms,
    inputs: BillingInputs,
    pricer: Pricer,
) -> tuple[list[BillDraft], list[tuple[AccountRow, DomainError]]]:
    """Drafts for many accounts: ``requests`` are (account, its reads, bill number).
    Accounts whose cumulative volume needs the bill lines are priced in a second pass after
    one query for all of them. Returns the drafts and the accounts that could not be
    priced, with the reason."""
    drafts: list[BillDraft] = []
    refused: list[tuple[AccountRow, DomainError]] = []
    deferred = []
    for request in requests:
        account, bill_reads, number = request
        try:
            drafts.append(
                bill_draft_build(
                    account=account,
                    bill_reads=bill_reads,
                    number=number,
                    terms=terms,
                    inputs=inputs,
                    pricer=pricer,
                )
            )
        except NeedsExactCumulative:
            deferred.append(request)
        except DomainError as error:
            refused.append((account, error))
    if deferred:
        billing_inputs_load_exact(inputs, [account.id for account, _reads, _number in deferred])
        for account, bill_reads, number in deferred:
            try:
                drafts.append(
                    bill_draft_build(
                        account=account,
                        bill_reads=bill_reads,
                        number=number,
                        terms=terms,
                        inputs=inputs,
                        pricer=pricer,
                    )
                )
            except DomainError as error:
                refused.append((account, error))
    return drafts, refused


# --- writing ------------------------------------------------------------------------------

_BILL_COLUMNS = (
    "id, public_id, number, account_id, kind, cycle_id, run_id, period_start, period_end, "
    "closing_read_id, volume, amount, issued_at, due_date"
)
_LINE_COLUMNS = (
    "bill_id, component_kind, component_name, tier_index, period_start, period_end, volume, "
    "unit_price, amount"
)
_CHARGE = str(LedgerEntryKind.CHARGE.value)
_LEDGER_COLUMNS = (
    "account_id, kind, amount, bill_id, posted_at, due_date, description, reference, created_by_id"
)


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def bill_drafts_insert(
    drafts: Sequence[BillDraft], *, issued_at: datetime, actor_id: int | None
) -> list[int]:
    """Insert bills, their lines and a CHARGE ledger entry per bill with a non-zero amount;
    return the bill ids in the order of ``drafts``. Call inside a transaction."""
    if not drafts:
        return []
    if connection.vendor == "postgresql":
        return _insert_with_copy(drafts, issued_at=issued_at, actor_id=actor_id)
    return _insert_with_orm(drafts, issued_at=issued_at, actor_id=actor_id)


def _uuid4_strings(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text, from one read of the system's random
    source (``uuid.uuid4()`` reads it once per id)."""
    blob = os.urandom(16 * count).hex()
    result = []
    for start in range(0, 32 * count, 32):
        digits = blob[start : start + 32]
        variant = "89ab"[int(digits[16], 16) & 3]
        result.append(
            f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"
        )
    return result


def _insert_with_copy(
    drafts: Sequence[BillDraft], *, issued_at: datetime, actor_id: int | None
) -> list[int]:
    issued = issued_at.isoformat()
    actor = "\\N" if actor_id is None else str(actor_id)
    days: dict[date, str] = {}
    middles: dict[tuple, str] = {}

    def day(value: date) -> str:
        text = days.get(value)
        if text is None:
            text = days[value] = value.isoformat()
        return text

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('billing_bill', 'id')) "
            "FROM generate_series(1, %s)",
            [len(drafts)],
        )
        bill_ids = [row[0] for row in cursor.fetchall()]
        public_ids = _uuid4_strings(len(drafts))
        bills: list[str] = []
        lines: list[str] = []
        entries: list[str] = []
        for bill_id, public_id, draft in zip(bill_ids, public_ids, drafts, strict=True):
            number = _copy_text(draft.number)
            cycle = "\\N" if draft.cycle_id is None else str(draft.cycle_id)
            run = "\\N" if draft.run_id is None else str(draft.run_id)
            due = day(draft.due_date)
            bills.append(
                f"{bill_id}\t{public_id}\t{number}\t{draft.account_id}\t{draft.kind}\t"
                f"{cycle}\t{run}\t{day(draft.period_start)}\t{day(draft.period_end)}\t"
                f"{draft.closing_read_id}\t{draft.volume!s}\t{draft.amount!s}\t{issued}\t"
                f"{due}\n"
            )
            for line in draft.lines:
                key = (
                    line.component_kind,
                    line.component_name,
                    line.tier_index,
                    line.period_start,
                    line.period_end,
                )
                middle = middles.get(key)
                if middle is None:
                    tier = "\\N" if line.tier_index is None else str(line.tier_index)
                    middle = middles[key] = (
                        f"\t{line.component_kind}\t{_copy_text(line.component_name)}\t{tier}\t"
                        f"{day(line.period_start)}\t{day(line.period_end)}\t"
                    )
                lines.append(
                    f"{bill_id}{middle}{line.volume!s}\t{line.unit_price!s}\t{line.amount!s}\n"
                )
            if draft.amount:
                entries.append(
                    f"{draft.account_id}\t{_CHARGE}\t{draft.amount!s}\t{bill_id}\t{issued}\t"
                    f"{due}\t\t{number}\t{actor}\n"
                )
        for table, columns, rows in (
            ("billing_bill", _BILL_COLUMNS, bills),
            ("billing_billline", _LINE_COLUMNS, lines),
            ("billing_ledgerentry", _LEDGER_COLUMNS, entries),
        ):
            if rows:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write("".join(rows))
    return bill_ids


def _insert_with_orm(
    drafts: Sequence[BillDraft], *, issued_at: datetime, actor_id: int | None
) -> list[int]:
    bills = Bill.objects.bulk_create(
        [
            Bill(
                number=draft.number,
                account_id=draft.account_id,
                kind=draft.kind,
                cycle_id=draft.cycle_id,
                run_id=draft.run_id,
                period_start=draft.period_start,
                period_end=draft.period_end,
                closing_read_id=draft.closing_read_id,
                volume=draft.volume,
                amount=draft.amount,
                issued_at=issued_at,
                due_date=draft.due_date,
            )
            for draft in drafts
        ],
        batch_size=500,
    )
    BillLine.objects.bulk_create(
        [
            BillLine(
                bill_id=bill.pk,
                component_kind=line.component_kind,
                component_name=line.component_name,
                tier_index=line.tier_index,
                period_start=line.period_start,
                period_end=line.period_end,
                volume=line.volume,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for bill, draft in zip(bills, drafts, strict=True)
            for line in draft.lines
        ],
        batch_size=500,
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                account_id=draft.account_id,
                kind=LedgerEntryKind.CHARGE,
                amount=draft.amount,
                bill_id=bill.pk,
                posted_at=issued_at,
                due_date=draft.due_date,
                reference=draft.number,
                created_by_id=actor_id,
            )
            for bill, draft in zip(bills, drafts, strict=True)
            if draft.amount
        ],
        batch_size=500,
    )
    return [bill.pk for bill in bills]


# --- the final bill -----------------------------------------------------------------------


def due_date_for(issued_at: datetime, due_days: int) -> date:
    return local(issued_at).date() + timedelta(days=due_days)


@transaction.atomic
def bill_issue_final(
    *, actor, account: Account, closing_read: MeterRead, due_days: int = 15
) -> Bill:
    """The final bill (结清账单) of an account up to a read: every validated, unbilled read up
    to and including ``closing_read`` (an ownership transfer or usage change read).

    Refused: a read that is not validated or has no consumption (``read_not_validated``), a
    read of another account (``read_wrong_account``), a read already covered by a bill
    (``read_already_billed``), an unbilled read in review before it (``read_needs_review``).
    The account row is locked (``FOR UPDATE``), which waits for a bill run chunk holding the
    account (``FOR KEY SHARE``) and makes the chunk wait in turn: never two overlapping bills.
    """
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.billing_mode == BillingMode.METERING_POINT:
        raise InvalidInput(
            _("分摊计量点账户不出账单：其水量已分摊到其他账户。"),
            code="account_is_metering_point",
            field="account",
        )
    read = MeterRead.objects.get(pk=closing_read.pk)
    if read.account_id != locked.pk:
        raise InvalidInput(
            _("该抄表记录不属于此账户。"), code="read_wrong_account", field="closing_read"
        )
    if read.status != ReadStatus.VALIDATED or read.consumption is None:
        raise InvalidInput(
            _("结清账单的止度必须是已审核的抄表记录。"),
            code="read_not_validated",
            field="closing_read",
        )
    if due_days < 0:
        raise InvalidInput(_("缴费期限不能为负数。"), code="invalid_due_days", field="due_days")
    accounts = account_rows(Account.objects.filter(pk=locked.pk))
    inputs = billing_inputs_load(accounts=accounts, up_to=read.read_on)
    chosen = final_bill_reads(inputs.reads.get(locked.pk, []), closing_read_id=read.pk)
    if chosen == SKIP_NEEDS_REVIEW:
        raise InvalidInput(
            _("该账户有待复核的抄表记录，请先复核后再出结清账单。"),
            code="read_needs_review",
            field="closing_read",
        )
    if chosen == SKIP_NO_READ:
        raise InvalidInput(
            _("该抄表记录已出过账单。"), code="read_already_billed", field="closing_read"
        )
    issued_at = timezone.now()
    drafts, refused = bill_drafts_build(
        [(accounts[locked.pk], chosen, final_bill_number(locked.number, read.pk))],
        terms=BillTerms(kind=BillKind.FINAL, due_date=due_date_for(issued_at, due_days)),
        inputs=inputs,
        pricer=Pricer(TariffBook.load()),
    )
    if refused:
        raise refused[0][1]
    (draft,) = drafts
    (bill_id,) = bill_drafts_insert([draft], issued_at=issued_at, actor_id=_actor_id(actor))
    bills_issued.notify(bill_ids=[bill_id], issued_at=issued_at)
    return Bill.objects.get(pk=bill_id)


def _actor_id(actor) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None

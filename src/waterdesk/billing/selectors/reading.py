"""Reads for meter reading: the policy, cycles, a reader's routes and route sheet (with its
progress), the review queue, an account's reads and its consumption history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, OuterRef, QuerySet, Subquery, TextField, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from waterdesk.billing.models import (
    MeterRead,
    ReadImport,
    ReadingCycle,
    ReadingPolicy,
    ReadKind,
    ReadStatus,
)
from waterdesk.billing.read_rules import HistoryRead, average_monthly_use
from waterdesk.core.errors import NotFound
from waterdesk.customers.models import Account, AccountStatus, Meter, MeterState, Route

REVIEW_PERMISSION = "billing.review_meterread"
SHEET_KINDS = (ReadKind.ACTUAL, ReadKind.ESTIMATED)  # the reads that tick a route-sheet row
_IDS_PER_QUERY = 500  # ids per IN (...) list: well below SQLite's and PostgreSQL's limits


def reading_policy() -> ReadingPolicy:
    """The validation thresholds (the admin's row, or the defaults when there is none)."""
    return ReadingPolicy.objects.filter(pk=1).first() or ReadingPolicy(pk=1)


# --- cycles ---------------------------------------------------------------------------


def reading_cycles() -> QuerySet[ReadingCycle]:
    """Every cycle, newest period first."""
    return ReadingCycle.objects.order_by("-period_start", "-pk")


def reading_cycle_for_day(day: date) -> ReadingCycle | None:
    """The cycle whose reading window contains ``day`` (windows never overlap)."""
    return (
        ReadingCycle.objects.filter(read_from__lte=day, read_to__gte=day)
        .order_by("read_from")
        .first()
    )


def reading_cycle_current(*, today: date | None = None) -> ReadingCycle | None:
    """The cycle being read today, else the latest open one."""
    today = today or timezone.localdate()
    return (
        reading_cycle_for_day(today)
        or ReadingCycle.objects.filter(is_closed=False).order_by("-period_start").first()
    )


def reading_cycle_get(*, code: str) -> ReadingCycle:
    try:
        return ReadingCycle.objects.get(code=code)
    except ReadingCycle.DoesNotExist as error:
        raise NotFound() from error


# --- scope ----------------------------------------------------------------------------


def reads_all_routes(user) -> bool:
    """Billing clerks (who review reads) work on every route; readers on their own."""
    return user.is_superuser or user.has_perm(REVIEW_PERMISSION)


def reading_routes_for_user(user) -> QuerySet[Route]:
    routes = Route.objects.order_by("code")
    return routes if reads_all_routes(user) else routes.filter(reader=user)


def reader_may_read_account(user, account: Account) -> bool:
    if reads_all_routes(user):
        return True
    return account.route_id is not None and (
        Route.objects.filter(pk=account.route_id, reader=user).exists()
    )


def account_get_for_reader(*, user, public_id) -> Account:
    """An account the user may read, by its public id; ``NotFound`` otherwise."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
        account = Account.objects.select_related("premise", "route").get(public_id=key)
    except (ValueError, Account.DoesNotExist) as error:
        raise NotFound() from error
    if not reader_may_read_account(user, account):
        raise NotFound()
    return account


def route_get_for_user(*, user, code: str) -> Route:
    route = reading_routes_for_user(user).filter(code=code).first()
    if route is None:
        raise NotFound()
    return route


# --- reads ----------------------------------------------------------------------------


def meter_read_get(*, pk) -> MeterRead:
    try:
        return _reads().get(pk=int(pk))
    except (TypeError, ValueError, MeterRead.DoesNotExist) as error:
        raise NotFound() from error


def reads_for_review(
    *, cycle: ReadingCycle | None = None, route: Route | None = None, issue: str | None = None
) -> QuerySet[MeterRead]:
    """Reads waiting for review, oldest first (one meter's reads are reviewed in order)."""
    reads = _reads().filter(status=ReadStatus.NEEDS_REVIEW)
    if cycle is not None:
        reads = reads.filter(cycle=cycle)
    if route is not None:
        reads = reads.filter(account__route=route)
    if issue:
        # JSON containment is not available on SQLite; the quoted code in the JSON text is.
        reads = reads.annotate(issues_text=Cast("issues", TextField())).filter(
            issues_text__contains=f'"{issue}"'
        )
    return reads.order_by("read_on", "pk")


def account_reads(account: Account) -> QuerySet[MeterRead]:
    """Every read of the account, newest first."""
    return _reads().filter(account=account).order_by("-read_on", "-pk")


def account_last_validated_read(account: Account) -> MeterRead | None:
    """The account's latest validated read (of any of its meters), or None."""
    return (
        _reads()
        .filter(account=account, status=ReadStatus.VALIDATED)
        .order_by("-read_on", "-pk")
        .first()
    )


def _reads() -> QuerySet[MeterRead]:
    return MeterRead.objects.select_related(
        "account", "account__route", "meter", "cycle", "previous"
    )


# --- consumption history --------------------------------------------------------------


@dataclass(frozen=True)
class UsePeriod:
    """One validated read of an account's history: the day it was read, the day of the read
    before it and the volume between the two."""

    read_on: date
    previous_on: date
    consumption: Decimal

    @property
    def days(self) -> int:
        return (self.read_on - self.previous_on).days


@dataclass(frozen=True)
class AccountUse:
    """An account's recent use: its last periods (newest first) and their average per month
    (``read_rules.average_monthly_use``, the figure the jump check compares against)."""

    periods: tuple[UsePeriod, ...] = ()
    monthly_average: Decimal | None = None


NO_USE = AccountUse()


def account_use_history(
    account_ids: Iterable[int], *, limit: int | None = None, leave_out: int | None = None
) -> dict[int, AccountUse]:
    """The last ``limit`` periods (default: the policy's ``history_reads``) of each account,
    by account id; an account without history is missing. One query per 500 accounts, so a
    route or a page of the review queue costs the same few queries whatever its size.

    A period is a validated read with a previous read and a consumption, as in the jump
    check (a meter's first read has no previous read and no days to divide by). ``leave_out``
    is the pk of a read that does not count (the one being corrected)."""
    ids = sorted(set(account_ids))
    if limit is None:
        limit = reading_policy().history_reads
    periods: dict[int, list[UsePeriod]] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        history = (
            MeterRead.objects.filter(
                account_id__in=ids[start : start + _IDS_PER_QUERY],
                status=ReadStatus.VALIDATED,
                previous__isnull=False,
                consumption__isnull=False,
            )
            .exclude(pk=leave_out)
            .annotate(
                position=Window(
                    RowNumber(),
                    partition_by=[F("account_id")],
                    order_by=[F("read_on").desc(), F("pk").desc()],
                )
            )
            .filter(position__lte=limit)
            .order_by("account_id", "-read_on", "-pk")
            .values_list("account_id", "read_on", "previous__read_on", "consumption")
        )
        for account_id, read_on, previous_on, consumption in history:
            periods.setdefault(account_id, []).append(UsePeriod(read_on, previous_on, consumption))
    return {
        account_id: AccountUse(
            periods=tuple(account_periods),
            monthly_average=average_monthly_use(
                HistoryRead(period.consumption, period.days) for period in account_periods
            ),
        )
        for account_id, account_periods in periods.items()
    }


# --- route sheet ----------------------------------------------------------------------


@dataclass
class RouteSheetRow:
    """One meter to read on a route: its account, the last validated read (the baseline of
    the next consumption), the read taken in the cycle, if any, and the account's recent
    use (what the reader compares the new value with)."""

    account: Account
    meter: Meter | None
    last_read: MeterRead | None
    cycle_read: MeterRead | None
    use: AccountUse = field(default=NO_USE)

    @property
    def is_read(self) -> bool:
        return self.cycle_read is not None


def route_sheet(*, route: Route, cycle: ReadingCycle | None) -> list[RouteSheetRow]:
    """The open accounts of a route (by account number) with their installed meters, one row
    per meter (an account without a meter gets one row with ``meter`` None)."""
    accounts = list(_route_accounts(route).select_related("premise", "customer").order_by("number"))
    meters = (
        Meter.objects.filter(account__in=accounts, state=MeterState.INSTALLED)
        .order_by("account_id", "pk")
        .annotate(
            last_read_id=Subquery(
                MeterRead.objects.filter(
                    meter=OuterRef("pk"),
                    account=OuterRef("account_id"),
                    status=ReadStatus.VALIDATED,
                )
                .order_by("-read_on", "-pk")
                .values("pk")[:1]
            )
        )
    )
    by_account: dict[int, list[Meter]] = {}
    for meter in meters:
        by_account.setdefault(meter.account_id, []).append(meter)
    return _sheet_rows(accounts, by_account, cycle)


def route_sheet_row(*, meter: Meter, cycle: ReadingCycle | None) -> RouteSheetRow:
    """The route-sheet row of one installed meter (after a read was entered)."""
    account = Account.objects.select_related("premise", "customer").get(pk=meter.account_id)
    meter.last_read_id = (
        MeterRead.objects.filter(meter=meter, account=account, status=ReadStatus.VALIDATED)
        .order_by("-read_on", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return _sheet_rows([account], {account.pk: [meter]}, cycle)[0]


def route_sheet_progress(*, route: Route, cycle: ReadingCycle | None) -> tuple[int, int]:
    """(rows read, rows) of the route's sheet, counted in the database: the same rows as
    ``route_sheet`` (one per installed meter, one per open account without a meter)."""
    accounts = _route_accounts(route)
    meters = Meter.objects.filter(account__in=accounts, state=MeterState.INSTALLED)
    total = meters.count() + accounts.exclude(pk__in=meters.values("account_id")).count()
    if cycle is None:
        return 0, total
    done = meters.filter(pk__in=_cycle_reads(cycle).values("meter_id")).count()
    return done, total


def _route_accounts(route: Route) -> QuerySet[Account]:
    return Account.objects.filter(route=route).exclude(status=AccountStatus.CLOSED)


def _cycle_reads(cycle: ReadingCycle) -> QuerySet[MeterRead]:
    """The reads that count as the cycle's read of a meter (a rejected one does not)."""
    return MeterRead.objects.filter(cycle=cycle, kind__in=SHEET_KINDS).exclude(
        status=ReadStatus.REJECTED
    )


def _sheet_rows(
    accounts: list[Account], by_account: dict[int, list[Meter]], cycle: ReadingCycle | None
) -> list[RouteSheetRow]:
    meters = [meter for meters in by_account.values() for meter in meters]
    last_reads = MeterRead.objects.in_bulk(
        [meter.last_read_id for meter in meters if meter.last_read_id]
    )
    cycle_reads: dict[int, MeterRead] = {}
    if cycle is not None and meters:
        taken = (
            _cycle_reads(cycle)
            .filter(meter__in=meters)
            .select_related("previous")
            .order_by("read_on", "pk")
        )
        for read in taken:
            cycle_reads[read.meter_id] = read  # the latest one wins
    use = account_use_history(account.pk for account in accounts) if accounts else {}
    rows = []
    for account in accounts:
        account_meters = by_account.get(account.pk) or [None]
        for meter in account_meters:
            rows.append(
                RouteSheetRow(
                    account=account,
                    meter=meter,
                    last_read=last_reads.get(meter.last_read_id) if meter else None,
                    cycle_read=cycle_reads.get(meter.pk) if meter else None,
                    use=use.get(account.pk, NO_USE),
                )
            )
    return rows


# --- imports --------------------------------------------------------------------------


def read_import_get(*, user, public_id) -> ReadImport:
    """An import the user may see: their own, or any for a billing clerk."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
        batch = ReadImport.objects.select_related("uploaded_by").get(public_id=key)
    except (ValueError, ReadImport.DoesNotExist) as error:
        raise NotFound() from error
    if batch.uploaded_by_id != user.pk and not reads_all_routes(user):
        raise NotFound()
    return batch


def read_imports_recent(*, user, limit: int = 10) -> list[ReadImport]:
    imports = ReadImport.objects.select_related("uploaded_by").order_by("-uploaded_at", "-pk")
    if not reads_all_routes(user):
        imports = imports.filter(uploaded_by=user)
    return list(imports[:limit])

"""The demo's billing office (``BillingOffice``): a reading route per supply zone (new
accounts of the zone go on it when they are opened); reading
cycles for the month being read and the three months before it (``demo_calendar``); the
switch-over from the old billing system just before them; a handheld read file per route and
month; a bill run per month, then payments, arrears of different ages, a credit note, a
surcharge and a bounced bank debit; and the month being read half done, with reads in the
review queue, estimated reads, a meter exchange and two misread values corrected before
billing. Reads, runs and payments go through the
billing services, each on its own day under ``time_machine`` and never later than now.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Protocol

from django.db.models import Sum

from waterdesk.billing.models import (
    Bill,
    BillRunStatus,
    LedgerEntry,
    ReadingCycle,
    ReadKind,
    ReadSource,
)
from waterdesk.billing.selectors.ledger import AGING_BUCKETS, account_aging
from waterdesk.billing.services.bill_run import bill_run_create, bill_run_start, bill_run_work
from waterdesk.billing.services.ledger import (
    ledger_post_adjustment,
    ledger_post_payment,
    ledger_reverse,
)
from waterdesk.billing.services.reading import (
    meter_exchange_record,
    meter_read_correct,
    meter_read_record,
    read_import_csv,
    reading_cycle_create,
)
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import (
    Account,
    Meter,
    MeterState,
    Route,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.services import account_assign_route
from waterdesk.demo.clock import at


class City(Protocol):
    """What the billing office uses of the demo city (``waterdesk.demo.city.DemoCity``)."""

    now: datetime
    staff: dict[str, object]
    zones: dict[str, SupplyZone]

    def meter_serial(self, year: int) -> str: ...


# --- the billing office ------------------------------------------------------------------

BILLING_RANDOM_SEED = 2611
BILLED_MONTHS = 3
# A cycle is read from the last READ_WINDOW_LAST_DAYS days of its month through day
# READ_WINDOW_NEXT_MONTH_DAY of the next; bills are due DUE_DAYS days after the run.
READ_WINDOW_LAST_DAYS = 5
READ_WINDOW_NEXT_MONTH_DAY = 5
DUE_DAYS = 20


@dataclass(frozen=True)
class RouteSpec:
    code: str
    name: str
    zone: str
    reader: str


# In reading order: route n is read on day n of the window.
ROUTES = (
    RouteSpec("north-1", "城北一号线", "north", "reader1"),
    RouteSpec("south-1", "城南一号线", "south", "reader2"),
    RouteSpec("east-1", "城东一号线", "east", "reader1"),
    RouteSpec("devzone-1", "开发区一号线", "devzone", "reader2"),
)
ROUTES_READ_SO_FAR = 2  # of the cycle being read now

# Typical monthly volume (m³) by usage category; a month varies ±15 % around an account's own.
MONTHLY_VOLUME = {
    UsageCategory.RESIDENTIAL: (8, 25),
    UsageCategory.NON_RESIDENTIAL: (30, 200),
    UsageCategory.SPECIAL: (50, 300),
}

# The cycle being read: reads waiting for review, estimated reads, one meter exchange.
JUMP_READS = 3  # about six months' use in one: a leak or a misread
NEGATIVE_READS = 2  # digits typed wrong: the value is below the last one
ESTIMATED_READS = 2
ESTIMATE_NOTE = "表井积水无法抄见，按近三个月平均用水量估抄。"
# Two plausible but wrong values (a digit too many), put right before billing: one by the
# reader on the spot, one by the billing clerk who checked it against the meter photo.
MISREAD_EXTRA = 10
MISREAD_CORRECTIONS = (
    ("reader", "抄表机录入时多按一位，现场复核后更正。"),
    ("billing", "核对抄表照片，读数录入有误，予以更正。"),
)
EXCHANGE_NOTE = "水表使用满六年，周期轮换。"

# Before the demo's first billed month the city billed with its old system: each account's
# register at the switch-over is read into waterdesk as its baseline (``BillingOffice._take_over``).
TAKEOVER_NOTE = "系统上线接管读数"

# Arrears at the end: accounts by which of the billed months (0 oldest) they left unpaid.
ARREARS = ((2,),) * 6 + ((1, 2),) * 5 + ((0, 1, 2),) * 3
# (channel, weight); online and bank payments come without a user (gateway, bank file).
PAYMENT_CHANNELS = (("wechat", 40), ("alipay", 25), ("bank", 20), ("counter", 15))
BANK_DEBIT_DAYS = 10  # after the run
BOUNCE_REASON = "银行代扣退票：账户余额不足。"
CREDIT_NOTE_SHARE = Decimal("0.35")
CREDIT_NOTE_REASON = "经复核，水表计量偏快，按校验结果核减本期部分水费（红字冲减）。"
SURCHARGE_AMOUNT = Decimal("17.00")
SURCHARGE_REASON = "补收上期估抄少计水量5m³的水费。"


@dataclass(frozen=True)
class CycleDates:
    """A month's reading cycle: the calendar month is its period, read around its end."""

    code: str
    period_start: date
    period_end: date
    read_from: date
    read_to: date


def month_cycle(year: int, month: int) -> CycleDates:
    first = date(year, month, 1)
    following = (first + timedelta(days=31)).replace(day=1)
    last = following - timedelta(days=1)
    return CycleDates(
        code=f"{year:04d}-{month:02d}",
        period_start=first,
        period_end=last,
        read_from=last - timedelta(days=READ_WINDOW_LAST_DAYS - 1),
        read_to=following.replace(day=READ_WINDOW_NEXT_MONTH_DAY),
    )


def _month_of(day: date, shift: int) -> tuple[int, int]:
    """(year, month) of the month ``shift`` months after ``day``'s."""
    index = day.year * 12 + day.month - 1 + shift
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class DemoCalendar:
    billed: tuple[CycleDates, ...]  # oldest first
    reading: CycleDates  # being read now (its read window has opened)
    upcoming: CycleDates | None  # this month, when its read window has not opened yet

    @property
    def cycles(self) -> tuple[CycleDates, ...]:
        return (*self.billed, self.reading, *((self.upcoming,) if self.upcoming else ()))


def demo_calendar(today: date) -> DemoCalendar:
    """The demo's cycles on ``today``. The month being read is the latest whose read window
    has opened: this month from its last days on, else last month (then this month is
    opened too, not read yet). The ``BILLED_MONTHS`` months before it are read and billed.
    On 2026-11-27: 2026-08, 2026-09 and 2026-10 billed, 2026-11 being read."""
    this_month = month_cycle(today.year, today.month)
    shift = 0 if this_month.read_from <= today else -1
    return DemoCalendar(
        billed=tuple(
            month_cycle(*_month_of(today, shift - back)) for back in range(BILLED_MONTHS, 0, -1)
        ),
        reading=month_cycle(*_month_of(today, shift)),
        upcoming=None if shift == 0 else this_month,
    )


def _overdue_accounts(*, as_of: date):
    """(account, overdue amount) of each account with an overdue debt on ``as_of``, by
    number (ledger aging)."""
    overdue_buckets = [key for key, _limit in AGING_BUCKETS if key != "not_due"]
    owing = (
        LedgerEntry.objects.values("account")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
        .values_list("account", flat=True)
    )
    for account in Account.objects.filter(pk__in=list(owing)).order_by("number"):
        aging = account_aging(account, as_of=as_of)
        overdue = sum((aging[key] for key in overdue_buckets), Decimal("0.00"))
        if overdue > 0:
            yield account, overdue


def demo_arrears(*, as_of: date) -> tuple[int, Decimal]:
    """The accounts with an overdue debt on ``as_of`` and the overdue total (ledger aging)."""
    found = list(_overdue_accounts(as_of=as_of))
    return len(found), sum((overdue for _account, overdue in found), Decimal("0.00"))


def demo_account_owing(*, as_of: date) -> Account | None:
    """The first account (by number) with an overdue debt on ``as_of``: the one the demo
    output offers for paying online."""
    return next((account for account, _overdue in _overdue_accounts(as_of=as_of)), None)


class BillingOffice:
    """Routes, cycles, reads, bill runs and payments of the established accounts; one
    instance per run, all randomness from ``rng``. Each step runs on its own day (the clock
    stands still meanwhile) and never later than now."""

    def __init__(self, *, city: City, rng: random.Random) -> None:
        self.city = city
        self.rng = rng
        self.today = local(city.now).date()
        # Things done "today" happen before now (and still today just after midnight).
        self.latest = max(
            city.now - timedelta(minutes=1),
            datetime.combine(self.today, day_time.min, tzinfo=LOCAL_TZ),
        )
        self.calendar = demo_calendar(self.today)
        self.clerk = city.staff["billing1"]
        self.admin = city.staff["admin"]
        self.routes: dict[str, Route] = {}
        self.cycles: dict[str, ReadingCycle] = {}
        self.accounts: list[Account] = []
        self.by_route: dict[str, list[Account]] = {}
        self.meters: dict[int, Meter] = {}
        self.register: dict[int, Decimal] = {}  # the meter's value at the latest read
        self.usual: dict[int, int] = {}  # the account's usual monthly volume
        self.counter_receipts = 0

    def build(self) -> None:
        self.accounts = list(Account.objects.select_related("premise__zone").order_by("pk"))
        self.meters = {
            meter.account_id: meter
            for meter in Meter.objects.filter(account__in=self.accounts, state=MeterState.INSTALLED)
        }
        for account in self.accounts:
            self.usual[account.pk] = self._usual_volume(account)
            self.register[account.pk] = self.meters[account.pk].initial_reading
        self._create_routes()
        self.assign_routes()
        for spec in ROUTES:
            self.by_route[spec.code] = [
                account for account in self.accounts if account.premise.zone.code == spec.zone
            ]
        for dates in self.calendar.cycles:
            self.cycles[dates.code] = reading_cycle_create(
                actor=self.clerk,
                code=dates.code,
                period_start=dates.period_start,
                period_end=dates.period_end,
                read_from=dates.read_from,
                read_to=dates.read_to,
                due_days=DUE_DAYS,
            )
        self._take_over()
        for dates in self.calendar.billed:
            self._read_by_handheld(dates)
            self._run_bills(dates)
        self._collect_payments()
        self._read_in_the_field(self.calendar.reading)

    # --- routes -------------------------------------------------------------------------

    def _create_routes(self) -> None:
        """Routes are master data that the administrator keeps in the admin (there is no
        service for them); each takes the new accounts of its zone."""
        for spec in ROUTES:
            route = Route(
                code=spec.code,
                name=spec.name,
                zone=self.city.zones[spec.zone],
                reader=self.city.staff[spec.reader],
            )
            route._history_user = self.admin  # read by django-simple-history
            route.save()
            self.routes[spec.code] = route

    def assign_routes(self) -> None:
        """The billing clerk puts the accounts taken over from the old system, opened before
        the routes existed, on their zone's route (as on the page of unrouted accounts);
        accounts opened later get theirs when they are opened."""
        route_of_zone = {spec.zone: self.routes[spec.code] for spec in ROUTES}
        unrouted = Account.objects.filter(route__isnull=True).select_related("premise__zone")
        for account in unrouted.order_by("pk"):
            route = route_of_zone[account.premise.zone.code]
            account_assign_route(actor=self.clerk, account=account, route=route)

    # --- volumes and moments ------------------------------------------------------------

    def _usual_volume(self, account: Account) -> int:
        low, high = MONTHLY_VOLUME[account.usage_category]
        if account.usage_category == UsageCategory.RESIDENTIAL:
            usual = 4 + 3 * account.household_size + self.rng.randint(-2, 4)
        else:
            usual = self.rng.randint(low, high)
        return min(max(usual, low), high)

    def _month_volume(self, account: Account) -> int:
        low, high = MONTHLY_VOLUME[account.usage_category]
        volume = round(self.usual[account.pk] * self.rng.uniform(0.85, 1.15))
        return min(max(volume, low), high)

    def _moment(self, day: date, hour: int, minute: int = 0) -> datetime:
        return min(datetime.combine(day, day_time(hour, minute), tzinfo=LOCAL_TZ), self.latest)

    def _spread(self, day: date, count: int) -> list[datetime]:
        """``count`` moments through a reader's working day."""
        first, last = self._moment(day, 8, 30), self._moment(day, 16, 30)
        step = (last - first) / max(count - 1, 1)
        return [first + step * position for position in range(count)]

    # --- the switch to waterdesk --------------------------------------------------------

    def _take_over(self) -> None:
        """The day before the first billed month the city switched from its old billing
        system: every meter's register is read into waterdesk. Nothing was used since the
        meter's recorded reading, so the read is each account's baseline and its first bill
        starts the day after it (not years back, when the account was opened)."""
        day = self.calendar.billed[0].period_start - timedelta(days=1)
        with at(self._moment(day, 18)):
            for account in self.accounts:
                meter_read_record(
                    actor=self.clerk,
                    account=account,
                    read_on=day,
                    value=self.register[account.pk],
                    source=ReadSource.SYSTEM,
                    note=TAKEOVER_NOTE,
                )

    # --- the billed months --------------------------------------------------------------

    def _read_by_handheld(self, dates: CycleDates) -> None:
        """Each route read on its day of the window and uploaded from the handheld."""
        for position, spec in enumerate(ROUTES):
            day = dates.read_from + timedelta(days=position)
            accounts = self.by_route[spec.code]
            content = io.StringIO()
            writer = csv.writer(content, lineterminator="\n")
            writer.writerow(("户号", "表号", "抄表日期", "读数"))
            for account in accounts:
                self.register[account.pk] += self._month_volume(account)
                writer.writerow(
                    (
                        account.number,
                        self.meters[account.pk].serial,
                        day.isoformat(),
                        self.register[account.pk],
                    )
                )
            with at(self._moment(day, 17, 30)):
                batch = read_import_csv(
                    actor=self.city.staff[spec.reader],
                    source=ReadSource.HANDHELD,
                    file_name=f"{spec.code}-{day:%Y%m%d}.csv",
                    content=content.getvalue().encode(),
                )
            if batch.lines_imported != len(accounts):  # a mistake in the demo, not bad input
                raise RuntimeError(f"demo read file {batch.file_name}: {batch.errors}")

    def _run_bills(self, dates: CycleDates) -> None:
        """The night after the read window closes the billing clerk's run bills the month."""
        with at(self._moment(dates.read_to + timedelta(days=1), 1, 30)):
            run = bill_run_create(actor=self.clerk, cycle=self.cycles[dates.code])
            run = bill_run_start(run=run, enqueue=False)
            run = bill_run_work(run=run)
        if run.status != BillRunStatus.COMPLETED or run.billed_accounts != len(self.accounts):
            raise RuntimeError(
                f"demo bill run {dates.code}: {run.status}, "
                f"{run.billed_accounts} billed, {run.skipped_accounts} skipped"
            )

    def _collect_payments(self) -> None:
        """Most bills are paid before they are due; ``ARREARS`` accounts leave some unpaid,
        one bank debit bounces, one bill gets a credit note and one account a surcharge."""
        billed = [self.cycles[dates.code] for dates in self.calendar.billed]
        bills = {
            (bill.account_id, bill.cycle_id): bill for bill in Bill.objects.filter(cycle__in=billed)
        }
        shuffled = list(self.accounts)
        self.rng.shuffle(shuffled)
        unpaid = {account.pk: months for account, months in zip(shuffled, ARREARS, strict=False)}
        others = shuffled[len(ARREARS) :]
        bounced, credited = others[0], others[1]
        surcharged = next(
            account for account in others[2:] if account.usage_category == UsageCategory.RESIDENTIAL
        )
        last = len(billed) - 1
        for account in self.accounts:
            for month, cycle in enumerate(billed):
                if month in unpaid.get(account.pk, ()):
                    continue
                bill = bills[(account.pk, cycle.pk)]
                amount = bill.amount
                earliest = 1
                if account is credited and month == last - 1:
                    amount -= self._credit_note(account, bill)
                    earliest = 4
                if account is surcharged and month == last:
                    amount += self._surcharge(account, cycle)
                channel = "bank" if account is bounced and month == last else self._channel()
                payment = self._pay(account, bill, cycle, amount, channel, earliest=earliest)
                if account is bounced and month == last:
                    bounce_day = local(payment.posted_at).date() + timedelta(days=2)
                    with at(self._moment(bounce_day, 10)):
                        ledger_reverse(actor=self.clerk, entry=payment, reason=BOUNCE_REASON)

    def _channel(self) -> str:
        channels, weights = zip(*PAYMENT_CHANNELS, strict=True)
        return self.rng.choices(channels, weights)[0]

    def _pay(
        self,
        account: Account,
        bill: Bill,
        cycle: ReadingCycle,
        amount: Decimal,
        channel: str,
        *,
        earliest: int,
    ) -> LedgerEntry:
        issued = local(bill.issued_at).date()
        if channel == "bank":
            moment = self._moment(issued + timedelta(days=BANK_DEBIT_DAYS), 6)
        else:
            if self.rng.random() < 0.06:  # a few pay after the due date
                day = bill.due_date + timedelta(days=self.rng.randint(1, 10))
            else:
                day = issued + timedelta(days=self.rng.randint(earliest, DUE_DAYS - 1))
            opening = (8, 17) if channel == "counter" else (7, 22)
            moment = self._moment(day, self.rng.randint(*opening), self.rng.randint(0, 59))
        stamp = local(moment)
        if channel == "wechat":
            reference = f"WX{stamp:%Y%m%d%H%M%S}{self.rng.randrange(10**6):06d}"
        elif channel == "alipay":
            reference = f"ZFB{stamp:%Y%m%d%H%M%S}{self.rng.randrange(10**6):06d}"
        elif channel == "bank":
            reference = f"DK{stamp:%Y%m%d}{account.number}"
        else:
            self.counter_receipts += 1
            reference = f"SK{stamp:%Y%m%d}{self.counter_receipts:04d}"
        with at(moment):
            return ledger_post_payment(
                # At the counter the clerk records it; gateways and bank files come alone.
                actor=self.clerk if channel == "counter" else None,
                account=account,
                amount=amount,
                reference=reference,
                idempotency_key=f"demo-pay-{account.number}-{cycle.code}",
            )

    def _credit_note(self, account: Account, bill: Bill) -> Decimal:
        credit = (bill.amount * CREDIT_NOTE_SHARE).quantize(Decimal("0.01"))
        with at(self._moment(local(bill.issued_at).date() + timedelta(days=3), 10, 20)):
            ledger_post_adjustment(
                actor=self.clerk,
                account=account,
                amount=-credit,
                reason=CREDIT_NOTE_REASON,
                bill=bill,
                idempotency_key=f"demo-credit-{bill.number}",
            )
        return credit

    def _surcharge(self, account: Account, cycle: ReadingCycle) -> Decimal:
        """Posted before the month's bill is issued, paid with it."""
        with at(self._moment(cycle.period_start + timedelta(days=12), 15, 40)):
            ledger_post_adjustment(
                actor=self.clerk,
                account=account,
                amount=SURCHARGE_AMOUNT,
                reason=SURCHARGE_REASON,
                idempotency_key=f"demo-surcharge-{account.number}-{cycle.code}",
            )
        return SURCHARGE_AMOUNT

    # --- the month being read -----------------------------------------------------------

    def _read_in_the_field(self, dates: CycleDates) -> None:
        """The first routes of the month read on the readers' phones, one route a day:
        reads that land in the review queue, estimated reads and a meter exchange."""
        routes = ROUTES[:ROUTES_READ_SO_FAR]
        candidates = [account for spec in routes for account in self.by_route[spec.code]]
        special = self.rng.sample(candidates, JUMP_READS + NEGATIVE_READS + ESTIMATED_READS + 1)
        jumps = {account.pk for account in special[:JUMP_READS]}
        negatives = {account.pk for account in special[JUMP_READS : JUMP_READS + NEGATIVE_READS]}
        estimated = {account.pk for account in special[JUMP_READS + NEGATIVE_READS : -1]}
        exchanged = special[-1].pk
        # The first ordinary account of each route read so far is misread and corrected
        # (chosen without the generator, so the other draws stay as they were).
        chosen = {account.pk for account in special}
        misread = {
            next(a.pk for a in self.by_route[spec.code] if a.pk not in chosen): correction
            for spec, correction in zip(routes, MISREAD_CORRECTIONS, strict=True)
        }
        for position, spec in enumerate(routes):
            day = min(dates.read_from + timedelta(days=position), self.today)
            reader = self.city.staff[spec.reader]
            accounts = self.by_route[spec.code]
            for account, moment in zip(accounts, self._spread(day, len(accounts)), strict=True):
                volume = self._month_volume(account)
                register = self.register[account.pk]
                fields = {"actor": reader, "account": account, "read_on": day}
                with at(moment):
                    if account.pk == exchanged:
                        meter = self.meters[account.pk]
                        meter_exchange_record(
                            **fields,
                            old_final_value=register + volume,
                            new_serial=self.city.meter_serial(day.year),
                            new_size_dn=meter.size_dn,
                            new_initial_value=Decimal(0),
                            note=EXCHANGE_NOTE,
                        )
                    elif account.pk in jumps:
                        meter_read_record(**fields, value=register + 6 * volume)
                    elif account.pk in negatives:
                        meter_read_record(**fields, value=register - self.rng.randint(3, 9))
                    elif account.pk in estimated:
                        meter_read_record(
                            **fields,
                            value=register + self.usual[account.pk],
                            kind=ReadKind.ESTIMATED,
                            note=ESTIMATE_NOTE,
                        )
                    elif account.pk in misread:
                        read = meter_read_record(**fields, value=register + volume + MISREAD_EXTRA)
                        who, reason = misread[account.pk]
                        meter_read_correct(
                            actor=reader if who == "reader" else self.clerk,
                            read=read,
                            value=register + volume,
                            reason=reason,
                        )
                    else:
                        meter_read_record(**fields, value=register + volume)

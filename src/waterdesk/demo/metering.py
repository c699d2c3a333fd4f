"""Master/sub meters, a shared meter and flat-fee accounts in the demo city, through the same
services as the pages, each step at its own moment (``demo.clock.at``):

- 阳光花园小区: the estate's master meter on its metering point, four households' sub
  meters; the difference (common areas, losses) is billed to the property company's
  public-use account. The last billed month's master read came out low: its difference is
  negative and waits in the review queue, so the company's bill for it is not out yet.
- 老街12号院: one meter shared by three households, split by household size.
- 东湖公园公厕 (a fixed 40 m³ a month, priced by the non-residential tariff) and the
  street cleaners' rest point (a fixed 50.00 yuan a month): flat-fee accounts, never read.

Each billed month: the meters read on the second day of the window, then a bill run the
night after the window closes (the demo's runs billed every other account already; this
run calculates the allocations and bills these accounts). The month being read: its reads
taken when its window has reached that day, the allocations calculated for a look.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from stdnum.cn import ric, uscc

from waterdesk.billing.models import BillRun, ReadingCycle
from waterdesk.billing.services.bill_run import bill_run_create, bill_run_start, bill_run_work
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers import services as customers
from waterdesk.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    SupplyZone,
    UsageCategory,
)
from waterdesk.demo.billing import demo_calendar
from waterdesk.demo.clock import at
from waterdesk.metering.models import Allocation, AllocationStatus, Arrangement
from waterdesk.metering.services.allocations import allocations_calculate
from waterdesk.metering.services.arrangements import PartInput, arrangement_create

METERING_RANDOM_SEED = 2615
ESTATE = "阳光花园小区"
HOUSEHOLDS = (("周建国", 3), ("吴秀兰", 2), ("郑海涛", 4), ("冯丽娟", 1))
COURTYARD = (("陈阿婆", 1), ("褚志强", 4), ("卫红梅", 3))
LOSS = (5, 3, 6)  # the estate's common use per billed month (m³), oldest first
UNDER_READ = Decimal("9")  # the last billed month's master read, this much too low


class _Seeder:
    def __init__(self, *, staff: dict, zones: dict[str, SupplyZone], now: datetime) -> None:
        self.clerk = staff["billing1"]
        self.zone = zones.get("north") or next(iter(zones.values()))
        self.now = now
        self.today = local(now).date()
        self.rng = random.Random(METERING_RANDOM_SEED)
        self.calendar = demo_calendar(self.today)
        self.register: dict[int, Decimal] = {}
        self.serials = 0

    # --- people and places --------------------------------------------------------------

    def _id(self, kind: str) -> str:
        while True:
            if kind == CustomerKind.PERSON:
                birth = date(1950, 1, 1) + timedelta(days=self.rng.randrange(365 * 50))
                body = f"330106{birth:%Y%m%d}{self.rng.randrange(900, 1000):03d}"
                number = body + ric.calc_check_digit(body + "0")
                valid = ric.is_valid(number)
            else:
                body = f"91330106{self.rng.randrange(10**8, 10**9)}"
                number = body + uscc.calc_check_digit(body)
                valid = uscc.is_valid(number)
            if valid and not Customer.objects.filter(kind=kind, id_number=number).exists():
                return number

    def _account(self, *, name, kind, address, usage, household=3, meter_dn=None):
        customer = customers.customer_create(
            actor=self.clerk,
            kind=kind,
            name=name,
            id_number=self._id(kind),
            mobile=f"139{self.rng.randrange(10**8):08d}",
            contact_address=address,
        )
        premise = customers.premise_get_or_create(
            actor=self.clerk, address=address, zone=self.zone, district=self.zone.name
        )
        account = customers.account_open(
            actor=self.clerk,
            customer=customer,
            premise=premise,
            usage_category=usage,
            household_size=household,
            opened_at=self.opened_at,
        )
        if meter_dn is not None:
            self.serials += 1
            start = Decimal(self.rng.randint(0, 30))
            meter = customers.meter_install(
                actor=self.clerk,
                meter_serial=f"FB{self.today.year}{self.serials:05d}",
                size_dn=meter_dn,
                premise=premise,
                account=account,
                initial_reading=start,
                installed_at=self.opened_at,
            )
            self.register[meter.pk] = start
        return account

    def _meter(self, account: Account) -> Meter:
        return account.meters.get(state="installed")

    # --- the build ------------------------------------------------------------------------

    def build(self) -> dict:
        first = self.calendar.billed[0].period_start - timedelta(days=1)
        self.opened_at = datetime.combine(first, time(10), tzinfo=LOCAL_TZ)
        with at(self.opened_at):
            self._create_arrangements()
        for index, dates in enumerate(self.calendar.billed):
            last = index == len(self.calendar.billed) - 1
            self._read(dates.read_from + timedelta(days=1), loss=LOSS[index % len(LOSS)], low=last)
            self._run(dates.code, dates.read_to + timedelta(days=1))
        reading = self.calendar.reading
        day = reading.read_from + timedelta(days=1)
        if day < self.today:
            self._read(day, loss=4, low=False)
            with at(datetime.combine(day, time(18), tzinfo=LOCAL_TZ)):
                allocations_calculate(
                    actor=self.clerk, cycle=ReadingCycle.objects.get(code=reading.code)
                )
        return {
            "arrangements": Arrangement.objects.count(),
            "flagged": Allocation.objects.filter(status=AllocationStatus.FLAGGED).count(),
        }

    def _create_arrangements(self) -> None:
        non_residential = UsageCategory.NON_RESIDENTIAL
        company = CustomerKind.ORGANISATION
        person = CustomerKind.PERSON
        road = f"{self.zone.name}春晖路88号"
        self.estate_point = self._account(
            name="阳光花园物业管理有限公司",
            kind=company,
            address=f"{road}{ESTATE}总表井",
            usage=non_residential,
            meter_dn=80,
        )
        self.company = customers.account_open(
            actor=self.clerk,
            customer=self.estate_point.customer,
            premise=customers.premise_get_or_create(
                actor=self.clerk,
                address=f"{road}{ESTATE}物业用房",
                zone=self.zone,
                district=self.zone.name,
            ),
            usage_category=non_residential,
            opened_at=self.opened_at,
        )
        self.houses = [
            self._account(
                name=name,
                kind=person,
                address=f"{road}{ESTATE}{number}幢101室",
                usage=UsageCategory.RESIDENTIAL,
                household=size,
                meter_dn=20,
            )
            for number, (name, size) in enumerate(HOUSEHOLDS, start=1)
        ]
        arrangement_create(
            actor=self.clerk,
            kind="master_sub",
            name=f"{ESTATE}总表",
            meter=self._meter(self.estate_point),
            rule="master_account",
            account=self.company,
            parts=[PartInput(meter=self._meter(house)) for house in self.houses],
            note="小区公共用水及管网损耗由物业承担。",
        )
        yard = f"{self.zone.name}老街12号院"
        self.courtyard = [
            self._account(
                name=name,
                kind=person,
                address=f"{yard}{number}号房",
                usage=UsageCategory.RESIDENTIAL,
                household=size,
            )
            for number, (name, size) in enumerate(COURTYARD, start=1)
        ]
        self.shared_point = self._account(
            name="老街12号院住户代表",
            kind=person,
            address=f"{yard}共用水表",
            usage=UsageCategory.RESIDENTIAL,
            meter_dn=25,
        )
        arrangement_create(
            actor=self.clerk,
            kind="shared",
            name="老街12号院共用表",
            meter=self._meter(self.shared_point),
            rule="household_size",
            parts=[PartInput(account=account) for account in self.courtyard],
        )
        toilet = self._account(
            name="东湖公园管理处",
            kind=company,
            address=f"{self.zone.name}东湖公园公厕",
            usage=non_residential,
        )
        arrangement_create(
            actor=self.clerk,
            kind="flat_fee",
            name="东湖公园公厕包量",
            account=toilet,
            flat_basis="volume",
            flat_volume="40",
        )
        rest_point = self._account(
            name="城北环卫所",
            kind=company,
            address=f"{self.zone.name}春晖路环卫工人休息点",
            usage=non_residential,
        )
        arrangement_create(
            actor=self.clerk,
            kind="flat_fee",
            name="环卫工人休息点包费",
            account=rest_point,
            flat_basis="amount",
            flat_amount="50.00",
        )

    def _read(self, day: date, *, loss: int, low: bool) -> None:
        """Every field meter read on ``day``: the households' own use, the master their sum
        plus the common use (``low``: read too low, below their sum)."""
        subs_total = Decimal(0)
        moment = datetime.combine(day, time(9, 30), tzinfo=LOCAL_TZ)
        with at(moment):
            for account in self.houses:
                volume = Decimal(4 + 3 * account.household_size + self.rng.randint(-1, 2))
                subs_total += volume
                self._record(account, volume)
            master = subs_total + loss
            self._record(self.estate_point, master - UNDER_READ if low else master)
            if low:  # the next read makes up for it
                self.register[self._meter(self.estate_point).pk] += UNDER_READ
            self._record(self.shared_point, Decimal(24 + self.rng.randint(0, 8)))

    def _record(self, account: Account, volume: Decimal) -> None:
        meter = self._meter(account)
        self.register[meter.pk] += volume
        meter_read_record(
            actor=self.clerk,
            account=account,
            read_on=timezone.localdate(),  # the demo clock's day (``at``)
            value=self.register[meter.pk],
        )

    def _run(self, code: str, day: date) -> BillRun:
        with at(datetime.combine(day, time(2, 15), tzinfo=LOCAL_TZ)):
            run = bill_run_create(actor=self.clerk, cycle=ReadingCycle.objects.get(code=code))
            run = bill_run_start(run=run, enqueue=False)
            return bill_run_work(run=run)


def seed_metering(*, staff: dict, zones: dict[str, SupplyZone], now: datetime) -> dict:
    """The metering arrangements and their months (see the module docstring); run after the
    billing office (its cycles) and before the cases. Returns counts for the summary."""
    return _Seeder(staff=staff, zones=zones, now=now).build()

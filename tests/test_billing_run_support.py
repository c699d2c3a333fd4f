"""Shared set-up of the billing tests (bill run, bills, ledger): the Beijing residential
tariff, reading cycles, accounts with a meter, reads through the reading services.

No tests here; the billing test modules import these helpers and fixtures.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import installed_account, meter_read, tariff_with_version
from waterdesk.billing.models import Bill, BillRun, ReadingCycle
from waterdesk.billing.services.bill_run import bill_run_create, bill_run_start
from waterdesk.billing.services.reading import reading_cycle_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 10, 10, 0, tzinfo=SHANGHAI)
OPENED = datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI)
D = Decimal

# Beijing residential water (2014 onwards): annual tiers 0–180 / 181–260 / >260 m³ at
# 5 / 7 / 9 yuan = supply 2.07 / 4.07 / 6.07 + water resource fee 1.57 + sewage 1.36.
BEIJING_TIERS = [
    {"index": 1, "upper_bound": D("180")},
    {"index": 2, "upper_bound": D("260")},
    {"index": 3, "upper_bound": None},
]
BEIJING_COMPONENTS = [
    {
        "kind": "water_supply",
        "name": "供水价格",
        "tier_prices": {1: D("2.07"), 2: D("4.07"), 3: D("6.07")},
    },
    {"kind": "water_resource", "name": "水资源费", "flat_price": D("1.57")},
    {"kind": "sewage", "name": "污水处理费", "flat_price": D("1.36")},
]


@pytest.fixture
def pinned_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def beijing(db):
    """The Beijing tariff as the residential default from 2025-01-01."""
    return tariff_with_version(
        code="beijing-residential",
        name="北京居民阶梯水价",
        is_default=True,
        tier_basis="annual",
        household_base_size=4,
        tiers=BEIJING_TIERS,
        components=BEIJING_COMPONENTS,
    )


def month_cycle(actor, year: int, month: int, *, due_days: int = 20) -> ReadingCycle:
    """A cycle for a calendar month whose reading window is the month itself."""
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    last = date.fromordinal(end.toordinal() - 1)
    return reading_cycle_create(
        actor=actor,
        code=f"{year}-{month:02d}",
        period_start=start,
        period_end=last,
        read_from=start,
        read_to=last,
        due_days=due_days,
    )


@pytest.fixture
def cycles(billing_clerk):
    """Reading cycles January to March 2026."""
    return {month: month_cycle(billing_clerk, 2026, month) for month in (1, 2, 3)}


def account_with_meter(*, initial="0", household_size=3, opened=OPENED, **fields):
    """An account opened on 2026-01-01 (or ``opened``) with a meter installed that day."""
    return installed_account(
        initial=initial,
        installed_at=opened,
        opened_at=opened,
        household_size=household_size,
        **fields,
    )


def run_cycle(actor, cycle, capture, *, chunk_size: int = 2000) -> BillRun:
    """Create and start a run; its chunk tasks run in-process after commit."""
    with capture(execute=True):
        run = bill_run_create(actor=actor, cycle=cycle, chunk_size=chunk_size)
        bill_run_start(run=run)
    run.refresh_from_db()
    return run


@pytest.fixture
def billed(billing_clerk, cycles, django_capture_on_commit_callbacks):
    """An account billed 100.00 for January, through a read and a bill run."""
    account = account_with_meter()
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    return account, Bill.objects.get()

"""Shared set-up of the metering tests: the seeded residential tariff (annual tiers
0–180 / 180–260 / above 260 m³ for households up to 4: 3.40 / 5.10 / 10.20 yuan/m³ =
supply 2.10 / 3.80 / 8.90 + water resource tax 0.30 + sewage 1.00) and the seeded
non-residential one (flat 4.20 + 0.50 + 1.40 = 6.10 yuan/m³); cycles January to March
2026 read over the whole month; accounts opened on 1 January 2026.

No tests here; the metering test modules import these helpers and fixtures.
"""

from datetime import date
from decimal import Decimal

from tests.factories import AccountFactory, meter_read
from tests.test_billing_run_support import OPENED, account_with_meter, month_cycle, run_cycle
from waterdesk.billing.models import Bill
from waterdesk.metering.services.arrangements import PartInput, arrangement_create

D = Decimal
JAN_END, FEB_END, MAR_END = date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)

__all__ = [
    "FEB_END",
    "JAN_END",
    "MAR_END",
    "OPENED",
    "D",
    "PartInput",
    "account_with_meter",
    "arrangement_create",
    "bill_of",
    "lines_of",
    "meter_of",
    "meter_read",
    "month_cycle",
    "plain_account",
    "run_cycle",
]


def meter_of(account):
    """The account's physical meter."""
    return account.meters.get(state="installed")


def plain_account(**fields):
    """An account without a meter (a shared meter's member, a flat-fee account)."""
    return AccountFactory(opened_at=OPENED, **fields)


def bill_of(account, cycle) -> Bill:
    return Bill.objects.get(account=account, cycle=cycle)


def lines_of(bill: Bill) -> list[tuple]:
    """(name, tier, volume, unit price, amount) of each line, in order."""
    return [
        (line.component_name, line.tier_index, line.volume, line.unit_price, line.amount)
        for line in bill.lines.order_by("pk")
    ]

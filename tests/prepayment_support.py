"""Helpers of the prepayment tests: a prepayment taken at the counter, a month billed
through a real bill run on the seeded residential tariff (3.40 元/m³ in the first annual
tier), the PREPAID entries of an account.

No tests here; the tests/test_prepayment_*.py modules import these helpers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from tests.factories import meter_read
from tests.test_billing_run_support import account_with_meter, month_cycle, run_cycle
from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind, PrepaymentPolicy
from waterdesk.notify.models import Notification
from waterdesk.payments.services.counter import counter_payment_take

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal
NOTICE = "billing.prepaid_low"

__all__ = [
    "D",
    "account_with_meter",
    "bill_month",
    "low_notices",
    "prepaid_entries",
    "prepay",
    "set_policy",
]


def at(year, month, day, hour=10, minute=0):
    """Pin the clock (Asia/Shanghai) without ticking."""
    return time_machine.travel(
        datetime(year, month, day, hour, minute, tzinfo=SHANGHAI), tick=False
    )


def prepay(cashier, account, amount, *, key: str, when=(2026, 1, 5)):
    """``amount`` paid in cash at the counter with no bill chosen: it all stays as credit."""
    with at(*when):
        return counter_payment_take(
            actor=cashier,
            account=account,
            amount=amount,
            method="cash",
            external_id=key,
            tendered=amount,
        )


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + month // 12, month % 12 + 1)


def bill_month(clerk, capture, *, year: int, month: int, reads: dict, chunk_size: int = 2000):
    """Month ``month`` of ``year`` billed: a cycle for it, ``reads`` ({account: meter
    value}) dated its last day, and a bill run on the 2nd of the next month at 09:00."""
    following = _next_month(year, month)
    last_day = date.fromordinal(date(*following, 1).toordinal() - 1)
    with at(*following, 2, 9):
        cycle = month_cycle(clerk, year, month)
        for account, value in reads.items():
            meter_read(clerk, account, last_day, value)
        run_cycle(clerk, cycle, capture, chunk_size=chunk_size)
    return cycle


def prepaid_entries(account) -> list[tuple[str, Decimal]]:
    """The account's PREPAID entries as (bill number, amount), in posting order."""
    return [
        (entry.reference, entry.amount)
        for entry in LedgerEntry.objects.filter(
            account=account, kind=LedgerEntryKind.PREPAID
        ).order_by("posted_at", "pk")
    ]


def low_notices(account, channel: str = "sms") -> list[Notification]:
    return list(
        Notification.objects.filter(
            template_key=NOTICE, channel=channel, recipient_address=account.customer.mobile
        ).order_by("pk")
    )


def bill_of(account, year: int, month: int) -> Bill:
    return Bill.objects.get(account=account, cycle__code=f"{year}-{month:02d}")


def set_policy(**fields) -> PrepaymentPolicy:
    policy, _created = PrepaymentPolicy.objects.get_or_create(pk=1)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy

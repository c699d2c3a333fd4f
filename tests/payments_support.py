"""Helpers of the payments tests; their fixtures (``billed``, ``office``, ``cashier``,
``second_supervisor``) are in tests/conftest.py."""

from datetime import date, datetime

import time_machine

from tests.test_billing_run_support import SHANGHAI, D

__all__ = ["SHANGHAI", "D", "at", "date"]


def at(year, month, day, hour=10, minute=0):
    """Pin the clock (Asia/Shanghai) without ticking."""
    return time_machine.travel(
        datetime(year, month, day, hour, minute, tzinfo=SHANGHAI), tick=False
    )

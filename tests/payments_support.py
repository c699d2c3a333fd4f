"""Helpers of the payments tests; their fixtures (``billed``, ``office``, ``cashier``,
``second_supervisor``) are in tests/conftest.py."""

from datetime import date, datetime

import time_machine
from django.test import Client, TestCase

from tests.test_billing_run_support import SHANGHAI, D

__all__ = ["SHANGHAI", "CommittingClient", "D", "at", "date"]


def at(year, month, day, hour=10, minute=0):
    """Pin the clock (Asia/Shanghai) without ticking."""
    return time_machine.travel(
        datetime(year, month, day, hour, minute, tzinfo=SHANGHAI), tick=False
    )


class CommittingClient(Client):
    """A test client whose requests are followed by what they enqueued after their commit,
    as on a server (a test's own transaction never commits): for a gateway's callback, the
    posting of the notification it accepted."""

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)

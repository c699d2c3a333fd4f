"""The demo's metering (``demo.metering.seed_metering``) on the demo's cycles: the estate,
the shared meter and the flat-fee accounts billed, one negative difference waiting."""

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from waterdesk.billing.models import Bill
from waterdesk.billing.services.reading import reading_cycle_create
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account
from waterdesk.demo.billing import DUE_DAYS, demo_calendar
from waterdesk.demo.metering import seed_metering
from waterdesk.metering.models import Allocation, AllocationStatus, Arrangement

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


@pytest.mark.django_db
def test_seed_metering(billing_clerk, zone):
    with time_machine.travel(NOW, tick=False):
        calendar = demo_calendar(NOW.date())
        for dates in calendar.cycles:
            reading_cycle_create(
                actor=billing_clerk,
                code=dates.code,
                period_start=dates.period_start,
                period_end=dates.period_end,
                read_from=dates.read_from,
                read_to=dates.read_to,
                due_days=DUE_DAYS,
            )
        summary = seed_metering(staff={"billing1": billing_clerk}, zones={"north": zone}, now=NOW)
    assert summary == {"arrangements": 4, "flagged": 1}
    flagged = Allocation.objects.get(status=AllocationStatus.FLAGGED)
    assert flagged.cycle.code == calendar.billed[-1].code
    assert flagged.difference < 0
    company = Arrangement.objects.get(kind="master_sub").account
    assert sorted(Bill.objects.filter(account=company).values_list("cycle__code", flat=True)) == [
        dates.code for dates in calendar.billed[:-1]
    ]
    toilet = Account.objects.get(customer__name="东湖公园管理处")
    rest_point = Account.objects.get(customer__name="城北环卫所")
    # 40 m³ × 6.10 = 244.00 a month; the rest point 50.00 a month.
    assert {bill.amount for bill in Bill.objects.filter(account=toilet)} == {Decimal("244.00")}
    assert list(Bill.objects.filter(account=rest_point).values_list("amount", flat=True)) == [
        Decimal("50.00")
    ] * len(calendar.billed)
    households = Arrangement.objects.get(kind="shared").parts.values_list("account", flat=True)
    assert Bill.objects.filter(account__in=households).count() == 3 * len(calendar.billed)

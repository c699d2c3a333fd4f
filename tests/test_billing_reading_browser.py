"""Browser test: a meter reader enters reads on the route sheet (htmx, one row at a time)
and a billing clerk clears the review queue (headless Chromium against a live server)."""

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser_support import chromium, log_in, new_page
from tests.factories import UserFactory, installed_account
from waterdesk.billing.models import MeterRead, ReadStatus
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.core.roles import Role
from waterdesk.customers.models import Route

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pass-123456"  # UserFactory's password
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCREENSHOT = "/tmp/waterdesk-reading-{name}.png"


def installed(number, *, route, initial):
    account = installed_account(number=number, route=route, initial=initial)
    return account, account.meters.get()


def test_reader_enters_reads_and_clerk_reviews(live_server):
    reader = UserFactory(username="reader", role=Role.METER_READER)
    UserFactory(username="billing", role=Role.BILLING_CLERK)
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    normal, _m1 = installed("1000000001", route=route, initial="100")
    falling, _m2 = installed("1000000002", route=route, initial="100")
    yesterday = timezone.localdate() - timedelta(days=1)
    meter_read_record(actor=reader, account=falling, read_on=yesterday, value="500")

    with chromium() as browser:
        with new_page(browser, base_url=live_server.url) as page:
            log_in(page, username="reader", password=PASSWORD)
            page.goto(reverse("billing:reading_entry"))
            expect(page.get_by_role("heading", name="抄表录入")).to_be_visible()

            page.get_by_label("户号1000000001本次读数").fill("112.5")
            page.locator("#entry-1000000001-" + str(_m1.pk)).get_by_role(
                "button", name="保存"
            ).click()
            expect(page.get_by_text("用水量 12.50 m³")).to_be_visible()

            page.get_by_label("户号1000000002本次读数").fill("400")
            page.locator("#entry-1000000002-" + str(_m2.pk)).get_by_role(
                "button", name="保存"
            ).click()
            expect(page.get_by_text("已转账务员复核，复核前不计费。")).to_be_visible()
            page.screenshot(path=SCREENSHOT.format(name="entry"), full_page=True)

        with new_page(browser, base_url=live_server.url) as page:
            log_in(page, username="billing", password=PASSWORD)
            page.goto(reverse("billing:reading_review"))
            row = page.locator("#review-queue tbody tr").first
            row.get_by_placeholder("核定用水量").fill("0")
            row.get_by_placeholder("说明").fill("上次读数抄错")
            row.get_by_role("button", name="通过").click()
            expect(page.get_by_text("已通过，用水量 0.00 m³。")).to_be_visible()
            page.screenshot(path=SCREENSHOT.format(name="review"), full_page=True)

    entered = MeterRead.objects.get(account=normal)
    reviewed = MeterRead.objects.exclude(read_on=yesterday).get(account=falling)
    assert (entered.consumption, entered.status, entered.read_on) == (
        Decimal("12.50"),
        ReadStatus.VALIDATED,
        timezone.localdate(),
    )
    assert (reviewed.status, reviewed.consumption, reviewed.review_note) == (
        ReadStatus.VALIDATED,
        Decimal("0.00"),
        "上次读数抄错",
    )
    assert isinstance(entered.read_on, date)

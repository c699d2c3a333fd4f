"""Browser tests (headless Chromium against a live server): a meter reader enters reads on
the route sheet (htmx, one row at a time) and a billing clerk clears the review queue; a
reader enters a route on a phone with the keyboard alone."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser_support import PHONE, chromium, log_in, new_page
from tests.factories import PASSWORD, UserFactory, installed_account
from waterdesk.billing.models import MeterRead, ReadStatus
from waterdesk.billing.services.reading import meter_read_record, reading_cycle_create
from waterdesk.core.roles import Role
from waterdesk.customers.models import Route

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCREENSHOT = "/tmp/waterdesk-reading-{name}.png"
# The server's clock, running from a fixed moment (the browser keeps its own): after the
# real date, so that the browser does not take the session cookie for an expired one.
CLOCK = datetime(2030, 6, 28, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _server_clock():
    with time_machine.travel(CLOCK, tick=True):
        yield


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


# --- the route sheet on a phone, by keyboard only ---------------------------------------

# Every visible text (and form control) with a computed font size under 12 px, as
# "TAG size text"; the visually hidden labels are skipped (not shown, read out only).
SMALL_TEXT = """() => {
  const shown = (element) =>
    element.checkVisibility({ visibilityProperty: true, opacityProperty: true }) &&
    element.getBoundingClientRect().width > 1;
  const found = [];
  const note = (element, text) => {
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < 12) found.push(`${element.tagName} ${size} ${text.trim().slice(0, 30)}`);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.textContent.trim() && shown(node.parentElement)) {
      note(node.parentElement, node.textContent);
    }
  }
  for (const control of document.querySelectorAll("input:not([type=hidden]), select, button")) {
    if (shown(control)) note(control, control.value || control.textContent);
  }
  return found;
}"""


def assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TEXT) == []


def test_reader_enters_a_route_by_keyboard_on_a_phone(live_server):
    reader = UserFactory(username="reader", role=Role.METER_READER)
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    today = timezone.localdate()
    reading_cycle_create(
        actor=None,
        code="current",
        period_start=today - timedelta(days=20),
        period_end=today + timedelta(days=10),
        read_from=today - timedelta(days=2),
        read_to=today + timedelta(days=5),
    )
    accounts = [
        installed(f"100000000{number}", route=route, initial="100")[0] for number in range(1, 6)
    ]
    # Account 1 has two periods of 30 days: 12 and 18 m³, so 15.00 m³ a month.
    for days_ago, value in [(90, "110"), (60, "122"), (30, "140")]:
        meter_read_record(
            actor=reader, account=accounts[0], read_on=today - timedelta(days=days_ago), value=value
        )
    value_input = "户号{}本次读数".format

    with (
        chromium() as browser,
        new_page(browser, base_url=live_server.url, viewport=PHONE) as page,
    ):
        log_in(page, username="reader", password=PASSWORD)
        page.goto(reverse("billing:reading_entry"))
        counter = page.locator("#read-counter")
        expect(counter).to_have_text("已抄 0 / 共 5")
        expect(counter).to_have_attribute("role", "status")
        expect(counter).to_have_attribute("aria-live", "polite")
        first = page.get_by_label(value_input("1000000001"))
        expect(first).to_be_focused()
        expect(first).to_have_accessible_description(
            f"上次读数 140.00 {today - timedelta(days=30):%Y-%m-%d} 月均用水量 15.00 m³"
        )
        row = page.locator("#route-sheet tbody tr").first
        expect(row.locator(".entry-last")).to_have_text(
            f"上次读数 140.00 {today - timedelta(days=30):%Y-%m-%d}", use_inner_text=True
        )
        expect(row.locator(".entry-average")).to_have_text(
            "月均用水量 15.00 m³", use_inner_text=True
        )
        box = first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert_fits_a_phone(page)

        page.keyboard.type("155")
        page.keyboard.press("Enter")
        expect(counter).to_have_text("已抄 1 / 共 5")
        expect(page.get_by_label(value_input("1000000002"))).to_be_focused()
        expect(row).to_contain_text("用水量 15.00 m³")

        # A refused value keeps the focus, selected: typing again replaces it.
        page.keyboard.type("-3")
        page.keyboard.press("Enter")
        second_row = page.locator("#route-sheet tbody tr").nth(1)
        expect(second_row.get_by_role("alert")).to_have_text(
            "读数应为不小于0、最多两位小数的数字。"
        )
        second = page.get_by_label(value_input("1000000002"))
        expect(second).to_be_focused()
        expect(second).to_have_attribute("aria-invalid", "true")
        expect(counter).to_have_text("已抄 1 / 共 5")
        assert_fits_a_phone(page)
        # The refused value is selected (by the page's script, after the row is swapped in):
        # what is typed next replaces it.
        page.wait_for_function(
            "() => { const el = document.activeElement;"
            " return el && el.value === '-3' && el.selectionStart === 0"
            " && el.selectionEnd === el.value.length; }"
        )

        page.keyboard.type("108.5")
        page.keyboard.press("Enter")
        expect(counter).to_have_text("已抄 2 / 共 5")
        expect(page.get_by_label(value_input("1000000003"))).to_be_focused()
        assert_fits_a_phone(page)
        page.screenshot(path=SCREENSHOT.format(name="phone"), full_page=True)

    entered = MeterRead.objects.filter(read_on=today).order_by("account__number")
    assert [
        (read.account.number, read.value, read.consumption, read.status, read.entered_by)
        for read in entered
    ] == [
        ("1000000001", Decimal("155.00"), Decimal("15.00"), ReadStatus.VALIDATED, reader),
        ("1000000002", Decimal("108.50"), Decimal("8.50"), ReadStatus.VALIDATED, reader),
    ]

"""Browser test of the public outage page (headless Chromium against a live server, no
login): a resident sees the burst main over their zone — its area, the open water point
and the expected restoration —, picks their district, and the page passes axe on a desk
and on a phone, in Chinese and in English."""

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import PHONE, chromium, new_page
from tests.emergency_public_support import NOON, PERSONAL, public_world

# The live server reads the test database from another thread (see test_browser_intake.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.emergency_public_urls"),
]

SCREENSHOT = "/tmp/waterdesk-outages.png"


def test_a_resident_reads_the_outage_page_without_logging_in(live_server):
    world = public_world()
    incident = f"[data-event='incident-{world.incident.pk}']"

    with time_machine.travel(NOON, tick=True), chromium() as browser:
        with new_page(browser, base_url=live_server.url) as page:
            page.goto("/outages/")
            expect(page.get_by_role("heading", name="停水信息", exact=True)).to_be_visible()
            east = page.locator("section[data-district='城东区']")
            expect(east.get_by_role("heading", name="城东区")).to_be_visible()
            event = east.locator(incident)
            expect(event.locator(".outage-area")).to_have_text("城东片区")
            expect(event.locator(".outage-restoration")).to_have_text("2026-12-02 18:00")
            points = event.get_by_role("table", name="临时供水点")
            expect(points.get_by_role("row")).to_have_count(2)  # the header and one point
            expect(points).to_contain_text("城东区人民广场东侧")
            expect(points).to_contain_text("8:00-22:00")
            expect(points).to_contain_text("送水车")
            for hidden in PERSONAL:
                expect(page.locator("main")).not_to_contain_text(hidden)
            assert_no_axe_violations(page)
            page.screenshot(path=SCREENSHOT, full_page=True)

            page.get_by_role("navigation", name="受影响区县").get_by_role(
                "link", name="城北区"
            ).click()
            expect(page.get_by_role("heading", name="城北区停水信息")).to_be_visible()
            expect(page.locator(incident)).to_have_count(0)
            expect(page.locator(f"[data-event='outage-{world.outage.pk}']")).to_contain_text(
                "解放路DN300管道改造"
            )
            assert_no_axe_violations(page)

        with new_page(browser, base_url=live_server.url, viewport=PHONE) as page:
            page.context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
            )
            page.goto("/outages/城南区/")
            expect(page.locator(incident).locator(".outage-area")).to_have_text("城东片区")
            assert_no_axe_violations(page)


def test_the_empty_page_passes_axe(live_server):
    with (
        time_machine.travel(NOON, tick=True),
        chromium() as browser,
        new_page(browser, base_url=live_server.url, viewport=PHONE) as page,
    ):
        page.goto("/outages/")
        expect(page.locator("#outages-empty")).to_have_text("目前没有停水事件和计划停水。")
        assert_no_axe_violations(page)

"""Browser test of the public water-quality page (headless Chromium against a live server,
no login): a resident reads the compliance rates of the plant and of their supply zone and
the latest results, opens their zone's page, and the page passes axe on a desk and on a
phone, in Chinese and in English."""

import pytest
import time_machine
from django.conf import settings
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import PHONE, chromium, new_page
from tests.quality_disclosure_support import NOW, PERSONAL, disclosure_world

# The live server reads the test database from another thread (see test_browser_intake.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/waterdesk-water-quality.png"


def test_a_resident_reads_the_compliance_rate_without_logging_in(live_server):
    with time_machine.travel(NOW, tick=False):
        disclosure_world()

    with time_machine.travel(NOW, tick=True), chromium() as browser:
        with new_page(browser, base_url=live_server.url) as page:
            page.goto("/water-quality/")
            expect(page.get_by_role("heading", name="供水水质信息公开", exact=True)).to_be_visible()
            overall = page.locator("#quality-overall")
            expect(overall.locator("[data-rate='items']")).to_have_text("85.71%")
            expect(overall.locator("[data-rate='samples']")).to_have_text("66.67%")
            zones = page.get_by_role("table", name="各供水片区合格率")
            zone = zones.locator("tr[data-area='qz-east']")
            expect(zone.locator("[data-rate='items']")).to_have_text("75.00%")
            expect(zone.locator("[data-rate='samples']")).to_have_text("50.00%")
            plants = page.get_by_role("table", name="各水厂出厂水合格率")
            expect(plants.locator("tr[data-area='p-east'] [data-rate='items']")).to_have_text(
                "100.00%"
            )
            network = page.locator("[data-point='east-net-1']")
            expect(network.locator("tr[data-indicator='turbidity']")).to_contain_text("不合格")
            for hidden in PERSONAL:
                expect(page.locator("main")).not_to_contain_text(hidden)
            assert_no_axe_violations(page)
            page.screenshot(path=SCREENSHOT, full_page=True)

            zones.get_by_role("link", name="城东片区").click()
            expect(page.get_by_role("heading", name="城东片区水质信息")).to_be_visible()
            expect(page.locator("#quality-area [data-rate='items']")).to_have_text("75.00%")
            expect(page.locator("[data-point='east-out']")).to_have_count(0)
            assert_no_axe_violations(page)

        with new_page(browser, base_url=live_server.url, viewport=PHONE) as page:
            page.context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
            )
            page.goto("/water-quality/")
            expect(page.locator("#quality-overall [data-rate='items']")).to_have_text("85.71%")
            assert_no_axe_violations(page)


def test_the_empty_page_passes_axe(live_server):
    with (
        time_machine.travel(NOW, tick=True),
        chromium() as browser,
        new_page(browser, base_url=live_server.url, viewport=PHONE) as page,
    ):
        page.goto("/water-quality/")
        expect(page.locator("#quality-overall [data-rate='items']")).to_have_text("—")
        expect(page.locator("#quality-latest-empty")).to_be_visible()
        assert_no_axe_violations(page)

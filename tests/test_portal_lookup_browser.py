"""Browser test: a customer follows the receipt's QR code to the public look-up page, types
the phone number and sees the case's status (headless Chromium against a live server, no
login)."""

import pytest
from playwright.sync_api import expect

from tests.browser_support import chromium, new_page
from tests.factories import SupplyZoneFactory, UserFactory, registered_new_connection
from waterdesk.core.roles import Role

# The live server reads the test database from another thread (see test_browser_intake.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/waterdesk-lookup.png"


def test_a_customer_looks_up_a_case_without_logging_in(live_server, settings):
    settings.WATERDESK_COMPANY_HOTLINE = "0571-96390"
    clerk = UserFactory(username="clerk", role=Role.INTAKE_CLERK)
    zone = SupplyZoneFactory(code="north", name="城北片区")
    case = registered_new_connection(
        clerk, contact_phone="13957112345", premise_address="城北区解放路18号", zone=zone
    )

    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        page.goto(f"/lookup/?number={case.number}")
        expect(page.get_by_role("heading", name="办理进度查询")).to_be_visible()
        expect(page.get_by_label("受理编号")).to_have_value(case.number)
        page.get_by_label("联系电话").fill("139 5711 2345")
        page.get_by_role("button", name="查询").click()

        expect(page.locator("#lookup-status")).to_have_text("待派勘查")
        expect(page.locator("#lookup-milestones")).to_contain_text("全程办结")
        page.screenshot(path=SCREENSHOT, full_page=True)

        page.get_by_label("受理编号").fill(case.number)
        page.get_by_label("联系电话").fill("13900000000")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#lookup-not-found")).to_contain_text(
            "未找到与该受理编号和联系电话相符的业务。请核对后重试。"
        )
        expect(page.locator("#lookup-result")).to_have_count(0)

"""A crew member walks a general work order on a phone (headless Chromium at 390×844,
against a live server): my orders, accept, set off, arrive (with the phone's position),
diagnosis, the estimate the customer confirms on the screen, a material, completion, the
customer's signature drawn on the canvas with the mouse, sign-off; then the printed sheet
carries the drawn signature. No page is wider than the phone, no text is under 12 px and
every control is a touch target of 44 px or more."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import PHONE, chromium, log_in, new_page
from tests.factories import PASSWORD, UserFactory
from tests.fieldwork_support import an_order, crew_with_member, heard
from tests.test_billing_reading_browser import SMALL_TEXT
from waterdesk.core.roles import Role
from waterdesk.fieldwork.models import WorkOrder

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["heard"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The server's clock, running from a fixed moment after the real date (the browser keeps
# its own and must not take the session cookie for an expired one).
CLOCK = datetime(2030, 6, 28, 10, 0, tzinfo=SHANGHAI)
WHERE = {"latitude": 30.2741, "longitude": 120.1552}

# Visible controls (and the labels of checkboxes) lower than 44 px, as "TAG height text".
SMALL_TARGETS = """() => {
  const found = [];
  const targets = document.querySelectorAll(
    "main button, main [role=button], main summary, main select, main textarea, " +
    "main input:not([type=hidden]):not([type=checkbox]), main label:has(input[type=checkbox]), " +
    ".site-header a, .site-header button"
  );
  for (const target of targets) {
    const box = target.getBoundingClientRect();
    if (!target.checkVisibility() || box.width < 1) continue;
    const text = target.textContent.trim().slice(0, 20);
    if (box.height < 44) found.push(`${target.tagName} ${Math.round(box.height)} ${text}`);
  }
  return found;
}"""


def assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(SMALL_TEXT) == []
    assert page.evaluate(SMALL_TARGETS) == []


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def sheet_images(content: bytes) -> list:
    return [image for page in PdfReader(BytesIO(content)).pages for image in page.images]


def set_off_arrive_and_estimate(page) -> None:
    """On an accepted order's page: set off, arrive (with the phone's position), the
    diagnosis and plan, the estimate the customer confirms on the crew's screen."""
    press(page, "出发")
    expect(page.locator("#order-status")).to_have_text("已出发")
    press(page, "到达现场")  # with the phone's position
    expect(page.locator("#order-status")).to_have_text("已到达")
    assert_fits_a_phone(page)

    page.get_by_label("故障诊断", exact=True).fill("闸阀老化渗漏")
    page.get_by_label("维修方案", exact=True).fill("更换闸阀")
    press(page, "保存诊断")
    expect(page.get_by_text("已保存故障诊断和维修方案。")).to_be_visible()
    page.get_by_label("预计用时（分钟）").fill("40")
    page.get_by_label("预计费用（元）").fill("85")
    press(page, "保存并请客户确认")

    # The customer reads the estimate on the crew's screen and presses the button.
    expect(page.locator("#estimate-figures")).to_have_text("预计用时 40 分钟，费用 85.00 元")
    assert_fits_a_phone(page)
    press(page, "客户确认")
    expect(page.get_by_text("客户已确认预计用时和费用。")).to_be_visible()


def test_a_crew_member_walks_a_general_order_on_a_phone(live_server, heard):
    with time_machine.travel(CLOCK, tick=True):
        dispatcher = UserFactory(username="dispatcher", role=Role.DISPATCHER)
        clerk = UserFactory(username="clerk", role=Role.INTAKE_CLERK)
        crew, _member = crew_with_member("east", "crew1")
        order = an_order(dispatcher, crew, clerk)
        walk(live_server, order)
    order.refresh_from_db()
    assert (order.status, order.signer_name, order.site_cleaned) == ("signed_off", "张三", True)
    assert (float(order.arrived_latitude), float(order.arrived_longitude)) == (
        WHERE["latitude"],
        WHERE["longitude"],
    )
    assert (order.estimate_minutes, str(order.estimate_cost)) == (40, "85.00")
    assert order.estimate_accepted_at is not None
    assert list(order.materials.values_list("name", "quantity")) == [("闸阀", 1)]
    # The stored signature is what was drawn: a PNG with ink on it.
    drawn = Image.open(BytesIO(bytes(order.signature)))
    assert drawn.format == "PNG"
    assert drawn.getchannel("A").getbbox() is not None


def walk(live_server, order: WorkOrder) -> None:
    with (
        chromium() as browser,
        new_page(
            browser,
            base_url=live_server.url,
            viewport=PHONE,
            has_touch=True,
            geolocation=WHERE,
            permissions=["geolocation"],
        ) as page,
    ):
        log_in(page, username="crew1", password=PASSWORD)
        # The crew member lands on the crew's orders.
        expect(page.get_by_role("heading", name="我的工单")).to_be_visible()
        card = page.locator(f"[data-order='{order.number}']")
        expect(card).to_contain_text("解放路1号")
        expect(card.get_by_role("link", name="拨打 13900139000")).to_have_attribute(
            "href", "tel:13900139000"
        )
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)
        card.get_by_role("button", name=f"打开工单 {order.number}").click()
        page.wait_for_url(f"**{reverse('fieldwork:order', args=[order.public_id])}")
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)

        press(page, "接单")
        expect(page.locator("#order-status")).to_have_text("已接单")
        set_off_arrive_and_estimate(page)

        page.locator("#step-material summary").click()
        page.get_by_label("物料名称").fill("闸阀")
        page.get_by_label("规格").fill("DN20")
        page.get_by_label("数量").fill("1")
        page.get_by_label("单位").fill("个")
        press(page, "添加物料")
        expect(page.locator("#materials")).to_contain_text("闸阀 DN20 × 1 个")

        page.get_by_label("处理结果").fill("已更换闸阀，试水正常")
        page.get_by_label("已清理现场").check()
        page.get_by_label("已向客户演示使用").check()
        press(page, "完工")
        expect(page.locator("#order-status")).to_have_text("已完工")
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)

        # The customer signs with the mouse on the canvas.
        canvas = page.locator("#signature-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        left, middle = box["x"] + 20, box["y"] + box["height"] / 2
        page.mouse.move(left, middle)
        page.mouse.down()
        for step in range(1, 16):
            page.mouse.move(left + step * 18, middle + (30 if step % 2 else -30), steps=3)
        page.mouse.up()
        expect(page.locator("[data-signature-status]")).to_have_text("已签名。")
        expect(page.get_by_label("签字人")).to_have_value("张三")
        press(page, "确认并结单")
        expect(page.get_by_text("工单已完成。可以打印工单，或返回我的工单。")).to_be_visible()
        expect(page.locator("#order-status")).to_have_text("已签字确认")
        assert_fits_a_phone(page)

        # The sheet: a PDF carrying the drawn signature.
        sheet = page.get_by_role("button", name="打印工单（PDF）")
        pdf = page.request.get(sheet.get_attribute("href"))
        assert pdf.headers["content-type"] == "application/pdf"
        content = pdf.body()
        assert content.startswith(b"%PDF-") and b"/Subtype /Image" in content
        (signature,) = sheet_images(content)
        assert signature.image.width > 100  # the canvas, not a placeholder

        page.get_by_role("button", name="返回我的工单").click()
        expect(page.locator("#no-orders")).to_be_visible()


def test_a_dispatcher_keeps_the_roster(live_server):
    with time_machine.travel(CLOCK, tick=True):
        UserFactory(username="dispatcher", role=Role.DISPATCHER)
        crew, _member = crew_with_member("east", "crew1")
        with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
            log_in(page, username="dispatcher", password=PASSWORD)
            # Dispatchers land on the repairs' board; the crews are one header link away.
            page.wait_for_url("**/desk/repairs/board/")
            assert_no_axe_violations(page)
            page.get_by_role("link", name="班组与值班").click()
            expect(page.get_by_role("heading", name="班组", exact=True)).to_be_visible()
            expect(page.locator("#crew-east")).to_contain_text("未值班")
            assert_no_axe_violations(page)
            page.get_by_role("link", name="值班表").first.click()
            expect(page.locator("#roster-gaps")).to_be_visible()
            page.get_by_label("班组", exact=True).select_option(label="east班")
            page.get_by_label("开始时间").fill("2030-06-28T18:00")
            page.get_by_label("结束时间").fill("2030-06-29T08:00")
            page.get_by_role("button", name="新增值班").click()
            expect(page.get_by_text("已安排east班值班")).to_be_visible()
            # The same crew again at an overlapping time: refused, the input kept.
            page.get_by_label("班组", exact=True).select_option(label="east班")
            page.get_by_label("开始时间").fill("2030-06-29T07:00")
            page.get_by_label("结束时间").fill("2030-06-29T19:00")
            page.get_by_role("button", name="新增值班").click()
            expect(page.get_by_text("时间不能重叠")).to_be_visible()
            expect(page.get_by_label("开始时间")).to_have_value("2030-06-29T07:00")
            assert_no_axe_violations(page)
        assert crew.shifts.count() == 1

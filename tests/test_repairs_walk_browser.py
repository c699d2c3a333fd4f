"""A general repair walked by its roles, each on a phone (headless Chromium at 390×844 with
touch, against a live server, every role in its own browser context, logged in through the
login page):

1. the hotline agent registers a leak (general by default) at a customer's premise, by the
   account number, for a caller who gives a name and a phone; the case waits for dispatch;
2. the dispatcher finds it on the repairs' board and sends a crew from the case page;
3. the crew member walks the order on /field/ — accept, book the visit, set off, arrive,
   diagnosis, the estimate the customer confirms, completion, the customer's signature drawn
   on the canvas with the mouse, sign-off — and prints the repair's sheet;
4. the hotline agent prints the case's repair sheet (维修服务单) and records the follow-up
   call; the case is closed.

Both printed sheets carry exactly the drawn signature. The crew's pages fit the phone (no
horizontal scrolling, no text under 12 px, touch targets of 44 px or more); the desk pages
(intake, board, case page) are desk layouts, but on a phone they scroll no wider than the
screen, keep every form control on it and show no text under 12 px. axe-core finds no
violation on each role's pages."""

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import PHONE, chromium, log_in, new_page
from tests.factories import (
    PASSWORD,
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    UserFactory,
)
from tests.fieldwork_support import crew_with_member, pdf_text
from tests.test_billing_reading_browser import SMALL_TEXT
from tests.test_browser_fieldwork import (
    assert_fits_a_phone,
    press,
    set_off_arrive_and_estimate,
    sheet_images,
)
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.fieldwork.models import Crew, DutyShift, WorkOrder
from waterdesk.notify.models import Notification

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in working hours (a general repair's clocks count business hours). The
# server's clock runs on from it (tick): the browser keeps its own and must not take the
# session cookie for an expired one.
CLOCK = datetime(2030, 6, 25, 10, 0, tzinfo=SHANGHAI)
WHERE = {"latitude": 30.2741, "longitude": 120.1552}
CALLER, CALLER_PHONE = "张三", "13900139000"
CALLER_EMAIL = "zhangsan@example.cn"
ADDRESS = "城北区解放路18号"

# Form controls of the page's main part that stick out of the viewport, sideways.
OFF_SCREEN = """() => {
  const found = [];
  const controls = document.querySelectorAll(
    "main button, main [role=button], main summary, main select, main textarea, " +
    "main input:not([type=hidden])"
  );
  for (const control of controls) {
    const box = control.getBoundingClientRect();
    if (!control.checkVisibility() || box.width < 1) continue;
    if (box.left < 0 || box.right > window.innerWidth) {
      found.push(`${control.tagName} ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
  }
  return found;
}"""


def assert_usable_on_a_phone(page) -> None:
    """A desk page on a phone: nothing wider than the screen, every form control on it
    (tables may scroll in their own frame), no text under 12 px."""
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(OFF_SCREEN) == []
    assert page.evaluate(SMALL_TEXT) == []


def on_a_phone(browser, live_server, **options):
    return new_page(browser, base_url=live_server.url, viewport=PHONE, has_touch=True, **options)


def test_a_general_repair_walked_by_its_roles_on_phones(live_server):
    with time_machine.travel(CLOCK, tick=True):
        hotline = UserFactory(username="hotline1", first_name="陈静", role=Role.HOTLINE_AGENT)
        UserFactory(username="dispatcher1", first_name="王强", role=Role.DISPATCHER)
        crew, _member = crew_with_member("east", "crew1")
        crew_with_member("west", "crew2", mobile="13800138001")
        # East is on call today: the dispatch form offers it first.
        DutyShift.objects.create(
            crew=crew, starts_at=CLOCK - timedelta(hours=2), ends_at=CLOCK + timedelta(hours=10)
        )
        # The caller is the customer of the account at the premise (their e-mail on file).
        customer = CustomerFactory(name=CALLER, mobile="13700137000", email=CALLER_EMAIL)
        account = AccountFactory(customer=customer, premise=PremiseFactory(address=ADDRESS))
        with chromium() as browser:
            case = register(browser, live_server, account)
            dispatch(browser, live_server, case, crew)
            order = WorkOrder.objects.get(case=case)
            drawn = work(browser, live_server, order)
            follow_up(browser, live_server, case, drawn)

    case.refresh_from_db()
    repair = case.repair
    assert (case.status, case.closed_at is not None) == ("closed", True)
    assert (repair.completed_by_crew, repair.arrived_at is not None) == (crew, True)
    (call,) = repair.follow_ups.all()
    assert (call.outcome, call.satisfaction, call.comments, call.referred, call.called_by) == (
        "reached",
        5,
        "师傅很专业，已不漏水",
        False,
        hotline,
    )
    assert list(case.events.values_list("action", flat=True).order_by("at", "pk")) == [
        "open",
        "dispatch",
        "booked",
        "set_off",
        "arrive",
        "complete",
        "follow_up",
    ]
    order.refresh_from_db()
    assert (order.status, order.signer_name, order.site_cleaned, order.use_demonstrated) == (
        "signed_off",
        CALLER,
        True,
        True,
    )
    assert (order.estimate_minutes, str(order.estimate_cost)) == (40, "85.00")
    assert (float(order.arrived_latitude), float(order.arrived_longitude)) == (
        WHERE["latitude"],
        WHERE["longitude"],
    )
    # The caller hears of every step: a text at the phone they gave and, being the account's
    # customer, an e-mail; the crew heard of its order.
    assert list(
        Notification.objects.filter(case=case)
        .order_by("pk")
        .values_list("template_key", "channel", "recipient_address")
    ) == [
        ("repair.registered", "sms", CALLER_PHONE),
        ("repair.registered", "email", CALLER_EMAIL),
        ("fieldwork.assigned", "email", "crew1@waterdesk.test"),
        ("fieldwork.assigned", "sms", "13800138000"),
        ("repair.booked", "sms", CALLER_PHONE),
        ("repair.booked", "email", CALLER_EMAIL),
        ("repair.completed", "sms", CALLER_PHONE),
        ("repair.completed", "email", CALLER_EMAIL),
        # Closed after the follow-up call: the satisfaction survey's link (surveys app).
        ("survey.invite", "sms", CALLER_PHONE),
    ]
    completed = Notification.objects.get(case=case, template_key="repair.completed", channel="sms")
    assert (completed.customer, completed.status) == (customer, "sent")
    assert f"受理编号{case.number}" in completed.body and "已于2030-06-25 10:" in completed.body
    # Both clocks of a general repair were met: the visit booked, the follow-up call made.
    assert list(case.clocks.order_by("milestone").values_list("milestone", "state")) == [
        ("contact", "met"),
        ("follow_up", "met"),
    ]


def register(browser, live_server, account) -> Case:
    """The hotline agent registers the leak on the intake page and lands on the case."""
    with on_a_phone(browser, live_server) as page:
        log_in(page, username="hotline1", password=PASSWORD)
        assert_usable_on_a_phone(page)
        page.get_by_role("link", name="受理登记").click()
        page.wait_for_url(f"**{reverse('workbench:intake_repair')}")
        expect(page.get_by_role("heading", name="报修受理登记")).to_be_visible()
        assert_usable_on_a_phone(page)
        assert_no_axe_violations(page)

        page.get_by_label("报修人").fill(CALLER)
        page.get_by_label("联系电话").fill(CALLER_PHONE)
        page.get_by_label("户号").fill(account.number)  # the fault is at the account's premise
        page.get_by_label("故障类型").select_option(label="漏水（默认一般）")
        page.get_by_label("故障描述").fill("水表前阀门漏水")
        press(page, "受理登记")

        page.wait_for_url(lambda url: "/desk/cases/" in url)
        case = Case.objects.get(kind="repair")
        assert page.url.endswith(reverse("workbench:case", args=[case.public_id]))
        expect(page.get_by_text(f"已受理，受理编号 {case.number}，等待调度派单。")).to_be_visible()
        expect(page.locator("#case-status")).to_have_text("待派单")
        expect(page.locator("#repair-address")).to_have_text(ADDRESS)
        expect(page.locator("#repair-account")).to_have_text(account.number)
        expect(page.locator("#repair-no-orders")).to_be_visible()
        assert_usable_on_a_phone(page)
        assert_no_axe_violations(page)

    repair = case.repair
    assert (case.status, case.contact_name, case.contact_phone) == (
        "awaiting_dispatch",
        CALLER,
        CALLER_PHONE,
    )
    assert (repair.fault_type.code, repair.urgency, repair.address) == ("leak", "general", ADDRESS)
    assert (case.premise, repair.account, case.customer) == (
        account.premise,
        account,
        account.customer,
    )
    assert list(repair.contacts.values_list("name", "phone")) == [(CALLER, CALLER_PHONE)]
    return case


def dispatch(browser, live_server, case: Case, crew: Crew) -> None:
    """The dispatcher lands on the board, opens the repair and sends the crew on call."""
    with on_a_phone(browser, live_server) as page:
        log_in(page, username="dispatcher1", password=PASSWORD)
        page.wait_for_url("**/desk/repairs/board/")
        row = page.locator(f"tr[data-case='{case.number}']")
        expect(row).to_contain_text("漏水")
        expect(row).to_contain_text("待派单")
        assert_usable_on_a_phone(page)
        assert_no_axe_violations(page)

        row.get_by_role("link", name=case.number).click()
        page.wait_for_url(f"**{reverse('workbench:case', args=[case.public_id])}")
        page.locator("#action-dispatch summary").click()
        crews = page.get_by_label("维修班组")
        expect(crews).to_have_value(str(crew.pk))  # the crew on call comes first
        expect(crews.locator("option")).to_have_text(["east班（值班中）", "west班"])
        assert_usable_on_a_phone(page)
        assert_no_axe_violations(page)
        # No visit booked yet: the crew calls the customer and books it.
        crews.select_option(label="east班（值班中）")
        press(page, "确认派单")

        expect(page.locator("#case-status")).to_have_text("已派单")
        expect(page.locator("#repair-orders tbody tr")).to_have_count(1)
        expect(page.locator("#repair-orders tbody tr")).to_contain_text("east班")
        assert_usable_on_a_phone(page)

    case.refresh_from_db()
    order = WorkOrder.objects.get(case=case)
    assert case.status == "dispatched"
    assert (order.crew, order.status, order.purpose, order.urgent) == (
        crew,
        "assigned",
        "repair",
        False,
    )
    assert (order.address, order.contact_name, order.contact_phone) == (
        ADDRESS,
        CALLER,
        CALLER_PHONE,
    )


def draw_a_signature(page) -> None:
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, middle = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(left, middle)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(left + step * 18, middle + (30 if step % 2 else -30), steps=3)
    page.mouse.up()


def work(browser, live_server, order: WorkOrder) -> bytes:
    """The crew member walks the order to the customer's signature and prints the sheet;
    returns the signature stored (the PNG drawn)."""
    with on_a_phone(browser, live_server, geolocation=WHERE, permissions=["geolocation"]) as page:
        log_in(page, username="crew1", password=PASSWORD)
        expect(page.get_by_role("heading", name="我的工单")).to_be_visible()
        card = page.locator(f"[data-order='{order.number}']")
        expect(card).to_contain_text(ADDRESS)
        expect(card).to_contain_text("漏水：水表前阀门漏水")
        expect(card.get_by_role("link", name=f"拨打 {CALLER_PHONE}")).to_have_attribute(
            "href", f"tel:{CALLER_PHONE}"
        )
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)

        card.get_by_role("button", name=f"打开工单 {order.number}").click()
        page.wait_for_url(f"**{reverse('fieldwork:order', args=[order.public_id])}")
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)
        press(page, "接单")
        expect(page.locator("#order-status")).to_have_text("已接单")

        # A general repair: the crew calls the customer and books the visit.
        booking = page.locator("#step-contact")
        booking.locator("summary").click()
        booking.get_by_label("预约上门开始").fill("2030-06-25T10:30")
        booking.get_by_label("预约上门结束").fill("2030-06-25T12:00")
        press(page, "保存预约")
        expect(page.get_by_text("已记录预约上门时间。")).to_be_visible()
        expect(page.locator("#order-window")).to_have_text("2030-06-25 10:30 ～ 12:00")
        assert_fits_a_phone(page)

        set_off_arrive_and_estimate(page)

        page.get_by_label("处理结果").fill("已更换闸阀，试水正常")
        page.get_by_label("已清理现场").check()
        page.get_by_label("已向客户演示使用").check()
        press(page, "完工")
        expect(page.locator("#order-status")).to_have_text("已完工")
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)

        # The customer signs with the mouse on the canvas.
        draw_a_signature(page)
        expect(page.locator("[data-signature-status]")).to_have_text("已签名。")
        expect(page.get_by_label("签字人")).to_have_value(CALLER)
        press(page, "确认并结单")
        expect(page.get_by_text("工单已完成。可以打印工单，或返回我的工单。")).to_be_visible()
        expect(page.locator("#order-status")).to_have_text("已签字确认")
        assert_fits_a_phone(page)

        # The crew's print of the repair: the sheet carries the drawn signature.
        sheet = page.get_by_role("button", name="打印工单（PDF）")
        pdf = page.request.get(sheet.get_attribute("href"))
        assert (pdf.status, pdf.headers["content-type"]) == (200, "application/pdf")
        drawn = bytes(WorkOrder.objects.get(pk=order.pk).signature)
        assert_is_the_signed_repair_sheet(pdf.body(), order, drawn)

        page.get_by_role("button", name="返回我的工单").click()
        expect(page.locator("#no-orders")).to_be_visible()
        assert_fits_a_phone(page)
    return drawn


def assert_is_the_signed_repair_sheet(content: bytes, order: WorkOrder, drawn: bytes) -> None:
    """A real PDF: the repair's sheet of ``order``, whose one image is the signature drawn
    on the canvas."""
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for expected in (
        "维修服务单",
        order.number,
        order.case.number,
        ADDRESS,
        "闸阀老化渗漏",
        "已更换闸阀，试水正常",
    ):
        assert expected in text
    (signature,) = sheet_images(content)
    assert signature.image.width > 100  # the canvas, not a placeholder
    stored = Image.open(BytesIO(drawn))
    assert stored.format == "PNG" and stored.getchannel("A").getbbox() is not None  # ink
    assert signature.image.size == stored.size


def follow_up(browser, live_server, case: Case, drawn: bytes) -> None:
    """The hotline agent prints the case's repair sheet and records the follow-up call."""
    with on_a_phone(browser, live_server) as page:
        log_in(page, username="hotline1", password=PASSWORD)
        page.goto(reverse("workbench:case", args=[case.public_id]))
        expect(page.locator("#case-status")).to_have_text("已完工待回访")
        expect(page.locator("#repair-orders tbody tr")).to_have_attribute(
            "data-order-status", "signed_off"
        )

        # The case's document: the repair sheet the customer signed.
        sheet = page.get_by_role("button", name="维修服务单")
        href = sheet.get_attribute("href")
        assert href == reverse("workbench:document", args=[case.public_id, "repair-sheet"])
        pdf = page.request.get(href)
        assert (pdf.status, pdf.headers["content-type"]) == (200, "application/pdf")
        assert_is_the_signed_repair_sheet(pdf.body(), WorkOrder.objects.get(case=case), drawn)

        page.locator("#action-follow_up summary").click()
        expect(page.get_by_label("回访结果")).to_have_value("reached")
        page.get_by_label("满意度").select_option(label="5 分：非常满意")
        page.get_by_label("客户意见").fill("师傅很专业，已不漏水")
        assert_usable_on_a_phone(page)
        assert_no_axe_violations(page)
        press(page, "确认回访")

        expect(page.locator("#case-status")).to_have_text("已回访结案")
        expect(page.locator("#actions")).to_contain_text("工单已办结。")
        follow_ups = page.locator("#repair-follow-ups tbody tr")
        expect(follow_ups).to_have_count(1)
        expect(follow_ups).to_contain_text("已回访")
        expect(follow_ups).to_contain_text("师傅很专业，已不漏水")
        assert_usable_on_a_phone(page)

"""Browser tests: the staff pages for people who work them all day with a keyboard or a
screen reader (headless Chromium against a live server).

axe-core (``tests/axe_support.py``) finds no violation, and no critical "needs review", on
the main pages of each role, in Chinese and in English and after a refused form; then the
skip link, the focus ring's contrast, field hints and errors, focus after a refused form,
announced search results, Chinese data marked as such in the English pages, one submission
per form and a search button that keeps its line are checked one by one.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import axe_run, blocking_results, describe
from tests.browser_support import chromium, new_page
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    PremiseFactory,
    UserFactory,
    installed_account,
    meter_read,
    registered_new_connection,
)
from tests.test_browser_intake import INVALID_ID, _fill_application
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Route

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOGIN_BUTTON = "form[action='/login/'] button[type=submit]"
WCAG_NON_TEXT_CONTRAST = 3.0  # WCAG 2.2, 1.4.11: focus indicators against what is next to them


@dataclass(frozen=True)
class World:
    case: Case
    account: Account


@pytest.fixture
def world() -> World:
    """The demo's people by role (user names and names as in ``manage.py demo_seed``), a
    customer with an open application, and an account on the reader's route with a read."""
    clerk = UserFactory(username="clerk1", first_name="王丽", role=Role.INTAKE_CLERK)
    UserFactory(username="supervisor1", first_name="周敏", role=Role.SUPERVISOR)
    billing = UserFactory(username="billing1", first_name="何雪梅", role=Role.BILLING_CLERK)
    reader = UserFactory(username="reader1", first_name="钱卫东", role=Role.METER_READER)
    customer = CustomerFactory(name="李建华")
    case = registered_new_connection(
        clerk, customer=customer, premise=PremiseFactory(address="城北区解放路18号3栋502室")
    )
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    account = installed_account(
        number="1000000001",
        route=route,
        initial="100",
        customer=customer,
        premise=PremiseFactory(address="城北区解放路20号"),
    )
    meter_read(billing, account, date(2026, 1, 31), "112.5")
    return World(case=case, account=account)


@contextmanager
def opened(browser, live_server, *, username: str | None, language: str = "zh-hans", **options):
    """A page logged in as ``username`` (None: anonymous) in ``language``; ``options`` go to
    the browser context (viewport …)."""
    with new_page(browser, base_url=live_server.url, **options) as page:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        if username:
            page.goto(reverse("login"))
            page.locator("#id_username").fill(username)
            page.locator("#id_password").fill(PASSWORD)
            page.locator(LOGIN_BUTTON).click()
            page.wait_for_url(lambda url: "/login/" not in url)
        yield page


# --- axe-core on the main pages ----------------------------------------------------------


def _refused_login(page) -> None:
    page.goto(reverse("login"))
    page.locator("#id_username").fill("clerk1")
    page.locator("#id_password").fill("wrong-password-1")
    page.locator(LOGIN_BUTTON).click()
    expect(page.get_by_role("alert")).to_be_visible()


def _refused_intake(page) -> None:
    page.goto(reverse("workbench:intake"))
    _fill_application(page, id_number=INVALID_ID)
    page.locator("#intake-form button[type=submit]").click()
    expect(page.locator("#id_new-id_number_error")).to_be_visible()


def test_axe_finds_no_violation_on_the_main_pages(live_server, world):
    case_url = reverse("workbench:case", args=[world.case.public_id])
    pages = [
        # (user, language, what to open: a URL or a function that brings the page there)
        (None, "zh-hans", reverse("login")),
        (None, "zh-hans", _refused_login),
        ("clerk1", "zh-hans", reverse("workbench:queue")),
        ("clerk1", "zh-hans", reverse("workbench:intake")),
        ("clerk1", "zh-hans", _refused_intake),
        ("clerk1", "zh-hans", case_url),
        ("clerk1", "en", case_url),
        ("clerk1", "zh-hans", reverse("workbench:customers") + "?q=李建华"),
        ("clerk1", "zh-hans", reverse("workbench:customer", args=[world.case.customer.public_id])),
        ("clerk1", "en", reverse("workbench:customer", args=[world.case.customer.public_id])),
        ("supervisor1", "zh-hans", reverse("workbench:supervisor")),
        ("supervisor1", "en", reverse("workbench:supervisor")),
        ("supervisor1", "zh-hans", reverse("workbench:workload")),
        ("supervisor1", "en", reverse("workbench:workload")),
        ("billing1", "zh-hans", reverse("billing:reading_review")),
        ("billing1", "zh-hans", reverse("billing:runs")),
        ("billing1", "zh-hans", reverse("billing:account", args=[world.account.public_id])),
        ("reader1", "zh-hans", reverse("billing:reading_entry")),
    ]
    failures = []
    with chromium() as browser:
        for username, language, target in pages:
            with opened(browser, live_server, username=username, language=language) as page:
                if callable(target):
                    target(page)
                else:
                    page.goto(target)
                blocking = blocking_results(axe_run(page))
                if blocking:
                    failures.append(f"{username} ({language}) {page.url}:\n{describe(blocking)}")
    assert not failures, "\n\n".join(failures)


# --- keyboard ----------------------------------------------------------------------------


def test_the_skip_link_is_the_first_stop_and_leads_past_the_header(live_server, world):
    with chromium() as browser, opened(browser, live_server, username="clerk1") as page:
        page.goto(reverse("workbench:queue"))
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("跳到正文")
        expect(skip).to_have_attribute("href", "#main")
        box = skip.bounding_box()
        assert box is not None and box["y"] >= 0 and box["height"] > 0  # seen when focused

        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        # The next stop is the page's first control, not the header's first link.
        first = page.evaluate(
            "document.activeElement.closest('main') !== null && "
            "document.activeElement.textContent.trim()"
        )
        assert first == "新装开户"


# Relative luminance and contrast ratio (WCAG 2.2 definitions), in the page from the
# computed colours: the outline of the focused element against the background it sits on.
FOCUS_RING = """() => {
    const parse = (color) => color.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
        const channel = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (element) => {
        for (let node = element.parentElement; node; node = node.parentElement) {
            const color = parse(getComputedStyle(node).backgroundColor);
            if (color.length < 4 || color[3] === 1) return color.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const ring = parse(style.outlineColor);
    const [light, dark] = [luminance(ring), luminance(background(element))].sort((a, b) => b - a);
    return {
        text: element.textContent.trim() || element.getAttribute("name") || element.tagName,
        current: element.getAttribute("aria-current"),
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        alpha: ring.length === 4 ? ring[3] : 1,
        contrast: (light + 0.05) / (dark + 0.05),
    };
}"""


def test_the_focus_ring_is_solid_and_contrasts_three_to_one(live_server, world):
    with chromium() as browser, opened(browser, live_server, username="clerk1") as page:
        page.goto(reverse("workbench:queue"))
        rings = []
        for _ in range(11):  # the header, then the page's first links
            page.keyboard.press("Tab")
            rings.append(page.evaluate(FOCUS_RING))

    stops = [ring["text"] for ring in rings]
    assert stops == [
        "跳到正文",  # the skip link
        "水务客服系统",
        "我的待办",  # the current page's link
        "受理登记",
        "客户查询",
        "q",  # the header's search box
        "查找",
        "English",  # the language switcher (a button)
        "退出",  # a button on white
        "新装开户",  # a link that looks like a button, on the page grey
        "水表过户",
    ]
    assert {ring["text"] for ring in rings if ring["current"] == "page"} == {"我的待办"}
    faint = [
        ring
        for ring in rings
        if ring["style"] != "solid"
        or ring["width"] < 2
        or ring["alpha"] != 1
        or ring["contrast"] < WCAG_NON_TEXT_CONTRAST
    ]
    assert faint == []
    assert min(ring["contrast"] for ring in rings) > 6  # #1f5fa8 on white and on the page grey


# --- forms -------------------------------------------------------------------------------

DESCRIBED_BY = """() => [...document.querySelectorAll("[aria-describedby]")].map((element) => ({
    id: element.id,
    invalid: element.getAttribute("aria-invalid"),
    targets: element.getAttribute("aria-describedby").split(/\\s+/).map((id) => [
        id, document.getElementById(id) ? document.getElementById(id).textContent.trim() : null,
    ]),
}))"""


def test_field_hints_and_errors_are_read_with_their_fields(live_server, world):
    with chromium() as browser, opened(browser, live_server, username="clerk1") as page:
        page.goto(reverse("workbench:intake"))
        fresh = page.evaluate(DESCRIBED_BY)
        _refused_intake(page)
        refused = page.evaluate(DESCRIBED_BY)

    assert [target for field in fresh for target in field["targets"] if target[1] is None] == []
    assert [target for field in refused for target in field["targets"] if target[1] is None] == []
    hint = "个人填写18位居民身份证号码，单位填写18位统一社会信用代码。"
    assert {
        "id": "id_new-id_number",
        "invalid": None,
        "targets": [["id_new-id_number_helptext", hint]],
    } in fresh
    assert {
        "id": "id_new-id_number",
        "invalid": "true",
        "targets": [
            ["id_new-id_number_helptext", hint],
            ["id_new-id_number_error", "身份证号码不正确：校验位错误"],
        ],
    } in refused


def test_after_a_refused_form_the_focus_is_on_the_first_invalid_field(live_server, world):
    with chromium() as browser, opened(browser, live_server, username="clerk1") as page:
        _refused_intake(page)
        focused = page.locator(":focus")
        expect(focused).to_have_attribute("name", "new-id_number")
        expect(focused).to_have_attribute("aria-invalid", "true")
        expect(focused).to_be_in_viewport()
        expect(focused).to_have_value(INVALID_ID)

        # Without a field to blame (a wrong password), the error message itself.
        page.context.clear_cookies()
        _refused_login(page)
        expect(page.locator(":focus")).to_have_attribute("role", "alert")
        expect(page.locator(":focus")).to_contain_text("请输入一个正确的用户名和密码")


def test_a_form_is_sent_once_however_often_it_is_submitted(live_server, world):
    posts, console = [], []

    def slow_server(route):
        if route.request.method == "POST":
            posts.append(route.request.url)
            time.sleep(0.5)  # a slow answer: the person clicks again meanwhile
        route.continue_()

    with chromium() as browser, opened(browser, live_server, username=None) as page:
        page.goto(reverse("login"))
        page.route("**/login/", slow_server)
        page.on("console", lambda message: console.append(message.text))
        page.locator("#id_username").fill("clerk1")
        page.locator("#id_password").fill(PASSWORD)
        # One script does the clicking: Playwright's own actions would wait for the
        # navigation the first click starts.
        page.evaluate(
            """(selector) => {
                const button = document.querySelector(selector);
                button.click();
                setTimeout(() => console.log(`disabled: ${button.disabled}`), 30);
                setTimeout(() => button.click(), 60);
                setTimeout(() => button.form.requestSubmit(), 90);
            }""",
            LOGIN_BUTTON,
        )
        page.wait_for_url(lambda url: "/login/" not in url)
        expect(page.locator(".user-name")).to_have_text("王丽")

    assert posts == [live_server.url + reverse("login")]
    assert "disabled: true" in console


# --- screen readers ----------------------------------------------------------------------


def test_live_search_results_are_announced(live_server, world):
    with chromium() as browser, opened(browser, live_server, username="clerk1") as page:
        page.goto(reverse("workbench:customers"))
        status = page.locator("#live-status")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text("")
        page.get_by_role("searchbox", name="查找客户").fill("李建华")
        expect(status).to_have_text("找到 1 位客户。")
        expect(page.locator(".customer-results tbody tr")).to_have_count(1)
        page.get_by_role("searchbox", name="查找客户").fill("无此人")
        expect(status).to_have_text("未找到与“无此人”匹配的客户。")


def test_chinese_names_and_addresses_are_marked_in_the_english_pages(live_server, world):
    with chromium() as browser:
        with opened(browser, live_server, username="clerk1", language="en") as page:
            page.goto(reverse("workbench:case", args=[world.case.public_id]))
            expect(page.locator("html")).to_have_attribute("lang", "en")
            details = page.locator("dl.details").first  # the basic information
            marked = details.locator('[lang="zh-Hans"]')
            expect(marked).to_have_text(
                ["李建华", "李建华", "城北区解放路18号3栋502室", "城北区", "营业部", "王丽"]
            )
            expect(page.locator(".user-name [lang='zh-Hans']")).to_have_text("王丽")

            page.goto(reverse("workbench:customers") + "?q=李建华")
            row = page.locator(".customer-results tbody tr")
            expect(row.locator('[lang="zh-Hans"]')).to_have_text(["李建华", "城北区解放路20号"])

            page.goto(reverse("workbench:queue"))
            row = page.locator(f'tr[data-case="{world.case.number}"]')
            expect(row.locator('[lang="zh-Hans"]')).to_have_text(
                ["李建华", "城北区解放路18号3栋502室"]
            )

        # In the Chinese pages the whole page is Chinese: nothing to mark.
        with opened(browser, live_server, username="clerk1") as page:
            page.goto(reverse("workbench:case", args=[world.case.public_id]))
            expect(page.locator("main [lang='zh-Hans']")).to_have_count(0)


# --- layout ------------------------------------------------------------------------------

ONE_LINE = """(selector) => {
    const button = document.querySelector(selector);
    const style = getComputedStyle(button);
    const lines = Math.round(
        (button.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom))
        / parseFloat(style.lineHeight)
    );
    return {lines, overflows: button.scrollWidth > button.clientWidth};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_search_buttons_keep_their_line_at_1366_pixels(live_server, world, language):
    viewport = {"width": 1366, "height": 768}
    with (
        chromium() as browser,
        opened(
            browser, live_server, username="billing1", language=language, viewport=viewport
        ) as page,
    ):
        page.goto(reverse("workbench:customers"))
        customers = page.evaluate(ONE_LINE, "form[role=search] button")
        page.goto(reverse("billing:account", args=[world.account.public_id]))
        billing = page.evaluate(ONE_LINE, ".subnav form[role=search] button")

    assert customers == {"lines": 1, "overflows": False}
    assert billing == {"lines": 1, "overflows": False}

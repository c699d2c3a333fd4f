"""Browser test of the complaint analysis (headless Chromium against a live server): the
charts are drawn by the vendored ECharts from the page's JSON under the Content-Security-
Policy (no violation, no script error), axe-core finds no violation in Chinese and in
English, and without JavaScript the tables carry the figures, the filters work and the
chart boxes stay hidden (axe itself needs the script: it checks the same tables above)."""

from contextlib import contextmanager

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, new_page
from tests.complaints_analysis_support import NOW, analysis_world
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

URL = reverse("workbench:complaint_analysis")
CHARTS = ("category", "department", "staff", "root_cause", "month", "substantiated")


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        return analysis_world()


@contextmanager
def supervisor_page(browser, live_server, *, language="zh-hans", **options):
    with new_page(browser, base_url=live_server.url, **options) as page:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        problems: list[str] = []
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(reverse("login"))
        page.locator("#id_username").fill("an-supervisor")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form[action='/login/'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        yield page, problems


def test_the_charts_are_drawn_under_the_policy_and_pass_axe(live_server, world):
    with chromium() as browser:
        for language in ("zh-hans", "en"):
            with supervisor_page(browser, live_server, language=language) as (page, problems):
                page.goto(URL)
                for name in CHARTS:
                    box = page.locator(f"[data-chart='{name}']")
                    expect(box).to_have_attribute("data-drawn", "true")
                    expect(box).to_be_visible()
                    assert box.locator("canvas").count() >= 1
                expect(page.locator("#repeat-complainants tbody tr")).to_have_count(2)
                assert problems == []
                assert_no_axe_violations(page)
                # The header leads here.
                expect(page.locator(f".site-header a[href='{URL}']")).to_have_attribute(
                    "aria-current", "page"
                )


def test_without_javascript_the_tables_carry_the_figures(live_server, world):
    with (
        chromium() as browser,
        supervisor_page(browser, live_server, java_script_enabled=False) as (page, _),
    ):
        page.goto(URL)
        for name in CHARTS:
            expect(page.locator(f"[data-chart='{name}']")).to_be_hidden()
        expect(page.locator("#breakdown-category tbody tr")).to_have_count(4)
        expect(page.locator("#open-complaints tbody tr")).to_have_count(5)
        page.locator("#id_department").select_option(label="管网所")
        page.get_by_role("button", name="查看").click()
        expect(page.locator("#open-complaints tbody tr")).to_have_count(3)

"""Browser tests of the complaint channels' pages (headless Chromium against a live server):
axe-core finds no violation on the public complaint form (before and after a refused
submission, in Chinese and English), its confirmation, and the praise pages; a person who
takes their time files a complaint and reads its number."""

import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import axe_run, blocking_results, describe
from tests.browser_support import chromium, new_page
from tests.factories import PASSWORD, UserFactory
from waterdesk.complaints.models import Complaint
from waterdesk.complaints.services.praise import praise_register
from waterdesk.core.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOGIN_BUTTON = "form[action='/login/'] button[type=submit]"


@contextmanager
def opened(browser, live_server, *, username=None, language="zh-hans"):
    with new_page(browser, base_url=live_server.url) as page:
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


def _fill(page) -> None:
    page.locator("#id_name").fill("李雷")
    page.locator("#id_phone").fill("13800138001")
    page.locator("#id_category").select_option(label="水费账单")
    page.locator("#id_matter").fill("上月水费明显偏高。")


def test_a_person_files_a_complaint_and_the_pages_pass_axe(live_server):
    clerk = UserFactory(username="clerk1", first_name="王丽", role=Role.INTAKE_CLERK)
    praise = praise_register(
        actor=clerk,
        channel="phone",
        contact_name="陈女士",
        contact_phone="13800138002",
        matter="抢修及时。",
        team_name="抢修一班",
    )
    failures = []

    def check(page, label):
        blocking = blocking_results(axe_run(page))
        if blocking:
            failures.append(f"{label} {page.url}:\n{describe(blocking)}")

    with chromium() as browser:
        for language in ("zh-hans", "en"):
            with opened(browser, live_server, language=language) as page:
                page.goto(reverse("portal:complaint_new"))
                check(page, f"form ({language})")

        with opened(browser, live_server) as page:
            page.goto(reverse("portal:complaint_new"))
            _fill(page)
            page.locator("#complaint-form button[type=submit]").click()  # too fast
            expect(page.get_by_role("alert").first).to_be_visible()
            assert Complaint.objects.count() == 0
            check(page, "refused")
            time.sleep(3.2)  # a person reads the message and submits again
            page.locator("#complaint-form button[type=submit]").click()
            expect(page.locator("#complaint-number")).to_be_visible()
            number = page.locator("#complaint-number").inner_text()
            assert number == Complaint.objects.get().case.number
            check(page, "registered")

        with opened(browser, live_server, username="clerk1") as page:
            page.goto(reverse("workbench:intake_praise"))
            check(page, "praise intake")
            page.goto(reverse("workbench:case", args=[praise.public_id]))
            check(page, "praise case")
    assert not failures, "\n\n".join(failures)

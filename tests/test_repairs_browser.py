"""Browser test of the hotline's intake page (headless Chromium against a live server): a
hotline agent registers a report; a second caller's report of the same fault brings up the
open repair, and "并入此报修" joins it; axe-core finds no violation on the intake page, the
page with the proposed duplicates and the repair's case page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import axe_run, blocking_results, describe
from tests.browser_support import chromium
from tests.factories import UserFactory
from tests.test_accessibility import opened
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.repairs.models import FaultType

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _report(page, *, name: str, phone: str) -> None:
    page.goto(reverse("workbench:intake_repair"))
    page.locator("#id_contact_name").fill(name)
    page.locator("#id_contact_phone").fill(phone)
    page.locator("#id_address").fill("城北区解放路18号")
    page.locator("#id_fault_type").select_option(str(FaultType.objects.get(code="leak").pk))
    page.locator("#id_description").fill("水表前阀门漏水")
    page.locator("#repair-form .actions button[type=submit]").first.click()


def test_a_second_caller_joins_the_open_repair(live_server):
    UserFactory(username="hotline1", first_name="陈静", role=Role.HOTLINE_AGENT)
    failures = []

    def check(page, label):
        blocking = blocking_results(axe_run(page))
        if blocking:
            failures.append(f"{label} {page.url}:\n{describe(blocking)}")

    with chromium() as browser, opened(browser, live_server, username="hotline1") as page:
        page.goto(reverse("workbench:intake_repair"))
        check(page, "intake")
        _report(page, name="张三", phone="13900000001")
        page.wait_for_url(lambda url: "/desk/cases/" in url)
        first = Case.objects.get(kind="repair")
        check(page, "case")

        _report(page, name="李四", phone="13900000002")
        candidate = page.locator(f'tr[data-candidate="{first.number}"]')
        expect(candidate).to_be_visible()
        expect(page.locator("#id_contact_name")).to_have_value("李四")
        check(page, "duplicates")
        candidate.get_by_role("button", name="并入此报修").click()
        page.wait_for_url(lambda url: str(first.public_id) in url)
        expect(page.locator("#repair-contacts tbody tr")).to_have_count(2)

    assert Case.objects.filter(kind="repair").count() == 1
    assert not failures, "\n\n".join(failures)

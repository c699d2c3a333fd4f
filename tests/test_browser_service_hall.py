"""Browser tests of the service hall's day (headless Chromium against a live server): from the
header's search box to a customer's page by phone number, by case number and by a fragment
of the name; a clerk claims a case from the team queue and finds it under "mine"."""

from contextlib import contextmanager

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, new_page
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    PremiseFactory,
    UserFactory,
    registered_new_connection,
)
from waterdesk.core.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def hall():
    clerk = UserFactory(username="clerk1", first_name="王丽", role=Role.INTAKE_CLERK)
    UserFactory(username="clerk2", first_name="陈静", role=Role.INTAKE_CLERK)
    customer = CustomerFactory(name="欧阳建华", mobile="13912345678")
    CustomerFactory(name="李建国", mobile="13800001111")  # shares the fragment 建
    case = registered_new_connection(
        clerk, customer=customer, premise=PremiseFactory(address="城北区解放路18号3栋502室")
    )
    return {"customer": customer, "case": case}


@contextmanager
def logged_in(browser, live_server, username: str):
    with new_page(browser, base_url=live_server.url) as page:
        page.goto(reverse("login"))
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form[action='/login/'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        yield page


def search_from_the_header(page, text: str) -> None:
    box = page.locator("header form[role=search] input[name=q]")
    box.fill(text)
    box.press("Enter")
    page.wait_for_url(lambda url: "/desk/customers/" in url and "q=" in url)


@pytest.mark.parametrize(
    "query",
    [
        "5678",  # the mobile's last four digits
        "13912345678",  # the whole mobile
        "阳建",  # two characters of the name
    ],
)
def test_from_the_header_search_to_the_customer_page(live_server, hall, query):
    customer = hall["customer"]
    with chromium() as browser, logged_in(browser, live_server, "clerk1") as page:
        page.goto(reverse("workbench:queue"))
        search_from_the_header(page, query)
        page.get_by_role("link", name="欧阳建华").click()
        page.wait_for_url(f"**{reverse('workbench:customer', args=[customer.public_id])}")
        expect(page.locator("h1")).to_contain_text("欧阳建华")
        expect(page.locator(f"[data-case='{hall['case'].number}']")).to_be_visible()
        assert_no_axe_violations(page)


def test_from_a_case_number_to_the_customer_page(live_server, hall):
    customer, case = hall["customer"], hall["case"]
    with chromium() as browser, logged_in(browser, live_server, "clerk1") as page:
        page.goto(reverse("workbench:queue"))
        search_from_the_header(page, case.number.lower())  # typed in lower case
        page.get_by_role("link", name="欧阳建华").click()
        page.wait_for_url(f"**{reverse('workbench:customer', args=[customer.public_id])}")
        page.get_by_role("link", name=case.number).click()
        page.wait_for_url(f"**{reverse('workbench:case', args=[case.public_id])}")


def test_a_clerk_claims_a_case_and_finds_it_in_her_queue(live_server, hall):
    case = hall["case"]
    with chromium() as browser, logged_in(browser, live_server, "clerk2") as page:
        page.goto(reverse("workbench:queue"))
        mine = page.locator("section[aria-labelledby=queue-mine]")
        team = page.locator("section[aria-labelledby=queue-team]")
        expect(mine.locator(f"[data-case='{case.number}']")).to_have_count(0)
        team.get_by_role("button", name=f"领取 {case.number}").click()
        page.wait_for_url(f"**{reverse('workbench:queue')}")
        expect(page.get_by_text(f"已领取工单 {case.number}。")).to_be_visible()
        expect(mine.locator(f"[data-case='{case.number}']")).to_be_visible()
        expect(team.locator(f"[data-case='{case.number}']")).to_have_count(0)
    case.refresh_from_db()
    assert case.assignee.username == "clerk2"

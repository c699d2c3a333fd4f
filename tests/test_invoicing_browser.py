"""Browser walk of the e-invoices (headless Chromium against a live server): finance finds
the invoice a counter payment was issued, opens it, reverses it with a reason and sees
the red-letter invoice; the customer's page shows the account's invoice section; axe
passes on each page, in Chinese and in English."""

from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, new_page
from tests.factories import PASSWORD
from tests.invoicing_support import finance_user, pay_at_counter
from tests.payments_support import SHANGHAI, at
from waterdesk.invoicing.models import Invoice, InvoiceState

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("beijing"),
]

LATER = datetime(2026, 4, 7, 9, 0, tzinfo=SHANGHAI)


def _log_in(page, base_url: str, username: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )
    page.goto(reverse("login"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_finance_reverses_an_invoice_and_the_customer_page_shows_it(
    live_server, billed, cashier, django_capture_on_commit_callbacks
):
    account, bills = billed
    finance_user("finance1")
    with at(2026, 4, 6):
        pay_at_counter(
            django_capture_on_commit_callbacks,
            cashier=cashier,
            account=account,
            amount="250.00",
            bills=bills[:2],
        )
    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.amount_with_tax) == (InvoiceState.ISSUED, 250)
    customer_page = reverse("workbench:customer", args=[account.customer.public_id])

    with time_machine.travel(LATER, tick=True), chromium() as browser:
        with new_page(browser, base_url=live_server.url) as page:
            _log_in(page, live_server.url, "finance1", "zh-hans")
            page.goto(reverse("workbench:invoices"))
            assert_no_axe_violations(page)
            page.get_by_role("link", name=invoice.number, exact=True).click()
            expect(page.locator("#platform-number")).to_have_text(invoice.platform_number)
            assert_no_axe_violations(page)

            page.locator("#reverse-form [name=reason]").fill("抬头开错，客户要求单位抬头")
            page.locator("#reverse-form button[type=submit]").click()
            expect(page.locator("#red-invoice")).to_be_visible()
            expect(page.locator("h1")).to_contain_text("已冲红")
            assert_no_axe_violations(page)

            page.goto(customer_page)
            section = page.locator(f"section[aria-labelledby='invoicing-{account.number}']")
            expect(section).to_contain_text("电子发票")
            expect(section).to_contain_text(invoice.number)
            assert_no_axe_violations(page)

        with new_page(browser, base_url=live_server.url) as page:
            _log_in(page, live_server.url, "finance1", "en")
            page.goto(reverse("workbench:invoice", args=[invoice.public_id]))
            expect(page.locator("h1")).to_contain_text("Reversed")
            assert_no_axe_violations(page)
            page.goto(reverse("workbench:finance_index"))
            assert_no_axe_violations(page)

    invoice.refresh_from_db()
    red = Invoice.objects.get(reverses=invoice)
    assert (invoice.state, red.state) == (InvoiceState.REVERSED, InvoiceState.ISSUED)
    assert red.amount_with_tax == -invoice.amount_with_tax

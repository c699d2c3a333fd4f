"""A cashier's day in headless Chromium against a live server: cash for two bills with
change, the receipt PDF, a void asked for and approved by a supervisor (a second browser
context), another payment, and the daily close with a counted difference and its note."""

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, log_in, new_page
from tests.factories import PASSWORD
from tests.payments_support import SHANGHAI
from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.payments.models import DailyClose, Payment, PaymentStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The server's clock, running from a fixed moment after the real date (the browser keeps
# its own and must not take the session cookie for an expired one).
CLOCK = datetime(2030, 6, 28, 10, 0, tzinfo=SHANGHAI)


@contextmanager
def server_clock():
    with time_machine.travel(CLOCK, tick=True):
        yield


@contextmanager
def logged_in(browser, live_server, username: str):
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username=username, password=PASSWORD)
        yield page


def unpaid(account) -> list[Decimal]:
    return [item.unpaid for item in account_fee_notice(account, as_of=timezone.localdate()).items]


def test_a_cashiers_day(live_server, beijing, billed, cashier, supervisor):
    account, bills = billed  # billed in 2026 on the real clock; the server runs from CLOCK
    with server_clock():
        first, second, third = unpaid(account)
        walk_the_day(live_server, account, bills, first + second, third)
    close = DailyClose.objects.get()
    assert (close.expected_cash, close.counted_cash, close.difference, close.note) == (
        Decimal("20.00"),
        Decimal("19.50"),
        Decimal("-0.50"),
        "找零多找5角",
    )
    assert close.totals == {
        "cash": {"count": 1, "amount": "20.00"},
        "card": {"count": 1, "amount": f"{third:.2f}"},
    }
    assert close.voided_count == 1


def walk_the_day(live_server, account, bills, two, third):
    tendered = (two // 100 + 1) * 100
    with chromium() as browser, logged_in(browser, live_server, "cashier") as page:
        # The cashier lands on the counter and types the account number.
        expect(page.get_by_role("heading", name="营业厅收费")).to_be_visible()
        page.get_by_label("户号", exact=True).fill(account.number)
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#open-bills tbody tr")).to_have_count(3)
        assert_no_axe_violations(page)

        # Two bills: the amount follows the boxes, the change the cash tendered.
        page.get_by_label(f"{bills[2].number}（{third}）").uncheck()
        expect(page.get_by_label("收款金额（元）")).to_have_value(f"{two:.2f}")
        page.get_by_label("实收现金（元）").fill(str(tendered))
        expect(page.locator("#change-due")).to_have_text(f"{tendered - two:.2f}")
        page.get_by_role("button", name="确认收款").click()
        page.wait_for_url("**/payments/payments/**")
        expect(page.locator("#change")).to_contain_text(f"{tendered - two:.2f}")
        payment = Payment.objects.get()
        expect(page.locator("h1")).to_contain_text(payment.receipt_number)

        # The receipt: a PDF, opened from the result page.
        receipt = page.get_by_role("button", name="打印收据")
        pdf = page.request.get(receipt.get_attribute("href"))
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF-")

        # A void asked for with a reason ...
        page.get_by_label("作废原因").fill("客户改为刷卡缴费")
        page.get_by_role("button", name="申请作废").click()
        expect(page.get_by_text("作废申请已提交")).to_be_visible()

        # ... approved by a supervisor at another screen.
        with logged_in(browser, live_server, "supervisor") as desk:
            desk.goto(reverse("payments:corrections"))
            request = desk.locator(f"[data-receipt='{payment.receipt_number}']")
            request.get_by_label("审批意见").fill("已核实")
            request.get_by_role("button", name="批准").click()
            expect(desk.get_by_text(f"已批准收据 {payment.receipt_number}")).to_be_visible()
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.VOIDED

        # The card payment for the third bill.
        page.goto(f"{reverse('payments:counter')}?account={account.number}")
        for number in (bills[0].number, bills[1].number):
            page.locator("#pay-form label", has_text=number).locator("input").uncheck()
        page.get_by_label("银行卡").check()
        page.get_by_label("凭证号 / 交易单号").fill("POS000123")
        page.get_by_role("button", name="确认收款").click()
        page.wait_for_url("**/payments/payments/**")

        # A cash payment of 20 in advance, then the close: 0.50 short, explained.
        page.goto(f"{reverse('payments:counter')}?account={account.number}")
        for box in page.locator("#pay-form input[name=bills]").all():
            box.uncheck()
        page.get_by_label("收款金额（元）").fill("20.00")
        page.get_by_label("实收现金（元）").fill("20")
        page.get_by_role("button", name="确认收款").click()
        page.wait_for_url("**/payments/payments/**")

        page.goto(reverse("payments:day"))
        expect(page.locator("#expected-cash")).to_have_text("20.00")
        page.get_by_label("实点现金（元）").fill("19.50")
        page.get_by_role("button", name="提交日结").click()
        expect(page.get_by_text("请填写差异说明")).to_be_visible()
        page.get_by_label("差异说明").fill("找零多找5角")
        page.get_by_role("button", name="提交日结").click()
        expect(page.get_by_text("日结已提交，请主管签核。")).to_be_visible()
        expect(page.locator("#close-difference")).to_contain_text("-0.50")

"""A collector works a call on a phone (headless Chromium at 390×844, against a live
server): lands on the task list, opens the call, records the customer's promise with its
date — the date asked only once "promised" is chosen — and sees the task done."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import PHONE, chromium, log_in, new_page
from tests.collection_ladder_support import People, nightly, open_task
from tests.collection_support import charge
from tests.factories import PASSWORD, AccountFactory, DepartmentFactory, PremiseFactory
from tests.test_browser_fieldwork import assert_fits_a_phone
from waterdesk.collection.models import ActionStatus, CollectionPolicy, StepKind

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The server's clock, after the real date (the browser must not take the session cookie
# for an expired one).
CLOCK = datetime(2030, 6, 28, 10, 0, tzinfo=SHANGHAI)


def test_a_collector_records_a_promise_on_a_phone(live_server):
    CollectionPolicy.objects.update(department=DepartmentFactory())
    People()
    account = AccountFactory(premise=PremiseFactory(address="城北区解放路1号"))
    account.customer.mobile = "13900139001"
    account.customer.save()
    charge(account, "1500.00", due=date(2030, 2, 1))
    nightly(date(2030, 6, 26))  # the reminder
    nightly(date(2030, 6, 28))  # the call, due 07-01
    task = open_task(account)
    assert task.kind == StepKind.CALL
    with time_machine.travel(CLOCK, tick=True):
        walk(live_server, task, account.number)
    task.refresh_from_db()
    assert (task.status, task.outcome, task.promised_on, task.promised_amount) == (
        ActionStatus.DONE,
        "promised",
        date(2030, 7, 5),
        Decimal("500.00"),
    )


def walk(live_server, task, number: str) -> None:
    with (
        chromium() as browser,
        new_page(browser, base_url=live_server.url, viewport=PHONE, has_touch=True) as page,
    ):
        log_in(page, username="collector", password=PASSWORD)
        # The collector lands on the task list.
        page.wait_for_url("**/desk/collection/tasks/")
        expect(page.get_by_role("heading", name="催收任务", exact=True)).to_be_visible()
        card = page.locator(f"[data-task='{task.pk}']")
        expect(card).to_contain_text("城北区解放路1号")
        expect(card).to_contain_text("逾期欠费 1500.00 元")
        expect(card.get_by_role("link", name="拨打 13900139001")).to_have_attribute(
            "href", "tel:13900139001"
        )
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)

        card.get_by_role("button", name=f"打开任务：电话催缴 {number}").click()
        expect(page.get_by_role("heading", name=f"电话催缴 {number}")).to_be_visible()
        # The promise's date is asked once "promised" is chosen.
        expect(page.get_by_label("承诺缴费日")).to_be_hidden()
        page.get_by_label("承诺缴费", exact=True).check()
        expect(page.get_by_label("承诺缴费日")).to_be_visible()
        assert_fits_a_phone(page)
        assert_no_axe_violations(page)
        page.get_by_label("承诺缴费日").fill("2030-07-05")
        page.get_by_label("承诺金额（元）").fill("500")
        page.get_by_label("说明").fill("客户说周五去营业厅缴")
        page.get_by_role("button", name="提交结果").click()

        expect(page.get_by_text("已记录：电话催缴，承诺缴费。")).to_be_visible()
        expect(page.locator("#task-status")).to_have_text("已办")
        expect(page.locator("#task-done")).to_contain_text("承诺 2030-07-05 缴费 500.00 元")
        assert_fits_a_phone(page)
        page.get_by_role("button", name="返回任务列表").click()
        expect(page.locator("#no-tasks")).to_be_visible()

"""Browser test: an anonymous report through the public form, its tracking code, and the
status look-up with it (headless Chromium against a live server, no login); axe on every
public page of the report."""

import pytest
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, new_page
from waterdesk.complaints.models import Report, ReportIdentity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_anonymous_report_and_its_status(live_server):
    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        page.goto("/report/")
        expect(page.get_by_role("heading", name="举报员工违规违纪行为")).to_be_visible()
        assert_no_axe_violations(page)
        page.get_by_label("被举报人或部门").fill("城北营业厅收费窗口")
        page.get_by_label("发生时间").fill("11月30日上午")
        page.get_by_label("举报事项").fill("收取加急费200元，不开收据。")
        page.wait_for_timeout(3200)  # a person takes longer than the form's minimum
        page.get_by_role("button", name="提交举报").click()

        code = page.locator("#tracking-code").inner_text().strip()
        assert len(code) == 19
        assert_no_axe_violations(page)

        page.get_by_role("link", name="举报进度查询").click()
        assert_no_axe_violations(page)
        page.get_by_label("查询码").fill(code.lower())
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#status-status")).to_have_text("已受理")
        assert_no_axe_violations(page)

        page.get_by_label("查询码").fill("ABCD-EFGH-JKMN-PQRS")
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#status-not-found")).to_be_visible()
        expect(page.locator("#status-result")).to_have_count(0)

    report = Report.objects.get()
    assert report.case.channel == "web"
    assert ReportIdentity.objects.get(report=report).is_anonymous

"""A complaint walked through two rounds to "satisfied" and closed through the pages, in
headless Chromium against a live server, each role in its own browser context logged in
through the login page:

1. the hotline agent registers the complaint on /desk/complaints/new/;
2. the complaint handler acknowledges it;
3. the repair centre's responder records an interview and the investigation report, and
   adds a measure;
4. the handler replies; the complainant is not satisfied: round 2 opens;
5. the responder submits the addendum report and marks the measure done;
6. the handler replies again; satisfied; the follow-up call; closure with lessons.

Every record is on the timeline in order; axe-core finds no violation on the intake page,
the case page and the lessons page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from tests import complaints_support as cs
from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, log_in, new_page
from tests.factories import PASSWORD
from waterdesk.cases.models import Case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = datetime(2030, 6, 25, 10, 0, tzinfo=SHANGHAI)  # a Tuesday morning


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def take(page, action: str, fields: dict[str, str], *, selects: dict | None = None) -> None:
    """Open the action's panel on the case page, fill in its fields (by name) and confirm."""
    panel = page.locator(f"#action-{action}")
    panel.locator("summary").click()
    for name, value in fields.items():
        panel.locator(f"#id_{action}-{name}").fill(value)
    for name, option in (selects or {}).items():
        select = panel.locator(f"#id_{action}-{name}")
        if isinstance(option, int):
            select.select_option(index=option)
        else:
            select.select_option(label=option)
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()


def test_a_complaint_walked_through_two_rounds_in_the_browser(live_server):
    with time_machine.travel(CLOCK, tick=True):
        staff = cs.complaint_staff("b")
        with chromium() as browser:
            case = register(browser, live_server)
            handler_step(
                browser, live_server, case, staff.handler, [("acknowledge", {"note": "已受理"})]
            )
            responder_round_one(browser, live_server, case, staff)
            handler_step(
                browser,
                live_server,
                case,
                staff.handler,
                [
                    ("reply", {"reply": "已重新派工更换阀芯。", "basis": "供水服务规范"}),
                    ("not_satisfied", {"reason": "阀门仍在渗水。"}),
                ],
            )
            responder_round_two(browser, live_server, case, staff)
            close(browser, live_server, case, staff)

    case.refresh_from_db()
    assert case.status == "closed"
    assert list(case.events.order_by("at", "pk").values_list("action", flat=True)) == [
        "open",
        "acknowledge",
        "interview",
        "report",
        "add_measure",
        "reply",
        "not_satisfied",
        "report",
        "measure_done",
        "reply",
        "satisfied",
        "follow_up",
        "close",
    ]
    complaint = case.complaint
    assert (complaint.round, complaint.follow_up_satisfaction, complaint.lessons) == (
        2,
        4,
        "完工后须试水确认。",
    )


def register(browser, live_server) -> Case:
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username="b-clerk", password=PASSWORD)
        page.goto(reverse("workbench:intake_complaint"))
        expect(page.get_by_role("heading", name="投诉受理登记")).to_be_visible()
        assert_no_axe_violations(page)
        page.locator("#id_contact_name").fill(cs.CALLER)
        page.locator("#id_contact_phone").fill(cs.CALLER_PHONE)
        page.locator("#id_category").select_option(label="维修服务")
        page.locator("#id_matter").fill("维修后阀门仍在漏水。")
        page.locator("#id_demand").fill("尽快修好。")
        page.locator("#id_department_concerned").select_option(label="供水抢修中心")
        press(page, "受理登记")
        page.wait_for_url(lambda url: "/desk/cases/" in url)
        case = Case.objects.get(kind="complaint")
        expect(page.locator("#case-status")).to_have_text("待受理确认")
        expect(page.locator("#complaint-matter")).to_have_text("维修后阀门仍在漏水。")
        assert_no_axe_violations(page)
    return case


def handler_step(browser, live_server, case, handler, steps) -> None:
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username=handler.username, password=PASSWORD)
        page.goto(reverse("workbench:case", args=[case.public_id]))
        for action, fields in steps:
            take(page, action, fields)
            expect(page.locator(".message-error")).to_have_count(0)
        assert_no_axe_violations(page)


def responder_round_one(browser, live_server, case, staff) -> None:
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username=staff.responder.username, password=PASSWORD)
        page.goto(reverse("workbench:case", args=[case.public_id]))
        expect(page.locator("#case-status")).to_have_text("调查处理中")
        take(
            page,
            "interview",
            {"person": "韩涛", "summary": "当日配件不足，未更换阀芯。"},
            selects={"party": "当事员工"},
        )
        take(
            page,
            "report",
            {
                "facts": "阀芯未更换。",
                "process": "询问班组，查看派工记录。",
                "finding": "投诉属实。",
                "proposal": "重新派工。",
            },
            selects={"root_cause": "维修质量", "is_substantiated": "属实"},
        )
        take(
            page,
            "add_measure",
            {"description": "班组维修质量培训", "deadline": "2030-07-02"},
            selects={"owner": f"{staff.responder.get_full_name()}（供水抢修中心）"},
        )
        expect(page.locator("#round-1 .report")).to_be_visible()
        expect(page.locator("#complaint-measures tbody tr")).to_have_count(1)
        assert_no_axe_violations(page)


def responder_round_two(browser, live_server, case, staff) -> None:
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username=staff.responder.username, password=PASSWORD)
        page.goto(reverse("workbench:case", args=[case.public_id]))
        expect(page.locator("#complaint-round")).to_have_text("第 2 轮")
        take(
            page,
            "report",
            {
                "facts": "阀体有裂纹。",
                "process": "复查现场。",
                "finding": "需整体更换阀门。",
                "proposal": "更换阀门。",
            },
            selects={"root_cause": "维修质量", "is_substantiated": "属实"},
        )
        take(page, "measure_done", {"note": "已完成培训"}, selects={"measure": 1})
        expect(page.locator("#round-2 .report")).to_be_visible()


def close(browser, live_server, case, staff) -> None:
    with new_page(browser, base_url=live_server.url) as page:
        log_in(page, username=staff.handler.username, password=PASSWORD)
        page.goto(reverse("workbench:case", args=[case.public_id]))
        take(page, "reply", {"reply": "已整体更换阀门。", "basis": "供水服务规范"})
        take(page, "satisfied", {})
        take(page, "follow_up", {"note": "无渗漏，满意。"}, selects={"satisfaction": "4 分：满意"})
        take(page, "close", {"lessons": "完工后须试水确认。"})
        expect(page.locator("#case-status")).to_have_text("已办结")
        expect(page.locator("#complaint-lessons")).to_have_text("完工后须试水确认。")
        timeline = page.locator("#timeline li")
        expect(timeline).to_have_count(13)
        assert_no_axe_violations(page)
        page.goto(reverse("workbench:complaint_lessons") + "?q=试水")
        expect(page.locator(f"tr[data-case='{case.number}']")).to_be_visible()
        assert_no_axe_violations(page)

"""Browser test of the plan and drill pages (headless Chromium against a live server): the
emergency office revises a plan on its draft page and publishes it; the plan, draft,
drill and measures pages pass axe-core in Chinese and in English."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.axe_support import assert_no_axe_violations
from tests.browser_support import chromium, log_in, new_page
from tests.factories import PASSWORD, UserFactory
from waterdesk.core.roles import Role
from waterdesk.emergency.models import EmergencyPlan, PlanVersionStatus
from waterdesk.emergency.selectors_plans import plan_current_version
from waterdesk.emergency.services import drills as drill_services
from waterdesk.emergency.services import plans as plan_services
from waterdesk.emergency.services.drills import TimingInput
from waterdesk.emergency.services.measures import measure_add

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.emergency_pages_urls"),
]


@pytest.fixture
def world():
    office = UserFactory(username="office", first_name="应急办", role=Role.EMERGENCY_OFFICE)
    dispatcher = UserFactory(username="dispatcher", first_name="调度", role=Role.DISPATCHER)
    plan = EmergencyPlan.objects.get(code="pipe_burst")
    version = plan_current_version(plan)
    drill = drill_services.drill_plan(
        actor=office,
        plan_version=version,
        level=3,
        scheduled_for=timezone.now() + timedelta(days=3),
        scenario="人民路主干管爆裂",
        participants=[dispatcher],
    )
    steps = drill_services.drill_steps(drill)
    drill_services.drill_record_held(
        actor=office,
        drill=drill,
        held_at=timezone.now() - timedelta(hours=2),
        timings=[
            TimingInput(step=steps[0], observed_minutes=10),
            TimingInput(step=steps[1], observed_minutes=45),
        ],
    )
    measure_add(
        drill=drill,
        description="夜间调度增配一名调度员",
        owner=dispatcher,
        deadline=date(2020, 1, 31),
    )
    return {"office": office, "plan": plan, "drill": drill}


def test_the_office_revises_a_plan_and_the_pages_pass_axe(live_server, world):
    plan, drill = world["plan"], world["drill"]
    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        log_in(page, username="office", password=PASSWORD)
        page.goto(reverse("workbench:emergency_plan", args=[plan.pk]))
        page.locator("#draft-form input[name=change_note]").fill("演练后修订")
        page.locator("#draft-form button[type=submit]").click()
        expect(page.locator("#draft-edit")).to_be_visible()
        page.locator("#step-form input[name=title]").fill("启动应急广播")
        page.locator("#step-form select[name=level]").select_option("3")
        page.locator("#step-form input[name=target_minutes]").fill("90")
        page.locator("#step-form button[type=submit]").click()
        expect(page.locator("#steps")).to_contain_text("启动应急广播")
        draft_url = page.url
        for language in ("zh-hans", "en"):
            page.context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
            )
            for url in (
                reverse("workbench:emergency_plans"),
                reverse("workbench:emergency_plan", args=[plan.pk]),
                draft_url,
                reverse("workbench:emergency_drills"),
                reverse("workbench:emergency_drill", args=[drill.pk]),
                reverse("workbench:emergency_measures"),
            ):
                page.goto(url)
                assert_no_axe_violations(page)
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}]
        )
        page.goto(draft_url)
        page.locator("#publish-form button[type=submit]").click()
        expect(page.locator("#plan-summary")).to_contain_text("第 2 版")
    assert plan_current_version(plan).status == PlanVersionStatus.PUBLISHED
    assert plan_services.plan_draft(plan) is None
    assert plan_current_version(plan).steps.filter(title="启动应急广播").exists()

"""Browser test: a hotline agent on the repair intake page picks a caller whose premise is
inside an active incident, and the incident's banner appears (htmx, no reload); typing the
account number of a premise under a planned outage shows the outage."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser_support import chromium, log_in, new_page
from tests.emergency_hotline_support import active_incident, announced_outage
from tests.factories import (
    PASSWORD,
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    SupplyZoneFactory,
    UserFactory,
)
from waterdesk.core.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_banner_follows_the_caller_picked(live_server):
    UserFactory(username="agent", role=Role.HOTLINE_AGENT)
    north = SupplyZoneFactory(code="north", name="城北片区")
    east = SupplyZoneFactory(code="east", name="城东片区")
    caller = AccountFactory(
        premise=PremiseFactory(zone=north, address="城北区解放路1号"),
        customer=CustomerFactory(name="周晓梅"),
    )
    works = AccountFactory(premise=PremiseFactory(zone=east, address="城东区人民路9号"))
    now = timezone.now()
    incident = active_incident(at=now, zones=[north])
    outage = announced_outage(at=now - timedelta(days=1), starts_in_hours=30, zones=[east])

    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        log_in(page, username="agent", password=PASSWORD)
        page.goto(reverse("workbench:intake_repair"))
        expect(page.locator("#place-news [data-incident]")).to_have_count(0)

        page.locator("#customer-q").fill("周晓梅")
        page.get_by_role("button", name="选择").click()
        banner = page.locator(f'#place-news [data-incident="{incident.number}"]')
        expect(banner).to_contain_text(f"该地址位于应急事件 {incident.number} 影响范围：城北片区")
        expect(banner).to_contain_text("人民广场")

        page.get_by_role("button", name="取消选择").click()
        page.locator('[name="account_number"]').fill(works.number)
        page.locator('[name="account_number"]').blur()
        expect(page.locator(f'#place-news [data-outage="{outage.number}"]')).to_be_visible()
    assert caller.customer.name == "周晓梅"

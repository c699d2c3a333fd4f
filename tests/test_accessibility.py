"""Browser tests: the staff pages for keyboard and screen-reader users (headless Chromium
against a live server). axe-core finds no violation on the main pages; the skip link, the
focus ring, field hints, focus after a refused form, announced search results and the
language of Chinese names in the English pages are checked one by one."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import reverse

from tests.axe_support import axe_run, blocking_results, describe
from tests.browser_support import chromium, log_in, new_page
from tests.factories import (
    CustomerFactory,
    PremiseFactory,
    UserFactory,
    installed_account,
    meter_read,
    registered_new_connection,
)
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Route

# The live server reads the test database from another thread: every test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pass-123456"  # UserFactory's password


@dataclass(frozen=True)
class World:
    case: Case
    account: Account


def _world() -> World:
    """The people of the demo by role, a customer with an open application, and an account
    on a reader's route with one validated read."""
    clerk = UserFactory(username="clerk1", first_name="王丽", role=Role.INTAKE_CLERK)
    UserFactory(username="supervisor1", first_name="周敏", role=Role.SUPERVISOR)
    billing = UserFactory(username="billing1", first_name="何雪梅", role=Role.BILLING_CLERK)
    reader = UserFactory(username="reader1", first_name="钱卫东", role=Role.METER_READER)
    customer = CustomerFactory(name="李建华")
    case = registered_new_connection(
        clerk, customer=customer, premise=PremiseFactory(address="城北区解放路18号3栋502室")
    )
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    account = installed_account(
        number="1000000001",
        route=route,
        initial="100",
        customer=customer,
        premise=PremiseFactory(address="城北区解放路20号"),
    )
    meter_read(billing, account, date(2026, 1, 31), "112.5")
    return World(case=case, account=account)


def test_axe_finds_no_violation_on_the_main_pages(live_server):
    world = _world()
    pages = [
        (None, reverse("login")),
        ("clerk1", reverse("workbench:queue")),
        ("clerk1", reverse("workbench:intake")),
        ("clerk1", reverse("workbench:case", args=[world.case.public_id])),
        ("clerk1", reverse("workbench:customers") + "?q=李建华"),
        ("supervisor1", reverse("workbench:supervisor")),
        ("billing1", reverse("billing:account", args=[world.account.public_id])),
        ("reader1", reverse("billing:reading_entry")),
    ]
    failures = []
    with chromium() as browser:
        for username, url in pages:
            with new_page(browser, base_url=live_server.url) as page:
                if username:
                    log_in(page, username=username, password=PASSWORD)
                page.goto(url)
                blocking = blocking_results(axe_run(page))
                if blocking:
                    failures.append(f"{username or 'anonymous'} {url}:\n{describe(blocking)}")
    assert not failures, "\n\n".join(failures)

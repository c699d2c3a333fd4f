"""Reading routes: an account opened by a new connection is put on a route (its zone's, or
the clerk's choice), so it is read and billed; accounts on no route are listed for the
billing office, which puts them on one; routes are kept in the admin."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.clients import client_for
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    SupplyZoneFactory,
)
from tests.test_applications_new_connection import register, walk_to
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.customers.models import Account, AccountStatus, Route
from waterdesk.customers.services import account_assign_route, account_open

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(reader):
    zone = SupplyZoneFactory(code="north", name="城北片区")
    # Two routes in the zone: the lower code is its default.
    Route.objects.create(code="north-2", name="城北二号线", zone=zone, reader=reader)
    Route.objects.create(code="north-1", name="城北一号线", zone=zone, reader=reader)
    return zone


def open_account(premise, **kwargs) -> Account:
    return account_open(
        actor=None,
        customer=CustomerFactory(),
        premise=premise,
        usage_category="residential",
        **kwargs,
    )


# --- opening an account -----------------------------------------------------------------


def test_an_opened_account_is_put_on_its_zones_route(north):
    account = open_account(PremiseFactory(zone=north))
    assert account.route.code == "north-1"


def test_the_clerks_route_wins_and_a_zone_without_routes_leaves_it_unrouted(north):
    other = Route.objects.create(code="south-1", name="城南一号线")
    assert open_account(PremiseFactory(zone=north), route=other).route == other
    assert open_account(PremiseFactory(zone=SupplyZoneFactory(code="east"))).route is None


def meter_installed(clerk, surveyor, reviewer, approver, zone):
    """A new connection in the zone with its meter installed: the account is next."""
    staff = {"clerk": clerk, "surveyor": surveyor, "reviewer": reviewer, "approver": approver}
    with time_machine.travel(START, tick=False):
        case = register(clerk, premise=PremiseFactory(zone=zone))
        return walk_to(case, "meter_installed", **staff)


def test_a_new_connection_opens_its_account_on_a_route(clerk, surveyor, reviewer, approver, north):
    case = meter_installed(clerk, surveyor, reviewer, approver, north)
    client = client_for(clerk)
    response = client.post(
        reverse("api:case-action-open_account", args=[case.public_id]),
        {"route": "north-2"},
        format="json",
    )
    assert response.status_code == 200
    account = Account.objects.get(pk=case.new_connection.account_id)
    assert account.route.code == "north-2"
    event = case.events.get(action="open_account")
    assert event.data == {"account": account.number, "route": "north-2"}


def test_the_open_account_form_proposes_the_zones_route(
    client, clerk, surveyor, reviewer, approver, north
):
    case = meter_installed(clerk, surveyor, reviewer, approver, north)
    client.force_login(clerk)
    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    default = Route.objects.get(code="north-1")
    assert f'<option value="{default.pk}" selected>north-1 城北一号线（城北片区）</option>' in page
    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "open_account"]),
        {"open_account-confirm": "on", "open_account-route": default.pk},
    )
    assert response.status_code == 302
    assert Account.objects.get(pk=case.new_connection.account_id).route == default


# --- assigning a route --------------------------------------------------------------------


def test_the_billing_office_puts_an_account_on_a_route(billing_clerk, north):
    account = AccountFactory()
    route = Route.objects.get(code="north-2")
    assigned = account_assign_route(actor=billing_clerk, account=account, route=route)
    assert assigned.route == route
    last = assigned.history.first()
    assert (last.route_id, last.history_user) == (route.pk, billing_clerk)


def test_assigning_is_refused_to_readers_and_for_closed_accounts(reader, billing_clerk, north):
    account = AccountFactory()
    route = Route.objects.get(code="north-1")
    with pytest.raises(NotPermitted):
        account_assign_route(actor=reader, account=account, route=route)
    Account.objects.filter(pk=account.pk).update(status=AccountStatus.CLOSED)
    with pytest.raises(InvalidInput) as error:
        account_assign_route(actor=billing_clerk, account=account, route=route)
    assert error.value.code == "account_closed"
    account.refresh_from_db()
    assert account.route is None


def test_the_unrouted_page_lists_and_assigns(client, billing_clerk, reader, north):
    unrouted = AccountFactory(premise=PremiseFactory(zone=north))
    closed = AccountFactory(status=AccountStatus.CLOSED)
    routed = AccountFactory(route=Route.objects.get(code="north-2"))
    url = reverse("billing:reading_unrouted")

    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(billing_clerk)
    page = client.get(url).content.decode()
    assert f'id="account-{unrouted.number}"' in page
    assert f'id="account-{closed.number}"' not in page
    assert f'id="account-{routed.number}"' not in page
    default = Route.objects.get(code="north-1")
    assert f'<option value="{default.pk}" selected>' in page

    refused = client.post(url, {"account": unrouted.public_id, "route": "999999"})
    assert refused.status_code == 400
    unrouted.refresh_from_db()
    assert unrouted.route is None

    response = client.post(url, {"account": unrouted.public_id, "route": default.pk}, follow=True)
    assert f"户号{unrouted.number}已编入抄表路线north-1 城北一号线。" in response.content.decode()
    unrouted.refresh_from_db()
    assert unrouted.route == default
    assert f'id="account-{unrouted.number}"' not in response.content.decode()


def test_routes_are_kept_in_the_admin(client, administrator, north):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    page = client.get(reverse("admin:customers_route_changelist"))
    assert page.status_code == 200
    assert "north-1" in page.content.decode()
    add = client.get(reverse("admin:customers_route_add"))
    assert add.status_code == 200
    assert 'name="zone"' in add.content.decode()

"""Where each role lands after logging in, and which links the navigation offers it."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.INTAKE_CLERK, "workbench:queue"),
        (Role.SUPERVISOR, "workbench:workload"),
        (Role.METER_READER, "billing:reading_entry"),
        (Role.BILLING_CLERK, "billing:runs"),
    ],
)
def test_each_role_lands_on_its_own_page(client, role, landing):
    client.force_login(UserFactory(username=f"u-{role}", role=role))
    response = client.get(reverse("workbench:home"))
    assert (response.status_code, response.url) == (302, reverse(landing))


def test_the_site_root_and_login_lead_to_the_landing_page(client):
    assert client.get("/").url == reverse("workbench:home")
    UserFactory(username="reader", role=Role.METER_READER)
    response = client.post(reverse("login"), {"username": "reader", "password": "pass-123456"})
    assert response.url == reverse("workbench:home")


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_meter_reader_is_offered_reading_not_intake(client):
    # Readers also work cases (the transfer and change reads), so their queue stays.
    client.force_login(UserFactory(username="reader", role=Role.METER_READER))
    page = client.get(reverse("billing:reading_entry")).content.decode()
    assert f'href="{reverse("billing:reading_entry")}"' in page
    assert f'href="{reverse("workbench:queue")}"' in page
    assert f'href="{reverse("workbench:intake")}"' not in page
    assert f'href="{reverse("billing:runs")}"' not in page


def test_a_clerk_is_offered_the_case_desk_not_billing(client, clerk):
    client.force_login(clerk)
    page = client.get(reverse("workbench:queue")).content.decode()
    assert f'href="{reverse("workbench:intake")}"' in page
    assert f'href="{reverse("billing:reading_entry")}"' not in page
    assert f'href="{reverse("billing:runs")}"' not in page

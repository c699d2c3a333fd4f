"""The customers page as the target of every page's search box: a plain GET with ``q``
(no htmx), a case number linking straight to the case, and the note when more matched."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import CustomerFactory, registered_new_connection

pytestmark = pytest.mark.django_db

REGISTERED_AT = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_plain_get_with_q_renders_the_whole_page_with_the_results(client, clerk):
    CustomerFactory(name="赵建国", mobile="13912345678")
    client.force_login(clerk)

    response = client.get(reverse("workbench:customers"), {"q": "建国"})

    page = response.content.decode()
    assert response.status_code == 200
    assert [customer.name for customer in response.context["results"]] == ["赵建国"]
    assert "<html" in page and 'value="建国"' in page
    assert "139****5678" in page


def test_a_case_number_links_to_the_case(client, clerk):
    customer = CustomerFactory(name="钱多多")
    with time_machine.travel(REGISTERED_AT, tick=False):
        case = registered_new_connection(clerk, customer=customer)
    client.force_login(clerk)

    response = client.get(reverse("workbench:customers"), {"q": case.number.lower()})

    link = reverse("workbench:case", args=[case.public_id])
    assert [customer.name for customer in response.context["results"]] == ["钱多多"]
    assert f'<a href="{link}">{case.number}</a>' in response.content.decode()


def test_the_page_says_when_more_customers_match(client, clerk, monkeypatch):
    monkeypatch.setattr("waterdesk.workbench.views.CUSTOMER_PAGE_LIMIT", 2)
    for name in ("孙一", "孙二", "孙三"):
        CustomerFactory(name=name)
    client.force_login(clerk)

    response = client.get(reverse("workbench:customers"), {"q": "孙"})

    assert [customer.name for customer in response.context["results"]] == ["孙一", "孙三"]
    assert "只显示前 2 位客户；请输入更完整的姓名、号码或地址。" in response.content.decode()
    response = client.get(reverse("workbench:customers"), {"q": "孙二"})
    assert "只显示前" not in response.content.decode()


def test_the_results_partial_for_the_live_search(client, clerk):
    CustomerFactory(name="周一")
    client.force_login(clerk)

    response = client.get(
        reverse("workbench:customer_search"), {"q": "周"}, headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert [customer.name for customer in response.context["results"]] == ["周一"]
    assert "<html" not in page

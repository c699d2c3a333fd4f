"""The public web complaint form: a complaint without login, refused for bots (honeypot,
signed timestamp) and over the per-address limit, with nothing written then."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client

from tests.factories import AccountFactory
from waterdesk.cases.models import Case
from waterdesk.complaints.models import Complaint, ComplaintCategory
from waterdesk.core import antibot
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

URL = "/complaints/new/"
NOW = dt.datetime.fromisoformat("2026-12-07T10:00:00+08:00")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _served(client, clock, *, wait=dt.timedelta(seconds=30)) -> str:
    """Open the form, wait like a person typing, and return the page's signed moment."""
    page = client.get(URL)
    assert page.status_code == 200
    token = page.context["form"].antibot_token
    clock.shift(wait)
    return token


def _data(token: str, **changes) -> dict:
    data = {
        "name": "李雷",
        "phone": "13800138001",
        "email": "lilei@example.com",
        "category": ComplaintCategory.objects.get(code="billing").pk,
        "matter": "上月水费明显偏高，抄表数与实际不符。",
        "demand": "核实水表读数并退还多收水费。",
        "account": "",
        "website": "",
        "form_started": token,
    }
    data.update(changes)
    return data


def _counts():
    return Case.objects.count(), Complaint.objects.count(), Notification.objects.count()


def test_a_complaint_is_registered_and_the_number_shown(clock):
    client = Client()
    token = _served(client, clock)

    response = client.post(URL, _data(token))

    assert response.status_code == 200
    complaint = Complaint.objects.select_related("case", "category").get()
    case = complaint.case
    assert case.channel == "web"
    assert case.contact_name == "李雷"
    assert case.contact_phone == "13800138001"
    assert case.opened_by is None
    assert complaint.category.code == "billing"
    assert complaint.email == "lilei@example.com"
    assert complaint.demand == "核实水表读数并退还多收水费。"
    content = response.content.decode()
    assert case.number in content
    assert f"/lookup/?number={case.number}" in content


def test_an_account_of_the_complainant_links_the_customer(clock):
    account = AccountFactory()
    customer = account.customer
    client = Client()
    token = _served(client, clock)

    client.post(URL, _data(token, phone=customer.mobile, account=account.number))

    complaint = Complaint.objects.select_related("case").get()
    assert complaint.case.customer == customer
    assert account.number not in complaint.matter


def test_a_strangers_account_links_nothing(clock):
    account = AccountFactory()
    client = Client()
    token = _served(client, clock)

    client.post(URL, _data(token, phone="13700137000", account=account.number))

    complaint = Complaint.objects.select_related("case").get()
    assert complaint.case.customer is None
    assert f"投诉人填写的户号：{account.number}，未核实" in complaint.matter


def test_the_honeypot_refuses_and_writes_nothing(clock):
    client = Client()
    token = _served(client, clock)
    before = _counts()

    response = client.post(URL, _data(token, website="http://spam.example"))

    assert response.status_code == 400
    assert "提交未被受理，请刷新页面后重新填写。" in response.content.decode()
    assert _counts() == before


def test_a_submission_faster_than_three_seconds_is_refused(clock):
    client = Client()
    token = _served(client, clock, wait=dt.timedelta(seconds=2))
    before = _counts()

    response = client.post(URL, _data(token))

    assert response.status_code == 400
    assert "提交过快" in response.content.decode()
    assert _counts() == before
    clock.shift(dt.timedelta(seconds=2))  # the same page, a moment later: accepted
    assert client.post(URL, _data(token)).status_code == 200
    assert Complaint.objects.count() == 1


def test_a_page_older_than_two_hours_is_refused(clock):
    client = Client()
    token = _served(client, clock, wait=dt.timedelta(hours=2, seconds=1))
    before = _counts()

    response = client.post(URL, _data(token))

    assert response.status_code == 400
    assert "页面打开已超过 2 小时" in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("token", ["", "nonsense", "another salt"])
def test_a_missing_or_forged_timestamp_is_refused(clock, token):
    if token == "another salt":  # signed, but not by the form
        token = signing.dumps(NOW.timestamp() - 60, salt="another-salt")
    before = _counts()
    response = Client().post(URL, _data(token))
    assert response.status_code == 400
    assert "页面已失效" in response.content.decode()
    assert _counts() == before


def test_the_rate_limit_refuses_and_writes_nothing(clock, settings):
    settings.WATERDESK_PUBLIC_COMPLAINT_LIMIT = 2
    client = Client()
    token = _served(client, clock)
    for n in range(2):
        assert client.post(URL, _data(token, matter=f"第{n}次投诉")).status_code == 200
    before = _counts()

    response = client.post(URL, _data(token, matter="第三次"))

    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert _counts() == before
    # Another address is not limited.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(URL, _data(token, matter="另一位")).status_code == 200


def test_invalid_input_is_shown_and_nothing_written(clock):
    client = Client()
    token = _served(client, clock)
    before = _counts()

    response = client.post(URL, _data(token, phone="123", matter=""))

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"phone", "matter"}
    assert _counts() == before


def test_antibot_check_codes():
    with time_machine.travel(NOW, tick=False):
        token = antibot.antibot_token()
    later = NOW + dt.timedelta(seconds=10)
    antibot.antibot_check(honeypot="", token=token, now=later)
    for honeypot, now, code in [
        ("x", later, "antibot_honeypot"),
        ("", NOW + dt.timedelta(seconds=1), "antibot_too_fast"),
        ("", NOW + dt.timedelta(hours=3), "antibot_expired"),
    ]:
        with pytest.raises(antibot.ValidationError) as refused:
            antibot.antibot_check(honeypot=honeypot, token=token, now=now)
        assert refused.value.code == code

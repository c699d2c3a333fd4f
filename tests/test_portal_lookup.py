"""The public case-status look-up (/lookup/): case number + phone, no login.

A matching pair shows the case's kind, status, dates and milestones and nothing personal; a
wrong pair is "not found" whichever part is wrong; each client address has a limited number
of look-ups per window (429 after); nothing is logged as a personal-data access and no full
phone number reaches a log line.
"""

import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import CustomerFactory, registered_new_connection
from waterdesk.applications import new_connection as nc
from waterdesk.customers.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

URL = "/lookup/"
CONTACT_PHONE = "13912345678"
CUSTOMER_MOBILE = "13687654321"
NOT_FOUND = "未找到与该受理编号和联系电话相符的业务。请核对后重试。"
LIMITED = "查询过于频繁，请 15 分钟后再试。"
HOTLINE = "如需帮助，请拨打服务热线 0571-96390。"


@pytest.fixture(autouse=True)
def lookup_settings(settings):
    settings.WATERDESK_COMPANY_HOTLINE = "0571-96390"
    settings.WATERDESK_PUBLIC_LOOKUP_LIMIT = 3
    settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES = 15


@pytest.fixture
def case(frozen_monday, clerk, surveyor, zone):
    """A new connection registered Monday 10:00, the survey assigned at 11:00 and booked at
    12:00 (which meets "contact the customer")."""
    customer = CustomerFactory(name="王秀英", mobile=CUSTOMER_MOBILE)
    case = registered_new_connection(
        clerk,
        customer=customer,
        contact_name="王小明",
        contact_phone=CONTACT_PHONE,
        premise_address="城北区解放路88号",
        zone=zone,
    )
    frozen_monday.shift(timedelta(hours=1))
    case = nc.new_connection_assign_survey(actor=clerk, case=case, surveyor=surveyor)
    frozen_monday.shift(timedelta(hours=1))
    return nc.new_connection_book_survey(
        actor=surveyor,
        case=case,
        booked_for=case.opened_at + timedelta(days=1),
        preparation="请准备房产证原件",
    )


def look_up(client, number, phone, address="203.0.113.7"):
    return client.post(URL, {"number": number, "phone": phone}, REMOTE_ADDR=address)


def page_text(response) -> str:
    return response.content.decode()


def assert_refused(response, status: int, message: str) -> None:
    """The answer says why, offers the hotline and shows nothing of the case."""
    html = page_text(response)
    assert response.status_code == status
    assert message in html
    assert HOTLINE in html
    assert 'id="lookup-result"' not in html
    assert "待现场勘查" not in html


def between(html: str, start: str, end: str) -> str:
    """The markup between two markers, without the white space between tags."""
    inner = html.split(start, 1)[1].split(end, 1)[0]
    return re.sub(r">\s+<", "><", inner.strip())


def test_the_form_is_public_and_takes_the_number_from_the_receipt_qr_code(client):
    response = client.get(URL, {"number": "XZ-20260302-0001"})

    assert response.status_code == 200
    html = page_text(response)
    assert "<h1>办理进度查询</h1>" in html
    assert 'name="number" value="XZ-20260302-0001"' in html
    assert 'name="phone"' in html
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert reverse("portal:lookup") == URL


def test_the_right_pair_shows_status_and_milestones_and_nothing_personal(client, case):
    response = look_up(client, case.number, CONTACT_PHONE)

    assert response.status_code == 200
    html = page_text(response)
    status = '<span class="badge badge-open" id="lookup-status">待现场勘查</span>'
    assert f"<h2>{case.number} {status}</h2>" in html
    assert "<dt>业务类型</dt><dd>新装开户</dd>" in html
    assert "<dt>当前状态</dt><dd>待现场勘查</dd>" in html
    assert "<dt>受理时间</dt><dd>2026-03-02 10:00</dd>" in html
    # Milestones: contacting the customer was met at 12:00 (booking the survey).
    milestones = between(html, "<tbody>", "</tbody>")
    assert milestones == (
        '<tr><td>联系客户</td><td class="nowrap">2026-03-03 17:30</td>'
        '<td>已完成 <small class="muted">2026-03-02 12:00</small></td></tr>'
        '<tr><td>全程办结</td><td class="nowrap">2026-03-16 17:30</td><td>办理中</td></tr>'
    )
    # The status changes, in order, without actor or note.
    assert between(html, '<ol class="portal-steps" id="lookup-changes">', "</ol>") == (
        '<li><time datetime="2026-03-02T10:00:00+08:00">2026-03-02 10:00</time> 待派勘查</li>'
        '<li><time datetime="2026-03-02T11:00:00+08:00">2026-03-02 11:00</time> 待预约勘查</li>'
        '<li><time datetime="2026-03-02T12:00:00+08:00">2026-03-02 12:00</time> 待现场勘查</li>'
    )
    for personal in (
        "王秀英",
        "王小明",
        "解放路88号",
        CONTACT_PHONE,
        "139****5678",
        CUSTOMER_MOBILE,
        case.customer.id_number,
        "请准备房产证原件",
        case.opened_by.get_full_name(),
        case.assignee.get_full_name(),
    ):
        assert personal not in html, personal


def test_the_customers_mobile_and_loose_typing_find_the_case_too(client, case):
    number = case.number.lower().replace("-", "－", 1)  # a full-width hyphen from an IME
    response = look_up(client, f" {number} ", f"+86 {CUSTOMER_MOBILE[:3]} {CUSTOMER_MOBILE[3:]}")

    assert response.status_code == 200
    assert 'id="lookup-status">待现场勘查</span>' in page_text(response)


def test_a_number_without_dashes_or_leading_zeros_reads_as_staff_search_reads_it(client, case):
    prefix, day, sequence = case.number.split("-")
    typed = f"{prefix.lower()}{day}-{int(sequence)}"  # xz20260302-1
    response = look_up(client, typed, CONTACT_PHONE)

    assert response.status_code == 200
    assert 'id="lookup-status">待现场勘查</span>' in page_text(response)


@pytest.mark.parametrize(
    ("number", "phone"),
    [
        ("right", "13900000000"),  # the right number, a phone of nobody on it
        ("XZ-20260302-9999", CONTACT_PHONE),  # the right phone, a number that does not exist
        ("XZ-20260302-9999", "13900000000"),
    ],
)
def test_a_wrong_pair_is_not_found_whichever_part_is_wrong(client, case, number, phone):
    response = look_up(client, case.number if number == "right" else number, phone)

    assert_refused(response, 404, NOT_FOUND)


def test_an_incomplete_form_is_refused_and_not_counted(client, case):
    for _attempt in range(5):
        response = client.post(URL, {"number": case.number, "phone": "12"}, REMOTE_ADDR="10.9.9.9")
        assert response.status_code == 400
        assert "联系电话不正确" in page_text(response)
    assert client.post(URL, {"number": "", "phone": ""}, REMOTE_ADDR="10.9.9.9").status_code == 400

    assert look_up(client, case.number, CONTACT_PHONE, address="10.9.9.9").status_code == 200


def test_each_address_is_limited_per_window_even_with_the_right_pair(client, case, frozen_monday):
    assert look_up(client, "XZ-20260302-9998", CONTACT_PHONE).status_code == 404
    assert look_up(client, "XZ-20260302-9999", CONTACT_PHONE).status_code == 404
    assert look_up(client, case.number, CONTACT_PHONE).status_code == 200

    refused = look_up(client, case.number, CONTACT_PHONE)

    assert_refused(refused, 429, LIMITED)
    # Another address is not affected; this one is served again once the window is over.
    assert look_up(client, case.number, CONTACT_PHONE, address="198.51.100.1").status_code == 200
    frozen_monday.shift(timedelta(minutes=14))
    assert look_up(client, case.number, CONTACT_PHONE).status_code == 429
    frozen_monday.shift(timedelta(minutes=2))
    assert look_up(client, case.number, CONTACT_PHONE).status_code == 200


def test_behind_a_proxy_the_limit_is_per_forwarded_client(settings, client, case):
    settings.WATERDESK_TRUSTED_PROXY_COUNT = 1

    def via_proxy(client_address: str) -> int:
        return client.post(
            URL,
            {"number": case.number, "phone": CONTACT_PHONE},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=client_address,
        ).status_code

    assert [via_proxy("203.0.113.1") for _attempt in range(4)] == [200, 200, 200, 429]
    assert via_proxy("203.0.113.2") == 200


def test_a_look_up_records_no_personal_data_access_and_logs_no_phone(client, case, caplog):
    before = PersonalDataAccess.objects.count()
    caplog.set_level(logging.DEBUG)

    look_up(client, case.number, CONTACT_PHONE)
    look_up(client, case.number, CUSTOMER_MOBILE)
    look_up(client, case.number, "13900000000")  # 404
    for _attempt in range(2):
        look_up(client, case.number, CONTACT_PHONE)  # 429

    assert PersonalDataAccess.objects.count() == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for phone in (CONTACT_PHONE, CUSTOMER_MOBILE, "13900000000"):
        assert phone not in logged
    assert caplog.records, "the 404 and 429 answers are logged (without the phone)"
    assert {
        record.getMessage() for record in caplog.records if record.name == "django.request"
    } == {
        "Not Found: /lookup/",
        "Too Many Requests: /lookup/",
    }


def test_the_page_speaks_english_with_the_language_cookie(client, case):
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})

    found = look_up(client, case.number, CONTACT_PHONE)
    missing = look_up(client, case.number, "13900000000")
    limited = [look_up(client, case.number, CONTACT_PHONE) for _attempt in range(2)][-1]

    assert "<h1>Case status</h1>" in page_text(found)
    assert "<dt>Current status</dt>" in page_text(found)
    assert (
        "No case matches this case number and phone number. Please check them and try again."
        in page_text(missing)
    )
    assert "Too many look-ups. Please try again in 15 minutes." in page_text(limited)

"""Chinese by default whatever the browser asks for; English when the user picks it with the
switcher (cookie ``django_language``) — on pages, in form labels and in API error messages."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import (
    SupplyZoneFactory,
    registered_new_connection,
)
from waterdesk.cases.models import Case
from waterdesk.customers.models import Customer, Premise
from waterdesk.notify.models import Notification

ENGLISH = {settings.LANGUAGE_COOKIE_NAME: "en"}
HAN = re.compile(r"[\u4e00-\u9fff]")
PO_FILE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
PO_ESCAPE = re.compile(r'\\(["\\nt])')
PO_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def han_left(html: str, *allowed: str) -> list[str]:
    """Chinese text still on a page, apart from the given data (names, the switcher label)."""
    for text in allowed:
        html = html.replace(text, "")
    return HAN.findall(html)


# --- the default and the switcher -------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_even_for_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans"' in html
    assert "用户名" in html
    assert "员工登录" in html
    assert "Username" not in html


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client):
    client.cookies.load(ENGLISH)

    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in html
    assert "<title>Log in · Water Service Desk</title>" in html
    assert "<h1>Staff login</h1>" in html
    assert ">Username</label>" in html
    assert ">Password</label>" in html
    assert "用户名" not in html
    # Only the switcher's own name for Chinese stays Chinese.
    assert han_left(html, "简体中文") == []


@pytest.mark.django_db
def test_an_unknown_language_in_the_cookie_falls_back_to_chinese(client):
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "fr"})

    response = client.get("/login/")

    assert response["Content-Language"] == "zh-hans"
    assert "用户名" in response.content.decode()


@pytest.mark.django_db
def test_switcher_sets_the_cookie_and_the_next_page_is_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/login/")
    assert page["Content-Language"] == "en"
    assert ">Username</label>" in page.content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})

    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get("/login/")
    assert page["Content-Language"] == "zh-hans"
    assert "用户名" in page.content.decode()


# --- staff pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_clerks_queue_in_english_has_english_navigation(client, clerk):
    client.force_login(clerk)
    client.cookies.load(ENGLISH)

    response = client.get(reverse("workbench:queue"))

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "<title>My queue · Water Service Desk</title>" in html
    for label in ("My queue", "Register case", "Customer search", "Log out"):
        assert f">{label}<" in html
    assert "All cases" not in html  # a clerk does not see every case
    assert "You own no open case; claim one from the team queue below." in html
    assert "Total: 0" in html
    assert "我的待办" not in html
    assert han_left(html, "简体中文", clerk.get_full_name()) == []


@pytest.mark.django_db
def test_supervisor_sees_the_all_cases_link_in_english(client, supervisor):
    client.force_login(supervisor)
    client.cookies.load(ENGLISH)

    html = client.get(reverse("workbench:supervisor")).content.decode()

    assert ">All cases<" in html
    assert "<h1>All open cases</h1>" in html
    assert ">All statuses<" in html
    assert han_left(html, "简体中文", supervisor.get_full_name()) == []


@pytest.mark.django_db
def test_intake_form_labels_and_choices_are_english(client, clerk):
    SupplyZoneFactory()
    client.force_login(clerk)
    client.cookies.load(ENGLISH)

    html = client.get(reverse("workbench:intake")).content.decode()

    assert "<h1>Register a new connection</h1>" in html
    for label in (
        "Service address",
        "Supply zone",
        "Contact phone",
        "Requested usage category",
        "Requested size (DN)",
        "Household size",
        "Green channel reason",
    ):
        assert f">{label}" in html
    assert ">Service counter</option>" in html
    assert ">Residential</option>" in html
    assert ">Green channel</option>" in html
    assert "用水地址" not in html


@pytest.mark.django_db
def test_case_page_shows_statuses_and_clocks_in_english(client, clerk):
    with time_machine.travel(MONDAY, tick=False):
        case = registered_new_connection(clerk, materials_received=["id_card"])
        client.force_login(clerk)
        client.cookies.load(ENGLISH)

        html = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()

    assert ">Awaiting materials</span>" in html
    assert "<h2>Basic information</h2>" in html
    assert "<h2>Time limits</h2>" in html
    assert ">Contact the customer</td>" in html
    assert "<strong>One-time notice of missing materials</strong>" in html
    assert "<dt>Service address</dt>" in html
    assert "待补材料" not in html


# --- API --------------------------------------------------------------------------------


def api_client(user, *, language: str | None = None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    if language:
        client.cookies.load({settings.LANGUAGE_COOKIE_NAME: language})
    return client


def intake_payload(id_number: str) -> dict:
    return {
        "channel": "counter",
        "contact_name": "张伟",
        "contact_phone": "13800138000",
        "customer_data": {"kind": "person", "name": "张伟", "id_number": id_number},
        "premise_address": "城北区解放路100号",
        "zone": "north",
        "requested_usage": "residential",
        "requested_size_dn": 20,
        "household_size": 4,
        "materials_received": ["id_card", "property_certificate"],
    }


@pytest.mark.django_db
def test_api_domain_error_in_english_with_the_cookie(clerk):
    SupplyZoneFactory(code="north")
    payload = intake_payload("110105194912310021")  # wrong check digit

    response = api_client(clerk, language="en").post(
        "/api/new-connections/", payload, format="json"
    )

    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    body = response.json()
    assert body["code"] == "invalid_resident_id"
    assert body["field"] == "id_number"
    assert body["message"] == "Invalid resident ID number: the check digit is wrong"
    assert Customer.objects.count() == 0
    assert Premise.objects.count() == 0
    assert Case.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_api_errors_stay_chinese_without_the_cookie(clerk):
    SupplyZoneFactory(code="north")
    payload = intake_payload("110105194912310021")

    response = api_client(clerk).post(
        "/api/new-connections/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response["Content-Language"] == "zh-hans"
    assert response.json()["message"] == "身份证号码不正确：校验位错误"


@pytest.mark.django_db
def test_api_generic_errors_in_english(clerk):
    client = api_client(clerk, language="en")

    not_found = client.get("/api/cases/00000000-0000-0000-0000-000000000000/")
    invalid = client.post("/api/new-connections/", {}, format="json")

    assert not_found.status_code == 404
    assert not_found.json() == {
        "code": "not_found",
        "message": "The record does not exist or you may not view it.",
    }
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid_input"
    assert invalid.json()["message"] == "The input is not valid."
    assert Case.objects.count() == 0


# --- the catalogue ----------------------------------------------------------------------


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file without plural forms (a small reader; no gettext needed)."""

    def unquote(line: str) -> str:
        quoted = line[line.index('"') + 1 : line.rindex('"')]
        return PO_ESCAPE.sub(lambda match: PO_ESCAPES[match.group(1)], quoted)

    entries: dict[str, str] = {}
    msgid = msgstr = None
    target = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if line.startswith("msgid "):
            msgid, msgstr, target = unquote(line), None, "id"
        elif line.startswith("msgstr "):
            msgstr, target = unquote(line), "str"
        elif line.startswith('"') and target == "id":
            msgid += unquote(line)
        elif line.startswith('"') and target == "str":
            msgstr += unquote(line)
        elif not line or line.startswith("#"):
            if msgid and msgstr is not None:
                entries[msgid] = msgstr
            msgid = msgstr = target = None
    return entries


def test_every_entry_is_translated_and_the_compiled_catalogue_is_current():
    text = PO_FILE.read_text(encoding="utf-8")
    entries = po_entries(PO_FILE)

    assert "#, fuzzy" not in text
    assert "msgid_plural" not in text
    assert len(entries) > 400
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert [msgstr for msgstr in entries.values() if HAN.search(msgstr)] == []
    with translation.override("en"):
        stale = {
            msgid: translation.gettext(msgid)
            for msgid, msgstr in entries.items()
            if translation.gettext(msgid) != msgstr
        }
    assert stale == {}  # run `manage.py compilemessages` after editing the .po

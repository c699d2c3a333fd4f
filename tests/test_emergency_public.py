"""The public outage page (/outages/): current incidents and announced planned outages by
district, with their areas, water points and expected restoration, nothing personal;
served from the cache (no query after the first read) until the public pages' version
moves on."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.emergency_public_support import NOON, PERSONAL, public_world
from tests.factories import UserFactory
from waterdesk.core.roles import Role
from waterdesk.emergency.models import IncidentStatus, WaterPoint
from waterdesk.emergency.public_cache import public_cache_version, public_pages_changed

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.emergency_public_urls"),
]

SECTION = re.compile(r'<section class="outage-district" data-district="([^"]*)"')
EVENT = re.compile(r'data-event="([^"]+)"')


def _sections(html: str) -> dict[str, list[str]]:
    """district → the events listed under it, in order."""
    parts = SECTION.split(html)
    return {parts[i]: EVENT.findall(parts[i + 1]) for i in range(1, len(parts), 2)}


def _main(response) -> str:
    """The page's content (the header carries the visitor's own CSRF token)."""
    html = response.content.decode()
    return html[html.index('<div class="public-outages">') : html.index("</main>")]


@pytest.fixture
def world():
    return public_world()


def _get(client, url):
    with time_machine.travel(NOON, tick=False):
        return client.get(url)


def test_current_incidents_and_announced_outages_by_district(client, world):
    response = _get(client, "/outages/")

    assert response.status_code == 200
    html = response.content.decode()
    incident, outage = f"incident-{world.incident.pk}", f"outage-{world.outage.pk}"
    # The zone's premises lie in two districts; the street's in one. Sorted by name.
    assert _sections(html) == {"城东区": [incident], "城北区": [outage], "城南区": [incident]}
    for shown in (
        "人民路DN600供水主管爆管",
        "人民路供水主管爆裂，城东片区停水抢修，请提前储水。",
        "管道爆裂",  # the incident's type
        "城东片区",  # its area in words
        "城东区、城南区",  # the districts it touches
        "城东区人民广场东侧",  # the open water point, its hours and supplies
        "8:00-22:00",
        "送水车",
        "2026-12-02 18:00",  # expected restoration, local time
        "2026-12-02 10:10",  # last update: the activation
        "解放路DN300管道改造",
        "城北区解放路",
        "2026-12-03 08:00",  # the outage's start …
        "2026-12-03 18:00",  # … and end
        "（尚未开始）",
    ):
        assert shown in html, shown
    for hidden in ("南湖公园北门", "北京路阀门故障", "北京路水表更换", *PERSONAL):
        assert hidden not in html, hidden
    assert response["Cache-Control"] == "public, max-age=30"


def test_one_district_by_path_or_filter(client, world):
    by_path = _get(client, reverse("portal:outages_public", args=["城北区"]))
    by_query = _get(client, "/outages/?district=城北区")

    for response in (by_path, by_query):
        html = response.content.decode()
        assert response.status_code == 200
        assert _sections(html) == {"城北区": [f"outage-{world.outage.pk}"]}
        assert "人民路DN600供水主管爆管" not in html
        assert '<a href="/outages/%E5%9F%8E%E5%8C%97%E5%8C%BA/" aria-current="page">' in html


def test_a_district_without_events_says_so_and_leads_back(client, world):
    response = _get(client, "/outages/城西区/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "目前城西区没有停水事件和计划停水。" in html
    assert "查看全部区县的停水信息" in html
    assert _sections(html) == {}


def test_nothing_to_show_is_a_clear_empty_state(client):
    response = _get(client, "/outages/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "目前没有停水事件和计划停水。" in html
    assert 'class="outage-districts"' not in html


def test_a_second_read_costs_no_query(client, world, django_assert_num_queries):
    first = _get(client, "/outages/")
    with django_assert_num_queries(0):
        second = _get(client, "/outages/")
        district = _get(client, "/outages/城东区/")
    with django_assert_num_queries(0):
        again = _get(client, "/outages/城东区/")
        unknown = _get(client, "/outages/城西区/")  # answered from the cached board

    assert _main(second) == _main(first)
    assert _main(again) == _main(district)
    assert "城东区停水信息" in _main(district)
    assert unknown.status_code == 200


def test_a_change_shows_once_the_version_moves_on(
    client, world, django_capture_on_commit_callbacks
):
    before = _get(client, "/outages/").content.decode()
    WaterPoint.objects.create(
        case=world.incident.case,
        address="东湖小学门口",
        district="城东区",
        opening_hours="7:00-21:00",
        supplies="瓶装水",
    )
    world.incident.case.status = IncidentStatus.RESTORED
    world.incident.case.save(update_fields=["status"])
    assert "东湖小学门口" not in _get(client, "/outages/").content.decode()  # still cached

    version = public_cache_version()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        public_pages_changed()
    after = _get(client, "/outages/").content.decode()

    assert public_cache_version() == version + 1
    assert "人民路DN600供水主管爆管" in before
    assert "人民路DN600供水主管爆管" not in after  # restored: off the page
    assert _sections(after) == {"城北区": [f"outage-{world.outage.pk}"]}


def test_entries_expire_without_a_change(client, world):
    _get(client, "/outages/")
    world.outage.public_summary = "解放路管道改造，已延长至次日。"
    world.outage.save(update_fields=["public_summary"])
    cache.clear()  # what PUBLIC_CACHE_SECONDS does on its own

    assert "已延长至次日" in _get(client, "/outages/").content.decode()


def test_an_outage_past_its_end_says_restoration_is_late(client, world):
    with time_machine.travel(NOON + timedelta(days=2), tick=False):
        html = client.get("/outages/").content.decode()

    assert "（已超过预计时间，正在抓紧恢复）" in html


def test_the_page_is_read_only(client, world):
    assert client.post("/outages/").status_code == 405


def test_the_page_in_english(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _get(client, "/outages/").content.decode()

    assert 'lang="en"' in html
    assert _sections(html)["城东区"] == [f"incident-{world.incident.pk}"]


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_each_visitor_gets_their_own_csrf_token_in_the_shared_page(world):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [_get(first, "/outages/"), _get(second, "/outages/")]

    tokens = [TOKEN.findall(page.content.decode()) for page in pages]
    assert tokens[0] and tokens[1] and tokens[0][0] != tokens[1][0]
    assert "visitorCsrfTokenSlot" not in pages[1].content.decode()
    assert _main(pages[0]) == _main(pages[1])
    # The language switcher of the kept page works with the visitor's own token.
    switched = second.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/outages/", "csrfmiddlewaretoken": tokens[1][0]},
    )
    assert switched.status_code == 302
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_staff_signed_in_get_their_own_header_not_the_shared_page(client, world):
    _get(client, "/outages/")  # the shared page is kept
    staff = Client()
    staff.force_login(UserFactory(username="duty1", first_name="王值班", role=Role.DUTY_MANAGER))

    mine = _get(staff, "/outages/").content.decode()
    anyone = _get(client, "/outages/").content.decode()

    assert "王值班" in mine and "王值班" not in anyone
    assert _sections(mine) == _sections(anyone)

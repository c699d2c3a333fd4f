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
    """The page's content (without the header)."""
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


SHARED_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "public, max-age=30",
}


def _assert_shared(response, language: str) -> None:
    """The same bytes for everybody: a shared cache in front may keep it."""
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "Vary" not in response.headers
    assert response["Cache-Control"] == SHARED_HEADERS["Cache-Control"]
    assert response["Content-Type"] == SHARED_HEADERS["Content-Type"]
    assert response["Content-Language"] == language
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html
    assert 'class="language-switcher"' not in html


@pytest.mark.parametrize(
    ("url", "language"),
    [
        ("/outages/", "zh-hans"),
        ("/outages/?lang=en", "en"),
        ("/outages/?lang=zh-hans", "zh-hans"),
        ("/outages/城东区/", "zh-hans"),
        ("/outages/城东区/?lang=en", "en"),
        ("/outages/城西区/", "zh-hans"),  # no event there: rendered, not kept
        ("/outages/?district=城北区&lang=en", "en"),
    ],
)
def test_visitors_not_logged_in_get_a_page_a_shared_cache_may_keep(world, url, language):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    second.cookies["csrftoken"] = "A" * 32  # a token from another page changes nothing

    pages = [_get(first, url), _get(second, url), _get(first, url)]

    for page in pages:
        _assert_shared(page, language)
    assert pages[0].content == pages[1].content == pages[2].content


def test_the_language_links_choose_the_language_and_the_page_links_keep_it(world):
    chinese = _get(Client(), "/outages/").content.decode()
    english = _get(Client(), "/outages/?lang=en").content.decode()
    district = _get(Client(), "/outages/城东区/?lang=en").content.decode()
    filtered = _get(Client(), "/outages/?district=城北区").content.decode()

    assert '<html lang="zh-hans"' in chinese and '<html lang="en"' in english
    assert '<a href="/outages/?lang=en" lang="en" hreflang="en">English</a>' in chinese
    assert '<span lang="zh-hans" aria-current="true">简体中文</span>' in chinese
    assert '<a href="/outages/?lang=zh-hans" lang="zh-hans" hreflang="zh-hans">' in english
    assert '<span lang="en" aria-current="true">English</span>' in english
    # The district links carry the chosen language (following them sets no cookie) …
    assert '<a href="/outages/%E5%9F%8E%E5%8C%97%E5%8C%BA/?lang=en">' in english
    assert '<a href="/outages/%E5%9F%8E%E5%8C%97%E5%8C%BA/">' in chinese
    assert '<a href="/outages/%E5%9F%8E%E4%B8%9C%E5%8C%BA/?lang=zh-hans" lang="zh-hans"' in district
    # … and the filter's district stays in the language links.
    assert '<a href="/outages/?district=%E5%9F%8E%E5%8C%97%E5%8C%BA&amp;lang=en"' in filtered
    assert _sections(english) == _sections(chinese)


def test_the_language_cookie_chooses_the_page_language_and_lang_overrides_it(world):
    visitor = Client()
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    by_cookie = _get(visitor, "/outages/")
    chosen = _get(visitor, "/outages/?lang=zh-hans")
    unknown = _get(visitor, "/outages/?lang=xx")

    _assert_shared(by_cookie, "en")
    _assert_shared(chosen, "zh-hans")
    _assert_shared(unknown, "en")
    # The same bytes as a visitor without the cookie who chose English by the link, but
    # for the links (those of ?lang= keep it).
    linked = _get(Client(), "/outages/?lang=en")
    assert _sections(by_cookie.content.decode()) == _sections(linked.content.decode())
    assert by_cookie.content == _get(visitor, "/outages/").content


def test_the_kept_pages_of_both_languages_refresh_when_the_version_moves_on(
    world, django_capture_on_commit_callbacks
):
    urls = ("/outages/", "/outages/?lang=en", "/outages/城东区/", "/outages/城东区/?lang=en")
    before = {url: _get(Client(), url).content.decode() for url in urls}
    world.incident.case.status = IncidentStatus.RESTORED
    world.incident.case.save(update_fields=["status"])
    kept = {url: _get(Client(), url).content.decode() for url in urls}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        public_pages_changed()
    after = {url: _get(Client(), url) for url in urls}

    for url in urls:
        assert kept[url] == before[url], url
        assert "人民路DN600供水主管爆管" in before[url], url
        _assert_shared(after[url], "en" if "lang=en" in url else "zh-hans")
        assert "人民路DN600供水主管爆管" not in after[url].content.decode(), url


def test_staff_signed_in_get_their_own_header_not_the_shared_page(client, world):
    _get(client, "/outages/")  # the shared page is kept
    staff = Client()
    with time_machine.travel(NOON, tick=False):  # signed in just before (the idle timeout)
        staff.force_login(
            UserFactory(username="duty1", first_name="王值班", role=Role.DUTY_MANAGER)
        )

    mine = _get(staff, "/outages/")
    anyone = _get(client, "/outages/")

    assert "王值班" in mine.content.decode() and "王值班" not in anyone.content.decode()
    assert _sections(mine.content.decode()) == _sections(anyone.content.decode())
    # Staff keep the normal shell (the switcher's form, their token), never kept by anyone.
    assert 'class="language-switcher"' in mine.content.decode()
    assert "csrfmiddlewaretoken" in mine.content.decode()
    assert mine["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    _assert_shared(anyone, "zh-hans")

"""The water-quality disclosure: the compliance rates per plant and per supply zone (exact
on hand-made results), the latest results per point, the public page (anonymous, nothing
personal, the same bytes for every visitor, cache headers), the published reports'
downloads, and the zone results on the customer page and on the intake desk."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tests.factories import UserFactory
from tests.quality_disclosure_support import NOW, PERSONAL, disclosure_world
from waterdesk.core.roles import Role
from waterdesk.quality.models import QualityReport, ReportPeriod, ReportStatus
from waterdesk.quality.selectors_disclosure import (
    compliance_figures,
    latest_results,
    public_period,
    rate,
    rate_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        built = disclosure_world()
        yield built
    cache.clear()


def _figures(area) -> tuple:
    c = area.compliance
    return (c.samples, c.samples_passing, c.items, c.items_passing, c.items_failing)


def test_the_compliance_counts_passing_and_guidance_items_and_leaves_out_the_rest(world):
    start, end = public_period()
    figures = compliance_figures(start=start, end=end, indicators=True)

    assert (start, end) == (date(2026, 11, 3), date(2026, 12, 2))
    [plant] = figures.plants
    [zone] = figures.zones
    # The outlet: turbidity, chlorine, gross α over its guidance value (passing); the tap
    # chlorine limit does not apply at the outlet; the source is not judged.
    assert _figures(plant) == (1, 1, 3, 3, 0)
    # The zone: the network sample fails on turbidity; the unconfirmed tap sample and the
    # October one do not count.
    assert _figures(zone) == (2, 1, 4, 3, 1)
    assert (plant.compliance.item_rate, plant.compliance.sample_rate) == (
        Decimal("100.0000000000"),
        Decimal("100.0000000000"),
    )
    assert zone.compliance.item_rate == Decimal("75.0000000000")
    assert zone.compliance.sample_rate == Decimal("50.0000000000")
    overall = figures.overall
    assert (overall.samples, overall.samples_passing, overall.items, overall.items_passing) == (
        3,
        2,
        7,
        6,
    )
    assert overall.item_rate == Decimal("85.7142857143")
    assert (overall.item_rate_text, overall.sample_rate_text) == ("85.71%", "66.67%")
    turbidity = zone.indicators["turbidity"]
    assert (turbidity.tested, turbidity.passing, turbidity.range_text) == (2, 1, "0.3–1.5")
    assert set(plant.indicators) == {"turbidity", "free_chlorine_outlet", "gross_alpha"}


def test_a_rate_is_rounded_once_for_display():
    assert rate(1997, 2000) == Decimal("99.8500000000")
    assert rate_text(rate(1997, 2000)) == "99.85%"
    assert rate_text(rate(2, 3)) == "66.67%"
    assert rate_text(rate(0, 0)) == "—"


def test_the_period_bounds_are_local_days(world):
    figures = compliance_figures(start=date(2026, 12, 3), end=date(2026, 12, 31))
    assert figures.overall.samples == 0 and figures.overall.item_rate is None
    october = compliance_figures(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert _figures(october.zones[0]) == (1, 1, 1, 1, 0)


def test_the_latest_results_are_of_each_points_latest_confirmed_sample(world):
    latest = {point.code: point for point in latest_results()}

    assert set(latest) == {"east-out", "east-net-1", "east-tap-1"}  # not the source
    tap = latest["east-tap-1"]
    assert tap.taken_on == date(2026, 12, 2) and tap.passed
    assert [(r["code"], r["value"], r["limit"], r["verdict"]) for r in tap.results] == [
        ("turbidity", "0.3", "≤ 1", "pass"),
        ("ph", "7.2", "6.5–8.5", "pass"),
    ]
    assert not latest["east-net-1"].passed
    # Key results only, and never the not-applicable ones.
    assert [r["code"] for r in latest["east-out"].results] == [
        "turbidity",
        "free_chlorine_outlet",
    ]


# --- the public page --------------------------------------------------------------------


def _get(client, url):
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def _assert_shared(response, language="zh-hans"):
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "Vary" not in response.headers
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Content-Language"] == language
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and "X-CSRFToken" not in html


def test_the_public_page_shows_the_rates_to_anyone_and_nothing_personal(world):
    response = _get(Client(), "/water-quality/")

    _assert_shared(response)
    html = response.content.decode()
    assert '<span class="rate" data-rate="items">85.71%</span>' in html
    assert '<span class="rate" data-rate="samples">66.67%</span>' in html
    assert '<td class="rate" data-rate="items">75.00%</td>' in html
    assert 'data-point="east-tap-1"' in html and 'data-point="east-src"' not in html
    for personal in PERSONAL:
        assert personal not in html
    assert "暂无已发布的水质报告。" in html


@pytest.mark.parametrize(
    ("url", "language"),
    [
        ("/water-quality/", "zh-hans"),
        ("/water-quality/?lang=en", "en"),
        ("/water-quality/qz-east/", "zh-hans"),
        ("/water-quality/p-east/?lang=en", "en"),
        ("/water-quality/?utm=x", "zh-hans"),  # rendered, not kept
    ],
)
def test_every_visitor_not_logged_in_gets_the_same_bytes(world, url, language):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    second.cookies["csrftoken"] = "A" * 32

    pages = [_get(first, url), _get(second, url), _get(first, url)]

    for page in pages:
        _assert_shared(page, language)
    assert pages[0].content == pages[1].content == pages[2].content


def test_the_page_of_one_zone_and_of_one_plant(world):
    zone = _get(Client(), "/water-quality/qz-east/").content.decode()
    assert "城东片区水质信息" in zone
    assert '<td class="rate" data-rate="samples">50.00%</td>' in zone
    assert 'data-point="east-net-1"' in zone and 'data-point="east-out"' not in zone

    plant = _get(Client(), "/water-quality/p-east/?lang=en").content.decode()
    assert 'data-point="east-out"' in plant and 'data-point="east-tap-1"' not in plant
    assert 'href="/water-quality/?lang=en"' in plant  # the way back keeps the language

    assert _get(Client(), "/water-quality/nowhere/").status_code == 404
    assert _get(Client(), "/water-quality/east-src/").status_code == 404


def test_staff_signed_in_get_a_page_never_kept(world, client):
    with time_machine.travel(NOW, tick=False):
        client.force_login(world.world.manager)
        response = client.get("/water-quality/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "85.71%" in response.content.decode()


def test_the_page_is_read_only(world):
    assert Client().post("/water-quality/").status_code == 405


def _report(world, status):
    return QualityReport.objects.create(
        period=ReportPeriod.MONTH,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        status=status,
        snapshot={"overall": {}, "plants": [], "zones": []},
        generated_by=world.world.manager,
    )


def test_a_published_report_is_listed_with_its_downloads_and_a_draft_is_not(world):
    report = _report(world, ReportStatus.DRAFT)

    assert "暂无已发布的水质报告。" in _get(Client(), "/water-quality/").content.decode()
    for fmt in ("pdf", "csv", "xlsx"):
        assert _get(Client(), f"/water-quality/reports/{report.pk}/{fmt}/").status_code == 404

    QualityReport.objects.filter(pk=report.pk).update(status=ReportStatus.PUBLISHED)
    cache.clear()  # the publish service moves the version on (tests/test_quality_reports.py)
    html = _get(Client(), "/water-quality/").content.decode()
    assert f'href="/water-quality/reports/{report.pk}/pdf/"' in html
    pdf = _get(Client(), f"/water-quality/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "public, max-age=3600"
    csv = _get(Client(), f"/water-quality/reports/{report.pk}/csv/")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert _get(Client(), f"/water-quality/reports/{report.pk}/doc/").status_code == 404


# --- the customer page and the intake desk -------------------------------------------------


def test_the_customer_page_shows_the_zone_results_of_the_premises(world, client):
    clerk = UserFactory(username="clerk-q", role=Role.INTAKE_CLERK)
    customer = world.account.customer
    with time_machine.travel(NOW, tick=False):
        client.force_login(clerk)
        html = client.get(f"/desk/customers/{customer.public_id}/").content.decode()

    assert 'id="quality-banner"' in html
    assert 'data-zone="qz-east"' in html
    assert '<span class="rate" data-rate="items">75.00%</span>' in html
    assert '<span class="rate" data-rate="samples">50.00%</span>' in html
    assert "人民路管网（2026-12-02）" in html


def test_no_banner_for_a_customer_outside_the_sampled_zones(world, client):
    from tests.factories import AccountFactory

    other = AccountFactory().customer  # the factory's own zone has no sampling point
    clerk = UserFactory(username="clerk-q", role=Role.INTAKE_CLERK)
    with time_machine.travel(NOW, tick=False):
        client.force_login(clerk)
        html = client.get(f"/desk/customers/{other.public_id}/").content.decode()

    assert 'id="quality-banner"' not in html


def test_the_inquiry_desk_shows_the_picked_customers_zone_results(world, client):
    clerk = UserFactory(username="clerk-q", role=Role.INTAKE_CLERK)
    customer = world.account.customer
    with time_machine.travel(NOW, tick=False):
        client.force_login(clerk)
        picked = client.get(f"/desk/customers/{customer.public_id}/pick/").content.decode()
        intake = client.get(f"/desk/intake/inquiry/?customer={customer.public_id}")

    # The customer picked by the search, and the intake opened for the customer.
    assert 'data-zone="qz-east"' in picked and "75.00%" in picked
    assert intake.status_code == 200
    assert 'data-zone="qz-east"' in intake.content.decode()


def test_the_english_page(world):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _get(client, "/water-quality/")
    assert response["Content-Language"] == "en"

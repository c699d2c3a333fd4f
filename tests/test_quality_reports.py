"""The disclosure reports: generated from the confirmed samples of a closed month or quarter
(regenerated while a draft), reviewed by someone other than the generator, published only
once reviewed; every refusal writes nothing. The PDF is real (pypdf: text and embedded
fonts), the CSV and the Excel workbook hold the snapshot's figures; the staff pages."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import UserFactory
from tests.quality_disclosure_support import disclosure_world, pdf_fonts
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.documents import report_csv, report_pdf, report_xlsx
from waterdesk.quality.models import QualityReport, ReportPeriod, ReportStatus
from waterdesk.quality.selectors_disclosure import PUBLIC_VERSION_KEY, disclosure_version
from waterdesk.quality.services.reports import (
    period_bounds,
    report_generate,
    report_publish,
    report_review,
)

pytestmark = pytest.mark.django_db

BUILT = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
JANUARY = datetime(2027, 1, 5, 10, 0, tzinfo=LOCAL_TZ)
DECEMBER = date(2026, 12, 1)


@pytest.fixture
def world():
    cache.clear()
    with time_machine.travel(BUILT, tick=False):
        built = disclosure_world()
    with time_machine.travel(JANUARY, tick=False):
        yield built
    cache.clear()


@pytest.fixture
def second_manager(world):
    return UserFactory(username="qmanager2", role=Role.QUALITY_MANAGER)


def _generate(world, **kwargs):
    return report_generate(
        actor=world.world.manager, period=ReportPeriod.MONTH, period_start=DECEMBER, **kwargs
    )


def test_period_bounds():
    assert period_bounds("month", date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds("month", date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_bounds("quarter", date(2026, 11, 5)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("quarter", date(2027, 2, 1)) == (date(2027, 1, 1), date(2027, 3, 31))


def test_the_months_report_holds_the_figures_per_plant_zone_and_indicator(world):
    report = _generate(world)

    assert (report.status, report.period_start, report.period_end) == (
        ReportStatus.DRAFT,
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    snapshot = report.snapshot
    assert snapshot["overall"] == {
        "samples": 3,
        "samples_passing": 2,
        "items": 7,
        "items_passing": 6,
        "items_failing": 1,
        "sample_rate": "66.6666666667",
        "item_rate": "85.7142857143",
    }
    [plant] = snapshot["plants"]
    [zone] = snapshot["zones"]
    assert (plant["code"], plant["items"], plant["item_rate"]) == ("p-east", 3, "100.0000000000")
    assert (zone["code"], zone["samples"], zone["samples_passing"]) == ("qz-east", 2, 1)
    turbidity = next(item for item in zone["indicators"] if item["code"] == "turbidity")
    assert turbidity == {
        "code": "turbidity",
        "name": "浑浊度",
        "unit": "NTU",
        "limit": "≤ 1",
        "tested": 2,
        "passing": 1,
        "min": "0.3",
        "max": "1.5",
    }


def test_the_quarters_report_counts_october_too(world):
    report = report_generate(
        actor=world.world.manager, period=ReportPeriod.QUARTER, period_start=date(2026, 11, 20)
    )
    assert (report.period_start, report.period_end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert report.snapshot["zones"][0]["samples"] == 3  # the October tap sample


def test_a_period_not_over_is_refused_and_nothing_is_written(world):
    with pytest.raises(InvalidInput) as refused:
        report_generate(
            actor=world.world.manager, period=ReportPeriod.MONTH, period_start=date(2027, 1, 1)
        )
    assert refused.value.code == "report_period_open"
    assert "尚未结束" in str(refused.value.message)
    assert not QualityReport.objects.exists()


def test_only_the_quality_manager_generates(world):
    with pytest.raises(NotPermitted):
        report_generate(actor=world.world.analyst, period=ReportPeriod.MONTH, period_start=DECEMBER)
    assert not QualityReport.objects.exists()


def test_a_draft_is_regenerated_and_a_reviewed_report_is_frozen(world, second_manager):
    first = _generate(world)
    again = report_generate(actor=second_manager, period=ReportPeriod.MONTH, period_start=DECEMBER)
    assert again.pk == first.pk and again.generated_by == second_manager
    assert QualityReport.objects.count() == 1

    report_review(actor=world.world.manager, report=again)
    with pytest.raises(InvalidInput) as refused:
        _generate(world)
    assert refused.value.code == "report_frozen"
    assert QualityReport.objects.get().generated_by == second_manager


def test_the_generator_may_not_review_and_publishing_needs_a_review(world, second_manager):
    report = _generate(world)

    with pytest.raises(InvalidInput) as refused:
        report_review(actor=world.world.manager, report=report)
    assert refused.value.code == "report_reviewer_is_generator"
    assert "生成人以外" in str(refused.value.message)
    with pytest.raises(InvalidInput) as unreviewed:
        report_publish(actor=second_manager, report=report)
    assert unreviewed.value.code == "report_status"
    with pytest.raises(NotPermitted):
        report_review(actor=world.world.analyst, report=report)
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.published_by) == (
        ReportStatus.DRAFT,
        None,
        None,
    )

    report_review(actor=second_manager, report=report)
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.reviewed_at) == (
        ReportStatus.REVIEWED,
        second_manager,
        JANUARY,
    )


def test_publishing_moves_the_public_page_on(
    world, second_manager, django_capture_on_commit_callbacks
):
    report = _generate(world)
    report_review(actor=second_manager, report=report)
    before = disclosure_version()

    with django_capture_on_commit_callbacks(execute=True):
        report_publish(actor=world.world.manager, report=report)

    report.refresh_from_db()
    assert (report.status, report.published_by) == (ReportStatus.PUBLISHED, world.world.manager)
    assert cache.get(PUBLIC_VERSION_KEY) == before + 1
    with pytest.raises(InvalidInput):
        report_publish(actor=world.world.manager, report=report)


# --- the documents ------------------------------------------------------------------------


def test_the_pdf_is_real_with_its_fonts_embedded(world):
    content = report_pdf(_generate(world))

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    words = "".join(text.split())
    assert "2026年12月供水水质公告" in words
    assert "85.71%" in words and "66.67%" in words and "75.00%" in words
    assert "城东片区" in words and "浑浊度" in words
    fonts = pdf_fonts(content)
    assert fonts and all(fonts.values()), fonts


def test_the_csv_and_the_workbook_hold_the_figures(world):
    report = _generate(world)

    content = report_csv(report)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["2026年12月供水水质公告"]
    assert ["供水片区", "qz-east", "城东片区", "2", "1", "50.00%", "4", "3", "1", "75.00%"] in rows
    assert ["全部", "", "", "3", "2", "66.67%", "7", "6", "1", "85.71%"] in rows
    turbidity = ["qz-east", "城东片区", "turbidity", "浑浊度", "NTU", "≤ 1", "2", "1", "0.3", "1.5"]
    assert ["供水片区", *turbidity] in rows

    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames == ["合格率", "指标"]
    sheet = [list(row) for row in book["合格率"].iter_rows(values_only=True)]
    assert ["水厂出厂水", "p-east", "城东水厂", 1, 1, "100.00%", 3, 3, 0, "100.00%"] in sheet
    indicators = [list(row) for row in book["指标"].iter_rows(values_only=True)]
    assert indicators[0][3] == "指标编码"
    assert any(row[3] == "gross_alpha" and row[7] == 1 and row[8] == 1 for row in indicators)


# --- the pages ----------------------------------------------------------------------------


def test_the_manager_generates_on_the_page(world, client):
    client.force_login(world.world.manager)
    page = client.get("/desk/quality/reports/")
    assert page.status_code == 200 and 'id="report-generate-form"' in page.content.decode()

    refused = client.post("/desk/quality/reports/", {"period": "month", "period_start": "2027-01"})
    assert refused.status_code == 400
    assert "尚未结束" in refused.content.decode()
    assert not QualityReport.objects.exists()

    done = client.post("/desk/quality/reports/", {"period": "month", "period_start": "2026-12"})
    report = QualityReport.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/desk/quality/reports/{report.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert 'id="report-awaiting-review"' in page and 'id="report-review-form"' not in page
    assert '<span id="report-item-rate">85.71%</span>' in page


def test_review_and_publish_on_the_page(world, client, second_manager):
    report = _generate(world)
    client.force_login(world.world.manager)
    own = client.post(f"/desk/quality/reports/{report.pk}/", {"action": "review"})
    assert own.status_code == 400
    assert "报告须由生成人以外的人员审核" in own.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT

    client.force_login(second_manager)
    page = client.get(f"/desk/quality/reports/{report.pk}/").content.decode()
    assert 'id="report-review-form"' in page
    assert (
        client.post(f"/desk/quality/reports/{report.pk}/", {"action": "review"}).status_code == 302
    )
    page = client.get(f"/desk/quality/reports/{report.pk}/").content.decode()
    assert 'id="report-publish-form"' in page
    assert (
        client.post(f"/desk/quality/reports/{report.pk}/", {"action": "publish"}).status_code == 302
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED


def test_readers_read_and_download_but_do_not_act(world, client):
    report = _generate(world)
    client.force_login(UserFactory(username="sup-q", role=Role.SUPERVISOR))

    page = client.get("/desk/quality/reports/").content.decode()
    assert 'id="report-generate-form"' not in page
    assert client.get(f"/desk/quality/reports/{report.pk}/pdf/").content.startswith(b"%PDF")
    xlsx = client.get(f"/desk/quality/reports/{report.pk}/xlsx/")
    assert xlsx["Content-Disposition"] == 'attachment; filename="water-quality-2026-12.xlsx"'
    assert client.get(f"/desk/quality/reports/{report.pk}/csv/").status_code == 200
    assert (
        client.post(f"/desk/quality/reports/{report.pk}/", {"action": "review"}).status_code == 403
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_people_without_quality_access_are_refused(world, client):
    client.force_login(UserFactory(username="clerk-q", role=Role.INTAKE_CLERK))
    assert client.get("/desk/quality/reports/").status_code == 403

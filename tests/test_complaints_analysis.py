"""The complaint analysis for supervisors (issue 12 §7): counts by category, department,
staff, root cause and month, the figures, repeat complainants (masked), the open
complaints by deadline and round, the filters, the Excel file, who may open the page, and
that the number of queries does not grow with the complaints.

The complaints are the hand-built set of ``tests/complaints_analysis_support.py``."""

from datetime import date, timedelta
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.complaints_analysis_support import NOW, analysis_world, at, register
from tests.factories import UserFactory
from waterdesk.complaints.analysis import (
    AnalysisFilter,
    complaint_analysis,
    complaint_counts_by,
    complaint_open_by_deadline,
    complaint_open_by_round,
    complaint_repeat_complainants,
    complaint_summary,
    default_period,
)
from waterdesk.complaints.models import ComplaintCategory
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db

PERIOD = (date(2025, 12, 1), date(2026, 11, 16))


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        yield analysis_world()


def period(**fields) -> AnalysisFilter:
    return AnalysisFilter(start=PERIOD[0], end=PERIOD[1], **fields)


def counts(rows) -> list[tuple[str, str, int]]:
    return [(row.key, row.label, row.count) for row in rows]


def test_the_default_period_is_the_last_twelve_months():
    assert default_period(date(2026, 11, 16)) == PERIOD
    assert default_period(date(2026, 1, 31)) == (date(2025, 2, 1), date(2026, 1, 31))


def test_counts_by_category_department_staff_and_root_cause(world):
    filters = period()
    assert counts(complaint_counts_by(filters, "category")) == [
        ("supply", "停水水压", 2),
        ("billing", "水费账单", 2),
        ("other", "其他", 1),
        ("service_attitude", "服务态度", 1),
    ]
    assert counts(complaint_counts_by(filters, "department")) == [
        (str(world.service.pk), "客服中心", 3),
        (str(world.network.pk), "管网所", 3),
    ]
    assert counts(complaint_counts_by(filters, "staff")) == [
        ("", "未涉及具体员工", 3),
        (str(world.s1.pk), "张伟", 2),
        (str(world.s2.pk), "李娜", 1),
    ]
    assert counts(complaint_counts_by(filters, "root_cause")) == [
        ("billing_error", "水费差错", 2),
        ("", "尚未查明", 2),
        ("service_attitude", "服务态度", 1),
        ("pressure_supply", "水压或停水", 1),
    ]


def test_counts_by_month_list_every_month_of_the_period(world):
    rows = complaint_counts_by(period(), "month")
    assert [row.key for row in rows] == [
        "2025-12",
        *[f"2026-{month:02d}" for month in range(1, 12)],
    ]
    assert {row.key: row.count for row in rows if row.count} == {
        "2026-09": 1,
        "2026-10": 2,
        "2026-11": 3,
    }


def test_a_complaint_counts_in_the_month_of_beijing_time(world):
    # 1 December 00:30 in Beijing is still 30 November in UTC.
    with time_machine.travel(at("12-01", hour=1), tick=False):
        register(world.clerk, opened_at=at("12-01", hour=0) + timedelta(minutes=30), code="other")
    rows = complaint_counts_by(
        AnalysisFilter(start=date(2026, 11, 1), end=date(2026, 12, 1)), "month"
    )
    assert counts(rows) == [("2026-11", "2026-11", 3), ("2026-12", "2026-12", 1)]


def test_the_summary_figures(world):
    summary = complaint_summary(period())
    assert (summary.total, summary.open) == (6, 4)
    assert (summary.substantiated, summary.unsubstantiated, summary.undecided) == (2, 1, 3)
    assert summary.substantiated_share == 66.7
    assert (summary.city_hotline, summary.city_hotline_share) == (1, 16.7)
    assert (summary.replied, summary.first_reply, summary.first_reply_hours) == (
        2,
        timedelta(hours=36),
        36.0,
    )


def test_an_empty_period_has_no_shares(world):
    summary = complaint_summary(AnalysisFilter(start=date(2020, 1, 1), end=date(2020, 1, 31)))
    assert (summary.total, summary.substantiated_share, summary.city_hotline_share) == (
        0,
        None,
        None,
    )
    assert summary.first_reply_hours is None


def test_filters_by_department_and_category(world):
    by_service = period(department=world.service)
    assert complaint_summary(by_service).total == 3
    assert counts(complaint_counts_by(by_service, "category")) == [
        ("billing", "水费账单", 2),
        ("service_attitude", "服务态度", 1),
    ]
    billing = period(category=ComplaintCategory.objects.get(code="billing"))
    assert counts(complaint_counts_by(billing, "staff")) == [(str(world.s1.pk), "张伟", 2)]
    both = period(department=world.network, category=ComplaintCategory.objects.get(code="billing"))
    assert complaint_summary(both).total == 0
    # The period: the older complaint f joins when the period reaches back to it.
    assert complaint_summary(AnalysisFilter(start=date(2025, 10, 1), end=PERIOD[1])).total == 7


def test_repeat_complainants_are_the_same_customer_or_phone_masked(world):
    repeats = complaint_repeat_complainants(period())
    assert [(r.masked_phone, r.is_customer, r.count) for r in repeats] == [
        ("138****0004", True, 2),  # customer X, complaints d and e (the latest first)
        ("138****0001", False, 2),  # complaints a and b; f is outside the period
    ]
    assert [[case.number for case in r.cases] for r in repeats] == [
        [world.number("e"), world.number("d")],
        [world.number("b"), world.number("a")],
    ]
    # Reaching back to f: three by that phone, now the first.
    longer = complaint_repeat_complainants(AnalysisFilter(start=date(2025, 10, 1), end=PERIOD[1]))
    assert [(r.masked_phone, r.count) for r in longer] == [
        ("138****0001", 3),
        ("138****0004", 2),
    ]
    assert complaint_repeat_complainants(period(), limit=1)[0].masked_phone == "138****0004"
    assert complaint_repeat_complainants(period(department=world.network)) == []


def test_open_complaints_nearest_deadline_first_with_round_and_level(world):
    rows = complaint_open_by_deadline(period(), now=NOW)
    assert [(row.number, row.milestone, row.is_overdue) for row in rows] == [
        (world.number("f"), "受理确认", True),
        (world.number("c"), "受理确认", True),
        (world.number("d"), "受理确认", True),
        # Both due at the end of Tuesday: the older complaint first.
        (world.number("e"), "第 1 轮答复", False),
        (world.number("g"), "受理确认", False),
    ]
    assert [row.due_at for row in rows] == sorted(row.due_at for row in rows)
    assert rows[3].due_at == rows[4].due_at == at("11-17", hour=17) + timedelta(minutes=30)
    d = rows[2]
    assert (d.round, d.escalation_level, d.escalation_label) == (2, 1, "部门负责人")
    assert [row.is_city_hotline for row in rows] == [False, True, False, False, False]
    assert [
        (row.round, row.escalation_level, row.count) for row in complaint_open_by_round(period())
    ] == [(1, 0, 4), (2, 1, 1)]
    by_network = complaint_open_by_deadline(period(department=world.network), now=NOW)
    assert [row.number for row in by_network] == [
        world.number("c"),
        world.number("d"),
        world.number("g"),
    ]
    assert len(complaint_open_by_deadline(period(), now=NOW, limit=2)) == 2


def _queries(filters) -> int:
    with CaptureQueriesContext(connection) as captured:
        complaint_analysis(filters, now=NOW)
    return len(captured)


def test_the_queries_do_not_grow_with_the_complaints(world):
    before = _queries(period())
    with time_machine.travel(NOW, tick=False):
        for n in range(6):
            register(
                world.clerk,
                opened_at=at("08-03") + timedelta(days=n),
                code="meter",
                phone=f"1380000010{n % 2}",
                staff_concerned=world.s2,
            )
    assert _queries(period()) == before
    # The figures 2, the breakdowns 5, the repeat complainants 3, the open complaints 3.
    assert before == 13


# --- the pages ------------------------------------------------------------------------------

URL = reverse("workbench:complaint_analysis")
XLSX = reverse("workbench:complaint_analysis_xlsx")


def test_the_page_shows_the_figures_masked(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "投诉分析（2025-12-01 至 2026-11-16）" in page
    assert 'data-figure="total">6<' in page
    assert 'name="start" value="2025-12-01"' in page and 'name="end" value="2026-11-16"' in page
    assert "66.7%" in page and "16.7%" in page and "36.0 小时" in page
    assert "138****0004" in page and "138****0001" in page
    for phone in ("13800000001", "13800000004", "13900000009"):
        assert phone not in page
    assert "王芳" not in page and "赵先生" not in page
    assert reverse("workbench:case", args=[world.cases["d"].public_id]) in page
    assert 'id="complaint-analysis-data"' in page
    assert "<script>" not in page  # the data is JSON (type="application/json"), no inline code
    chart = response.context["chart_data"]
    assert chart["category"] == {
        "labels": ["停水水压", "水费账单", "其他", "服务态度"],
        "counts": [2, 2, 1, 1],
    }
    assert chart["substantiated"]["counts"] == [2, 1, 3]
    assert "/static/vendor/echarts/echarts.min.js" in page
    assert "/static/complaints/analysis.js" in page
    assert response["Content-Security-Policy"].count("unsafe-inline") == 0
    # The header links the page for supervisors.
    assert f'href="{URL}"' in page


def test_the_page_filters(client, world):
    client.force_login(world.supervisor)
    billing = ComplaintCategory.objects.get(code="billing")
    with time_machine.travel(NOW, tick=False):
        response = client.get(
            URL,
            {"start": "2025-10-01", "end": "2026-11-16", "category": billing.pk},
        )
    assert response.status_code == 200
    analysis = response.context["analysis"]
    assert analysis.summary.total == 3
    assert analysis.filters.category == billing
    assert response.context["export_query"] == (
        f"start=2025-10-01&end=2026-11-16&category={billing.pk}"
    )


def test_a_refused_filter_shows_the_default_period(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL, {"start": "2026-11-10", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert response.context["analysis"].filters.start == PERIOD[0]


@pytest.mark.parametrize("url", [URL, XLSX])
def test_who_may_open_the_analysis(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    for role in (Role.INTAKE_CLERK, Role.COMPLAINT_HANDLER, Role.DEPARTMENT_RESPONDER):
        client.force_login(UserFactory(role=role))
        assert client.get(url).status_code == 403
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        assert client.get(url).status_code == 200


def test_the_header_link_is_for_supervisors_only(client, world):
    client.force_login(world.clerk)
    assert f'href="{URL}"' not in client.get(reverse("workbench:queue")).content.decode()


def _sheet(book, title) -> list[tuple]:
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


def test_the_excel_file(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(XLSX)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="complaints-2025-12-01-2026-11-16.xlsx"'
    )
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "概况",
        "按投诉类别",
        "按承办部门",
        "按被投诉员工",
        "按原因分类",
        "按受理月份",
        "重复投诉人",
        "未办结投诉",
    ]
    summary = dict(row[:2] for row in _sheet(book, "概况") if row and row[0])
    assert summary["受理期间"] == "2025-12-01 至 2026-11-16"
    assert summary["承办部门"] == "全部部门"
    assert (summary["投诉总数"], summary["其中未办结"], summary["属实率（%）"]) == (6, 4, 66.7)
    assert (summary["12345 转办占比（%）"], summary["平均首次答复用时（小时）"]) == (16.7, 36)
    assert summary["重复投诉人"] == 2
    assert _sheet(book, "按投诉类别") == [
        ("按投诉类别", "投诉数"),
        ("停水水压", 2),
        ("水费账单", 2),
        ("其他", 1),
        ("服务态度", 1),
    ]
    assert _sheet(book, "按被投诉员工")[1:] == [("未涉及具体员工", 3), ("张伟", 2), ("李娜", 1)]
    months = _sheet(book, "按受理月份")[1:]
    assert len(months) == 12 and months[-1] == ("2026-11", 3)
    assert _sheet(book, "重复投诉人") == [
        ("联系电话", "投诉数", "最近受理", "受理编号"),
        ("138****0004", 2, "2026-11-10 10:00", f"{world.number('e')}、{world.number('d')}"),
        ("138****0001", 2, "2026-10-05 10:00", f"{world.number('b')}、{world.number('a')}"),
    ]
    open_rows = _sheet(book, "未办结投诉")
    assert [row[0] for row in open_rows[1:]] == [
        world.number(name) for name in ("f", "c", "d", "e", "g")
    ]
    assert open_rows[3][5:7] == (2, "部门负责人")
    assert [row[9] for row in open_rows[1:]] == ["是", "是", "是", "否", "否"]
    text = repr([_sheet(book, title) for title in book.sheetnames])
    assert "13800000001" not in text and "王芳" not in text


def test_the_excel_file_has_the_filters(client, world):
    client.force_login(world.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(XLSX, {"department": world.network.pk})
    book = load_workbook(BytesIO(response.content))
    summary = dict(row[:2] for row in _sheet(book, "概况") if row and row[0])
    assert (summary["承办部门"], summary["投诉总数"]) == ("管网所", 3)
    assert _sheet(book, "重复投诉人")[1:] == []

"""A disclosure report's downloads: the PDF (set in the embedded font with the company's
letterhead, ``core.pdf``), the CSV (UTF-8 with a byte-order mark, so that Excel reads the
Chinese) and the Excel workbook (``core.xlsx``). All three are built from the report's
snapshot only: a published report reads the same whenever it is downloaded. Like every
document for the public, they are in Chinese whatever the reader's interface language."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from waterdesk.core.pdf import SMALL, build, cells, grid, letterhead, para
from waterdesk.core.timeutil import local
from waterdesk.core.xlsx import Cell, workbook_bytes
from waterdesk.quality.models import QualityReport, ReportPeriod
from waterdesk.quality.selectors_disclosure import rate_text

AREA_HEADINGS = [
    "类别",
    "编码",
    "名称",
    "水样数",
    "合格水样数",
    "水样合格率",
    "检测项次",
    "合格项次",
    "不合格项次",
    "项次合格率",
]
INDICATOR_HEADINGS = [
    "类别",
    "编码",
    "名称",
    "指标编码",
    "指标",
    "单位",
    "限值",
    "检测数",
    "合格数",
    "最小值",
    "最大值",
]
KIND_LABELS = {"plant": "水厂出厂水", "zone": "供水片区", "overall": "全部"}


def report_title(report: QualityReport) -> str:
    start = report.period_start
    if report.period == ReportPeriod.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度供水水质公告"
    return f"{start.year}年{start.month}月供水水质公告"


def report_filename(report: QualityReport, extension: str) -> str:
    start = report.period_start
    if report.period == ReportPeriod.QUARTER:
        stem = f"water-quality-{start.year}-Q{(start.month - 1) // 3 + 1}"
    else:
        stem = f"water-quality-{start:%Y-%m}"
    return f"{stem}.{extension}"


def _rate(value) -> str:
    return rate_text(None if value is None else Decimal(value))


def area_rows(report: QualityReport) -> list[list]:
    """One row per plant and zone, then the overall figures."""
    snapshot = report.snapshot
    rows = []
    for area in (*snapshot.get("plants", ()), *snapshot.get("zones", ())):
        rows.append(_area_row(KIND_LABELS[area["kind"]], area["code"], area["name"], area))
    overall = snapshot.get("overall")
    if overall:
        rows.append(_area_row(KIND_LABELS["overall"], "", "", overall))
    return rows


def _area_row(kind: str, code: str, name: str, figures: dict) -> list:
    return [
        kind,
        code,
        name,
        figures["samples"],
        figures["samples_passing"],
        _rate(figures["sample_rate"]),
        figures["items"],
        figures["items_passing"],
        figures["items_failing"],
        _rate(figures["item_rate"]),
    ]


def indicator_rows(report: QualityReport) -> list[list]:
    rows = []
    snapshot = report.snapshot
    for area in (*snapshot.get("plants", ()), *snapshot.get("zones", ())):
        for figures in area["indicators"]:
            rows.append(
                [
                    KIND_LABELS[area["kind"]],
                    area["code"],
                    area["name"],
                    figures["code"],
                    figures["name"],
                    figures["unit"],
                    figures["limit"],
                    figures["tested"],
                    figures["passing"],
                    figures["min"] or "—",
                    figures["max"] or "—",
                ]
            )
    return rows


def _period_line(report: QualityReport) -> str:
    return f"报告期：{report.period_start:%Y-%m-%d} 至 {report.period_end:%Y-%m-%d}"


def report_pdf(report: QualityReport) -> bytes:
    title = report_title(report)
    story = [*letterhead(title), para(_period_line(report))]
    story += [
        para(
            "统计范围：报告期内已确认的出厂水、管网水、末梢水和二次供水水样（水源水不计）；"
            "依据 GB 5749-2022《生活饮用水卫生标准》判定。项次合格率 = 合格项次 / 检测项次"
            "（超指导值计为合格，不适用的指标不计）；水样合格率 = 全部指标合格的水样数 / 水样数。"
        ),
        Spacer(1, 4 * mm),
        para("一、各水厂和供水片区合格率"),
        Spacer(1, 2 * mm),
    ]
    widths = [
        22 * mm,
        20 * mm,
        28 * mm,
        12 * mm,
        14 * mm,
        16 * mm,
        14 * mm,
        14 * mm,
        14 * mm,
        16 * mm,
    ]
    story.append(
        grid(
            [cells(AREA_HEADINGS, SMALL)] + [cells(row, SMALL) for row in area_rows(report)],
            widths,
            header=True,
        )
    )
    story += [Spacer(1, 6 * mm), para("二、各指标检测情况"), Spacer(1, 2 * mm)]
    rows = indicator_rows(report)
    if rows:
        headings = ["名称", "指标", "单位", "限值", "检测数", "合格数", "最小值", "最大值"]
        body = [[row[2], *row[4:]] for row in rows]
        widths = [26 * mm, 30 * mm, 18 * mm, 26 * mm, 14 * mm, 14 * mm, 21 * mm, 21 * mm]
        story.append(
            grid(
                [cells(headings, SMALL)] + [cells(row, SMALL) for row in body],
                widths,
                header=True,
            )
        )
    else:
        story.append(para("报告期内没有已确认的检测结果。"))
    story += [Spacer(1, 6 * mm)]
    if report.published_at:
        story.append(para(f"发布日期：{local(report.published_at):%Y-%m-%d}", SMALL))
    return build(story, title=title)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """A text cell that a spreadsheet would read as a formula is written as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def report_csv(report: QualityReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([report_title(report)])
    writer.writerow([_period_line(report)])
    writer.writerow([])
    writer.writerow(AREA_HEADINGS)
    for row in area_rows(report):
        writer.writerow([_safe(value) for value in row])
    writer.writerow([])
    writer.writerow(INDICATOR_HEADINGS)
    for row in indicator_rows(report):
        writer.writerow([_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(report: QualityReport) -> bytes:
    heading = [Cell(text, bold=True) for text in AREA_HEADINGS]
    indicators = [Cell(text, bold=True) for text in INDICATOR_HEADINGS]
    return workbook_bytes(
        [
            (
                "合格率",
                [
                    [Cell(report_title(report), bold=True)],
                    [_period_line(report)],
                    heading,
                    *([_safe(value) for value in row] for row in area_rows(report)),
                ],
            ),
            (
                "指标",
                [indicators, *([_safe(value) for value in row] for row in indicator_rows(report))],
            ),
        ]
    )

"""The bill statement (水费账单) as a PDF.

ReportLab with its built-in CID font STSong-Light renders Chinese without any system
library or font file (as ``applications.documents``). The statement is a customer
document: it is printed in Chinese whatever the clerk's interface language.
"""

from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from waterdesk.billing.models import Bill, BillKind
from waterdesk.billing.selectors.bills import bill_statement
from waterdesk.core.pdf import para
from waterdesk.core.timeutil import local

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1)
_SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=13, leading=18, alignment=1)
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=12, textColor=colors.grey)

HOW_TO_PAY = (
    "缴费方式：营业厅现金或刷卡缴费；银行代扣；微信、支付宝“生活缴费”搜索本公司并输入户号；"
    "网上营业厅。逾期未缴将按规定计收违约金。如对账单有疑问，请在缴费截止日前联系营业厅或拨打服务热线。"
)


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _price(value: Decimal) -> str:
    """A unit price with two to four decimals: 2.07, 0.595."""
    text = f"{value:.4f}"
    while text.endswith("0") and len(text.rsplit(".", 1)[1]) > 2:
        text = text[:-1]
    return text


def _day(value) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


def _grid(rows, widths, *, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f8")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef3f8")))
        style.append(("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#eef3f8")))
    table.setStyle(TableStyle(style))
    return table


def _cells(values, style=_BODY):
    return [para(value, style) for value in values]


def bill_pdf(bill: Bill) -> bytes:
    """The printable statement of one bill."""
    statement = bill_statement(bill)
    account = bill.account
    estimated = "（估抄）" if statement.is_estimated else ""
    period = f"{_day(bill.period_start)} 至 {_day(bill.period_end)}"
    kind = "账期账单" if bill.kind == BillKind.CYCLE else "结清账单"
    summary = _grid(
        [
            _cells(["户号", account.number, "账单号", bill.number]),
            _cells(["户名", account.customer.name, "账单类型", kind]),
            _cells(
                [
                    "用水地址",
                    account.premise.address,
                    "账期",
                    bill.cycle.code if bill.cycle else "—",
                ]
            ),
            _cells(["计费期间", period, "出账日期", _day(local(bill.issued_at).date())]),
            _cells(
                [
                    "上次读数",
                    (
                        f"{statement.opening_value}（{_day(statement.opening_date)}）"
                        if statement.opening_value is not None
                        else "—"
                    ),
                    "本次读数",
                    f"{statement.closing_value}（{_day(statement.closing_date)}）{estimated}",
                ]
            ),
            _cells(["用水量", f"{bill.volume} m³{estimated}", "缴费截止日", _day(bill.due_date)]),
        ],
        [24 * mm, 62 * mm, 24 * mm, 60 * mm],
    )
    line_rows = [_cells(["费用项目", "阶梯", "计费期间", "水量(m³)", "单价(元/m³)", "金额(元)"])]
    for line in statement.lines:
        line_rows.append(
            _cells(
                [
                    line.component_name,
                    f"第{line.tier_index}阶梯" if line.tier_index else "—",
                    f"{line.period_start:%m.%d}–{line.period_end:%m.%d}",
                    line.volume,
                    _price(line.unit_price),
                    _yuan(line.amount),
                ]
            )
        )
    line_rows.append(_cells(["本期水费合计", "", "", bill.volume, "", _yuan(bill.amount)]))
    lines = _grid(line_rows, [36 * mm, 20 * mm, 30 * mm, 26 * mm, 28 * mm, 30 * mm], header=True)
    lines.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f7f7"))]))
    totals = _grid(
        [
            _cells(
                [
                    "上期结余/欠费",
                    _yuan(statement.balance_brought_forward),
                    "本期应缴",
                    _yuan(bill.amount),
                ]
            ),
            _cells(["合计应缴", _yuan(statement.total_due), "缴费截止日", _day(bill.due_date)]),
        ],
        [30 * mm, 55 * mm, 30 * mm, 55 * mm],
    )
    story = [
        para(settings.WATERDESK_COMPANY_NAME, _TITLE),
        Spacer(1, 2 * mm),
        para("水费账单", _SUBTITLE),
        Spacer(1, 6 * mm),
        summary,
        Spacer(1, 5 * mm),
        lines,
        Spacer(1, 5 * mm),
        totals,
        Spacer(1, 4 * mm),
        para("上期结余/欠费：正数为欠费，负数为预存余额。", _SMALL),
    ]
    if statement.is_estimated:
        story.append(
            para("本期读数为估抄，将在下次实抄时按实际读数结算。", _SMALL),
        )
    story += [
        Spacer(1, 5 * mm),
        para(HOW_TO_PAY, _BODY),
        Spacer(1, 8 * mm),
        para(f"打印时间：{local(timezone.now()):%Y-%m-%d %H:%M}", _SMALL),
    ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"水费账单 {bill.number}",
        author=settings.WATERDESK_COMPANY_NAME,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story)
    return buffer.getvalue()

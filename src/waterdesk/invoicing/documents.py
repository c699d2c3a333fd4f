"""The sandbox platform's invoice as a PDF (电子发票（普通发票）): what the platform
issued, drawn from what it was sent (``SandboxInvoice.payload``): the number and date, the
buyer and the seller with their tax ids, one row per item (name, unit, quantity, amount
without tax, rate or 免税/不征税, tax), the totals with the amount in words, the remark. A
red-letter invoice says so and names the blue one. Printed in Chinese with the embedded
font (``core.pdf``); marked as a sandbox document."""

from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from waterdesk.core.pdf import FONT, SMALL, SUBTITLE, TITLE, build, cells, grid, para
from waterdesk.core.timeutil import local
from waterdesk.invoicing.models import SandboxInvoice

RED_TITLE = ParagraphStyle("red_title", parent=TITLE, textColor=colors.red)
TAX_ID_LABEL = "统一社会信用代码/纳税人识别号"
TREATMENT_TEXT = {"exempt": "免税", "not_taxable": "不征税"}
DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
SECTIONS = ["", "万", "亿"]


def amount_in_words(value: Decimal) -> str:
    """The amount in Chinese capital numerals (大写), as invoices print it."""
    negative = value < 0
    fen_total = int((abs(value) * 100).to_integral_value())
    yuan, fen = divmod(fen_total, 100)
    text = ""
    if yuan == 0:
        text = "零"
    else:
        section_index = 0
        parts = []
        while yuan:
            yuan, section = divmod(yuan, 10000)
            chunk = ""
            zero = False
            for position in range(3, -1, -1):
                digit = section // (10**position) % 10
                if digit:
                    if zero and chunk:
                        chunk += "零"
                    chunk += DIGITS[digit] + UNITS[position]
                    zero = False
                else:
                    zero = True
            if chunk:
                parts.append(chunk + SECTIONS[section_index])
            elif parts and not parts[-1].startswith("零"):
                parts.append("零")
            section_index += 1
        text = "".join(reversed(parts)).rstrip("零")
    text += "圆"
    jiao, cent = divmod(fen, 10)
    if not jiao and not cent:
        text += "整"
    else:
        text += (DIGITS[jiao] + "角" if jiao else "零") + (DIGITS[cent] + "分" if cent else "")
    return ("负数" if negative else "") + text


def _rate(item: dict) -> str:
    if item["treatment"] in TREATMENT_TEXT:
        return TREATMENT_TEXT[item["treatment"]]
    rate = Decimal(item["rate"]) * 100
    return f"{rate.normalize():f}%"


def sandbox_invoice_pdf(record: SandboxInvoice) -> bytes:
    data = record.payload
    seller, buyer = data["seller"], data["buyer"]
    title = "电子发票（普通发票）"
    story = [
        para(title + ("（红字）" if record.is_red else ""), RED_TITLE if record.is_red else TITLE),
        para("沙箱平台开具，仅供演示和测试，不是有效发票", SUBTITLE),
        Spacer(1, 4 * mm),
        para(
            f"发票号码：{record.number}　　开票日期：{local(record.issued_at):%Y年%m月%d日}", SMALL
        ),
    ]
    if record.is_red:
        story.append(
            para(
                f"被红冲蓝字发票号码：{record.original_number}　　原因：{data.get('reason', '')}",
                SMALL,
            )
        )
    story += [
        Spacer(1, 3 * mm),
        grid(
            [
                cells(
                    [
                        "购买方",
                        f"名称：{buyer['name']}\n{TAX_ID_LABEL}：{buyer['tax_id'] or '—'}",
                    ]
                ),
                cells(
                    [
                        "销售方",
                        f"名称：{seller['name']}\n{TAX_ID_LABEL}：{seller['tax_id']}",
                    ]
                ),
            ],
            [22 * mm, 148 * mm],
        ),
        Spacer(1, 3 * mm),
    ]
    rows = [cells(["项目名称", "单位", "数量", "金额", "税率/征收率", "税额"])]
    for item in data["items"]:
        rows.append(
            cells(
                [
                    item["name"],
                    item["unit"],
                    item["quantity"],
                    item["amount_without_tax"],
                    _rate(item),
                    item["tax"],
                ]
            )
        )
    rows.append(cells(["合计", "", "", data["amount_without_tax"], "", data["tax"]]))
    story.append(grid(rows, [52 * mm, 16 * mm, 22 * mm, 30 * mm, 24 * mm, 26 * mm], header=True))
    total = Decimal(data["amount_with_tax"])
    story += [
        Spacer(1, 3 * mm),
        grid(
            [cells(["价税合计（大写）", f"{amount_in_words(total)}　　（小写）¥{total:.2f}"])],
            [40 * mm, 130 * mm],
        ),
        Spacer(1, 3 * mm),
        para(f"备注：{data.get('remark', '')}", SMALL),
    ]
    return build(story, title=f"{title} {record.number}")


__all__ = ["FONT", "amount_in_words", "sandbox_invoice_pdf"]

"""What every printed document shares: the embedded font, the styles, the company's
letterhead and footer, the seal area, QR codes and the build itself.

The font. Every document is set in Noto Sans SC (``core/fonts/``, see its VENDORED.md), a
TrueType font that ReportLab embeds as a subset of the glyphs used: a receipt looks the same
in every viewer and on every printer, and "m³", "℃" or "①" print as themselves. (ReportLab's
built-in ``STSong-Light`` is a CID font that is never embedded and has no "³".) The
documents' canvas starts in that font too, so no unembedded standard font is referenced.

The text. ReportLab's ``Paragraph`` parses its text as a small HTML dialect: ``<a href>``
becomes a live link, ``<font>`` restyles the text and an unbalanced tag aborts the whole
document. Names, addresses and notes come from customers, so every paragraph of a document
is built with ``para``, which prints its text literally; the markup of a document lives in
its styles, never in the text.

The company. Name, hotline and address come from the settings
(``WATERDESK_COMPANY_NAME``, ``…_HOTLINE``, ``…_ADDRESS``); a payment QR code is printed
when ``WATERDESK_PAYMENT_QR_URL`` is set, the case-status look-up's address when
``WATERDESK_SITE_URL`` is.
"""

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from string import Formatter
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "NotoSansSC"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Regular.ttf"
pdfmetrics.registerFont(TTFont(FONT, FONT_FILE))
# One face: a stray <b> in a style's markup must not fall back to an unembedded font.
pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)

SHADE = colors.HexColor("#eef3f8")
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=13, leading=18, alignment=1)
CONTACT = ParagraphStyle("contact", fontName=FONT, fontSize=9, leading=13, alignment=1)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=12, textColor=colors.grey)
CENTERED_SMALL = ParagraphStyle("centered_small", parent=SMALL, alignment=1)

# What a payment URL template may name (WATERDESK_PAYMENT_QR_URL).
PAYMENT_URL_FIELDS = frozenset({"account", "bill", "amount"})


def literal(text) -> str:
    """``text`` as Paragraph markup that renders exactly those characters; newlines kept."""
    lines = str(text if text is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    return "<br/>".join(escape(line) for line in lines.split("\n"))


def para(text, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph showing ``text`` as typed (any value; ``None`` shows nothing)."""
    return Paragraph(literal(text), style)


def grid(
    rows: Sequence[Sequence],
    widths: Sequence[float],
    *,
    header: bool = False,
    label_columns: Sequence[int] = (0,),
) -> Table:
    """A ruled table of paragraphs: its first row shaded (``header``), or else its label
    columns."""
    table = Table(rows, colWidths=widths)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    else:
        style += [("BACKGROUND", (column, 0), (column, -1), SHADE) for column in label_columns]
    table.setStyle(TableStyle(style))
    return table


def cells(values: Sequence, style: ParagraphStyle = BODY) -> list[Paragraph]:
    return [para(value, style) for value in values]


# --- the company ------------------------------------------------------------------------


def company_contact_line() -> str:
    """ "服务热线：… 地址：…" with what is configured ("" when neither is)."""
    parts = []
    if settings.WATERDESK_COMPANY_HOTLINE:
        parts.append(f"服务热线：{settings.WATERDESK_COMPANY_HOTLINE}")
    if settings.WATERDESK_COMPANY_ADDRESS:
        parts.append(f"地址：{settings.WATERDESK_COMPANY_ADDRESS}")
    return "　　".join(parts)


def letterhead(title: str) -> list[Flowable]:
    """The top of every document: the company's name, its hotline and address, the title."""
    story: list[Flowable] = [para(settings.WATERDESK_COMPANY_NAME, TITLE)]
    contact = company_contact_line()
    if contact:
        story += [Spacer(1, 1 * mm), para(contact, CONTACT)]
    story += [Spacer(1, 3 * mm), para(title, SUBTITLE), Spacer(1, 6 * mm)]
    return story


def hotline_phrase() -> str:
    """ "服务热线（12345678）" or "服务热线" when none is configured: for sentences."""
    hotline = settings.WATERDESK_COMPANY_HOTLINE
    return f"服务热线（{hotline}）" if hotline else "服务热线"


def _draw_footer(canvas, document) -> None:
    hotline = settings.WATERDESK_COMPANY_HOTLINE
    footer = settings.WATERDESK_COMPANY_NAME + (f"　服务热线：{hotline}" if hotline else "")
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.setFillColor(colors.grey)
    canvas.drawString(document.leftMargin, 10 * mm, footer)
    canvas.drawRightString(A4[0] - document.rightMargin, 10 * mm, f"第 {document.page} 页")
    canvas.restoreState()


class SealArea(Flowable):
    """A ruled box where the company's seal is stamped, labelled 盖章处, with the company's
    name and a date line under it; drawn at the right margin."""

    SIZE = 38 * mm
    CAPTION = 14 * mm

    def __init__(self, *, company: str):
        super().__init__()
        self.company = company
        self.hAlign = "RIGHT"

    def wrap(self, available_width, available_height):
        self.width = max(self.SIZE, 60 * mm)
        self.height = self.SIZE + self.CAPTION
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        box_left = self.width - self.SIZE
        canvas.saveState()
        canvas.setStrokeColor(colors.grey)
        canvas.setDash(3, 2)
        canvas.rect(box_left, self.CAPTION, self.SIZE, self.SIZE)
        canvas.setDash()
        canvas.setFillColor(colors.lightgrey)
        canvas.setFont(FONT, 12)
        canvas.drawCentredString(box_left + self.SIZE / 2, self.CAPTION + self.SIZE / 2, "盖章处")
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, 9)
        canvas.drawRightString(self.width, 8 * mm, f"{self.company}（盖章）")
        canvas.drawRightString(self.width, 2 * mm, "日期：　　　年　　月　　日")
        canvas.restoreState()


def seal_area() -> SealArea:
    return SealArea(company=settings.WATERDESK_COMPANY_NAME)


# --- QR codes ---------------------------------------------------------------------------


def qr_drawing(data: str, *, size: float = 30 * mm) -> Drawing:
    """``data`` as a QR code (segno, error correction M), drawn as vector squares of ``size``
    including the quiet zone of four modules."""
    code = segno.make_qr(data, error="m", boost_error=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    drawing = Drawing(size, size)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            # One rectangle per run of dark modules; rows count from the top.
            drawing.add(
                Rect(
                    start * module,
                    size - (y + 1) * module,
                    (x - start) * module,
                    module,
                    fillColor=colors.black,
                    strokeColor=None,
                    strokeWidth=0,
                )
            )
    return drawing


def qr_block(data: str, caption: str, *, size: float = 30 * mm) -> Table:
    """A QR code with a caption under it, as one flowable."""
    table = Table(
        [[qr_drawing(data, size=size)], [para(caption, CENTERED_SMALL)]],
        colWidths=[size + 10 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def qr_and_seal(qr_data: str = "", caption: str = "") -> Flowable:
    """The foot of a document: the QR code (when there is one) at the left, the seal area
    at the right."""
    if not qr_data:
        return seal_area()
    row = Table([[qr_block(qr_data, caption), seal_area()]], colWidths=[60 * mm, 110 * mm])
    row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return row


def payment_url(*, account: str, amount, bill: str = "", account_public_id=None) -> str:
    """The address a payment QR code encodes, from ``WATERDESK_PAYMENT_QR_URL`` with
    ``{account}``, ``{bill}`` and ``{amount}`` filled in (URL-quoted); without a template,
    the site's own pay page for the account (``<WATERDESK_SITE_URL>/pay/<public id>/``);
    "" when neither is configured (no QR code is printed)."""
    template = settings.WATERDESK_PAYMENT_QR_URL
    if not template:
        site = settings.WATERDESK_SITE_URL.rstrip("/")
        if not site or account_public_id is None:
            return ""
        return site + reverse("portal:pay", kwargs={"account": account_public_id})
    names = {name for _text, name, _spec, _conv in Formatter().parse(template) if name is not None}
    unknown = names - PAYMENT_URL_FIELDS
    if unknown:
        raise ImproperlyConfigured(
            f"WATERDESK_PAYMENT_QR_URL may name {sorted(PAYMENT_URL_FIELDS)} only, "
            f"not {sorted(unknown)}"
        )
    values = {"account": account, "bill": bill, "amount": f"{amount:.2f}"}
    return template.format(**{name: quote(value, safe="") for name, value in values.items()})


def public_lookup_url(case_number: str = "") -> str:
    """The public case-status look-up's full address, the case number filled in; "" when
    ``WATERDESK_SITE_URL`` is not configured."""
    site = settings.WATERDESK_SITE_URL.rstrip("/")
    if not site:
        return ""
    url = site + reverse("portal:lookup")
    return f"{url}?{urlencode({'number': case_number})}" if case_number else url


# --- the build --------------------------------------------------------------------------


def build(story: list[Flowable], *, title: str) -> bytes:
    """The document as PDF bytes: A4, the embedded font from the first operator on, the
    footer (company, hotline, page number) on every page."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=settings.WATERDESK_COMPANY_NAME,
        initialFontName=FONT,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
    )
    document.build(story, onFirstPage=_draw_footer, onLaterPages=_draw_footer)
    return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A document for the browser to show (inline), saved as ``filename``."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=filename
    )
    return response

"""Helpers for the ReportLab documents (receipts, bills, …).

ReportLab's ``Paragraph`` parses its text as a small HTML dialect: ``<a href>`` becomes a
live link, ``<font>`` restyles the text and an unbalanced tag aborts the whole document.
Names, addresses and notes come from customers, so every paragraph of a document is built
with ``para``, which prints its text literally; the markup of a document lives in its
styles, never in the text.
"""

from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph


def literal(text) -> str:
    """``text`` as Paragraph markup that renders exactly those characters; newlines kept."""
    lines = str(text if text is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    return "<br/>".join(escape(line) for line in lines.split("\n"))


def para(text, style: ParagraphStyle) -> Paragraph:
    """A paragraph showing ``text`` as typed (any value; ``None`` shows nothing)."""
    return Paragraph(literal(text), style)

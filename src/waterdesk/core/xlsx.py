"""Excel exports (openpyxl) shared by the apps' reports: sheets written row by row, money
as numbers shown with two decimals, headings in bold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Cell:
    """A value with a style (a heading in bold)."""

    value: object
    bold: bool = False


def sheet_append(sheet, values: Iterable) -> None:
    """One row: a ``Decimal`` becomes a number shown with two decimals, a ``Cell`` keeps its
    style, anything else is written as it is."""
    row = []
    for value in values:
        plain = value.value if isinstance(value, Cell) else value
        row.append(float(plain) if isinstance(plain, Decimal) else plain)
    sheet.append(row)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        plain = value.value if isinstance(value, Cell) else value
        if isinstance(plain, Decimal):
            cell.number_format = MONEY_FORMAT
        if isinstance(value, Cell) and value.bold:
            cell.font = Font(bold=True)


def workbook_bytes(sheets: Sequence[tuple[str, Iterable[Iterable]]]) -> bytes:
    """An .xlsx file of ``(title, rows)`` sheets, in order."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        for values in rows:
            sheet_append(sheet, list(values))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, *, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

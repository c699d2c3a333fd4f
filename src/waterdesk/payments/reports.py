"""The cash-office report (收费日报): per day and per cashier, the counter payments per
method, the voids, the daily close and its difference; on the page and as an Excel file
(openpyxl)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from waterdesk.payments.models import DailyClose, Payment, PaymentChannel, PaymentMethod
from waterdesk.payments.services.counter import COUNTER_METHODS, ZERO, DayTotals, day_totals


@dataclass
class CashierDay:
    cashier: object
    office: object | None
    totals: DayTotals
    close: DailyClose | None

    @property
    def cashier_name(self) -> str:
        return self.cashier.get_full_name() or self.cashier.get_username()

    def method(self, method: str):
        return self.totals.methods.get(method)


@dataclass
class CashReport:
    day: date
    rows: list[CashierDay]
    methods: list[str]

    @property
    def total_amount(self) -> Decimal:
        return sum((row.totals.amount for row in self.rows), ZERO)


def cash_report(day: date) -> CashReport:
    """Every cashier who took money at the counter on ``day`` or closed it."""
    payments = list(
        Payment.objects.filter(business_date=day, channel=PaymentChannel.COUNTER)
        .exclude(cashier=None)
        .select_related("office")
        .order_by("received_at", "pk")
    )
    closes = {
        close.cashier_id: close
        for close in DailyClose.objects.filter(business_date=day).select_related(
            "office", "signed_off_by"
        )
    }
    by_cashier: dict[int, list[Payment]] = {}
    for payment in payments:
        by_cashier.setdefault(payment.cashier_id, []).append(payment)
    users = get_user_model().objects.in_bulk(set(by_cashier) | set(closes))
    rows = []
    for user_id, user in users.items():
        mine = by_cashier.get(user_id, [])
        close = closes.get(user_id)
        office = close.office if close else (mine[0].office if mine else None)
        rows.append(CashierDay(cashier=user, office=office, totals=day_totals(mine), close=close))
    rows.sort(key=lambda row: (row.office.code if row.office else "", row.cashier.get_username()))
    return CashReport(day=day, rows=rows, methods=list(COUNTER_METHODS))


def _close_status(close: DailyClose | None) -> str:
    return close.get_status_display() if close else _("未日结")


def cash_report_xlsx(report: CashReport) -> bytes:
    """The report as an .xlsx workbook: one row per cashier, a total row; amounts as
    numbers with two decimals."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("收费日报")
    sheet.append([_("收费日报"), report.day.isoformat()])
    sheet["A1"].font = Font(bold=True)
    header = [_("营业网点"), _("收费员")]
    for method in report.methods:
        label = str(PaymentMethod(method).label)
        header += [_("%(method)s笔数") % {"method": label}, _("%(method)s金额") % {"method": label}]
    header += [
        _("合计笔数"),
        _("合计金额"),
        _("作废笔数"),
        _("作废金额"),
        _("日结状态"),
        _("应有现金"),
        _("实点现金"),
        _("长短款"),
    ]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in report.rows:
        values = [row.office.name if row.office else "", row.cashier_name]
        for method in report.methods:
            line = row.method(method)
            values += [line.count if line else 0, float(line.amount) if line else 0.0]
        close = row.close
        values += [
            row.totals.payments_count,
            float(row.totals.amount),
            row.totals.voided_count,
            float(row.totals.voided_amount),
            _close_status(close),
            float(close.expected_cash) if close else None,
            float(close.counted_cash) if close else None,
            float(close.difference) if close else None,
        ]
        sheet.append(values)
    total = [_("合计"), ""]
    for method in report.methods:
        lines = [row.method(method) for row in report.rows]
        total += [
            sum(line.count for line in lines if line),
            float(sum((line.amount for line in lines if line), ZERO)),
        ]
    total += [
        sum(row.totals.payments_count for row in report.rows),
        float(report.total_amount),
        sum(row.totals.voided_count for row in report.rows),
        float(sum((row.totals.voided_amount for row in report.rows), ZERO)),
    ]
    sheet.append(total)
    for column in sheet.iter_cols(min_row=3):
        for cell in column:
            if isinstance(cell.value, float):
                cell.number_format = "#,##0.00"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""The finance office's invoice report: invoices issued and reversed per day and per tax
item over a date range (Asia/Shanghai days, by the platform's issue time), with the amounts
with and without tax and the tax; exportable to Excel (``core.xlsx``).

*Issued* counts the blue invoices issued in the range (also those reversed later: they were
issued); *reversed* the red-letter invoices issued in the range (negative amounts). *Net*
is their sum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from waterdesk.billing.models import ComponentKind
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.core.xlsx import Cell, workbook_bytes
from waterdesk.invoicing.models import InvoiceKind, InvoiceLine

ZERO = Decimal("0.00")


@dataclass
class Sums:
    count: int = 0
    with_tax: Decimal = ZERO
    without_tax: Decimal = ZERO
    tax: Decimal = ZERO

    def add(self, line: InvoiceLine, *, count: bool) -> None:
        self.count += 1 if count else 0
        self.with_tax += line.amount_with_tax
        self.without_tax += line.amount_without_tax
        self.tax += line.tax_amount


@dataclass
class ReportRow:
    key: object  # a day, or a component kind
    label: str
    issued: Sums = field(default_factory=Sums)
    reversed: Sums = field(default_factory=Sums)

    @property
    def net(self) -> Sums:
        return Sums(
            count=self.issued.count - self.reversed.count,
            with_tax=self.issued.with_tax + self.reversed.with_tax,
            without_tax=self.issued.without_tax + self.reversed.without_tax,
            tax=self.issued.tax + self.reversed.tax,
        )


@dataclass
class InvoiceReport:
    start: date
    end: date
    by_day: list[ReportRow]
    by_item: list[ReportRow]
    total: ReportRow


def invoice_report(*, start: date, end: date) -> InvoiceReport:
    """The report from ``start`` to ``end`` (both included), one query."""
    lines = (
        InvoiceLine.objects.filter(
            invoice__issued_at__gte=datetime.combine(start, time.min, tzinfo=LOCAL_TZ),
            invoice__issued_at__lt=datetime.combine(
                end + timedelta(days=1), time.min, tzinfo=LOCAL_TZ
            ),
        )
        .select_related("invoice")
        .order_by("invoice__issued_at", "invoice_id", "pk")
    )
    days: dict[date, ReportRow] = {}
    items: dict[str, ReportRow] = {}
    total = ReportRow(key=None, label=_("合计"))
    counted_day: set[int] = set()
    counted_item: set[tuple[int, str]] = set()
    for line in lines:
        invoice = line.invoice
        day = local(invoice.issued_at).date()
        row_day = days.setdefault(day, ReportRow(key=day, label=day.isoformat()))
        row_item = items.setdefault(
            line.component_kind,
            ReportRow(key=line.component_kind, label=line.goods_name),
        )
        first_of_invoice = invoice.pk not in counted_day
        counted_day.add(invoice.pk)
        first_item = (invoice.pk, line.component_kind) not in counted_item
        counted_item.add((invoice.pk, line.component_kind))
        side = "reversed" if invoice.kind == InvoiceKind.RED else "issued"
        getattr(row_day, side).add(line, count=first_of_invoice)
        getattr(row_item, side).add(line, count=first_item)
        getattr(total, side).add(line, count=first_of_invoice)
    order = {kind: index for index, kind in enumerate(ComponentKind.values)}
    return InvoiceReport(
        start=start,
        end=end,
        by_day=[days[day] for day in sorted(days)],
        by_item=sorted(items.values(), key=lambda row: order.get(row.key, 99)),
        total=total,
    )


def _sheet_rows(rows: list[ReportRow], total: ReportRow, first_heading: str):
    yield [
        Cell(first_heading, bold=True),
        *(
            Cell(text, bold=True)
            for text in (
                _("开具张数"),
                _("开具价税合计"),
                _("开具不含税金额"),
                _("开具税额"),
                _("冲红张数"),
                _("冲红价税合计"),
                _("冲红不含税金额"),
                _("冲红税额"),
                _("净价税合计"),
                _("净不含税金额"),
                _("净税额"),
            )
        ),
    ]
    for row in [*rows, total]:
        net = row.net
        yield [
            Cell(row.label, bold=row is total),
            row.issued.count,
            row.issued.with_tax,
            row.issued.without_tax,
            row.issued.tax,
            row.reversed.count,
            row.reversed.with_tax,
            row.reversed.without_tax,
            row.reversed.tax,
            net.with_tax,
            net.without_tax,
            net.tax,
        ]


def invoice_report_xlsx(report: InvoiceReport) -> bytes:
    """Two sheets: per day and per tax item, each with the total row."""
    return workbook_bytes(
        [
            (_("按日"), _sheet_rows(report.by_day, report.total, _("日期"))),
            (_("按税目"), _sheet_rows(report.by_item, report.total, _("税目"))),
        ]
    )

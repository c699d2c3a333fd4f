"""The prepayment balances report (预存余额表) of the finance office: every account holding
a prepaid balance, with its last settlement and whether it is below the threshold; as a
page and as an Excel file. Customers' names and mobiles are masked (a list, never full)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from waterdesk.billing.selectors.prepayment import PrepaymentReport, prepayment_report
from waterdesk.core.masking import mask_mobile, mask_person_name
from waterdesk.core.timeutil import local
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import Cell, workbook_bytes, xlsx_response

REPORT_PERMISSION = "billing.view_prepayment_report"


def _rows(report: PrepaymentReport) -> list[dict]:
    return [
        {
            "row": row,
            "customer_name": mask_person_name(row.account.customer.name),
            "customer_mobile": mask_mobile(row.account.customer.mobile)
            if row.account.customer.mobile
            else "",
        }
        for row in report.rows
    ]


@require_GET
@staff_view(has_perm(REPORT_PERMISSION))
def prepayment_report_page(request: HttpRequest) -> HttpResponse:
    report = prepayment_report()
    context = {"report": report, "rows": _rows(report), "today": timezone.localdate()}
    return render(request, "billing/prepayment/report.html", context)


def prepayment_report_xlsx_bytes(report: PrepaymentReport) -> bytes:
    """The report as a workbook: one row per account, a total row; amounts as numbers."""
    heading = [
        "户号",
        "户名",
        "手机",
        "预存余额（元）",
        "最近抵扣时间",
        "最近抵扣账单",
        "抵扣金额（元）",
        "低于提醒线",
    ]
    rows: list[list] = [[Cell(text, bold=True) for text in heading]]
    for item in _rows(report):
        row = item["row"]
        rows.append(
            [
                row.account.number,
                item["customer_name"],
                item["customer_mobile"] or None,
                row.balance,
                f"{local(row.last_settled_at):%Y-%m-%d %H:%M}" if row.last_settled_at else None,
                row.last_settled_bill or None,
                row.last_settled_amount,
                "是" if row.is_below_threshold else None,
            ]
        )
    rows.append(
        [
            Cell("合计", bold=True),
            Cell(f"{report.accounts} 户", bold=True),
            None,
            Cell(report.total_balance, bold=True),
            None,
            None,
            None,
            Cell(f"{report.below_threshold} 户", bold=True),
        ]
    )
    return workbook_bytes([("预存余额", rows)])


@require_GET
@staff_view(has_perm(REPORT_PERMISSION))
def prepayment_report_xlsx(request: HttpRequest) -> HttpResponse:
    return xlsx_response(
        prepayment_report_xlsx_bytes(prepayment_report()),
        filename=f"prepayment-balances-{timezone.localdate().isoformat()}.xlsx",
    )


urlpatterns = [
    path("reports/prepayment/", prepayment_report_page, name="prepayment_report"),
    path("reports/prepayment.xlsx", prepayment_report_xlsx, name="prepayment_report_xlsx"),
]

"""The prepayment balances report (预存余额表) of the finance office: every account holding
a prepaid balance, with its last settlement and whether it is below the threshold; as a
page and as an Excel file. Customers' names and mobiles are masked (a list, never full).

And the closing of an account (销户) by the billing office: its prepaid balance is not
lost, the closing asks for its refund (``customers.services.account_close``; the refund is
decided on the refunds page by a supervisor)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.billing.selectors.bills import account_get
from waterdesk.billing.selectors.prepayment import (
    PrepaymentReport,
    account_prepayment,
    prepayment_report,
)
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.masking import mask_mobile, mask_person_name
from waterdesk.core.timeutil import local
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import Cell, workbook_bytes, xlsx_response
from waterdesk.customers.models import AccountStatus
from waterdesk.customers.services import account_close

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


CLOSE_PERMISSION = "customers.change_account"


class AccountCloseForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("销户原因"), max_length=100)


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(CLOSE_PERMISSION))
def account_close_page(request: HttpRequest, public_id) -> HttpResponse:
    """Close the account; a prepaid balance left on it becomes a refund request."""
    account = account_get(public_id=public_id)
    form = AccountCloseForm(request.POST or None)
    status = 200
    if request.method == "POST" and account.status != AccountStatus.CLOSED:
        if form.is_valid():
            try:
                account_close(actor=request.user, account=account, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request, _("账户已销户；剩余预存余额已提交退款申请，等待主管审批。")
                )
                return redirect("billing:account", public_id=account.public_id)
        status = 400
    context = {
        "account": account,
        "prepayment": account_prepayment(account),
        "form": form,
        "is_closed": account.status == AccountStatus.CLOSED,
    }
    return render(request, "billing/prepayment/account_close.html", context, status=status)


urlpatterns = [
    path("accounts/<uuid:public_id>/close/", account_close_page, name="account_close"),
    path("reports/prepayment/", prepayment_report_page, name="prepayment_report"),
    path("reports/prepayment.xlsx", prepayment_report_xlsx, name="prepayment_report_xlsx"),
]

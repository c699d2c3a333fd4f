"""The disclosure reports' staff pages (``workbench:quality_reports``, ``quality_report`` and
the downloads), under /desk/quality/reports/.

Readers hold ``quality.view_quality``; the quality manager (``quality.publish_report``)
generates a month's or a quarter's report, another holder of the permission reviews it, and
a reviewed report is published to the public page (``portal:quality_public``). Thin: the
form parses, one service decides, a refusal comes back on the page with its reason (400)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.web import has_perm, staff_view
from waterdesk.quality.documents import report_title
from waterdesk.quality.models import QualityReport, ReportPeriod, ReportStatus
from waterdesk.quality.selectors_disclosure import VIEW_PERMISSION, rate_text
from waterdesk.quality.services import reports as services
from waterdesk.quality.services.reports import PUBLISH_PERMISSION
from waterdesk.quality.views_public import report_download

reader_view = staff_view(has_perm(VIEW_PERMISSION))
ACTIONS = {"review": services.report_review, "publish": services.report_publish}


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class GenerateForm(DomainErrorMixin, forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("报告类型"), choices=ReportPeriod.choices)
    period_start = forms.DateField(
        label=gettext_lazy("报告月份"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(),
        help_text=gettext_lazy("季报选该季度的任一月份。"),
    )


def _last_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def _report(pk: int) -> QualityReport:
    report = (
        QualityReport.objects.select_related("generated_by", "reviewed_by", "published_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404()
    return report


@require_http_methods(["GET", "POST"])
@reader_view
def reports_page(request: HttpRequest) -> HttpResponse:
    may_publish = request.user.has_perm(PUBLISH_PERMISSION)
    status = 200
    if request.method == "POST":
        form = GenerateForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                report = services.report_generate(actor=request.user, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("已生成%(title)s，请另一位有审核权限的同事核对后审核。")
                    % {"title": report_title(report)},
                )
                return redirect("workbench:quality_report", pk=report.pk)
    else:
        form = GenerateForm(
            initial={
                "period": ReportPeriod.MONTH,
                "period_start": _last_month(timezone.localdate()),
            }
        )
    reports = QualityReport.objects.select_related("generated_by", "reviewed_by").order_by(
        "-period_start", "period"
    )
    return render(
        request,
        "quality/reports/list.html",
        {
            "reports": [(report, report_title(report)) for report in reports],
            "form": form if may_publish else None,
        },
        status=status,
    )


def _areas(report: QualityReport) -> list[dict]:
    snapshot = report.snapshot
    areas = []
    for area in (*snapshot.get("plants", ()), *snapshot.get("zones", ())):
        areas.append(
            {
                **area,
                "sample_rate_text": rate_text(_decimal(area["sample_rate"])),
                "item_rate_text": rate_text(_decimal(area["item_rate"])),
            }
        )
    return areas


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


@require_http_methods(["GET", "POST"])
@reader_view
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    refusal = ""
    status = 200
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            refusal = _("请选择要执行的操作：审核或发布。")
            status = 400
        else:
            try:
                report = action(actor=request.user, report=report)
            except NotPermitted:
                raise
            except DomainError as error:
                refusal = str(error.message)
                status = 400
                report = _report(pk)
            else:
                if report.status == ReportStatus.PUBLISHED:
                    messages.success(request, _("报告已发布，公众可在水质信息公开页面查看和下载。"))
                else:
                    messages.success(request, _("报告已审核，可以发布。"))
                return redirect("workbench:quality_report", pk=report.pk)
    overall = report.snapshot.get("overall") or {}
    may_publish = request.user.has_perm(PUBLISH_PERMISSION)
    return render(
        request,
        "quality/reports/report.html",
        {
            "report": report,
            "title": report_title(report),
            "areas": _areas(report),
            "overall": overall,
            "overall_item_rate": rate_text(_decimal(overall.get("item_rate"))),
            "overall_sample_rate": rate_text(_decimal(overall.get("sample_rate"))),
            "may_review": may_publish
            and report.status == ReportStatus.DRAFT
            and report.generated_by_id != request.user.pk,
            "may_publish": may_publish and report.status == ReportStatus.REVIEWED,
            "is_generator": report.generated_by_id == request.user.pk,
            "may_publish_permission": may_publish,
            "refusal": refusal,
            "formats": ("pdf", "csv", "xlsx"),
        },
        status=status,
    )


def _download(fmt: str):
    @require_GET
    @reader_view
    def download(request: HttpRequest, pk: int) -> HttpResponse:
        return report_download(_report(pk), fmt)

    download.__name__ = f"report_{fmt}"
    return download


report_pdf = _download("pdf")
report_csv = _download("csv")
report_xlsx = _download("xlsx")

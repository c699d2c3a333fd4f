"""The complaint analysis pages for supervisors (``workbench:complaint_analysis`` and its
Excel file ``workbench:complaint_analysis_xlsx``). Thin: ``complaints.analysis`` reads,
``complaints.reports_xlsx`` writes the workbook."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from waterdesk.complaints.analysis import REPEAT_THRESHOLD, complaint_analysis
from waterdesk.complaints.forms_analysis import AnalysisFilterForm
from waterdesk.complaints.reports_xlsx import breakdown_titles, complaint_analysis_xlsx
from waterdesk.complaints.workflow import SUPERVISE_PERMISSION
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import xlsx_response

supervisor_view = staff_view(has_perm(SUPERVISE_PERMISSION))


def _query(filters) -> str:
    """The filters as a query string (the Excel link repeats the page's)."""
    params = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    if filters.department is not None:
        params["department"] = filters.department.pk
    if filters.category is not None:
        params["category"] = filters.category.pk
    return urlencode(params)


@require_GET
@supervisor_view
def complaint_analysis_page(request: HttpRequest) -> HttpResponse:
    form = AnalysisFilterForm(request.GET or None)
    filters = form.chosen()
    analysis = complaint_analysis(filters, now=timezone.now())
    titles = breakdown_titles()
    context = {
        "form": form,
        "analysis": analysis,
        "breakdowns": [
            {"name": name, "title": titles[name], "rows": rows}
            for name, rows in analysis.breakdowns.items()
        ],
        "chart_data": analysis.chart_data(),
        "export_query": _query(filters),
        "repeat_threshold": REPEAT_THRESHOLD,
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "complaints/analysis/page.html", context, status=status)


@require_GET
@supervisor_view
def complaint_analysis_xlsx_file(request: HttpRequest) -> HttpResponse:
    """The same filters' analysis as a workbook, with every repeat complainant and every
    open complaint."""
    filters = AnalysisFilterForm(request.GET or None).chosen()
    content = complaint_analysis_xlsx(
        complaint_analysis(filters, now=timezone.now(), complete=True)
    )
    return xlsx_response(
        content,
        filename=f"complaints-{filters.start.isoformat()}-{filters.end.isoformat()}.xlsx",
    )

"""The supervisors' survey results (``workbench:survey_results``) and their Excel file.
Thin: the selectors read; nothing here writes."""

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import xlsx_response
from waterdesk.surveys import reports, selectors
from waterdesk.surveys.forms import ResultsPeriodForm
from waterdesk.surveys.workflow import RESULTS_PERMISSION

results_view = staff_view(has_perm(RESULTS_PERMISSION))


def _period(request: HttpRequest) -> tuple[ResultsPeriodForm, datetime | None, datetime | None]:
    """The chosen dates as [start, end) in local time; an invalid choice: everything."""
    form = ResultsPeriodForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        return form, None, None
    start_day: date | None = form.cleaned_data.get("start")
    end_day: date | None = form.cleaned_data.get("end")
    start = datetime.combine(start_day, time.min, tzinfo=LOCAL_TZ) if start_day else None
    end = (
        datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
        if end_day
        else None
    )
    return form, start, end


@require_GET
@results_view
def survey_results(request: HttpRequest) -> HttpResponse:
    form, start, end = _period(request)
    context = {
        "form": form,
        "by_department": selectors.survey_results(group="department", start=start, end=end),
        "by_staff": selectors.survey_results(group="staff", start=start, end=end),
        "by_kind": selectors.survey_results(group="kind", start=start, end=end),
        "by_month": selectors.survey_results(group="month", start=start, end=end),
        "export_query": request.GET.urlencode(),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "surveys/results.html", context, status=status)


@require_GET
@results_view
def survey_results_xlsx(request: HttpRequest) -> HttpResponse:
    _form, start, end = _period(request)
    return xlsx_response(reports.survey_results_xlsx(start=start, end=end), filename="surveys.xlsx")

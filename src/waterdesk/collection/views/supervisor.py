"""The collection supervisor's pages (``workbench:collection_*``): the desk — overdue
reconnections first, with a crew sent from the row — the arrears by band and age, the
effectiveness of a period, and both as an Excel file. Thin: ``collection.reports`` reads,
``reconnection_dispatch`` writes."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.collection import reports
from waterdesk.collection.forms import PeriodForm, ReconnectionCrewForm
from waterdesk.collection.services.disconnection import reconnection_dispatch
from waterdesk.collection.workflow import APPROVE_PERMISSION
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import xlsx_response

supervisor_view = staff_view(has_perm(APPROVE_PERMISSION))


def _crew_form(case, data=None) -> ReconnectionCrewForm:
    return ReconnectionCrewForm(data, prefix=f"reconnect-{case.public_id}")


@dataclass(frozen=True)
class RefusedDispatch:
    case: object
    form: ReconnectionCrewForm


def _render_desk(request: HttpRequest, *, bound=None, status: int = 200) -> HttpResponse:
    """The desk; ``bound``: a refused dispatch form, shown on its case's row."""
    desk = reports.supervisor_desk(now=timezone.now(), today=timezone.localdate())
    reconnections = []
    for row in desk.reconnections:
        if bound is not None and bound.case.pk == row.case.pk:
            form = bound.form
        else:
            form = _crew_form(row.case) if row.order is None else None
        reconnections.append({"row": row, "form": form})
    context = {"desk": desk, "reconnections": reconnections, "refused": bound}
    return render(request, "collection/supervisor/desk.html", context, status=status)


@require_GET
@supervisor_view
def collection_supervisor(request: HttpRequest) -> HttpResponse:
    return _render_desk(request)


@require_POST
@supervisor_view
def collection_reconnection_dispatch(request: HttpRequest, public_id) -> HttpResponse:
    """Send a crew to reconnect a case nobody is reconnecting yet."""
    case = reports.reconnection_case(public_id)
    form = _crew_form(case, request.POST)
    if form.is_valid():
        try:
            case = reconnection_dispatch(
                actor=request.user, case=case, crew=form.cleaned_data["crew"]
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("已派复水工单（%(case)s，%(crew)s）。")
                % {"case": case.number, "crew": form.cleaned_data["crew"].name},
            )
            return redirect("workbench:collection_supervisor")
    return _render_desk(request, bound=RefusedDispatch(case, form), status=400)


@require_GET
@supervisor_view
def collection_arrears(request: HttpRequest) -> HttpResponse:
    return render(
        request, "collection/supervisor/arrears.html", {"matrix": reports.arrears_matrix()}
    )


@require_GET
@supervisor_view
def collection_effectiveness(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start, end = form.chosen()
    context = {
        "form": form,
        "report": reports.collection_effectiveness(start=start, end=end),
        "export_query": f"start={start.isoformat()}&end={end.isoformat()}",
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "collection/supervisor/effectiveness.html", context, status=status)


@require_GET
@supervisor_view
def collection_report_xlsx(request: HttpRequest) -> HttpResponse:
    """The arrears matrix and the chosen period's effectiveness as one workbook."""
    start, end = PeriodForm(request.GET or None).chosen()
    content = reports.collection_report_xlsx(
        reports.arrears_matrix(), reports.collection_effectiveness(start=start, end=end)
    )
    return xlsx_response(content, filename=f"collection-{start.isoformat()}-{end.isoformat()}.xlsx")

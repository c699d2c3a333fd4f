"""The metering staff pages (``workbench:metering_*``), under /desk/metering/.

Readers hold ``metering.view_arrangement``; the billing clerk (``manage_arrangement``)
sets arrangements up and calculates a cycle's allocations, a reviewer
(``review_allocation``) settles negative differences; the report needs
``view_metering_report``. Thin: forms parse, one service decides, a refusal comes back on
the form (400)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.metering import selectors
from waterdesk.metering.forms import ArrangementForm, CycleForm, NoteForm, ReviewForm
from waterdesk.metering.models import AllocationRule, ArrangementKind
from waterdesk.metering.services import allocations as allocation_services
from waterdesk.metering.services import arrangements as arrangement_services

reader_view = staff_view(has_perm(selectors.VIEW))
report_view = staff_view(has_perm("metering.view_metering_report"))


@require_GET
@reader_view
def arrangements_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ArrangementKind.values:
        kind = ""
    show_inactive = request.GET.get("inactive") == "1"
    return render(
        request,
        "metering/arrangements.html",
        {
            "arrangements": selectors.arrangement_list(kind=kind, active_only=not show_inactive),
            "kinds": ArrangementKind.choices,
            "kind": kind,
            "show_inactive": show_inactive,
            "flagged": len(selectors.allocations_flagged()),
        },
    )


def _kind_or_404(kind: str) -> str:
    if kind not in ArrangementKind.values:
        raise Http404()
    return kind


def _save(request, form, call, *, to_detail: bool = True):
    if not form.is_valid():
        return None
    try:
        arrangement = call(actor=request.user, **form.service_kwargs())
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        return None
    messages.success(request, _("已保存“%(name)s”。") % {"name": arrangement.name})
    return redirect("workbench:metering_arrangement", public_id=arrangement.public_id)


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(arrangement_services.MANAGE))
def arrangement_new_page(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind_or_404(kind)
    if request.method == "POST":
        form = ArrangementForm(request.POST, kind=kind)

        def create(**kwargs):
            return arrangement_services.arrangement_create(kind=kind, **kwargs)

        response = _save(request, form, create)
        if response is not None:
            return response
        status = 400
    else:
        form = ArrangementForm(kind=kind)
        status = 200
    return render(
        request,
        "metering/arrangement_form.html",
        {"form": form, "kind_label": ArrangementKind(kind).label, "arrangement": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(arrangement_services.MANAGE))
def arrangement_edit_page(request: HttpRequest, public_id) -> HttpResponse:
    arrangement = selectors.arrangement_get(public_id=public_id)
    if request.method == "POST":
        form = ArrangementForm(request.POST, kind=arrangement.kind)

        def update(**kwargs):
            return arrangement_services.arrangement_update(arrangement=arrangement, **kwargs)

        response = _save(request, form, update)
        if response is not None:
            return response
        status = 400
    else:
        parts = selectors.arrangement_parts(arrangement)
        form = ArrangementForm(
            kind=arrangement.kind, initial=ArrangementForm.initial_for(arrangement, parts)
        )
        status = 200
    return render(
        request,
        "metering/arrangement_form.html",
        {
            "form": form,
            "kind_label": ArrangementKind(arrangement.kind).label,
            "arrangement": arrangement,
        },
        status=status,
    )


@require_GET
@reader_view
def arrangement_page(request: HttpRequest, public_id) -> HttpResponse:
    arrangement = selectors.arrangement_get(public_id=public_id)
    return render(
        request,
        "metering/arrangement.html",
        {
            "arrangement": arrangement,
            "parts": selectors.arrangement_parts(arrangement),
            "allocations": selectors.arrangement_allocations(arrangement),
            "events": selectors.arrangement_events(arrangement)[:50],
            "deactivate_form": NoteForm(),
        },
    )


@require_POST
@staff_view(has_perm(arrangement_services.MANAGE))
def arrangement_deactivate(request: HttpRequest, public_id) -> HttpResponse:
    arrangement = selectors.arrangement_get(public_id=public_id)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        arrangement_services.arrangement_deactivate(
            actor=request.user, arrangement=arrangement, note=form.cleaned_data.get("note", "")
        )
    except NotPermitted:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已停用“%(name)s”。") % {"name": arrangement.name})
    return redirect("workbench:metering_arrangement", public_id=arrangement.public_id)


def _cycle_form(request):
    cycles = selectors.reading_cycles()
    data = request.POST if request.method == "POST" else request.GET
    form = CycleForm(data or None, cycles=cycles)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["cycle"]
    first = cycles.first()
    if first is None:
        return CycleForm(cycles=cycles), None
    return CycleForm(initial={"cycle": first.code}, cycles=cycles), first


@require_http_methods(["GET", "POST"])
@reader_view
def allocations_page(request: HttpRequest) -> HttpResponse:
    form, cycle = _cycle_form(request)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(allocation_services.MANAGE):
            raise NotPermitted()
        if cycle is None:
            raise Http404()
        try:
            done = allocation_services.allocations_calculate(actor=request.user, cycle=cycle)
        except NotPermitted:
            raise
        except DomainError as error:
            messages.error(request, str(error.message))
            status = 400
        else:
            messages.success(
                request,
                _("已计算 %(cycle)s 的分摊：%(count)s 项。")
                % {"cycle": cycle.code, "count": len(done)},
            )
            return redirect(f"{request.path}?cycle={cycle.code}")
    return render(
        request,
        "metering/allocations.html",
        {
            "form": form,
            "cycle": cycle,
            "allocations": selectors.allocations_for_cycle(cycle) if cycle else [],
        },
        status=status,
    )


@require_GET
@reader_view
def review_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "metering/review.html",
        {"allocations": selectors.allocations_flagged(), "form": ReviewForm()},
    )


REVIEW_ACTIONS = {
    "accept_zero": allocation_services.allocation_accept_zero,
    "recalculate": allocation_services.allocation_recalculate,
}


@require_POST
@staff_view(has_perm(allocation_services.REVIEW))
def review_action(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = selectors.allocation_get(pk=pk)
    action = REVIEW_ACTIONS.get(request.POST.get("action", ""))
    form = ReviewForm(request.POST)
    if action is not None and form.is_valid():
        try:
            action(actor=request.user, allocation=allocation, note=form.cleaned_data["note"])
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, _("已复核“%(name)s”。") % {"name": allocation.arrangement.name}
            )
            return redirect("workbench:metering_review")
    elif action is None:
        form.add_error(None, _("请选择复核方式。"))
    return render(
        request,
        "metering/review.html",
        {
            "allocations": selectors.allocations_flagged(),
            "form": ReviewForm(),
            "failed": allocation.pk,
            "failed_form": form,
        },
        status=400,
    )


REPORT_HEADERS = (
    gettext_lazy("总表"),
    gettext_lazy("名称"),
    gettext_lazy("账期"),
    gettext_lazy("总表水量（m³）"),
    gettext_lazy("分表水量合计（m³）"),
    gettext_lazy("差额（m³）"),
    gettext_lazy("分摊规则"),
    gettext_lazy("状态"),
    gettext_lazy("待复核"),
)


@require_GET
@report_view
def report_page(request: HttpRequest) -> HttpResponse:
    form, cycle = _cycle_form(request)
    rows = selectors.differences_report(cycle=cycle) if cycle else []
    if request.GET.get("format") == "xlsx" and cycle is not None:
        return _report_xlsx(cycle, rows)
    return render(request, "metering/report.html", {"form": form, "cycle": cycle, "rows": rows})


def _report_xlsx(cycle, rows) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = cycle.code
    sheet.append([str(header) for header in REPORT_HEADERS])
    for row in rows:
        allocation = row.allocation
        sheet.append(
            [
                allocation.arrangement.meter.serial if allocation.arrangement.meter_id else "",
                allocation.arrangement.name,
                cycle.code,
                allocation.source_volume,
                allocation.subs_volume,
                allocation.difference,
                str(AllocationRule(allocation.rule).label) if allocation.rule else "",
                allocation.get_status_display(),
                _("是") if row.is_flagged else _("否"),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="master-sub-{cycle.code}.xlsx"'
    return response

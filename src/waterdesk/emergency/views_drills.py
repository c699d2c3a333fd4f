"""The drill pages (``workbench:emergency_drills``, ``emergency_drill`` …) and the open
improvement measures of drills and post-incident reviews (``workbench:emergency_measures``).

Readers hold ``emergency.view_emergencyplan``; drills are planned, recorded and evaluated
with ``emergency.manage_drills`` (the services check it again); a measure is marked done
by its owner or by whoever keeps plans, runs drills or reviews incidents. Thin: a form
parses, one service decides, a refusal comes back on the page with its reason (400)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.emergency import forms_drills as forms
from waterdesk.emergency.models import Drill, DrillStatus, Measure
from waterdesk.emergency.selectors_drills import (
    VIEW_PERMISSION,
    drill_timing_summary,
    drill_timings,
    drills_list,
    drills_ordered,
    local_today,
    may_read_measures,
    measure_is_overdue,
    measure_may_mark_done,
    measures_open,
)
from waterdesk.emergency.services import drills as services
from waterdesk.emergency.services.drills import MANAGE_PERMISSION
from waterdesk.emergency.services.measures import measure_done

reader_view = staff_view(has_perm(VIEW_PERMISSION))
manager_view = staff_view(has_perm(MANAGE_PERMISSION))
measures_view = staff_view(may_read_measures)

DRILL_TEMPLATE = "emergency/drills/drill.html"


def _drill(pk: int) -> Drill:
    drill = (
        Drill.objects.select_related(
            "plan_version__plan", "created_by", "evaluated_by", "cancelled_by"
        )
        .filter(pk=pk)
        .first()
    )
    if drill is None:
        raise Http404()
    return drill


@require_GET
@reader_view
def drills_page(request: HttpRequest) -> HttpResponse:
    drills = drills_ordered(drills_list())
    return render(
        request,
        "emergency/drills/list.html",
        {
            "upcoming": [drill for drill in drills if drill.status == DrillStatus.PLANNED],
            "past": [drill for drill in drills if drill.status != DrillStatus.PLANNED],
            "may_manage": request.user.has_perm(MANAGE_PERMISSION),
        },
    )


@require_http_methods(["GET", "POST"])
@manager_view
def drill_new(request: HttpRequest) -> HttpResponse:
    form = forms.DrillForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                drill = services.drill_plan(actor=request.user, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("已安排演练：%(when)s。演练举行后请在此登记实际开始时间和各环节用时。")
                    % {"when": f"{timezone.localtime(drill.scheduled_for):%Y-%m-%d %H:%M}"},
                )
                return redirect("workbench:emergency_drill", pk=drill.pk)
    return render(request, "emergency/drills/new.html", {"form": form}, status=status)


def _drill_page(request, drill: Drill, *, failed=None, status: int = 200) -> HttpResponse:
    may_manage = request.user.has_perm(MANAGE_PERMISSION)
    timings = drill_timings(drill)
    today = local_today()
    measures = list(drill.measures.select_related("owner").order_by("deadline", "pk"))
    for measure in measures:
        measure.is_overdue = measure_is_overdue(measure, today=today)
        measure.may_mark_done = measure.done_at is None and measure_may_mark_done(
            request.user, measure
        )
    step_forms = {}
    if may_manage and drill.status == DrillStatus.PLANNED:
        step_forms["held"] = forms.HeldForm(
            steps=services.drill_steps(drill),
            initial={"held_at": timezone.localtime(drill.scheduled_for)},
        )
        step_forms["cancel"] = forms.CancelForm(auto_id="id_cancel_%s")
    if may_manage and drill.status == DrillStatus.HELD:
        step_forms["evaluate"] = forms.EvaluateForm()
    if may_manage and drill.status in (DrillStatus.HELD, DrillStatus.EVALUATED):
        step_forms["measure"] = forms.MeasureForm(auto_id="id_measure_%s")
    if failed is not None and failed[0] in step_forms:
        step_forms[failed[0]] = failed[1]
    held_rows = step_forms["held"].bound_rows() if "held" in step_forms else None
    context = {
        "drill": drill,
        "participants": list(drill.participants.order_by("last_name", "first_name", "username")),
        "timings": timings,
        "summary": drill_timing_summary(timings),
        "measures": measures,
        "forms": step_forms,
        "held_rows": held_rows,
        "failed_form": failed[1] if failed is not None else None,
        "done_form": forms.MeasureDoneForm(auto_id=False),
    }
    return render(request, DRILL_TEMPLATE, context, status=status)


@require_GET
@reader_view
def drill_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _drill_page(request, _drill(pk))


@require_POST
@manager_view
def drill_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    drill = _drill(pk)
    if step == "held":
        form = forms.HeldForm(request.POST, steps=services.drill_steps(drill))
    elif step == "cancel":
        form = forms.CancelForm(request.POST, auto_id="id_cancel_%s")
    elif step == "evaluate":
        form = forms.EvaluateForm(request.POST)
    elif step == "measure":
        form = forms.MeasureForm(request.POST, auto_id="id_measure_%s")
    else:
        raise Http404()
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == "held":
                timings = form.timings()
                if form.errors:
                    return _drill_page(request, drill, failed=(step, form), status=400)
                services.drill_record_held(
                    actor=request.user, drill=drill, held_at=data["held_at"], timings=timings
                )
                done = _("已登记演练情况。请填写演练评估，并添加需要的改进措施。")
            elif step == "cancel":
                services.drill_cancel(actor=request.user, drill=drill, reason=data["reason"])
                done = _("演练已取消。")
            elif step == "evaluate":
                services.drill_evaluate(
                    actor=request.user, drill=drill, evaluation=data["evaluation"]
                )
                done = _("已保存演练评估。改进措施可在下方添加并跟踪到完成。")
            else:
                measure = services.drill_measure_add(actor=request.user, drill=drill, **data)
                done = _("已添加改进措施，责任人：%(owner)s，完成期限：%(deadline)s。") % {
                    "owner": measure.owner.get_full_name() or measure.owner.get_username(),
                    "deadline": measure.deadline.isoformat(),
                }
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, done)
            return redirect("workbench:emergency_drill", pk=drill.pk)
    return _drill_page(request, _drill(pk), failed=(step, form), status=400)


# --- improvement measures of drills and reviews ---------------------------------------------


def _measures_page(request, *, failed=None, status: int = 200) -> HttpResponse:
    today = local_today()
    measures = list(measures_open())
    for measure in measures:
        measure.is_overdue = measure_is_overdue(measure, today=today)
        measure.may_mark_done = measure_may_mark_done(request.user, measure)
    context = {
        "measures": measures,
        "overdue_count": sum(1 for measure in measures if measure.is_overdue),
        "today": today,
        "failed": failed,
        "done_form": forms.MeasureDoneForm(auto_id=False),
    }
    return render(request, "emergency/drills/measures.html", context, status=status)


@require_GET
@measures_view
def measures_page(request: HttpRequest) -> HttpResponse:
    return _measures_page(request)


@require_POST
@measures_view
def measure_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    measure = Measure.objects.select_related("drill", "owner").filter(pk=pk).first()
    if measure is None:
        raise Http404()
    if not measure_may_mark_done(request.user, measure):
        raise NotPermitted(_("只有责任人或应急管理人员可以办结该措施。"))
    form = forms.MeasureDoneForm(request.POST)
    back_to_drill = request.POST.get("back") == "drill" and measure.drill_id is not None
    if form.is_valid():
        try:
            measure_done(measure=measure, actor=request.user, note=form.cleaned_data["note"])
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, _("已办结改进措施：%(what)s。") % {"what": measure.description}
            )
            if back_to_drill:
                return redirect("workbench:emergency_drill", pk=measure.drill_id)
            return redirect("workbench:emergency_measures")
    errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
    messages.error(request, errors)
    if back_to_drill:
        return _drill_page(request, _drill(measure.drill_id), status=400)
    return _measures_page(request, failed=measure.pk, status=400)

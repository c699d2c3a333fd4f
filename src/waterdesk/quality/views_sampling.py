"""The sampling pages (``workbench:quality_overview``, ``quality_samples``,
``quality_points``, ``quality_plans`` …): the quality manager's overview, the day's samples
with the sampler's "采样" and the manager's cancel and ad-hoc sample, and the points and plans
the manager keeps.

Readers hold ``quality.view_quality``; taking a sample needs ``quality.take_sample``, the
rest ``quality.manage_sampling`` (the services check again). Thin: a form parses, one
service decides; a refusal comes back on the page with its reason (400)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.core.web import form_post, has_perm, staff_view
from waterdesk.quality import forms_sampling as forms
from waterdesk.quality import selectors_sampling as selectors
from waterdesk.quality.models import PointType, Sample, SamplingPlan, SamplingPoint
from waterdesk.quality.services import sampling as services
from waterdesk.quality.services.catalogue import edition_in_force

VIEW_PERMISSION = "quality.view_quality"
reader_view = staff_view(has_perm(VIEW_PERMISSION))
sampler_view = staff_view(has_perm(services.TAKE_PERMISSION))
manager_view = staff_view(has_perm(services.MANAGE_PERMISSION))


# --- the overview's panels ------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewPanel:
    """A block of the overview another part of quality adds (the anomalies, the reports):
    its template (given ``panel``: the dict ``context(request)`` returns) and who sees it."""

    template: str
    context: Callable[[HttpRequest], dict]
    permission: str = VIEW_PERMISSION


OVERVIEW_PANELS: list[OverviewPanel] = []


def overview_panel_register(panel: OverviewPanel) -> OverviewPanel:
    if panel not in OVERVIEW_PANELS:
        OVERVIEW_PANELS.append(panel)
    return panel


def overview_panels(request: HttpRequest) -> list[dict]:
    return [
        {"template": panel.template, **panel.context(request)}
        for panel in OVERVIEW_PANELS
        if request.user.has_perm(panel.permission)
    ]


# --- helpers --------------------------------------------------------------------------------


def _today() -> date:
    return local(timezone.now()).date()


def sample_url(number: str) -> str:
    """The sample's results page, when that page exists (else no link)."""
    try:
        return reverse("workbench:quality_sample", kwargs={"number": number})
    except NoReverseMatch:
        return ""


def _day(request: HttpRequest) -> date:
    raw = request.GET.get("day") or ""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return _today()


def _sample(number: str) -> Sample:
    sample = Sample.objects.select_related("point").filter(number=number).first()
    if sample is None:
        raise Http404()
    return sample


def _indicators():
    edition = edition_in_force(_today())
    return list(edition.indicators.order_by("sort_order")) if edition else []


def _refuse(request, error: DomainError) -> None:
    if isinstance(error, NotPermitted):
        raise error
    messages.error(request, str(error.message))


# --- overview -------------------------------------------------------------------------------


@require_GET
@reader_view
def overview(request: HttpRequest) -> HttpResponse:
    today = _today()
    schedule = selectors.day_schedule(today)
    due = [sample for group in schedule for sample in group.samples if not sample.is_overdue]
    overdue = selectors.overdue_list(today, limit=20)
    context = {
        "today": today,
        "due_count": len(due),
        "due_points": len({sample.point_id for sample in due}),
        "overdue": overdue,
        "overdue_count": selectors.overdue_count(today),
        "lab": selectors.lab_counts(),
        "edition": edition_in_force(today),
        "overview_panels": overview_panels(request),
        "may_manage": request.user.has_perm(services.MANAGE_PERMISSION),
    }
    return render(request, "quality/overview/overview.html", context)


# --- the day's samples ----------------------------------------------------------------------


def _samples_page(request, day: date, *, add_form=None, status: int = 200) -> HttpResponse:
    schedule = selectors.day_schedule(day)
    may_take = request.user.has_perm(services.TAKE_PERMISSION)
    may_manage = request.user.has_perm(services.MANAGE_PERMISSION)
    today = _today()
    for group in schedule:
        for sample in group.samples:
            sample.take_form = forms.TakeForm(auto_id=f"id_take{sample.pk}_%s")
            sample.cancel_form = forms.CancelForm(auto_id=f"id_cancel{sample.pk}_%s")
    done = list(selectors.day_done(day))
    for sample in done:
        sample.results_url = sample_url(sample.number)
    samples = [sample for group in schedule for sample in group.samples]
    context = {
        "day": day,
        "today": today,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "schedule": schedule,
        "done": done,
        "due_count": len(samples),
        "overdue_count": sum(1 for sample in samples if sample.is_overdue),
        "may_take": may_take and day == today,
        "may_manage": may_manage,
    }
    if may_manage:
        context["add_form"] = add_form or forms.AddForm(
            indicators=_indicators(), auto_id="id_add_%s"
        )
    return render(request, "quality/samples/day.html", context, status=status)


@require_GET
@reader_view
def samples_page(request: HttpRequest) -> HttpResponse:
    return _samples_page(request, _day(request))


def _back_to_day(sample: Sample):
    return redirect(reverse("workbench:quality_samples"))


@require_POST
@sampler_view
def sample_take_view(request: HttpRequest, number: str) -> HttpResponse:
    sample = _sample(number)
    form = forms.TakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("采样信息不正确：%(errors)s") % {"errors": _form_errors(form)})
        return _back_to_day(sample)
    try:
        services.sample_take(actor=request.user, sample=sample, **form.cleaned_data)
    except DomainError as error:
        _refuse(request, error)
    else:
        messages.success(
            request,
            _("已记录水样 %(number)s 的采样（%(point)s），请送检。")
            % {"number": sample.number, "point": sample.point.name},
        )
    return _back_to_day(sample)


@require_POST
@manager_view
def sample_cancel_view(request: HttpRequest, number: str) -> HttpResponse:
    sample = _sample(number)
    form = forms.CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写取消原因。"))
        return _back_to_day(sample)
    try:
        services.sample_cancel(actor=request.user, sample=sample, **form.cleaned_data)
    except DomainError as error:
        _refuse(request, error)
    else:
        messages.success(request, _("已取消水样 %(number)s。") % {"number": sample.number})
    return _back_to_day(sample)


@require_POST
@manager_view
def sample_add_view(request: HttpRequest) -> HttpResponse:
    form = forms.AddForm(request.POST, indicators=_indicators(), auto_id="id_add_%s")
    if form.is_valid():
        try:
            sample = services.sample_add(actor=request.user, **form.cleaned_data)
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("已添加临时采样 %(number)s（%(point)s），今日应采。")
                % {"number": sample.number, "point": sample.point.name},
            )
            return redirect("workbench:quality_samples")
    return _samples_page(request, _today(), add_form=form, status=400)


def _form_errors(form) -> str:
    return "；".join(str(error) for errors in form.errors.values() for error in errors)


# --- points ---------------------------------------------------------------------------------


@require_GET
@reader_view
def points_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/points/list.html",
        {
            "points": selectors.point_summaries(_today()),
            "may_manage": request.user.has_perm(services.MANAGE_PERMISSION),
        },
    )


@require_http_methods(["GET", "POST"])
@manager_view
def point_new(request: HttpRequest) -> HttpResponse:
    form = forms.PointForm(request.POST or None)
    if request.method == "POST":
        done = form_post(
            request,
            form,
            partial(services.point_create, actor=request.user),
            success=lambda point: (
                _("已新建采样点“%(point)s”，适用的采样计划会自动为其排期。") % {"point": point.name}
            ),
            to="workbench:quality_points",
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render(request, "quality/points/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@manager_view
def point_edit(request: HttpRequest, pk: int) -> HttpResponse:
    point = SamplingPoint.objects.filter(pk=pk).first()
    if point is None:
        raise Http404()
    initial = {
        name: getattr(point, name)
        for name in ("name", "point_type", "location", "latitude", "longitude", "disinfection")
    }
    initial.update({"plant": point.plant_id, "zone": point.zone_id, "is_active": point.is_active})
    form = forms.PointEditForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = form_post(
            request,
            form,
            partial(services.point_update, actor=request.user, point=point),
            success=lambda _point: _("已保存采样点“%(point)s”。") % {"point": point.name},
            to="workbench:quality_points",
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    history = list(point.history.select_related("history_user").order_by("-history_date")[:20])
    return render(
        request,
        "quality/points/form.html",
        {"form": form, "point": point, "history": history},
        status=status,
    )


# --- plans ----------------------------------------------------------------------------------


@require_GET
@reader_view
def plans_page(request: HttpRequest) -> HttpResponse:
    plans = selectors.plan_summaries(_today())
    labels = dict(PointType.choices)
    for plan in plans:
        plan.type_labels = [labels.get(kind, kind) for kind in plan.point_types or []]
    return render(
        request,
        "quality/plans/list.html",
        {"plans": plans, "may_manage": request.user.has_perm(services.MANAGE_PERMISSION)},
    )


@require_http_methods(["GET", "POST"])
@manager_view
def plan_new(request: HttpRequest) -> HttpResponse:
    form = forms.PlanForm(request.POST or None, indicators=_indicators())
    if request.method == "POST":
        done = form_post(
            request,
            form,
            partial(services.plan_create, actor=request.user),
            success=lambda plan: (
                _("已新建采样计划“%(plan)s”，将按频次为适用的采样点排期。") % {"plan": plan.name}
            ),
            to="workbench:quality_plans",
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render(request, "quality/plans/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@manager_view
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = SamplingPlan.objects.filter(pk=pk).first()
    if plan is None:
        raise Http404()
    initial = {
        "name": plan.name,
        "frequency": plan.frequency,
        "point_types": plan.point_types,
        "indicator_codes": plan.indicator_codes,
        "is_active": plan.is_active,
    }
    form = forms.PlanEditForm(request.POST or None, initial=initial, indicators=_indicators())
    if request.method == "POST":
        done = form_post(
            request,
            form,
            partial(services.plan_update, actor=request.user, plan=plan),
            success=lambda _plan: (
                _("已保存采样计划“%(plan)s”：此后排期的水样按新计划，已排期的不变。")
                % {"plan": plan.name}
            ),
            to="workbench:quality_plans",
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    history = list(plan.history.select_related("history_user").order_by("-history_date")[:20])
    return render(
        request,
        "quality/plans/form.html",
        {"form": form, "plan": plan, "history": history},
        status=status,
    )

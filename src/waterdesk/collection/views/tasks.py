"""The collector's pages, made for a phone: the task list by area, one task with its
outcome form (and the written notice to print), and the instalment plan agreed with the
customer.

Thin views: a form parses the input, the service decides; a refusal comes back on its
field with the input kept, a success redirects to the task with the way on."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.cases.selectors import case_get_for_user
from waterdesk.collection.access import task_may_work
from waterdesk.collection.forms import OutcomeForm, PlanForm, TaskFilterForm
from waterdesk.collection.models import DunningStatus, StepKind
from waterdesk.collection.selectors import dunning_of
from waterdesk.collection.selectors_tasks import (
    TaskFilter,
    collection_task_card,
    collection_task_get,
    collection_task_list,
    collection_task_next,
    collection_task_zones,
    dunning_debt,
    task_filter_default,
    task_notice,
)
from waterdesk.collection.services.ladder import collection_action_record
from waterdesk.collection.services.payments import instalment_plan_agree
from waterdesk.collection.workflow import KIND, STOPPABLE, WORK_PERMISSION
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view

TASK_TEMPLATE = "collection/task.html"
PLAN_TEMPLATE = "collection/plan.html"
NOTICE_DOCUMENT = "disconnection-notice"


def _chosen(request: HttpRequest, form: TaskFilterForm) -> TaskFilter:
    """The list's filter from the query, "mine" or "all" by default."""
    default = task_filter_default(request.user)
    if not form.is_bound or not form.is_valid():
        return default
    return TaskFilter(
        scope=form.cleaned_data["scope"] or default.scope, zone=form.cleaned_data["zone"]
    )


def _attempt(form, service, **kwargs):
    """The service's result, or None with its refusal on the form (and its status)."""
    try:
        return service(**kwargs), 200
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        return None, error.http_status


def _list_query(chosen: TaskFilter) -> str:
    """The list's filter as a query string, carried to a task and back."""
    return urlencode({"scope": chosen.scope, "zone": chosen.zone})


def _filter_form(request: HttpRequest) -> TaskFilterForm:
    return TaskFilterForm(request.GET or None, zones=collection_task_zones(request.user))


@require_GET
@staff_view(has_perm(WORK_PERMISSION))
def collection_tasks(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    chosen = _chosen(request, form)
    if not form.is_bound or not form.is_valid():
        form = TaskFilterForm(
            initial={"scope": chosen.scope, "zone": chosen.zone},
            zones=collection_task_zones(request.user),
        )
    today = timezone.localdate()
    context = {
        "form": form,
        "chosen": chosen,
        "tasks": collection_task_list(user=request.user, today=today, chosen=chosen),
        "today": today,
        "query": _list_query(chosen),
    }
    return render(request, "collection/tasks.html", context)


def _task_context(request: HttpRequest, task, chosen: TaskFilter, form=None) -> dict:
    today = timezone.localdate()
    may_work = task_may_work(user=request.user, task=task)
    if form is None and may_work:
        form = OutcomeForm(kind=task.kind)
    case = task.dunning.case
    next_task = collection_task_next(user=request.user, chosen=chosen, after=task)
    query = _list_query(chosen)
    return {
        "task": task,
        "case": case,
        "card": collection_task_card(user=request.user, task=task, today=today),
        "form": form if may_work else None,
        "asks_promise": task.kind in (StepKind.CALL, StepKind.VISIT),
        "asks_photo": task.kind in (StepKind.VISIT, StepKind.NOTICE),
        "notice": task_notice(task),
        "notice_document": NOTICE_DOCUMENT,
        "may_plan": may_work and case.status in (*STOPPABLE, DunningStatus.DISCONNECTED),
        "query": query,
        "list_url": f"{reverse('workbench:collection_tasks')}?{query}",
        "next_url": (
            f"{reverse('workbench:collection_task', args=[next_task.pk])}?{query}"
            if next_task is not None
            else ""
        ),
    }


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(WORK_PERMISSION))
def collection_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: GET shows it; POST records its outcome (``collection_action_record``)."""
    task = collection_task_get(user=request.user, pk=pk)
    chosen = _chosen(request, _filter_form(request))
    if request.method == "GET":
        return render(request, TASK_TEMPLATE, _task_context(request, task, chosen))
    form = OutcomeForm(request.POST, request.FILES, kind=task.kind)
    done, status = None, 400
    if form.is_valid():
        done, status = _attempt(
            form, collection_action_record, actor=request.user, action=task, **form.service_kwargs()
        )
    if done is not None:
        messages.success(
            request,
            _("已记录：%(kind)s，%(outcome)s。")
            % {"kind": done.get_kind_display(), "outcome": done.get_outcome_display()},
        )
        url = reverse("workbench:collection_task", args=[task.pk])
        return redirect(f"{url}?{_list_query(chosen)}")
    task = collection_task_get(user=request.user, pk=pk)
    context = _task_context(request, task, chosen, form=form)
    if context["form"] is None:  # another phone recorded it meanwhile: say why here
        for error in form.non_field_errors():
            messages.error(request, error)
    return render(request, TASK_TEMPLATE, context, status=status)


def _plan_return(request: HttpRequest, case) -> tuple[str, str]:
    """Where the plan page leads back to: the task it was opened from, else the case."""
    task_id = request.GET.get("task", "")
    if task_id.isdigit():
        task = collection_task_get(user=request.user, pk=int(task_id))
        if task.dunning_id == case.pk:
            url = reverse("workbench:collection_task", args=[task.pk])
            return url, _("返回催收任务")
    return reverse("workbench:case", args=[case.public_id]), _("返回催缴工单")


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(WORK_PERMISSION))
def collection_plan(request: HttpRequest, public_id) -> HttpResponse:
    """An instalment plan agreed with the customer (``instalment_plan_agree``), beside the
    debt it must cover."""
    case = case_get_for_user(user=request.user, public_id=public_id)
    if case.kind != KIND:
        raise Http404()
    back_url, back_label = _plan_return(request, case)
    status = 200
    if request.method == "POST":
        form = PlanForm(request.POST)
        plan, status = None, 400
        if form.is_valid():
            plan, status = _attempt(
                form, instalment_plan_agree, actor=request.user, case=case, **form.service_kwargs()
            )
        if plan is not None:
            messages.success(
                request,
                _("已约定分期还款，共 %(count)s 期 %(total)s 元；首期缴清后停止催收。")
                % {"count": plan.items.count(), "total": f"{plan.total:.2f}"},
            )
            return redirect(back_url)
    else:
        form = PlanForm()
    dunning = dunning_of(case)
    context = {
        "case": case,
        "dunning": dunning,
        "debt": dunning_debt(dunning, today=timezone.localdate()),
        "form": form,
        "back_url": back_url,
        "back_label": back_label,
    }
    return render(request, PLAN_TEMPLATE, context, status=status)

"""The remote-read pages (``workbench:amr_*``): meters, one meter's daily reads and valve
requests, the alarm queue, the valve commands to approve, file imports, the cycle's billing
reads. Thin: a form parses, one service decides; a refusal comes back with its reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.amr import forms, selectors
from waterdesk.amr.models import Alarm, ValveCommand
from waterdesk.amr.services import alarms, billing_reads, readings, valves
from waterdesk.billing.models import ReadingCycle
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view

VIEW = "amr.view_remote_meter"
reader_view = staff_view(has_perm(VIEW))


def _refused(request, error: DomainError, to: str, **kwargs) -> HttpResponse:
    messages.error(request, str(error.message))
    return redirect(to, **kwargs)


@require_GET
@reader_view
def meters_page(request: HttpRequest) -> HttpResponse:
    return render(request, "amr/meters.html", {"meters": selectors.remote_meters_list()})


@reader_view
def meter_page(request: HttpRequest, pk: int) -> HttpResponse:
    meter = selectors.remote_meter_get(pk)
    if meter is None:
        raise Http404()
    form = forms.ValveRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm(valves.REQUEST_PERMISSION):
            raise NotPermitted()
        if form.is_valid():
            try:
                valves.valve_command_request(
                    actor=request.user, remote_meter=meter, **form.cleaned_data
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("阀控指令已提交，等待第二人审批。"))
                return redirect("workbench:amr_meter", pk=meter.pk)
        status = 400
    context = {
        "meter": meter,
        "readings": list(selectors.remote_meter_daily(meter)),
        "alarms": list(meter.alarms.order_by("-opened_at")[:20]),
        "commands": list(meter.valve_commands.order_by("-requested_at")[:20]),
        "form": form,
        "may_request": request.user.has_perm(valves.REQUEST_PERMISSION) and meter.supports_valve,
    }
    return render(request, "amr/meter.html", context, status=status)


@require_GET
@reader_view
def alarms_page(request: HttpRequest) -> HttpResponse:
    may_manage = request.user.has_perm(alarms.MANAGE_PERMISSION)
    return render(
        request,
        "amr/alarms.html",
        {
            "alarms": list(selectors.alarms_open()),
            "resolved": list(selectors.alarms_recent_resolved()),
            "may_manage": may_manage,
            "assign_form": forms.AssignForm() if may_manage else None,
            "resolve_form": forms.ResolveForm() if may_manage else None,
        },
    )


def _alarm(pk: int) -> Alarm:
    alarm = Alarm.objects.filter(pk=pk).first()
    if alarm is None:
        raise Http404()
    return alarm


@require_POST
@staff_view(has_perm(alarms.MANAGE_PERMISSION))
def alarm_assign(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.AssignForm(request.POST)
    if form.is_valid():
        try:
            alarms.alarm_assign(
                actor=request.user, alarm=_alarm(pk), assignee=form.cleaned_data["assignee"]
            )
        except DomainError as error:
            return _refused(request, error, "workbench:amr_alarms")
        messages.success(request, _("告警已分派。"))
    else:
        messages.error(request, _("请选择处理人。"))
    return redirect("workbench:amr_alarms")


@require_POST
@staff_view(has_perm(alarms.MANAGE_PERMISSION))
def alarm_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.ResolveForm(request.POST)
    if form.is_valid():
        try:
            alarms.alarm_resolve(
                actor=request.user, alarm=_alarm(pk), resolution=form.cleaned_data["resolution"]
            )
        except DomainError as error:
            return _refused(request, error, "workbench:amr_alarms")
        messages.success(request, _("告警已解决。"))
    else:
        messages.error(request, _("请填写处理结果。"))
    return redirect("workbench:amr_alarms")


@require_GET
@reader_view
def valves_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "amr/valves.html",
        {
            "commands": list(selectors.valve_commands_list()),
            "may_approve": request.user.has_perm(valves.APPROVE_PERMISSION),
            "refuse_form": forms.ReasonForm(),
        },
    )


def _command(pk: int) -> ValveCommand:
    command = ValveCommand.objects.filter(pk=pk).first()
    if command is None:
        raise Http404()
    return command


@require_POST
@staff_view(has_perm(valves.APPROVE_PERMISSION))
def valve_approve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        valves.valve_command_approve(actor=request.user, command=_command(pk))
    except DomainError as error:
        return _refused(request, error, "workbench:amr_valves")
    messages.success(request, _("阀控指令已批准并下发。"))
    return redirect("workbench:amr_valves")


@require_POST
@staff_view(has_perm(valves.APPROVE_PERMISSION))
def valve_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        valves.valve_command_refuse(
            actor=request.user, command=_command(pk), reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        return _refused(request, error, "workbench:amr_valves")
    messages.success(request, _("阀控指令未批准。"))
    return redirect("workbench:amr_valves")


@reader_view
def imports_page(request: HttpRequest) -> HttpResponse:
    may_import = request.user.has_perm(readings.IMPORT_PERMISSION)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not may_import:
            raise NotPermitted()
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = readings.readings_import(
                    actor=request.user,
                    head_end=form.cleaned_data["head_end"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _(
                        "已导入：共 %(received)s 行，新增 %(stored)s，重复 %(duplicate)s，"
                        "拒收 %(rejected)s。"
                    )
                    % {
                        "received": batch.received,
                        "stored": batch.stored,
                        "duplicate": batch.duplicate,
                        "rejected": batch.rejected,
                    },
                )
                return redirect("workbench:amr_imports")
        status = 400
    return render(
        request,
        "amr/imports.html",
        {"form": form, "may_import": may_import, "imports": list(selectors.imports_list())},
        status=status,
    )


@require_GET
@reader_view
def billing_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "amr/billing.html",
        {
            "cycles": selectors.cycles_with_runs(),
            "may_make": request.user.has_perm(billing_reads.PERMISSION),
        },
    )


@require_POST
@staff_view(has_perm(billing_reads.PERMISSION))
def billing_make(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = ReadingCycle.objects.filter(pk=pk).first()
    if cycle is None:
        raise Http404()
    try:
        run = billing_reads.billing_reads_make(actor=request.user, cycle=cycle)
    except NotPermitted:
        raise
    except DomainError as error:
        return _refused(request, error, "workbench:amr_billing")
    messages.success(
        request,
        _(
            "账期 %(cycle)s：新建结算读数 %(created)s 条，已有 %(existing)s 条，"
            "跳过 %(skipped)s 块表。"
        )
        % {
            "cycle": cycle.code,
            "created": run.created,
            "existing": run.existing,
            "skipped": len(run.skipped),
        },
    )
    return redirect("workbench:amr_billing")

"""The anomaly pages (``workbench:quality_anomalies``, ``quality_anomaly`` and its actions):
the anomalies, open first, with their passing streak; one anomaly with its failures, its
incident, the follow-up rounds, the treatment adjustments and, for the manager, the forms to
record an adjustment, update the expected recovery and close it.

Readers hold ``quality.view_quality``; the actions need ``quality.manage_anomaly`` (the
services check it again). Thin: a form parses, one service decides; a refusal comes back on
the page with its reason (400)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.emergency.models import IncidentStatus
from waterdesk.quality import forms_anomalies as forms
from waterdesk.quality.models import Anomaly, AnomalyStatus
from waterdesk.quality.selectors_anomalies import (
    anomalies_list,
    anomaly_by_number,
    anomaly_extra_samples,
    anomaly_rounds,
)
from waterdesk.quality.services import anomalies as services

reader_view = staff_view(has_perm(services.VIEW_PERMISSION))
manager_view = staff_view(has_perm(services.MANAGE_PERMISSION))


def _anomaly(number: str) -> Anomaly:
    anomaly = anomaly_by_number(number)
    if anomaly is None:
        raise Http404()
    return anomaly


@require_GET
@reader_view
def anomalies_page(request: HttpRequest) -> HttpResponse:
    anomalies = list(anomalies_list())
    return render(
        request,
        "quality/anomalies/list.html",
        {
            "anomalies": anomalies,
            "open_count": sum(1 for row in anomalies if row.status == AnomalyStatus.OPEN),
        },
    )


@require_GET
@reader_view
def anomaly_page(request: HttpRequest, number: str) -> HttpResponse:
    return _anomaly_page(request, _anomaly(number))


def _anomaly_page(request, anomaly: Anomaly, *, failed=None, status: int = 200) -> HttpResponse:
    may_manage = request.user.has_perm(services.MANAGE_PERMISSION)
    is_open = anomaly.status == AnomalyStatus.OPEN
    incident = anomaly.incident
    incident_active = incident is not None and incident.status == IncidentStatus.ACTIVE
    page_forms = {}
    if may_manage and is_open:
        page_forms = {
            "adjust": forms.AdjustmentForm(auto_id="id_adjust_%s"),
            "close": forms.CloseForm(auto_id="id_close_%s"),
        }
        if incident_active:
            page_forms["estimate"] = forms.EstimateForm(auto_id="id_estimate_%s")
    if failed is not None:
        page_forms[failed[0]] = failed[1]
    context = {
        "anomaly": anomaly,
        "incident": incident,
        "incident_active": incident_active,
        "rounds": anomaly_rounds(anomaly),
        "extra_samples": list(anomaly_extra_samples(anomaly)),
        "adjustments": list(anomaly.adjustments.select_related("recorded_by")),
        "plans": list(anomaly.plans.select_related("point").order_by("point__code")),
        "forms": page_forms,
        "failed_form": failed[1] if failed else None,
        "passes_missing": max(anomaly.passes_required - anomaly.pass_streak, 0),
        "may_manage": may_manage,
    }
    return render(request, "quality/anomalies/detail.html", context, status=status)


def _action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    anomaly = _anomaly(number)
    form_class = {
        "adjust": forms.AdjustmentForm,
        "estimate": forms.EstimateForm,
        "close": forms.CloseForm,
    }[action]
    form = form_class(request.POST, auto_id=f"id_{action}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "adjust":
                services.anomaly_adjustment_record(
                    actor=request.user, anomaly=anomaly, description=data["description"]
                )
                done = _("已记录处理工艺调整，并记入应急事件时间线。")
            elif action == "estimate":
                services.anomaly_estimate_update(
                    actor=request.user,
                    anomaly=anomaly,
                    expected_restoration_at=data["expected_restoration_at"],
                    note=data["note"],
                )
                done = _("已更新预计恢复时间，受影响片区的客户将收到更新通知。")
            else:
                closed = services.anomaly_close(
                    actor=request.user, anomaly=anomaly, follow_up=data["follow_up"]
                )
                if closed.incident_restored:
                    done = _("水质异常已解除，应急事件已确认恢复，客户将收到恢复通知。")
                elif closed.incident_left:
                    done = _(
                        "水质异常已解除。应急事件未能确认恢复（%(reason)s），请应急办在事件页面处理。"
                    ) % {"reason": closed.incident_left}
                else:
                    done = _("水质异常已解除。")
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, done)
            return redirect("workbench:quality_anomaly", number=anomaly.number)
    return _anomaly_page(request, _anomaly(number), failed=(action, form), status=400)


@require_POST
@manager_view
def anomaly_adjust(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "adjust")


@require_POST
@manager_view
def anomaly_estimate(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "estimate")


@require_POST
@manager_view
def anomaly_close(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "close")

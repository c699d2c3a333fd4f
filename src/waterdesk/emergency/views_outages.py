"""The planned-outage desk pages: the list (awaiting approval, in progress and upcoming,
recently ended) and the scheduling form. The case page (approve, refuse, overrun, restore,
cancel) is the shell's generic one: it shows ``emergency/outages/detail.html`` and the
actions' forms from the registry.

Thin: forms parse, services write, selectors read."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.emergency.forms_outages import OutageScheduleForm
from waterdesk.emergency.models import OutageStatus
from waterdesk.emergency.outage_workflow import APPROVE_PERMISSION, SCHEDULE_PERMISSION
from waterdesk.emergency.selectors_outages import outage_list
from waterdesk.emergency.services.notices import when_text
from waterdesk.emergency.services.outages import (
    outage_earliest_start,
    outage_policy,
    outage_schedule,
)


def _works_outages(user) -> bool:
    return user.has_perm(SCHEDULE_PERMISSION) or user.has_perm(APPROVE_PERMISSION)


@require_GET
@staff_view(_works_outages)
def outages(request: HttpRequest) -> HttpResponse:
    rows = outage_list(now=timezone.now())
    return render(
        request,
        "emergency/outages/list.html",
        {
            **rows,
            "may_approve": request.user.has_perm(APPROVE_PERMISSION),
            "may_schedule": request.user.has_perm(SCHEDULE_PERMISSION),
        },
    )


def _schedule_form(data=None) -> OutageScheduleForm:
    return OutageScheduleForm(
        data,
        earliest_text=when_text(outage_earliest_start()),
        notice_hours=outage_policy().notice_hours,
    )


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(SCHEDULE_PERMISSION))
def outage_new(request: HttpRequest) -> HttpResponse:
    """GET: the empty form. POST: scheduled, the page goes to the new case with what
    happened (announced, or waiting for approval); a refusal stays on the form (400)."""
    if request.method == "GET":
        return render(request, "emergency/outages/new.html", {"form": _schedule_form()})
    form = _schedule_form(request.POST)
    if form.is_valid():
        try:
            case = outage_schedule(actor=request.user, **form.service_kwargs())
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if case.status == OutageStatus.AWAITING_APPROVAL:
                messages.warning(
                    request,
                    _(
                        "计划停水 %(number)s 不足提前通知时限，已提交值班主任批准；"
                        "批准后系统立即通知受影响客户。"
                    )
                    % {"number": case.number},
                )
            else:
                messages.success(
                    request,
                    _("计划停水 %(number)s 已安排，停水通知已发送给受影响客户。")
                    % {"number": case.number},
                )
            return redirect("workbench:case", public_id=case.public_id)
    return render(request, "emergency/outages/new.html", {"form": form}, status=400)

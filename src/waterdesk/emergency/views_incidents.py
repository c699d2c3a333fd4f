"""The incident pages under /desk/ ("workbench:"): the emergency board and the intake. The
case page (every action of the workflow) is the shell's generic one: it shows
``emergency/incidents/detail.html`` and the actions' forms from the registry.

Thin: the form parses the input, a service does the work, and a ``DomainError`` comes back
as a form error with its Chinese message."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.emergency.forms_incidents import IncidentIntakeForm
from waterdesk.emergency.selectors_incidents import incident_board
from waterdesk.emergency.services.incident_open import incident_intake, incident_joinable
from waterdesk.emergency.workflow import MANAGE_PERMISSION, OPEN_PERMISSION


@require_GET
@staff_view(has_perm(MANAGE_PERMISSION))
def emergency_board(request: HttpRequest) -> HttpResponse:
    """The emergency office's board: active incidents (most severe first), the restored
    ones awaiting review, the recently closed."""
    return render(
        request,
        "emergency/incidents/board.html",
        {**incident_board(), "may_open": request.user.has_perm(OPEN_PERMISSION)},
    )


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(OPEN_PERMISSION))
def incident_new(request: HttpRequest) -> HttpResponse:
    """Open an incident: the plan is activated, its people alerted and the customers of
    the area told at once."""
    data = request.POST if request.method == "POST" else None
    form = IncidentIntakeForm(data)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                arguments = form.service_kwargs()
                joined = incident_joinable(arguments["source_reference"])
                case = incident_intake(actor=request.user, **arguments)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                if joined is not None:
                    messages.info(
                        request,
                        _("来源编号相同的应急事件 %(number)s 正在处置中，已并入该事件。")
                        % {"number": case.number},
                    )
                    return redirect("workbench:case", public_id=case.public_id)
                messages.success(
                    request,
                    _("应急事件 %(number)s 已启动：处置任务已生成，相关人员和受影响客户已通知。")
                    % {"number": case.number},
                )
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
    return render(request, "emergency/incidents/new.html", {"form": form}, status=status)

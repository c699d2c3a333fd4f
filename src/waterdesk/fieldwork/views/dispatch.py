"""The dispatcher's pages: the crews (members, vehicles, on call or not, their open orders)
and the on-call roster of the coming two weeks, with a shift added or removed."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.core.web import has_perm, staff_view
from waterdesk.fieldwork.forms import ShiftForm
from waterdesk.fieldwork.models import DutyShift
from waterdesk.fieldwork.selectors import crews_with_members, duty_shifts_between, roster_gaps
from waterdesk.fieldwork.services_roster import duty_shift_add, duty_shift_remove
from waterdesk.fieldwork.workflow import DISPATCH_PERMISSION

ROSTER_DAYS = 14


@require_GET
@staff_view(has_perm(DISPATCH_PERMISSION))
def crews(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    shifts = list(duty_shifts_between(start=now, end=now + timedelta(days=ROSTER_DAYS)))
    rows = []
    for crew in crews_with_members():
        own = [shift for shift in shifts if shift.crew_id == crew.pk]
        current = next((shift for shift in own if shift.starts_at <= now), None)
        upcoming = next((shift for shift in own if shift.starts_at > now), None)
        rows.append({"crew": crew, "current": current, "next": upcoming})
    return render(request, "fieldwork/crews.html", {"rows": rows, "now": now})


def _roster_context(form: ShiftForm | None = None, *, failed_shift: int | None = None) -> dict:
    now = timezone.now()
    end = now + timedelta(days=ROSTER_DAYS)
    shifts = list(duty_shifts_between(start=now, end=end))
    days: dict = {}
    for shift in shifts:
        days.setdefault(local(max(shift.starts_at, now)).date(), []).append(shift)
    return {
        "form": form if form is not None else ShiftForm(),
        "days": sorted(days.items()),
        "gaps": roster_gaps(shifts, start=now, end=end),
        "now": now,
        "roster_days": ROSTER_DAYS,
        "failed_shift": failed_shift,
    }


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(DISPATCH_PERMISSION))
def roster(request: HttpRequest) -> HttpResponse:
    """The roster of the coming 14 days; POST adds a shift."""
    if request.method == "GET":
        return render(request, "fieldwork/roster.html", _roster_context())
    form = ShiftForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            shift = duty_shift_add(
                actor=request.user,
                crew=data["crew"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                note=data["note"],
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
            status = error.http_status
        else:
            messages.success(
                request,
                _("已安排%(crew)s值班：%(start)s 至 %(end)s。")
                % {
                    "crew": shift.crew.name,
                    "start": f"{local(shift.starts_at):%Y-%m-%d %H:%M}",
                    "end": f"{local(shift.ends_at):%Y-%m-%d %H:%M}",
                },
            )
            return redirect("fieldwork:roster")
    return render(request, "fieldwork/roster.html", _roster_context(form), status=status)


@require_POST
@staff_view(has_perm(DISPATCH_PERMISSION))
def roster_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = DutyShift.objects.select_related("crew").filter(pk=shift_id).first()
    if shift is None:
        raise Http404()
    try:
        duty_shift_remove(actor=request.user, shift=shift)
    except NotPermitted:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        context = _roster_context(failed_shift=shift.pk)
        return render(request, "fieldwork/roster.html", context, status=error.http_status)
    messages.success(
        request,
        _("已删除%(crew)s %(start)s 起的值班。")
        % {"crew": shift.crew.name, "start": f"{local(shift.starts_at):%Y-%m-%d %H:%M}"},
    )
    return redirect("fieldwork:roster")

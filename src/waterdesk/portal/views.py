"""Public pages: the case-status look-up (办理进度查询), at /lookup/ without login.

A customer types the case number from the receipt and the phone number given at intake (or
the account holder's mobile) and sees the case's kind, status, dates and milestones —
nothing more about it: no name, address, staff or notes. A wrong pair answers "not found"
whichever part is wrong. Each client address may look up ``WATERDESK_PUBLIC_LOOKUP_LIMIT``
times per window of ``…_WINDOW_MINUTES`` (fixed windows: at most that long to wait), then
it is refused (429) until the window ends. The page
shows no personal data, so it records no personal-data access, and the phone number travels
in the POST body only (never in a URL that a proxy or server would log).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from waterdesk.cases.kinds import kind_spec
from waterdesk.cases.selectors import case_find_for_public, case_status_changes
from waterdesk.core.errors import NotFound
from waterdesk.core.ratelimit import client_over_limit
from waterdesk.portal.forms import LookupForm
from waterdesk.sla.models import ClockState, milestone_label
from waterdesk.sla.selectors import case_clocks

TEMPLATE = "portal/lookup.html"

CLOCK_STATE_LABELS = {
    ClockState.RUNNING: _("办理中"),
    ClockState.PAUSED: _("暂停计时（等待补交材料）"),
    ClockState.MET: _("已完成"),
    ClockState.BREACHED: _("已完成"),
    ClockState.CANCELLED: _("已取消"),
}


@dataclass(frozen=True)
class Milestone:
    label: str
    due_at: datetime | None  # None while paused: the deadline moves when the clock resumes
    state: str
    done_at: datetime | None


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: str


def _progress(case) -> dict:
    """What the public page shows of a case; nothing personal."""
    spec = kind_spec(case.kind)
    milestones = [
        Milestone(
            label=milestone_label(clock.milestone, case.kind),
            due_at=None if clock.state == ClockState.PAUSED else clock.due_at,
            state=CLOCK_STATE_LABELS.get(clock.state, clock.state),
            done_at=clock.stopped_at if clock.state != ClockState.CANCELLED else None,
        )
        for clock in case_clocks(case)
    ]
    changes = [
        StatusChange(at=event.at, status=spec.status_label(event.to_status))
        for event in case_status_changes(case)
    ]
    return {
        "number": case.number,
        "kind": spec.label,
        "status": spec.status_label(case.status),
        "is_open": case.is_open,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "milestones": milestones,
        "changes": changes,
    }


def _over_limit(request: HttpRequest) -> bool:
    return client_over_limit(
        request,
        "lookup",
        limit=settings.WATERDESK_PUBLIC_LOOKUP_LIMIT,
        window_minutes=settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
    )


def _page(request: HttpRequest, form: LookupForm, *, status: int = 200, **context) -> HttpResponse:
    context = {
        "form": form,
        "hotline": settings.WATERDESK_COMPANY_HOTLINE,
        "window_minutes": settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
        **context,
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """The look-up form (``?number=`` fills in the case number: the receipt's QR code), and
    the answer to it."""
    if request.method == "GET":
        return _page(request, LookupForm(initial={"number": request.GET.get("number", "")[:32]}))
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    if _over_limit(request):
        return _page(request, form, status=429, outcome="limited")
    try:
        case = case_find_for_public(
            number=form.cleaned_data["number"], phone=form.cleaned_data["phone"]
        )
    except NotFound:
        return _page(request, form, status=404, outcome="not_found")
    return _page(request, LookupForm(), outcome="found", progress=_progress(case))

"""The whistleblower report pages.

Desk (under /desk/, namespace "workbench"): the intake of the hotline and the counter, the
reporter's identity (a supervisor, with a reason; anyone else refused and logged) and the
evidence files. Public (at the root, namespace "portal", no login): the report form and the
status look-up by tracking code, both limited per client address; the form also refuses
bots (honeypot, signed stamp). The tracking code is shown once, on the answer to the
submission, never in a URL nor in a message stored for the next page.

Thin: forms parse, services write, selectors read.
"""

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.cases.access import is_desk_staff
from waterdesk.cases.models import Channel
from waterdesk.cases.selectors import case_get_for_user
from waterdesk.complaints.models import IdentityViewChannel, ReportEvidence
from waterdesk.complaints.report_forms import (
    DeskReportForm,
    IdentityForm,
    PublicReportForm,
    StatusForm,
)
from waterdesk.complaints.report_selectors import report_case_get, report_public_status
from waterdesk.complaints.report_workflow import INTAKE_PERMISSION
from waterdesk.complaints.services.report import (
    report_intake,
    reporter_identity_view,
    whistleblower_report_register,
)
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.ratelimit import client_over_limit
from waterdesk.core.web import has_perm, is_active, staff_view

# Submissions of the public form per client address and window (a person reports once;
# a script would flood the supervisors' queue).
REPORT_LIMIT = getattr(settings, "WATERDESK_PUBLIC_REPORT_LIMIT", 5)
REPORT_WINDOW_MINUTES = getattr(settings, "WATERDESK_PUBLIC_REPORT_WINDOW_MINUTES", 60)


def _service_kwargs(form) -> dict:
    data = form.service_kwargs()
    return {**data, "evidence": data.pop("evidence", None) or []}


# --- public ---------------------------------------------------------------------------


def _public_page(request, form, *, status=200, **context) -> HttpResponse:
    context = {
        "form": form,
        "hotline": settings.WATERDESK_COMPANY_HOTLINE,
        "window_minutes": REPORT_WINDOW_MINUTES,
        **context,
    }
    return render(request, "complaints/report/public_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def report_public(request: HttpRequest) -> HttpResponse:
    """The public report form (实名或匿名举报), and the confirmation with the tracking code."""
    if request.method == "GET":
        return _public_page(request, PublicReportForm())
    if client_over_limit(
        request, "report", limit=REPORT_LIMIT, window_minutes=REPORT_WINDOW_MINUTES
    ):
        return _public_page(request, PublicReportForm(), status=429, outcome="limited")
    form = PublicReportForm(request.POST, request.FILES)
    if not form.is_valid():
        # Refused by the bot checks: said without naming the check (the form carries a new
        # timestamp, so a person who was too quick simply sends it again).
        outcome = "" if form.antibot_passed() else "refused"
        return _public_page(request, form, status=400, outcome=outcome)
    try:
        receipt = whistleblower_report_register(
            actor=None, channel=Channel.WEB, **_service_kwargs(form)
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _public_page(request, form, status=400)
    return render(
        request,
        "complaints/report/public_done.html",
        {"number": receipt.case.number, "tracking_code": receipt.tracking_code},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def report_status(request: HttpRequest) -> HttpResponse:
    """The status of a report and its feedback, for the holder of its tracking code."""
    context = {
        "hotline": settings.WATERDESK_COMPANY_HOTLINE,
        "window_minutes": settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
    }
    template = "complaints/report/public_status.html"
    if request.method == "GET":
        return render(request, template, {**context, "form": StatusForm()})
    form = StatusForm(request.POST)
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    if client_over_limit(
        request,
        "report_status",
        limit=settings.WATERDESK_PUBLIC_LOOKUP_LIMIT,
        window_minutes=settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
    ):
        return render(
            request, template, {**context, "form": form, "outcome": "limited"}, status=429
        )
    found = report_public_status(form.cleaned_data["code"])
    if found is None:
        return render(
            request, template, {**context, "form": form, "outcome": "not_found"}, status=404
        )
    return render(
        request, template, {**context, "form": StatusForm(), "outcome": "found", "found": found}
    )


# --- desk -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_report(request: HttpRequest) -> HttpResponse:
    """The hotline's and the counter's intake; the answer shows the tracking code once, to
    be read out or handed to the reporter."""
    if request.method == "GET":
        form = DeskReportForm(initial={"channel": Channel.PHONE})
        return render(request, "complaints/report/intake.html", {"form": form})
    form = DeskReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case = report_intake(actor=request.user, **_service_kwargs(form))
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return render(
                request,
                "complaints/report/intake_done.html",
                {"case": case, "tracking_code": case.tracking_code},
            )
    return render(request, "complaints/report/intake.html", {"form": form}, status=400)


@never_cache
@require_POST
@staff_view(is_active)
def report_identity(request: HttpRequest, public_id) -> HttpResponse:
    """A supervisor opens the reporter's identity with a reason: shown on this answer
    only, and logged. Anyone else is refused (403) and the attempt logged."""
    case = report_case_get(public_id)
    form = IdentityForm(request.POST)
    reason = request.POST.get("reason", "")
    try:
        identity = reporter_identity_view(
            actor=request.user, case=case, reason=reason, channel=IdentityViewChannel.PAGE
        )
    except NotPermitted:
        raise
    except DomainError as error:
        form.is_valid()
        form.add_domain_error(error)
        return render(
            request, "complaints/report/identity.html", {"case": case, "form": form}, status=400
        )
    return render(request, "complaints/report/identity.html", {"case": case, "identity": identity})


@require_GET
@staff_view(is_desk_staff)
def report_evidence_download(request: HttpRequest, public_id, evidence_id) -> FileResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    item = ReportEvidence.objects.filter(report__case=case, public_id=evidence_id).first()
    if item is None:
        raise Http404(_("文件不存在。"))
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        content_type=item.content_type,
        filename=item.original_name,
    )

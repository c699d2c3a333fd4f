"""The complaint pages: the desk intake and the lessons learned. The case page (every
action of the workflow) is the shell's generic one: it shows
``complaints/partials/complaint_details.html`` and the actions' forms from the registry.

Thin: the form parses the input, a service does the work, and a ``DomainError`` comes back
as a form error with its Chinese message."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.cases.pages import intake_page
from waterdesk.complaints.forms import ComplaintIntakeForm, LessonsSearchForm
from waterdesk.complaints.kinds import complaint_intake
from waterdesk.complaints.selectors import complaint_lessons_search
from waterdesk.complaints.workflow import (
    HANDLE_PERMISSION,
    INTAKE_PERMISSION,
    SUPERVISE_PERMISSION,
    reply_milestone,
)
from waterdesk.core.timeutil import local
from waterdesk.core.web import staff_view
from waterdesk.sla.models import SlaClock


def _registered_message(case) -> str:
    clock = SlaClock.objects.filter(case=case, milestone=reply_milestone(1)).first()
    if clock is None:
        return _("投诉已受理，受理编号 %(number)s。") % {"number": case.number}
    return _("投诉已受理，受理编号 %(number)s，须于 %(due)s 前答复投诉人。") % {
        "number": case.number,
        "due": local(clock.due_at).strftime("%Y-%m-%d %H:%M"),
    }


@require_http_methods(["GET", "POST"])
@staff_view(lambda user: user.has_perm(INTAKE_PERMISSION))
def intake_complaint(request: HttpRequest) -> HttpResponse:
    return intake_page(
        request,
        form_class=ComplaintIntakeForm,
        register=complaint_intake,
        template="complaints/intake.html",
        registered=_registered_message,
    )


def _may_read_lessons(user) -> bool:
    return user.has_perm(HANDLE_PERMISSION) or user.has_perm(SUPERVISE_PERMISSION)


@require_GET
@staff_view(_may_read_lessons)
def complaint_lessons(request: HttpRequest) -> HttpResponse:
    form = LessonsSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "query": query, "complaints": list(complaint_lessons_search(query))}
    return render(request, "complaints/lessons.html", context)

"""The inquiry intake page. The case page (answer, withdraw) is the shell's generic one: it
shows ``inquiries/partials/inquiry_details.html`` and the actions' forms from the registry.

Thin: the form parses the input, ``inquiry_register`` does the work, and a ``DomainError``
comes back as a form error with its Chinese message."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waterdesk.cases.pages import intake_page
from waterdesk.core.timeutil import local
from waterdesk.core.web import has_perm, staff_view
from waterdesk.inquiries.forms import InquiryIntakeForm
from waterdesk.inquiries.selectors import inquiry_answer_clock
from waterdesk.inquiries.services import inquiry_register
from waterdesk.inquiries.workflow import INTAKE_PERMISSION


def _registered_message(case) -> str:
    if not case.is_open:
        return _("已答复并办结，受理编号 %(number)s。") % {"number": case.number}
    clock = inquiry_answer_clock(case)
    if clock is None:
        return _("已受理，受理编号 %(number)s。") % {"number": case.number}
    return _("已受理，受理编号 %(number)s，请答复部门于 %(due)s 前答复。") % {
        "number": case.number,
        "due": local(clock.due_at).strftime("%Y-%m-%d %H:%M"),
    }


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_inquiry(request: HttpRequest) -> HttpResponse:
    return intake_page(
        request,
        form_class=InquiryIntakeForm,
        register=inquiry_register,
        template="inquiries/intake.html",
        registered=_registered_message,
    )

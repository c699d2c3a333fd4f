"""The praise intake page. The case page (acknowledge, withdraw) is the shell's generic one:
it shows ``complaints/praise/praise_details.html`` and the actions' forms from the registry."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waterdesk.cases.pages import intake_page
from waterdesk.complaints.praise_forms import PraiseIntakeForm
from waterdesk.complaints.praise_workflow import INTAKE_PERMISSION
from waterdesk.complaints.services.praise import praise_register
from waterdesk.core.web import has_perm, staff_view


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_praise(request: HttpRequest) -> HttpResponse:
    return intake_page(
        request,
        form_class=PraiseIntakeForm,
        register=praise_register,
        template="complaints/praise/intake.html",
        registered=lambda case: _("表扬已登记，受理编号 %(number)s。") % {"number": case.number},
    )

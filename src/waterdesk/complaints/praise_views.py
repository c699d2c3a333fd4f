"""The praise intake page. The case page (acknowledge, withdraw) is the shell's generic one:
it shows ``complaints/praise/praise_details.html`` and the actions' forms from the registry."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waterdesk.complaints.praise_forms import PraiseIntakeForm
from waterdesk.complaints.praise_workflow import INTAKE_PERMISSION
from waterdesk.complaints.services.praise import praise_register
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.forms import linked_customer, picked_customer


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_praise(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PraiseIntakeForm(data)
    picked = linked_customer(request.GET) if data is None else None
    status = 200
    if request.method == "POST":
        picked, _picked_id = picked_customer(request.POST, form)
        if form.is_valid():
            try:
                case = praise_register(actor=request.user, customer=picked, **form.service_kwargs())
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request, _("表扬已登记，受理编号 %(number)s。") % {"number": case.number}
                )
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
    return render(
        request, "complaints/praise/intake.html", {"form": form, "picked": picked}, status=status
    )

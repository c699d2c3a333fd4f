"""Show a caller's full phone once, with a reason (the personal-data policy's reveal, for
the phones of a repair's callers; the first caller's is also the case's contact phone).

The caller is named by the case and their place among its callers (1, 2, …): public URLs
carry no row ids."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from waterdesk.cases.selectors import case_get_for_user
from waterdesk.core.errors import InvalidInput
from waterdesk.core.web import is_active, is_htmx, staff_view
from waterdesk.customers.models import AccessChannel, PersonalField
from waterdesk.customers.privacy import personal_data_reveal
from waterdesk.repairs.selectors.case import repair_contacts, repair_of
from waterdesk.repairs.workflow import KIND


@require_POST
@staff_view(is_active)  # the policy decides who may reveal (``reveal_not_permitted``)
def contact_phone_reveal(request: HttpRequest, public_id, position: int) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    if case.kind != KIND:
        raise Http404()
    contacts = list(repair_contacts(repair_of(case)))
    if not 1 <= position <= len(contacts):
        raise Http404()
    contact = contacts[position - 1]
    context = {"case": case, "position": position}
    try:
        value = personal_data_reveal(
            actor=request.user,
            field=PersonalField.CONTACT_PHONE,
            reason=request.POST.get("reason", ""),
            channel=AccessChannel.PAGE,
            customer=contact.customer,
            case_number=case.number,
            raw=contact.phone,
        )
    except InvalidInput as error:
        shown = {"field": PersonalField.CONTACT_PHONE, "value": "", "may_reveal": True}
        context.update(shown=shown, error=error.message)
        if is_htmx(request):  # htmx swaps only 2xx answers: the control again, with why
            return render(request, "repairs/partials/contact_phone.html", context)
        return render(request, "repairs/contact_phone_reveal.html", context, status=400)
    context["value"] = value
    if is_htmx(request):
        return render(request, "repairs/partials/contact_phone_revealed.html", context)
    return render(request, "repairs/contact_phone_reveal.html", context)

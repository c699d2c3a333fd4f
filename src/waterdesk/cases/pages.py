"""What the kinds' staff pages share: the intake page of a kind whose request starts from
an optional customer (an inquiry, a complaint, a praise)."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.customers.forms import linked_customer, picked_customer


def intake_page(
    request: HttpRequest,
    *,
    form_class: type,
    register: Callable[..., object],
    template: str,
    registered: Callable[[object], str],
) -> HttpResponse:
    """GET: the empty form, with the customer the page was opened for (``?customer=``).
    POST: the form with the customer picked by the search; valid, ``register(actor=,
    customer=, **form.service_kwargs())`` opens the case and the page goes to it with the
    message ``registered(case)``; a refusal stays on the form with the reason (400)."""
    data = request.POST if request.method == "POST" else None
    form = form_class(data)
    picked = linked_customer(request.GET) if data is None else None
    status = 200
    if data is not None:
        picked, _picked_id = picked_customer(data, form)
        if form.is_valid():
            try:
                case = register(actor=request.user, customer=picked, **form.service_kwargs())
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, registered(case))
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
    return render(request, template, {"form": form, "picked": picked}, status=status)

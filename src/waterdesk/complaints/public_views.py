"""The public web complaint form (/complaints/new/, namespace "portal"): anyone may file a
complaint without logging in; it is registered like every other (channel "web") and the
page shows the case number to follow at /lookup/ with the phone number given.

Protected without third-party services (``waterdesk.core.antibot``): a honeypot field, a
signed timestamp (not sooner than 3 s, not older than 2 h) and a limit of submissions per
client address (``WATERDESK_PUBLIC_COMPLAINT_LIMIT`` per ``…_WINDOW_MINUTES``). Nothing is
written for a refused submission.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from waterdesk.cases.models import Channel
from waterdesk.complaints.public_forms import PublicComplaintForm
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.ratelimit import client_over_limit
from waterdesk.customers.selectors import account_get_by_number

TEMPLATE = "complaints/public/new.html"


def _account_links(number: str, phone: str) -> tuple:
    """The customer and premise of the account given, when the phone given is the account
    holder's (else the number is kept in the matter for staff to check: a stranger's
    account number links nothing and reveals nothing)."""
    if not number:
        return None, None, ""
    try:
        account = account_get_by_number(number)
    except NotFound:
        return None, None, number
    customer = account.customer
    if phone and phone in {customer.mobile, getattr(customer, "phone", "")}:
        return customer, account.premise, ""
    return None, None, number


def _page(request, form, *, status=200, **context) -> HttpResponse:
    context = {
        "form": form,
        "hotline": settings.WATERDESK_COMPANY_HOTLINE,
        "window_minutes": settings.WATERDESK_PUBLIC_COMPLAINT_WINDOW_MINUTES,
        **context,
    }
    return render(request, TEMPLATE, context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, PublicComplaintForm())
    if client_over_limit(
        request,
        "complaint",
        limit=settings.WATERDESK_PUBLIC_COMPLAINT_LIMIT,
        window_minutes=settings.WATERDESK_PUBLIC_COMPLAINT_WINDOW_MINUTES,
    ):
        kept = PublicComplaintForm(initial=request.POST.dict())  # what was typed, unchecked
        return _page(request, kept, status=429, outcome="limited")
    form = PublicComplaintForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    customer, premise, unverified = _account_links(data["account"], data["phone"])
    matter = data["matter"]
    if unverified:
        matter = _("%(matter)s\n（投诉人填写的户号：%(account)s，未核实）") % {
            "matter": matter,
            "account": unverified,
        }
    try:
        case = complaint_register(
            actor=None,
            channel=Channel.WEB,
            contact_name=data["name"],
            contact_phone=data["phone"],
            email=data["email"],
            category=data["category"],
            matter=matter,
            demand=data["demand"],
            customer=customer,
            premise=premise,
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _page(request, form, status=400)
    return _page(request, None, outcome="registered", case_number=case.number)

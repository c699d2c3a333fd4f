"""The application pages of the counter: new connection, ownership transfer and usage
change intake, and the account look-up they share. The case page and its actions are the
generic ones of ``workbench``, driven by this app's registration (``kinds.py``).

Intake pages opened from another case (``?follows=<case id>``, e.g. an inquiry turned into
an application) start with that case's contact and customer and link the two cases.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.applications import forms, transfer, usage_change
from waterdesk.applications import new_connection as applications
from waterdesk.applications.models import TransferPolicy
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.cases.selectors import case_follow_source
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.forms import (
    CustomerForm,
    CustomerSearchForm,
    linked_customer,
    picked_customer,
)
from waterdesk.customers.selectors import account_get_by_number


def may_look_up_accounts(user) -> bool:
    return user.has_perm("applications.intake_ownershiptransfer") or user.has_perm(
        "applications.intake_usagechange"
    )


def _follows(request: HttpRequest):
    """The case this intake follows up (``follows`` in the query or the form), if the user
    may see it."""
    source = request.POST if request.method == "POST" else request.GET
    return case_follow_source(user=request.user, public_id=source.get("follows", ""))


def _follow_up_initial(follows) -> dict:
    if follows is None:
        return {}
    return {
        "channel": follows.channel,
        "contact_name": follows.contact_name,
        "contact_phone": follows.contact_phone,
        "summary": follows.summary,
    }


# --- intake ---------------------------------------------------------------------------


def _route_intake_error(error: DomainError, form, customer_form) -> None:
    field = form.field_aliases.get(error.field, error.field)
    if (
        field not in form.fields
        and customer_form is not None
        and error.field in customer_form.fields
    ):
        customer_form.add_domain_error(error)
    else:
        form.add_domain_error(error)


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("applications.intake_newconnection"))
def intake(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    follows = _follows(request)
    form = forms.IntakeForm(data, initial=_follow_up_initial(follows))
    customer_form = CustomerForm(data, prefix="new", use_required_attribute=False)
    picked = None
    if data is None:
        picked = follows.customer if follows is not None else linked_customer(request.GET)
    status = 200
    if request.method == "POST":
        picked, picked_id = picked_customer(request.POST, form)
        # A picked customer makes the new-customer fields irrelevant.
        customer_ok = picked is not None or (not picked_id and customer_form.is_valid())
        if form.is_valid() and customer_ok:
            try:
                case = applications.new_connection_register(
                    actor=request.user,
                    customer=picked,
                    customer_data=None if picked is not None else customer_form.cleaned_data,
                    follows=follows,
                    **form.service_kwargs(),
                )
            except NotPermitted:
                raise
            except DomainError as error:
                _route_intake_error(error, form, None if picked is not None else customer_form)
            else:
                messages.success(
                    request, _("已受理，受理编号 %(number)s。") % {"number": case.number}
                )
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
        if picked is not None:
            # The new-customer fields were not used: show them empty, without errors.
            customer_form = CustomerForm(prefix="new", use_required_attribute=False)
    context = {
        "form": form,
        "customer_form": customer_form,
        "picked": picked,
        "follows": follows,
        "search_form": CustomerSearchForm(),
    }
    return render(request, "applications/intake.html", context, status=status)


def _lookup_account(form, number: str):
    """The account with this number, or a form error on ``account_number``."""
    try:
        return account_get_by_number(number)
    except NotFound:
        form.add_error("account_number", _("未找到户号为 %(number)s 的账户。") % {"number": number})
        return None


@require_GET
@staff_view(may_look_up_accounts)
def account_lookup(request: HttpRequest) -> HttpResponse:
    """The account summary of the change intake pages (htmx partial)."""
    form = forms.AccountLookupForm(request.GET or None)
    number = "".join(form.cleaned_data["account_number"].split()) if form.is_valid() else ""
    account = None
    if number:
        try:
            account = account_get_by_number(number)
        except NotFound:
            account = None
    context = {"account": account, "number": number}
    if account is not None:
        context["balance"] = account_balance(account)
    return render(request, "applications/partials/account_lookup_result.html", context)


def _change_intake_context(request: HttpRequest, form, account, **extra) -> dict:
    if account is None and request.method == "GET" and request.GET.get("account"):
        try:  # linked with ?account=<number>: show the account at once
            account = account_get_by_number(request.GET["account"])
        except NotFound:
            account = None
    context = {"form": form, "account": account, **extra}
    if account is not None:
        context["balance"] = account_balance(account)
    return context


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("applications.intake_ownershiptransfer"))
def intake_transfer(request: HttpRequest) -> HttpResponse:
    """Ownership transfer intake: the account by number, the new owner picked or entered."""
    data = request.POST if request.method == "POST" else None
    follows = _follows(request)
    form = forms.TransferIntakeForm(
        data,
        initial={"account_number": request.GET.get("account", ""), **_follow_up_initial(follows)},
    )
    customer_form = CustomerForm(data, prefix="new", use_required_attribute=False)
    picked = account = None
    status = 200
    if request.method == "POST":
        picked, picked_id = picked_customer(request.POST, form)
        customer_ok = picked is not None or (not picked_id and customer_form.is_valid())
        form_ok = form.is_valid()
        if form_ok:
            account = _lookup_account(form, form.cleaned_data["account_number"])
        if form_ok and account is not None and customer_ok:
            try:
                case = transfer.ownership_transfer_register(
                    actor=request.user,
                    account=account,
                    new_customer=picked,
                    new_customer_data=None if picked is not None else customer_form.cleaned_data,
                    follows=follows,
                    **form.service_kwargs(),
                )
            except NotPermitted:
                raise
            except DomainError as error:
                _route_intake_error(error, form, None if picked is not None else customer_form)
            else:
                messages.success(
                    request, _("已受理，受理编号 %(number)s。") % {"number": case.number}
                )
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
        if picked is not None:
            customer_form = CustomerForm(prefix="new", use_required_attribute=False)
    context = _change_intake_context(
        request,
        form,
        account,
        customer_form=customer_form,
        picked=picked,
        follows=follows,
        search_form=CustomerSearchForm(),
        policy=TransferPolicy.current(),
    )
    return render(request, "applications/intake_transfer.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("applications.intake_usagechange"))
def intake_usage_change(request: HttpRequest) -> HttpResponse:
    """Usage change intake: the account by number, the requested category and materials."""
    data = request.POST if request.method == "POST" else None
    follows = _follows(request)
    form = forms.UsageChangeIntakeForm(
        data,
        initial={"account_number": request.GET.get("account", ""), **_follow_up_initial(follows)},
    )
    account = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            account = _lookup_account(form, form.cleaned_data["account_number"])
        if account is not None and not form.errors:
            try:
                case = usage_change.usage_change_register(
                    actor=request.user, account=account, follows=follows, **form.service_kwargs()
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request, _("已受理，受理编号 %(number)s。") % {"number": case.number}
                )
                return redirect("workbench:case", public_id=case.public_id)
        status = 400
    context = _change_intake_context(request, form, account, follows=follows)
    return render(request, "applications/intake_usage_change.html", context, status=status)

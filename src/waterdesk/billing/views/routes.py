"""The accounts on no reading route (never read, so never billed) and putting them on one.

Thin views: a form parses the input, ``account_assign_route`` does the work.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waterdesk.billing import forms
from waterdesk.billing.selectors.routes import accounts_without_route, routes_all
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.models import Account
from waterdesk.customers.services import account_assign_route

UNROUTED_LIMIT = 200


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("customers.assign_route"))
def unrouted(request: HttpRequest) -> HttpResponse:
    routes = routes_all()
    failed: forms.AssignRouteForm | None = None
    if request.method == "POST":
        form = forms.AssignRouteForm(request.POST, routes=routes)
        if form.is_valid():
            account = Account.objects.filter(public_id=form.cleaned_data["account"]).first()
            if account is None:
                raise NotFound()
            try:
                account = account_assign_route(
                    actor=request.user, account=account, route=form.cleaned_data["route"]
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("户号%(number)s已编入抄表路线%(route)s。")
                    % {"number": account.number, "route": account.route},
                )
                return redirect("billing:reading_unrouted")
        failed = form
    accounts = accounts_without_route()
    total = accounts.count()
    zone_route = routes.default_by_zone()
    rows = []
    for account in accounts[:UNROUTED_LIMIT]:
        if failed is not None and str(failed.data.get("account")) == str(account.public_id):
            form = failed
        else:
            form = forms.AssignRouteForm(
                routes=routes,
                initial={
                    "account": account.public_id,
                    "route": zone_route.get(account.premise.zone_id),
                },
            )
        rows.append({"account": account, "form": form})
    context = {
        "rows": rows,
        "total": total,
        "limit": UNROUTED_LIMIT,
        "failed": failed,
        "has_routes": bool(zone_route),
    }
    return render(
        request, "billing/reading/unrouted.html", context, status=200 if failed is None else 400
    )


urlpatterns = [
    path("reading/unrouted/", unrouted, name="reading_unrouted"),
]

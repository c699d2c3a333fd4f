"""The hotline's intake page (``/desk/repairs/new/``): hotline agents and dispatchers at any
hour, counter clerks too. The case page (dispatch, recall, cancel, follow-up call) is the
shell's generic one, with ``repairs/partials/repair_details.html`` and the registered
actions' forms.

Thin: the form parses, ``repair_intake`` does the work. Proposed duplicates come back as
the list on the page, each with "并入此报修" (``link_to``) — and one "确认为新报修"
(``confirm_new``) — the agent's input kept. Opened from another case (``?follows=``, an
inquiry turned into a repair) the page starts with that case's contact and customer.

Once the caller's customer, account or zone is known, a banner shows the active incidents
and planned outages covering the place (``emergency.selectors_hotline``), refreshed by htmx
from ``intake_repair_news`` as the agent picks a customer or types an account number.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.cases.selectors import case_follow_source
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.forms import CustomerSearchForm, linked_customer, picked_customer
from waterdesk.customers.models import AccountStatus, SupplyZone
from waterdesk.customers.selectors import account_get_by_number, customer_get
from waterdesk.emergency.selectors_hotline import PlaceNews, place_news
from waterdesk.repairs.forms.intake import RepairIntakeForm
from waterdesk.repairs.kinds import repair_intake
from waterdesk.repairs.models import RepairStatus
from waterdesk.repairs.services.intake import DuplicateSuspected
from waterdesk.repairs.workflow import INTAKE_PERMISSION


def _follows(request: HttpRequest):
    source = request.POST if request.method == "POST" else request.GET
    return case_follow_source(user=request.user, public_id=source.get("follows", ""))


def _initial(request: HttpRequest, follows) -> dict:
    initial = {"account_number": request.GET.get("account", "")}
    if follows is not None:
        initial.update(
            channel=follows.channel,
            contact_name=follows.contact_name,
            contact_phone=follows.contact_phone,
            description=follows.summary,
        )
    return initial


def _account(form: RepairIntakeForm):
    number = form.cleaned_data["account_number"].strip()
    if not number:
        return None
    try:
        return account_get_by_number(number)
    except NotFound:
        form.add_error("account_number", _("未找到户号为 %(number)s 的账户。") % {"number": number})
        return None


def _place_news(*, customer, account, zone) -> PlaceNews:
    """The incidents and outages at the caller's place: the account's premise, else every
    premise of the customer's open accounts, else the zone chosen."""
    if account is not None:
        premises = [account.premise]
    elif customer is not None:
        premises = [
            each.premise for each in customer.accounts.all() if each.status != AccountStatus.CLOSED
        ]
    else:
        premises = []
    return place_news(premises=premises, zone=zone, at=timezone.now())


def _done_message(case, *, linked: bool) -> str:
    if linked:
        return _("已并入报修 %(number)s，来电人将一并收到进展和完工通知。") % {
            "number": case.number
        }
    if case.status == RepairStatus.LINKED:
        return _(
            "已受理，受理编号 %(number)s：该地址位于应急事件影响范围内，报修已并入事件，"
            "不单独派单；来电人将收到预计恢复时间和临时供水点短信。"
        ) % {"number": case.number}
    if case.status == RepairStatus.DISPATCHED:
        return _("已受理并派值班班组，受理编号 %(number)s。") % {"number": case.number}
    return _("已受理，受理编号 %(number)s，等待调度派单。") % {"number": case.number}


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_repair(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    follows = _follows(request)
    form = RepairIntakeForm(data, initial=_initial(request, follows))
    picked = None
    if data is None:
        picked = follows.customer if follows is not None else linked_customer(request.GET)
    duplicates = []
    status = 200
    account = None
    if data is None and request.GET.get("account"):
        account = _account_quietly(request.GET["account"])
    if data is not None:
        picked, _picked_id = picked_customer(request.POST, form)
        account = _account(form) if form.is_valid() else None
        if form.is_valid() and not form.errors:
            link_to = form.cleaned_data["link_to"]
            try:
                case = repair_intake(
                    actor=request.user,
                    customer=picked,
                    account=account,
                    link_to=link_to,
                    follows=follows,
                    **form.service_kwargs(),
                )
            except NotPermitted:
                raise
            except DuplicateSuspected as error:
                duplicates = error.repairs
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _done_message(case, linked=link_to is not None))
                return redirect("workbench:case", public_id=case.public_id)
        status = 409 if duplicates else 400
    context = {
        "form": form,
        "picked": picked,
        "follows": follows,
        "duplicates": duplicates,
        "search_form": CustomerSearchForm(),
        "news": _place_news(
            customer=picked,
            account=account,
            zone=form.cleaned_data.get("zone") if form.is_bound else None,
        ),
        "show_repair_hint": True,
    }
    return render(request, "repairs/intake.html", context, status=status)


def _account_quietly(number: str):
    try:
        return account_get_by_number(number.strip())
    except NotFound:
        return None


@require_GET
@staff_view(has_perm(INTAKE_PERMISSION))
def intake_repair_news(request: HttpRequest) -> HttpResponse:
    """The banner of incidents and outages at the caller's place (htmx: the picked
    customer, the account number and the zone of the intake form)."""
    customer = None
    if request.GET.get("customer", "").strip():
        try:
            customer = customer_get(public_id=request.GET["customer"].strip())
        except NotFound:
            customer = None
    account = _account_quietly(request.GET.get("account_number", ""))
    zone = None
    if request.GET.get("zone", "").isdigit():
        zone = SupplyZone.objects.filter(pk=int(request.GET["zone"])).first()
    context = {
        "news": _place_news(customer=customer, account=account, zone=zone),
        "show_repair_hint": True,
    }
    return render(request, "emergency/partials/hotline_news.html", context)

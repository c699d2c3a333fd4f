"""Staff pages: my queue, intake, customer search, the case page with its actions, the
intake receipt and the supervisor's overview.

Views are thin: a form parses the input, one service does the work, and a ``DomainError``
comes back to the page as a form error with its Chinese message. Cases are only fetched
through ``case_get_for_user`` (404 outside the user's scope); actions are refused (403)
unless ``case_available_actions`` offers them to the user.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.applications import new_connection as applications
from waterdesk.applications import transfer, usage_change
from waterdesk.applications.access import receipt_check_access, receipt_may_print
from waterdesk.applications.documents import receipt_pdf
from waterdesk.applications.models import (
    CollectiveDecision,
    CollectiveReview,
    OwnershipTransferStatus,
    TransferPolicy,
)
from waterdesk.applications.selectors import (
    change_checklist,
    change_materials_missing,
    change_materials_received,
    change_read_on_effective_date,
    materials_required,
    new_connection_materials_missing,
    new_connection_materials_received,
    new_connection_needs_collective_review,
    transfer_read_latest,
)
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.cases.models import Attachment, Case, CaseKind
from waterdesk.cases.selectors import (
    case_available_actions,
    case_get_for_user,
    case_list_open,
    case_queue,
    case_scope,
    case_timeline,
)
from waterdesk.cases.services import attachment_add as attachment_add_service
from waterdesk.cases.services import attachment_may_withdraw
from waterdesk.cases.services import attachment_withdraw as attachment_withdraw_service
from waterdesk.cases.workflow import Transition, all_workflows, workflow_for
from waterdesk.core.errors import DomainError, IllegalTransition, NotFound, NotPermitted
from waterdesk.core.web import forbidden, has_perm, is_htmx, staff_view
from waterdesk.customers.forms import CustomerForm
from waterdesk.customers.privacy import customer_lookup_count
from waterdesk.customers.selectors import account_get_by_number, customer_get, customer_search
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import ClockState, SlaClock
from waterdesk.sla.selectors import case_clocks, clock_status_label
from waterdesk.workbench import forms

CUSTOMER_SEARCH_LIMIT = 20
CUSTOMER_PAGE_LIMIT = 50

# --- access ---------------------------------------------------------------------------


def _staff_permissions() -> set[str]:
    """Holding any of these makes a user staff of the service desk."""
    permissions = {"cases.view_all_cases", "cases.register_case"}
    for workflow in all_workflows():
        permissions |= {transition.permission for transition in workflow.transitions}
    return permissions


def is_desk_staff(user) -> bool:
    return user.is_active and (
        user.is_superuser or bool(user.get_all_permissions() & _staff_permissions())
    )


INTAKE_PERMISSIONS = (
    "applications.intake_newconnection",
    "applications.intake_ownershiptransfer",
    "applications.intake_usagechange",
)
# The intake permission of each application kind.
KIND_INTAKE_PERMISSION = dict(
    zip(
        (CaseKind.NEW_CONNECTION, CaseKind.OWNERSHIP_TRANSFER, CaseKind.USAGE_CHANGE),
        INTAKE_PERMISSIONS,
        strict=True,
    )
)


def may_intake(user) -> bool:
    """Registers applications of at least one kind."""
    return any(user.has_perm(permission) for permission in INTAKE_PERMISSIONS)


def may_look_up_accounts(user) -> bool:
    return user.has_perm("applications.intake_ownershiptransfer") or user.has_perm(
        "applications.intake_usagechange"
    )


def desk_view(check: Callable[..., bool] = is_desk_staff):
    """Log-in required, then ``check(user)`` (by default: the user works cases)."""
    return staff_view(check)


def _render_partial_or_page(request, page: str, partial: str, context: dict, status=200):
    response = render(request, partial if is_htmx(request) else page, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- deadlines ------------------------------------------------------------------------


@dataclass
class CaseRow:
    case: Case
    next_due_at: datetime | None
    is_overdue: bool
    is_at_risk: bool
    is_paused: bool

    @property
    def css_class(self) -> str:
        if self.is_overdue:
            return "overdue"
        return "at-risk" if self.is_at_risk else ""


def _with_open_clocks(cases):
    return cases.prefetch_related(
        Prefetch(
            "clocks",
            queryset=SlaClock.objects.open().select_related("policy").order_by("due_at", "pk"),
            to_attr="open_clocks",
        )
    )


def case_rows(cases, *, now: datetime) -> list[CaseRow]:
    """Each case with its nearest running deadline, flagged overdue or at risk."""
    cases = list(_with_open_clocks(cases))
    calendar = load_calendar() if cases else None
    rows = []
    for case in cases:
        running = [c for c in case.open_clocks if c.state == ClockState.RUNNING]
        nearest = running[0] if running else None
        next_due = nearest.due_at if nearest else None
        is_overdue = next_due is not None and next_due < now
        is_at_risk = (
            nearest is not None
            and not is_overdue
            and clock_status_label(nearest, now, calendar=calendar) == "at_risk"
        )
        rows.append(
            CaseRow(
                case=case,
                next_due_at=next_due,
                is_overdue=is_overdue,
                is_at_risk=is_at_risk,
                is_paused=nearest is None
                and any(c.state == ClockState.PAUSED for c in case.open_clocks),
            )
        )
    return rows


def row_counts(rows: list[CaseRow]) -> dict[str, int]:
    return {
        "total": len(rows),
        "at_risk": sum(row.is_at_risk for row in rows),
        "overdue": sum(row.is_overdue for row in rows),
    }


# --- landing --------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands after logging in: the case queue for desk staff, the reading page
    for meter readers, the bill runs for the billing office."""
    user = request.user
    if user.is_superuser or user.has_perm("cases.view_all_cases"):
        return redirect("workbench:queue")
    if user.has_perm("billing.run_billing"):
        return redirect("billing:runs")
    if user.has_perm("billing.add_meterread") and not any(
        user.has_perm(permission) for permission in INTAKE_PERMISSIONS
    ):
        return redirect("billing:reading_entry")
    return redirect("workbench:queue")  # explains that the user has no role yet


# --- my queue -------------------------------------------------------------------------


@require_GET
@desk_view()
def queue(request: HttpRequest) -> HttpResponse:
    rows = case_rows(case_queue(request.user), now=timezone.now())
    context = {"rows": rows, "counts": row_counts(rows)}
    return _render_partial_or_page(
        request, "workbench/queue.html", "workbench/partials/queue_table.html", context
    )


# --- customers ------------------------------------------------------------------------


@require_GET
@desk_view(has_perm("customers.view_customer"))
def customers(request: HttpRequest) -> HttpResponse:
    form = forms.CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        customer_lookup_count(user=request.user)
    results = customer_search(query=query, limit=CUSTOMER_PAGE_LIMIT) if query else []
    context = {"form": form, "query": query, "results": results, "pick": False}
    return _render_partial_or_page(
        request, "workbench/customers.html", "workbench/partials/customer_results.html", context
    )


@require_GET
@desk_view(has_perm("customers.view_customer"))
def customer_search_results(request: HttpRequest) -> HttpResponse:
    """The results partial: of the customers page, or with "pick" buttons for intake."""
    form = forms.CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    pick = request.GET.get("pick") == "1" and may_intake(request.user)
    limit = CUSTOMER_SEARCH_LIMIT if pick else CUSTOMER_PAGE_LIMIT
    if query:
        customer_lookup_count(user=request.user)
    context = {
        "query": query,
        "pick": pick,
        "results": customer_search(query=query, limit=limit) if query else [],
    }
    return render(request, "workbench/partials/customer_results.html", context)


@require_GET
@desk_view(may_intake)
def customer_pick(request: HttpRequest, public_id) -> HttpResponse:
    """The chosen customer on the intake form (a hidden input and a summary)."""
    customer_lookup_count(user=request.user)
    customer = customer_get(public_id=public_id)
    return render(request, "workbench/partials/customer_picked.html", {"customer": customer})


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
@desk_view(has_perm("applications.intake_newconnection"))
def intake(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = forms.IntakeForm(data)
    customer_form = CustomerForm(data, prefix="new", use_required_attribute=False)
    picked = None
    status = 200
    if request.method == "POST":
        picked_id = request.POST.get("customer", "").strip()
        if picked_id:
            try:
                picked = customer_get(public_id=picked_id)
            except NotFound:
                form.add_error("customer", _("所选客户不存在，请重新查找。"))
        # A picked customer makes the new-customer fields irrelevant.
        customer_ok = picked is not None or (not picked_id and customer_form.is_valid())
        if form.is_valid() and customer_ok:
            try:
                case = applications.new_connection_register(
                    actor=request.user,
                    customer=picked,
                    customer_data=None if picked is not None else customer_form.cleaned_data,
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
        "search_form": forms.CustomerSearchForm(),
    }
    return render(request, "workbench/intake.html", context, status=status)


def _lookup_account(form, number: str):
    """The account with this number, or a form error on ``account_number``."""
    try:
        return account_get_by_number(number)
    except NotFound:
        form.add_error("account_number", _("未找到户号为 %(number)s 的账户。") % {"number": number})
        return None


@require_GET
@desk_view(may_look_up_accounts)
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
    return render(request, "workbench/partials/account_lookup_result.html", context)


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
@desk_view(has_perm("applications.intake_ownershiptransfer"))
def intake_transfer(request: HttpRequest) -> HttpResponse:
    """Ownership transfer intake: the account by number, the new owner picked or entered."""
    data = request.POST if request.method == "POST" else None
    form = forms.TransferIntakeForm(
        data, initial={"account_number": request.GET.get("account", "")}
    )
    customer_form = CustomerForm(data, prefix="new", use_required_attribute=False)
    picked = account = None
    status = 200
    if request.method == "POST":
        picked_id = request.POST.get("customer", "").strip()
        if picked_id:
            try:
                picked = customer_get(public_id=picked_id)
            except NotFound:
                form.add_error("customer", _("所选客户不存在，请重新查找。"))
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
        search_form=forms.CustomerSearchForm(),
        policy=TransferPolicy.current(),
    )
    return render(request, "workbench/intake_transfer.html", context, status=status)


@require_http_methods(["GET", "POST"])
@desk_view(has_perm("applications.intake_usagechange"))
def intake_usage_change(request: HttpRequest) -> HttpResponse:
    """Usage change intake: the account by number, the requested category and materials."""
    data = request.POST if request.method == "POST" else None
    form = forms.UsageChangeIntakeForm(
        data, initial={"account_number": request.GET.get("account", "")}
    )
    account = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            account = _lookup_account(form, form.cleaned_data["account_number"])
        if account is not None and not form.errors:
            try:
                case = usage_change.usage_change_register(
                    actor=request.user, account=account, **form.service_kwargs()
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
    context = _change_intake_context(request, form, account)
    return render(request, "workbench/intake_usage_change.html", context, status=status)


# --- the case page --------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    form_class: type[forms.ActionForm]
    service: Callable[..., Case]
    css: str = ""  # "secondary" / "contrast" for the negative moves


ACTIONS: dict[str, dict[str, ActionSpec]] = {
    CaseKind.NEW_CONNECTION: {
        "supply_materials": ActionSpec(
            forms.SupplyMaterialsForm, applications.new_connection_supply_materials
        ),
        "withdraw": ActionSpec(
            forms.WithdrawForm, applications.new_connection_withdraw, "secondary"
        ),
        "assign_survey": ActionSpec(
            forms.AssignSurveyForm, applications.new_connection_assign_survey
        ),
        "book_survey": ActionSpec(forms.BookSurveyForm, applications.new_connection_book_survey),
        "submit_survey": ActionSpec(
            forms.SubmitSurveyForm, applications.new_connection_submit_survey
        ),
        "review_pass": ActionSpec(forms.OpinionForm, applications.new_connection_review_pass),
        "review_reject": ActionSpec(
            forms.RejectForm, applications.new_connection_review_reject, "secondary"
        ),
        "record_collective_review": ActionSpec(
            forms.CollectiveReviewForm, applications.new_connection_collective_review_record
        ),
        "approve": ActionSpec(forms.OpinionForm, applications.new_connection_approve),
        "approval_reject": ActionSpec(
            forms.RejectForm, applications.new_connection_approval_reject, "secondary"
        ),
        "assess_fee": ActionSpec(forms.AssessFeeForm, applications.new_connection_assess_fee),
        "record_payment": ActionSpec(
            forms.RecordPaymentForm, applications.new_connection_record_payment
        ),
        "install_meter": ActionSpec(
            forms.InstallMeterForm, applications.new_connection_install_meter
        ),
        "open_account": ActionSpec(forms.OpenAccountForm, applications.new_connection_open_account),
        "turn_water_on": ActionSpec(
            forms.TurnWaterOnForm, applications.new_connection_turn_water_on
        ),
    },
    CaseKind.OWNERSHIP_TRANSFER: {
        "supply_materials": ActionSpec(
            forms.SupplyMaterialsForm, transfer.ownership_transfer_supply_materials
        ),
        "withdraw": ActionSpec(
            forms.WithdrawForm, transfer.ownership_transfer_withdraw, "secondary"
        ),
        "verify": ActionSpec(forms.OpinionForm, transfer.ownership_transfer_verify),
        "verification_reject": ActionSpec(
            forms.RejectForm, transfer.ownership_transfer_verification_reject, "secondary"
        ),
        "record_read": ActionSpec(forms.RecordReadForm, transfer.ownership_transfer_record_read),
        "complete": ActionSpec(forms.CompleteForm, transfer.ownership_transfer_complete),
    },
    CaseKind.USAGE_CHANGE: {
        "supply_materials": ActionSpec(
            forms.SupplyMaterialsForm, usage_change.usage_change_supply_materials
        ),
        "withdraw": ActionSpec(forms.WithdrawForm, usage_change.usage_change_withdraw, "secondary"),
        "verify_at_desk": ActionSpec(
            forms.VerifyUsageForm, usage_change.usage_change_verify_at_desk
        ),
        "assign_survey": ActionSpec(
            forms.AssignChangeSurveyForm, usage_change.usage_change_assign_survey
        ),
        "record_survey": ActionSpec(
            forms.RecordSurveyForm, usage_change.usage_change_record_survey
        ),
        "verification_reject": ActionSpec(
            forms.RejectForm, usage_change.usage_change_verification_reject, "secondary"
        ),
        "approve_change": ActionSpec(forms.ApproveChangeForm, usage_change.usage_change_approve),
        "approval_reject": ActionSpec(
            forms.RejectForm, usage_change.usage_change_approval_reject, "secondary"
        ),
        "record_read": ActionSpec(forms.RecordReadForm, usage_change.usage_change_record_read),
        "complete": ActionSpec(forms.CompleteForm, usage_change.usage_change_complete),
    },
}


@dataclass
class ActionPanel:
    transition: Transition
    form: forms.ActionForm
    css: str
    is_open: bool = False  # shown unfolded (it has errors)

    @property
    def action(self) -> str:
        return self.transition.action


def visible_actions(case: Case, user) -> list[Transition]:
    """The actions the page offers: the user's available ones, minus those the service
    would refuse anyway (another surveyor's visit, approval before a required meeting)."""
    available = case_available_actions(case=case, user=user)
    if case.kind == CaseKind.USAGE_CHANGE:
        surveyor_id = case.usage_change.surveyor_id
        return [t for t in available if t.action != "record_survey" or surveyor_id == user.pk]
    if case.kind != CaseKind.NEW_CONNECTION or not available:
        return available
    detail = case.new_connection
    actions = {t.action for t in available}
    needs_meeting = bool(actions & {"record_collective_review", "approve"}) and (
        new_connection_needs_collective_review(case)
    )
    meeting = CollectiveReview.objects.filter(case=case).first() if needs_meeting else None
    visible = []
    for transition in available:
        if transition.action in {"book_survey", "submit_survey"} and detail.surveyor_id != user.pk:
            continue
        if transition.action == "record_collective_review" and not needs_meeting:
            continue
        if (
            transition.action == "approve"
            and needs_meeting
            and (meeting is None or meeting.decision == CollectiveDecision.REJECT)
        ):
            continue
        visible.append(transition)
    return visible


def _action_panels(
    case: Case, user, failed: tuple[str, forms.ActionForm] | None
) -> list[ActionPanel]:
    specs = ACTIONS.get(case.kind, {})
    panels = []
    for transition in visible_actions(case, user):
        spec = specs.get(transition.action)
        if spec is None:
            continue
        if failed is not None and failed[0] == transition.action:
            panels.append(ActionPanel(transition, failed[1], spec.css, is_open=True))
        else:
            form = spec.form_class(case=case, prefix=transition.action)
            panels.append(ActionPanel(transition, form, spec.css))
    # Moves forward first, then the negative ones (withdraw, reject).
    return sorted(panels, key=lambda panel: bool(panel.css))


def _material_choices(case: Case) -> list[tuple[str, str]]:
    if case.customer is None:
        return []
    if case.kind == CaseKind.NEW_CONNECTION:
        required = materials_required(case_kind=case.kind, customer_kind=case.customer.kind)
        return [(m.code, m.name) for m in required]
    if case.kind in (CaseKind.OWNERSHIP_TRANSFER, CaseKind.USAGE_CHANGE):
        return [(m.code, m.name) for item in change_checklist(case) for m in item.materials]
    return []


def _new_connection_context(case: Case) -> dict:
    detail = case.new_connection
    return {
        "detail": detail,
        "materials_received": new_connection_materials_received(case),
        "materials_missing": new_connection_materials_missing(case) if case.customer else [],
        "notices": list(case.material_notices.select_related("issued_by").order_by("issued_at")),
        "collective_review": CollectiveReview.objects.filter(case=case)
        .select_related("recorded_by")
        .first(),
        "fee_lines": list(case.fee_lines.select_related("item")),
        "needs_collective_review": new_connection_needs_collective_review(case),
    }


def _change_materials_context(case: Case) -> dict:
    return {
        "materials_received": change_materials_received(case),
        "materials_missing": change_materials_missing(case),
        "notices": list(case.material_notices.select_related("issued_by").order_by("issued_at")),
    }


def _ownership_transfer_context(case: Case) -> dict:
    detail = case.ownership_transfer
    is_open = case.is_open
    return {
        "detail": detail,
        "detail_template": "workbench/partials/ownership_transfer_details.html",
        **_change_materials_context(case),
        "transfer_read": detail.transfer_read or (transfer_read_latest(case) if is_open else None),
        "balance": account_balance(detail.account) if is_open else None,
        "awaiting_settlement": case.status == OwnershipTransferStatus.AWAITING_SETTLEMENT,
        "policy": TransferPolicy.current(),
    }


def _usage_change_context(case: Case) -> dict:
    detail = case.usage_change
    return {
        "detail": detail,
        "detail_template": "workbench/partials/usage_change_details.html",
        **_change_materials_context(case),
        "change_read": detail.change_read
        or (change_read_on_effective_date(case) if case.is_open else None),
    }


def render_case(
    request: HttpRequest,
    case: Case,
    *,
    failed: tuple[str, forms.ActionForm] | None = None,
    attachment_form: forms.AttachmentForm | None = None,
    withdrawal: "WithdrawalAttempt | None" = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    clocks = list(case_clocks(case))
    calendar = load_calendar() if clocks else None
    user = request.user
    context = {
        "case": case,
        "clocks": [(clock, clock_status_label(clock, now, calendar=calendar)) for clock in clocks],
        "timeline": case_timeline(case),
        "attachments": _attachment_rows(case, user, withdrawal),
        "actions": _action_panels(case, user, failed),
        "can_attach": user.has_perm("cases.add_attachment"),
        "attachment_form": attachment_form
        or forms.AttachmentForm(material_choices=_material_choices(case)),
        "can_print_receipt": receipt_may_print(user=user, case=case),
    }
    if case.kind == CaseKind.NEW_CONNECTION:
        context.update(_new_connection_context(case))
        context["detail_template"] = "workbench/partials/new_connection_details.html"
    elif case.kind == CaseKind.OWNERSHIP_TRANSFER:
        context.update(_ownership_transfer_context(case))
    elif case.kind == CaseKind.USAGE_CHANGE:
        context.update(_usage_change_context(case))
    return render(request, "workbench/case.html", context, status=status)


@require_GET
@desk_view()
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    return render_case(request, case)


@require_POST
@desk_view()
def case_action(request: HttpRequest, public_id, action: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    spec = ACTIONS.get(case.kind, {}).get(action)
    if spec is None:
        return forbidden(request)
    available = {t.action for t in case_available_actions(case=case, user=request.user)}
    if action not in available:
        permitted = {
            t.permission for t in workflow_for(case.kind).transitions if t.action == action
        }
        if not any(request.user.has_perm(p) for p in permitted):
            return forbidden(request)
        # The user's role may do this, just not now (the case moved on, e.g. a double click).
        messages.error(request, str(IllegalTransition.default_message))
        return render_case(request, case, status=IllegalTransition.http_status)
    form = spec.form_class(request.POST, case=case, prefix=action)
    if not form.is_valid():
        return render_case(request, case, failed=(action, form), status=400)
    try:
        updated = spec.service(actor=request.user, case=case, **form.service_kwargs())
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        messages.error(request, str(error.message))
        case = case_get_for_user(user=request.user, public_id=public_id)
        return render_case(request, case, failed=(action, form), status=error.http_status)
    transition = workflow_for(case.kind).get(action, case.status)
    if updated.status == case.status:
        messages.info(request, _("已记录。"))
    elif updated.status != transition.target:
        # The service took another way (a transfer waiting for the old owner to settle).
        from waterdesk.workbench.templatetags.workbench_tags import case_status

        messages.warning(request, _("当前状态：%(status)s。") % {"status": case_status(updated)})
    else:
        messages.success(request, _("已完成：%(action)s。") % {"action": transition.label})
    return redirect("workbench:case", public_id=case.public_id)


@require_POST
@desk_view(has_perm("cases.add_attachment"))
def attachment_add(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    form = forms.AttachmentForm(
        request.POST, request.FILES, material_choices=_material_choices(case)
    )
    status = 400
    if form.is_valid():
        try:
            attachment_add_service(
                case=case,
                actor=request.user,
                uploaded_file=form.cleaned_data["file"],
                material_code=form.cleaned_data["material_code"],
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
            status = error.http_status
        else:
            messages.success(request, _("附件已上传。"))
            return redirect("workbench:case", public_id=case.public_id)
    return render_case(request, case, attachment_form=form, status=status)


@dataclass
class WithdrawalAttempt:
    """A refused withdrawal: its form is shown open again with the reason as typed."""

    attachment_id: int
    reason: str


@dataclass
class AttachmentRow:
    attachment: Attachment
    may_withdraw: bool
    failed: WithdrawalAttempt | None = None


def _attachment_rows(case: Case, user, withdrawal: WithdrawalAttempt | None) -> list:
    attachments = case.attachments.select_related("uploaded_by", "withdrawn_by", "case")
    return [
        AttachmentRow(
            attachment=attachment,
            may_withdraw=not attachment.is_withdrawn
            and attachment_may_withdraw(actor=user, attachment=attachment),
            failed=withdrawal
            if withdrawal is not None and withdrawal.attachment_id == attachment.pk
            else None,
        )
        for attachment in attachments
    ]


@require_POST
@desk_view(has_perm("cases.withdraw_attachment"))
def attachment_withdraw(request: HttpRequest, public_id, attachment_id) -> HttpResponse:
    """Withdraw a wrong file with a reason; the file and its row stay as evidence."""
    case = case_get_for_user(user=request.user, public_id=public_id)
    attachment = case.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404()
    reason = request.POST.get("reason", "")
    try:
        attachment_withdraw_service(actor=request.user, attachment=attachment, reason=reason)
    except NotPermitted:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        attempt = WithdrawalAttempt(attachment.pk, reason)
        return render_case(request, case, withdrawal=attempt, status=error.http_status)
    messages.success(request, _("附件“%(name)s”已撤回。") % {"name": attachment.original_name})
    return redirect("workbench:case", public_id=case.public_id)


@require_GET
@desk_view()
def attachment_download(request: HttpRequest, public_id, attachment_id) -> FileResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    attachment = case.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404()
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )


@desk_view()
def receipt(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    receipt_check_access(user=request.user, case=case)
    response = HttpResponse(receipt_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"receipt-{case.number}.pdf"
    )
    return response


# --- supervisor -----------------------------------------------------------------------


def _status_counts(user) -> list[dict]:
    from waterdesk.workbench.templatetags.workbench_tags import status_label

    counts = (
        case_scope(user)
        .open()
        .order_by()
        .values("kind", "status")
        .annotate(count=Count("pk"))
        .order_by("kind", "status")
    )
    order = {value: index for index, (value, _label) in enumerate(forms.open_status_choices())}
    rows = [{**row, "label": status_label(row["status"], row["kind"])} for row in counts]
    return sorted(rows, key=lambda row: (row["kind"], order.get(row["status"], len(order))))


@require_GET
@desk_view(has_perm("cases.view_all_cases"))
def supervisor(request: HttpRequest) -> HttpResponse:
    form = forms.SupervisorFilterForm(request.GET or None)
    status = kind = ""
    if form.is_valid():
        status, kind = form.cleaned_data["status"], form.cleaned_data["kind"]
    cases = case_list_open(request.user, kind=kind or None, status=status or None)
    rows = case_rows(cases, now=timezone.now())
    context = {
        "form": form,
        "rows": rows,
        "counts": row_counts(rows),
        "status_counts": _status_counts(request.user),
        "status": status,
        "kind": kind,
        "filter_url": reverse("workbench:supervisor"),
    }
    return _render_partial_or_page(
        request, "workbench/supervisor.html", "workbench/partials/supervisor_table.html", context
    )

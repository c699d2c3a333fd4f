"""The cross-kind staff pages: my queue, customer search, the generic case page with its
actions and documents, and the supervisor's overview. Each kind's own pages (its intake)
live in its app and are included from its registration (``urls.py``).

Views are thin: a form parses the input, one service does the work, and a ``DomainError``
comes back to the page as a form error with its Chinese message. Cases are only fetched
through ``case_get_for_user`` (outside the user's scope: 403 for a case of the user's own
department, 404 for any other); actions are refused (403)
unless the kind's registration offers them to the user (``visible_actions``).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.cases.access import is_desk_staff, may_intake
from waterdesk.cases.kinds import (
    ActionSpec,
    KindSpec,
    action_offered,
    case_panels_for,
    desk_landing_for,
    kind_spec,
)
from waterdesk.cases.models import Attachment, Case
from waterdesk.cases.selectors import (
    case_assignees,
    case_available_actions,
    case_get_for_user,
    case_list_open,
    case_queue,
    case_scope,
    case_timeline,
    case_workers,
)
from waterdesk.cases.services import attachment_add as attachment_add_service
from waterdesk.cases.services import (
    attachment_may_withdraw,
    case_claimable_by,
    cases_assign_bulk,
    user_display_name,
)
from waterdesk.cases.services import attachment_withdraw as attachment_withdraw_service
from waterdesk.cases.services import case_assign as case_assign_service
from waterdesk.cases.services import case_claim as case_claim_service
from waterdesk.cases.workflow import Transition
from waterdesk.core.errors import DomainError, IllegalTransition, NotPermitted
from waterdesk.core.forms import ActionForm
from waterdesk.core.pdf import pdf_response
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.core.web import forbidden, has_perm, is_htmx, staff_view
from waterdesk.customers.forms import CustomerSearchForm
from waterdesk.customers.privacy import customer_lookup_count
from waterdesk.customers.selectors import SEARCH_PAGE_SIZE, customer_get, customer_search
from waterdesk.sla.calendar import load_calendar
from waterdesk.sla.models import ClockState, SlaClock
from waterdesk.sla.selectors import case_clocks, clock_provisional_years, clock_status_label
from waterdesk.workbench import forms
from waterdesk.workbench.templatetags.workbench_tags import case_status, status_label

CUSTOMER_PAGE_LIMIT = SEARCH_PAGE_SIZE

# --- access ---------------------------------------------------------------------------


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
    # Unconfirmed holiday years the next deadline was counted over: it may still move.
    provisional_years: list[int]
    detail: object | None = None  # the kind's own data, where a page asks for it

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
                provisional_years=clock_provisional_years(nearest, calendar=calendar)
                if nearest is not None
                else [],
            )
        )
    return rows


def row_counts(rows: list[CaseRow]) -> dict[str, int]:
    return {
        "total": len(rows),
        "at_risk": sum(row.is_at_risk for row in rows),
        "overdue": sum(row.is_overdue for row in rows),
    }


def has_provisional(rows: list[CaseRow]) -> bool:
    """Some deadline of the list may still move (the note under the table explains it)."""
    return any(row.provisional_years for row in rows)


# --- landing --------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a user lands after logging in: the case queue for desk staff, the reading page
    for meter readers, the bill runs for the billing office, the counter for cashiers, their
    orders for crew members, a kind's landing page (``KindSpec.desk_pages``: the dispatcher's
    board) for those it names."""
    user = request.user
    if user.has_perm("cases.view_all_cases") and user.has_perm("cases.reassign_case"):
        return redirect("workbench:workload")
    if user.is_superuser or user.has_perm("cases.view_all_cases"):
        return redirect("workbench:queue")
    landing = desk_landing_for(user)
    if landing is not None:
        return redirect(landing.url_name)
    if user.has_perm("billing.run_billing"):
        return redirect("billing:runs")
    if user.has_perm("billing.add_meterread") and not may_intake(user):
        return redirect("billing:reading_entry")
    if user.has_perm("payments.take_payment") and not may_intake(user):
        return redirect("payments:counter")
    if user.has_perm("fieldwork.work_workorder") and not may_intake(user):
        return redirect("fieldwork:my_orders")
    if user.has_perm("fieldwork.dispatch_workorder") and not may_intake(user):
        return redirect("fieldwork:crews")
    return redirect("workbench:queue")  # explains that the user has no role yet


# --- my queue -------------------------------------------------------------------------


@require_GET
@desk_view()
def queue(request: HttpRequest) -> HttpResponse:
    rows = case_rows(case_queue(request.user), now=timezone.now())
    mine = [row for row in rows if row.case.assignee_id == request.user.pk]
    team = [row for row in rows if row.case.assignee_id != request.user.pk]
    context = {
        "rows": rows,
        "mine": mine,
        "team": team,
        "counts": row_counts(rows),
        "has_provisional": has_provisional(rows),
    }
    return _render_partial_or_page(
        request, "workbench/queue.html", "workbench/partials/queue_table.html", context
    )


# --- customers ------------------------------------------------------------------------


@require_GET
@desk_view(has_perm("customers.view_customer"))
def customers(request: HttpRequest) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
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
    form = CustomerSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    pick = request.GET.get("pick") == "1" and may_intake(request.user)
    if query:
        customer_lookup_count(user=request.user)
    context = {
        "query": query,
        "pick": pick,
        "results": customer_search(query=query, limit=CUSTOMER_PAGE_LIMIT) if query else [],
    }
    return render(request, "workbench/partials/customer_results.html", context)


@require_GET
@desk_view(may_intake)
def customer_pick(request: HttpRequest, public_id) -> HttpResponse:
    """The chosen customer on the intake form (a hidden input and a summary)."""
    customer_lookup_count(user=request.user)
    customer = customer_get(public_id=public_id)
    return render(request, "workbench/partials/customer_picked.html", {"customer": customer})


# --- the case page --------------------------------------------------------------------
#
# One page for every kind: the kind's registration (``waterdesk.cases.kinds``) gives the
# actions with their forms and guards, the detail partial and its context, the documents.


@dataclass
class ActionPanel:
    transition: Transition
    form: ActionForm
    spec: ActionSpec
    is_open: bool = False  # shown unfolded (it has errors)

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def css(self) -> str:
        return self.spec.css


def visible_actions(case: Case, user) -> list[Transition]:
    """The actions the page offers: the user's available ones that the kind offers on a page
    and whose guard (the service's own check) lets this user take them now."""
    spec = kind_spec(case.kind)
    return [
        transition
        for transition in case_available_actions(case=case, user=user)
        if action_offered(spec, transition, case, user)
    ]


def _action_panels(case: Case, user, failed: tuple[str, ActionForm] | None) -> list[ActionPanel]:
    spec = kind_spec(case.kind)
    panels = []
    for transition in visible_actions(case, user):
        action = spec.actions[transition.action]
        if failed is not None and failed[0] == transition.action:
            panels.append(ActionPanel(transition, failed[1], action, is_open=True))
        else:
            form = action.form(case=case, prefix=transition.action)
            panels.append(ActionPanel(transition, form, action))
    # Moves forward first, then the negative ones (withdraw, reject).
    return sorted(panels, key=lambda panel: bool(panel.css))


def _material_choices(spec: KindSpec, case: Case) -> list[tuple[str, str]]:
    return spec.material_choices(case) if spec.material_choices is not None else []


def _documents(spec: KindSpec, case: Case, user) -> list[dict]:
    return [
        {"name": name, "label": document.label}
        for name, document in spec.documents.items()
        if document.may_print(user=user, case=case)
    ]


def render_case(
    request: HttpRequest,
    case: Case,
    *,
    failed: tuple[str, ActionForm] | None = None,
    attachment_form: forms.AttachmentForm | None = None,
    withdrawal: "WithdrawalAttempt | None" = None,
    assign_form: forms.AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    clocks = list(case_clocks(case))
    calendar = load_calendar() if clocks else None
    user = request.user
    spec = kind_spec(case.kind)
    context = {
        "case": case,
        "kind": spec,
        "clocks": [
            (
                clock,
                clock_status_label(clock, now, calendar=calendar),
                clock_provisional_years(clock, calendar=calendar),
            )
            for clock in clocks
        ],
        "timeline": case_timeline(case),
        "attachments": _attachment_rows(case, user, withdrawal),
        "actions": _action_panels(case, user, failed),
        "can_attach": user.has_perm("cases.add_attachment"),
        "attachment_form": attachment_form
        or forms.AttachmentForm(material_choices=_material_choices(spec, case)),
        "documents": _documents(spec, case, user),
        "detail_template": spec.detail_template,
        "may_claim": case_claimable_by(user=user, case=case),
        "assign_form": _assign_form(case, user, assign_form),
        "case_panels": case_panels_for(case, user),
    }
    if spec.page_context is not None:
        context.update(spec.page_context(case))
    return render(request, "workbench/case.html", context, status=status)


def _assign_form(case: Case, user, failed: forms.AssignForm | None):
    if failed is not None:
        return failed
    if not case.is_open or not user.has_perm("cases.reassign_case"):
        return None
    return forms.AssignForm(assignees=case_assignees(case), prefix="assign")


@require_GET
@desk_view()
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    return render_case(request, case)


@require_POST
@desk_view()
def case_action(request: HttpRequest, public_id, action: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    spec = kind_spec(case.kind)
    action_spec = spec.actions.get(action)
    if action_spec is None or action_spec.internal:
        return forbidden(request)
    # The guard is not asked here: the service refuses with its own reason (another
    # surveyor's visit is "not permitted", not "not now").
    available = {t.action for t in case_available_actions(case=case, user=request.user)}
    if action not in available:
        permitted = {t.permission for t in spec.workflow.transitions if t.action == action}
        if not any(request.user.has_perm(p) for p in permitted):
            return forbidden(request)
        # The user's role may do this, just not now (the case moved on, e.g. a double click).
        messages.error(request, str(IllegalTransition.default_message))
        return render_case(request, case, status=IllegalTransition.http_status)
    form = action_spec.form(request.POST, case=case, prefix=action)
    if not form.is_valid():
        return render_case(request, case, failed=(action, form), status=400)
    try:
        updated = action_spec.service(actor=request.user, case=case, **form.service_kwargs())
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        messages.error(request, str(error.message))
        case = case_get_for_user(user=request.user, public_id=public_id)
        return render_case(request, case, failed=(action, form), status=error.http_status)
    transition = spec.workflow.get(action, case.status)
    outcome = action_spec.outcome(updated) if action_spec.outcome is not None else ""
    if outcome:
        messages.warning(request, outcome)
    elif updated.status == case.status:
        messages.info(request, _("已记录。"))
    elif updated.status != transition.target:
        # The service took another way (a transfer waiting for the old owner to settle).
        messages.warning(request, _("当前状态：%(status)s。") % {"status": case_status(updated)})
    else:
        messages.success(request, _("已完成：%(action)s。") % {"action": transition.label})
    return redirect("workbench:case", public_id=case.public_id)


@require_POST
@desk_view(has_perm("cases.add_attachment"))
def attachment_add(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    form = forms.AttachmentForm(
        request.POST, request.FILES, material_choices=_material_choices(kind_spec(case.kind), case)
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
def document(request: HttpRequest, public_id, name: str) -> HttpResponse:
    """A printable document of the case's kind (``receipt.pdf``: the intake receipt)."""
    case = case_get_for_user(user=request.user, public_id=public_id)
    document = kind_spec(case.kind).documents.get(name)
    if document is None:
        raise Http404()
    document.check_access(user=request.user, case=case)
    return pdf_response(document.render(case), f"{name}-{case.number}.pdf")


# --- supervisor -----------------------------------------------------------------------


def _status_counts(user) -> list[dict]:
    counts = (
        case_scope(user)
        .open()
        .order_by()
        .values("kind", "status")
        .annotate(count=Count("pk"))
        .order_by("kind", "status")
    )
    order = {
        value: index
        for index, value in enumerate(
            value for _kind, choices in forms.open_status_choices() for value, _label in choices
        )
    }
    rows = [
        {
            **row,
            "value": f"{row['kind']}:{row['status']}",
            "label": status_label(row["status"], row["kind"]),
            "kind_label": kind_spec(row["kind"]).label,
        }
        for row in counts
    ]
    return sorted(rows, key=lambda row: order.get(row["value"], len(order)))


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
        "has_provisional": has_provisional(rows),
        "status_counts": _status_counts(request.user),
        "status": f"{kind}:{status}" if status else "",
        "kind": kind,
        "filter_url": reverse("workbench:supervisor"),
    }
    return _render_partial_or_page(
        request, "workbench/supervisor.html", "workbench/partials/supervisor_table.html", context
    )


# --- owners ---------------------------------------------------------------------------


@require_POST
@desk_view()
def case_claim(request: HttpRequest, public_id) -> HttpResponse:
    """Take a case from the team queue; back to where the button was (queue or case)."""
    case = case_get_for_user(user=request.user, public_id=public_id)
    try:
        case_claim_service(case=case, actor=request.user)
    except NotPermitted:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已领取工单 %(number)s。") % {"number": case.number})
    if request.POST.get("next") == "queue":
        return redirect("workbench:queue")
    return redirect("workbench:case", public_id=case.public_id)


@require_POST
@desk_view(has_perm("cases.reassign_case"))
def case_assign(request: HttpRequest, public_id) -> HttpResponse:
    case = case_get_for_user(user=request.user, public_id=public_id)
    form = forms.AssignForm(request.POST, assignees=case_assignees(case), prefix="assign")
    if _reassigned(form, case_assign_service, request=request, case=case) is not None:
        name = user_display_name(form.cleaned_data["assignee"])
        messages.success(request, _("已改派给%(name)s。") % {"name": name})
        return redirect("workbench:case", public_id=case.public_id)
    return render_case(request, case, assign_form=form, status=400)


def _reassigned(form: forms.AssignForm, service, *, request: HttpRequest, **target):
    """Run a reassignment ``service`` with the form's person and reason; its refusal goes
    on the form (None comes back). ``target``: ``case=`` or ``cases=``."""
    if not form.is_valid():
        return None
    try:
        return service(
            **target,
            assignee=form.cleaned_data["assignee"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except NotPermitted:
        raise
    except DomainError as error:
        form.add_domain_error(error)
        return None


@dataclass
class WorkloadRow:
    """One person's (or a team's unowned) open cases, counted by urgency."""

    label: str
    owner: str  # the filter value: a username, or "-" for unowned
    department: str
    open: int = 0
    due_today: int = 0
    at_risk: int = 0
    overdue: int = 0
    is_person: bool = True

    def add(self, row: CaseRow, *, end_of_day: datetime) -> None:
        self.open += 1
        self.overdue += row.is_overdue
        self.at_risk += row.is_at_risk
        self.due_today += bool(
            row.next_due_at is not None and not row.is_overdue and row.next_due_at < end_of_day
        )


UNOWNED = "-"


def _owner_key(case: Case) -> str:
    """The workload's filter value for the case: its owner's login, or "-<department id>"
    for a team's unowned case ("-" alone: every unowned case)."""
    if case.assignee is not None:
        return case.assignee.get_username()
    return f"{UNOWNED}{case.department_id or ''}"


def _department_name(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return profile.department.name if profile is not None and profile.department_id else ""


def workload_rows(rows: list[CaseRow], *, now: datetime) -> list[WorkloadRow]:
    """Per person (everyone who works cases, idle ones too) and, per team, the cases
    nobody owns yet; grouped by department."""
    end_of_day = datetime.combine(
        timezone.localdate(now) + timedelta(days=1), time.min, tzinfo=LOCAL_TZ
    )
    people: dict[int, WorkloadRow] = {
        worker.pk: WorkloadRow(
            label=user_display_name(worker),
            owner=worker.get_username(),
            department=_department_name(worker),
        )
        for worker in case_workers()
    }
    unowned: dict[str, WorkloadRow] = {}
    for row in rows:
        owner = row.case.assignee
        if owner is None:
            team = row.case.department.name if row.case.department_id else ""
            target = unowned.setdefault(
                team,
                WorkloadRow(
                    label=_("待领取"),
                    owner=_owner_key(row.case),
                    department=team,
                    is_person=False,
                ),
            )
        else:
            target = people.setdefault(
                owner.pk,
                WorkloadRow(
                    label=user_display_name(owner),
                    owner=owner.get_username(),
                    department=_department_name(owner),
                ),
            )
        target.add(row, end_of_day=end_of_day)
    combined = [*people.values(), *unowned.values()]
    return sorted(
        combined,
        key=lambda r: (r.department == "", r.department, not r.is_person, -r.overdue, r.label),
    )


def _workload_context(request: HttpRequest, *, bulk_form=None) -> dict:
    now = timezone.now()
    all_rows = case_rows(case_list_open(request.user).select_related("department"), now=now)
    owner = request.GET.get("owner", "")
    if owner == UNOWNED:
        shown = [row for row in all_rows if row.case.assignee_id is None]
    elif owner:
        shown = [row for row in all_rows if _owner_key(row.case) == owner]
    else:
        shown = all_rows
    people = workload_rows(all_rows, now=now)
    return {
        "people": people,
        "owner_label": next((p.label for p in people if p.owner == owner), owner),
        "owner_team": next((p.department for p in people if p.owner == owner), ""),
        "rows": shown,
        "counts": row_counts(all_rows),
        "owner": owner,
        "bulk_form": bulk_form or forms.AssignForm(assignees=case_workers(), prefix="bulk"),
        "selectable": True,
    }


@require_GET
@desk_view(has_perm("cases.view_all_cases"))
def workload(request: HttpRequest) -> HttpResponse:
    """The supervisor's landing page: who has what, what is due, at risk or overdue."""
    return _render_partial_or_page(
        request,
        "workbench/workload.html",
        "workbench/partials/workload_cases.html",
        _workload_context(request),
    )


@require_POST
@desk_view(has_perm("cases.reassign_case"))
def workload_assign(request: HttpRequest) -> HttpResponse:
    """Bulk reassignment of the ticked cases (all or none)."""
    form = forms.AssignForm(request.POST, assignees=case_workers(), prefix="bulk")
    chosen = request.POST.getlist("cases")
    cases = list(case_scope(request.user).filter(public_id__in=_uuids(chosen)))
    done = _reassigned(form, cases_assign_bulk, request=request, cases=cases)
    if done is not None:
        messages.success(
            request,
            _("已将 %(count)d 个工单改派给%(name)s。")
            % {"count": len(done), "name": user_display_name(form.cleaned_data["assignee"])},
        )
        return redirect(reverse("workbench:workload") + _owner_query(request))
    context = _workload_context(request, bulk_form=form)
    context["checked"] = {str(case.public_id) for case in cases}
    return render(request, "workbench/workload.html", context, status=400)


def _owner_query(request: HttpRequest) -> str:
    owner = request.POST.get("owner", "")
    return f"?{urlencode({'owner': owner})}" if owner else ""


def _uuids(values: list[str]) -> list[uuid.UUID]:
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError:
            continue
    return parsed

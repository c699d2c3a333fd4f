"""Bill-run and account pages: the runs of each cycle (and starting one), a run's progress
(refreshed with htmx while it runs), an account's bills, ledger and aging with the
adjustment form and its fee notice (PDF), a bill and its PDF.

Thin views: a form parses the input, one service does the work, a ``DomainError`` comes
back as a form error or a flash message. Log-in is required and each page checks its
permission (403 otherwise).
"""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.billing.documents import account_statement_pdf as render_account_statement
from waterdesk.billing.documents import bill_pdf as render_bill_pdf
from waterdesk.billing.documents import fee_notice_pdf
from waterdesk.billing.models import Bill, LedgerEntryKind
from waterdesk.billing.selectors.bills import (
    account_get,
    bill_get,
    bill_ledger_entries,
    bill_list_for_account,
    bill_run_get,
    bill_run_list,
    bill_run_progress,
    bill_run_skipped,
    bill_statement,
    reading_cycles_open,
)
from waterdesk.billing.selectors.ledger import (
    AGING_BUCKETS,
    AGING_LABELS,
    account_aging,
    account_balance,
    account_statement,
)
from waterdesk.billing.selectors.run_checks import bill_run_checks, reading_cycle_ready_to_bill
from waterdesk.billing.services.bill_run import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    bill_run_create,
    bill_run_resume,
    bill_run_start,
)
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.money import MoneyFormField
from waterdesk.core.pdf import pdf_response
from waterdesk.core.web import forbidden, has_perm, is_htmx, staff_view
from waterdesk.customers.privacy import customer_lookup_count
from waterdesk.customers.search.query import search_query_parse
from waterdesk.customers.selectors import account_get_by_number, customer_search

ACCOUNT_BILLS_LIMIT = 24
STATEMENT_ROWS_LIMIT = 60


# --- forms --------------------------------------------------------------------------------


class RunStartForm(DomainErrorMixin, forms.Form):
    """The cycle to bill, proposed when it is ready; what is still open in it is shown and
    must be confirmed. The chunk size is a technical setting: only superusers see it."""

    cycle = forms.ModelChoiceField(
        label=gettext_lazy("账期"), queryset=None, to_field_name="code", empty_label=None
    )
    chunk_size = forms.IntegerField(
        label=gettext_lazy("每批账户数"),
        min_value=1,
        max_value=MAX_CHUNK_SIZE,
        initial=DEFAULT_CHUNK_SIZE,
        help_text=gettext_lazy("出账按账户分批处理，每批在一个事务中完成。"),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("我已知悉以上情况，现在出账（这些账户本次不出账，可在下次出账时补出）"),
        required=False,
    )

    def __init__(self, *args, technical: bool, checks_for, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = reading_cycles_open()
        if not technical:
            del self.fields["chunk_size"]
        self.checks_for = checks_for
        self.checks = None

    def clean(self):
        data = super().clean()
        cycle = data.get("cycle")
        if cycle is not None:
            self.checks = self.checks_for(cycle)
            if self.checks.needs_confirmation and not data.get("confirm"):
                self.add_error(
                    "confirm",
                    gettext_lazy("本账期的抄表尚未完成（见上方提示）：请核实后勾选确认再出账。"),
                )
        return data

    def run_kwargs(self) -> dict:
        kwargs = {"cycle": self.cleaned_data["cycle"]}
        if self.cleaned_data.get("chunk_size"):
            kwargs["chunk_size"] = self.cleaned_data["chunk_size"]
        return kwargs


class AdjustmentForm(DomainErrorMixin, forms.Form):
    amount = MoneyFormField(
        allow_negative=True,
        label=gettext_lazy("金额（元）"),
        help_text=gettext_lazy("正数增加欠费，负数冲减欠费（红字）。"),
    )
    reason = forms.CharField(label=gettext_lazy("调整原因"), max_length=200)
    bill = forms.ModelChoiceField(
        label=gettext_lazy("针对账单"),
        queryset=Bill.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=gettext_lazy("（不针对具体账单）"),
    )
    # One key per form shown: a double submission posts the adjustment once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, account, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", str(uuid.uuid4()))
        super().__init__(*args, **kwargs)
        self.fields["bill"].queryset = bill_list_for_account(account)
        self.fields["bill"].label_from_instance = lambda bill: f"{bill.number}（{bill.amount}）"


# --- runs ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("billing.view_billrun"))
def runs(request: HttpRequest) -> HttpResponse:
    """The bill runs, latest first, and the form that starts one (billing clerks)."""
    may_run = request.user.has_perm("billing.run_billing")
    today = timezone.localdate()

    def checks_for(cycle):
        return bill_run_checks(cycle, today=today)

    options = {"technical": request.user.is_superuser, "checks_for": checks_for}
    if request.method == "POST":
        form = RunStartForm(request.POST, **options)
    else:
        # The cycle asked for (the form's select reloads the checks), else the ready one.
        asked = request.GET.get("cycle", "")
        cycle = reading_cycles_open().filter(code=asked).first() if asked else None
        cycle = cycle or reading_cycle_ready_to_bill(today=today)
        form = RunStartForm(initial={"cycle": cycle}, **options)
        form.checks = checks_for(cycle) if cycle is not None else None
    status = 200
    if request.method == "POST":
        if not may_run:
            return forbidden(request)
        if form.is_valid():
            try:
                run = bill_run_create(actor=request.user, **form.run_kwargs())
                run = bill_run_start(run=run)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("账期 %(cycle)s 的出账已开始，共 %(count)s 户。")
                    % {"cycle": run.cycle.code, "count": run.total_accounts},
                )
                return redirect("billing:run", public_id=run.public_id)
        status = 400
    context = {
        "form": form,
        "checks": form.checks,
        "may_run": may_run,
        "runs": bill_run_list()[:50],
    }
    return render(request, "billing/bills/runs.html", context, status=status)


def _run_context(request: HttpRequest, run) -> dict:
    progress = bill_run_progress(run)
    skipped, skipped_total = bill_run_skipped(run)
    return {
        "run": run,
        "progress": progress,
        "skipped": skipped,
        "skipped_total": skipped_total,
        "may_run": request.user.has_perm("billing.run_billing"),
    }


@require_GET
@staff_view(has_perm("billing.view_billrun"))
def run(request: HttpRequest, public_id) -> HttpResponse:
    """A run: progress bar, counts, failed chunks, skipped accounts with reasons. While the
    run is active its progress block refreshes itself every two seconds (htmx)."""
    bill_run = bill_run_get(public_id=public_id)
    context = _run_context(request, bill_run)
    template = (
        "billing/bills/partials/run_progress.html" if is_htmx(request) else "billing/bills/run.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@staff_view(has_perm("billing.run_billing"))
def run_resume(request: HttpRequest, public_id) -> HttpResponse:
    bill_run = bill_run_get(public_id=public_id)
    try:
        bill_run_resume(run=bill_run)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已继续出账。"))
    return redirect("billing:run", public_id=bill_run.public_id)


# --- accounts -----------------------------------------------------------------------------


@require_GET
@staff_view(has_perm("billing.view_bill"))
def account_lookup(request: HttpRequest) -> HttpResponse:
    """Find an account: its number goes straight to its billing page; a name, mobile, ID,
    address or case number lists the customers found with their accounts (the customer
    search of every staff page). ``number`` is the parameter's former name."""
    query = (request.GET.get("q") or request.GET.get("number") or "").strip()
    results = []
    if query:
        customer_lookup_count(user=request.user)
        parsed = search_query_parse(query)
        if parsed is not None and parsed.account_number:
            try:
                account = account_get_by_number(parsed.account_number)
            except NotFound:
                pass  # another number, or none: search
            else:
                return redirect("billing:account", public_id=account.public_id)
        results = customer_search(query=query)
    return render(
        request, "billing/bills/account_search.html", {"query": query, "results": results}
    )


def _account_context(request: HttpRequest, account, form=None) -> dict:
    today = timezone.localdate()
    aging = account_aging(account, as_of=today)
    may_adjust = request.user.has_perm("billing.post_adjustment")
    return {
        "account": account,
        "balance": account_balance(account),
        "aging": [(AGING_LABELS[key], aging[key]) for key, _limit in AGING_BUCKETS],
        "aging_credit": aging["credit"],
        "as_of": today,
        "bills": bill_list_for_account(account)[:ACCOUNT_BILLS_LIMIT],
        "statement": list(reversed(account_statement(account, limit=STATEMENT_ROWS_LIMIT))),
        "may_adjust": may_adjust,
        "form": form
        if form is not None
        else (AdjustmentForm(account=account) if may_adjust else None),
        "charge": LedgerEntryKind.CHARGE,
    }


@require_GET
@staff_view(has_perm("billing.view_bill"))
def account(request: HttpRequest, public_id) -> HttpResponse:
    """An account's bills, its ledger with the running balance, its aging."""
    customer_account = account_get(public_id=public_id)
    return render(
        request, "billing/bills/account.html", _account_context(request, customer_account)
    )


@require_GET
@staff_view(has_perm("billing.view_bill"))
def account_notice_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The account's fee notice (缴费通知单): its unpaid bills today, to print or send."""
    customer_account = account_get(public_id=public_id)
    return pdf_response(fee_notice_pdf(customer_account), f"notice-{customer_account.number}.pdf")


@require_POST
@staff_view(has_perm("billing.post_adjustment"))
def account_adjust(request: HttpRequest, public_id) -> HttpResponse:
    customer_account = account_get(public_id=public_id)
    form = AdjustmentForm(request.POST, account=customer_account)
    if form.is_valid():
        try:
            ledger_post_adjustment(
                actor=request.user,
                account=customer_account,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                bill=form.cleaned_data["bill"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("调整已记账。"))
            return redirect("billing:account", public_id=customer_account.public_id)
    context = _account_context(request, customer_account, form=form)
    return render(request, "billing/bills/account.html", context, status=400)


# --- bills --------------------------------------------------------------------------------


@require_GET
@staff_view(has_perm("billing.view_bill"))
def bill(request: HttpRequest, public_id) -> HttpResponse:
    statement = bill_statement(bill_get(public_id=public_id))
    context = {
        "statement": statement,
        "bill": statement.bill,
        "entries": bill_ledger_entries(statement.bill),
    }
    return render(request, "billing/bills/bill.html", context)


@require_GET
@staff_view(has_perm("billing.view_bill"))
def bill_pdf(request: HttpRequest, public_id) -> HttpResponse:
    statement_bill = bill_get(public_id=public_id)
    return pdf_response(render_bill_pdf(statement_bill), f"{statement_bill.number}.pdf")


@require_GET
@staff_view(has_perm("billing.view_bill"))
def account_statement_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The account's statement (对账单), printed for the customer at the counter."""
    customer_account = account_get(public_id=public_id)
    return pdf_response(
        render_account_statement(customer_account), f"statement-{customer_account.number}.pdf"
    )


urlpatterns = [
    path("runs/", runs, name="runs"),
    path("runs/<uuid:public_id>/", run, name="run"),
    path("runs/<uuid:public_id>/resume/", run_resume, name="run_resume"),
    path("accounts/", account_lookup, name="account_lookup"),
    path("accounts/<uuid:public_id>/", account, name="account"),
    path("accounts/<uuid:public_id>/adjustments/", account_adjust, name="account_adjust"),
    path(
        "accounts/<uuid:public_id>/statement.pdf",
        account_statement_pdf,
        name="account_statement_pdf",
    ),
    path("accounts/<uuid:public_id>/notice.pdf", account_notice_pdf, name="account_notice_pdf"),
    path("bills/<uuid:public_id>/", bill, name="bill"),
    path("bills/<uuid:public_id>/bill.pdf", bill_pdf, name="bill_pdf"),
]

"""The invoicing pages (``workbench:invoices`` …): the invoice list with filters, one
invoice with its lines, bills, state history and the retry and reverse forms, the
reconciliation list (已缴未开票), an account's title and the choice of its paid bills to
invoice, the tax items, the finance index and the invoice report (with its Excel export),
and the sandbox platform's PDFs.

Readers hold ``invoicing.view_invoice``; the actions need their own permission (the
services check it again). Thin: a form parses, one service decides; a refusal comes back on
the page with its reason (400)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.billing.hooks import finance_reports_for
from waterdesk.billing.models import Bill
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.pdf import pdf_response
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import xlsx_response
from waterdesk.customers.models import Account
from waterdesk.invoicing import forms
from waterdesk.invoicing.documents import sandbox_invoice_pdf
from waterdesk.invoicing.models import Invoice, SandboxInvoice, TaxItem, TitleKind
from waterdesk.invoicing.reports import invoice_report, invoice_report_xlsx
from waterdesk.invoicing.selectors import (
    account_invoice_title,
    bills_paid_without_invoice,
    invoice_by_public_id,
    invoices_list,
)
from waterdesk.invoicing.services import invoices as services
from waterdesk.invoicing.services.titles import invoice_title_save, tax_item_update

reader_view = staff_view(has_perm("invoicing.view_invoice"))
issuer_view = staff_view(has_perm("invoicing.issue_invoice"))
reverser_view = staff_view(has_perm("invoicing.reverse_invoice"))
tax_reader_view = staff_view(has_perm("invoicing.view_taxitem"))
tax_manager_view = staff_view(has_perm("invoicing.manage_tax_items"))
report_view = staff_view(has_perm("invoicing.view_finance_reports"))
finance_view = staff_view(lambda user: bool(finance_reports_for(user)))


def _account(public_id) -> Account:
    account = Account.objects.select_related("customer").filter(public_id=public_id).first()
    if account is None:
        raise Http404()
    return account


def _invoice(public_id) -> Invoice:
    invoice = invoice_by_public_id(public_id)
    if invoice is None:
        raise Http404()
    return invoice


@require_GET
@reader_view
def invoices_page(request: HttpRequest) -> HttpResponse:
    form = forms.InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = invoices_list(
        state=filters.get("state") or "",
        day=filters.get("day"),
        account_number=filters.get("account") or "",
    )
    return render(request, "invoicing/list.html", {"form": form, "invoices": list(rows)})


@require_GET
@reader_view
def invoice_page(request: HttpRequest, public_id) -> HttpResponse:
    return _invoice_page(request, _invoice(public_id))


def _invoice_page(request, invoice: Invoice, *, failed=None, status: int = 200) -> HttpResponse:
    user = request.user
    page_forms = {}
    if invoice.can_retry() and user.has_perm(services.ISSUE_PERMISSION):
        page_forms["retry"] = forms.RetryForm(auto_id="id_retry_%s")
    if invoice.can_reverse() and user.has_perm(services.REVERSE_PERMISSION):
        page_forms["reverse"] = forms.ReverseForm(auto_id="id_reverse_%s")
    if failed is not None:
        page_forms[failed[0]] = failed[1]
    red = Invoice.objects.filter(reverses=invoice).first()
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "bill_links": list(invoice.bill_links.select_related("bill")),
        "events": list(invoice.events.select_related("actor")),
        "red": red,
        "forms": page_forms,
        "failed_form": failed[1] if failed else None,
    }
    return render(request, "invoicing/detail.html", context, status=status)


def _invoice_action(request, public_id, action: str) -> HttpResponse:
    invoice = _invoice(public_id)
    form_class = {"retry": forms.RetryForm, "reverse": forms.ReverseForm}[action]
    form = form_class(request.POST, auto_id=f"id_{action}_%s")
    if form.is_valid():
        try:
            if action == "retry":
                services.invoice_retry(actor=request.user, invoice=invoice)
                done = _("已重新提交开票。")
            else:
                red = services.invoice_reverse(
                    actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"]
                )
                done = _("已申请冲红，红字发票 %(number)s 正在开具。") % {"number": red.number}
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, done)
            return redirect("workbench:invoice", public_id=invoice.public_id)
    return _invoice_page(request, _invoice(public_id), failed=(action, form), status=400)


@require_POST
@issuer_view
def invoice_retry(request: HttpRequest, public_id) -> HttpResponse:
    return _invoice_action(request, public_id, "retry")


@require_POST
@reverser_view
def invoice_reverse(request: HttpRequest, public_id) -> HttpResponse:
    return _invoice_action(request, public_id, "reverse")


@require_GET
@reader_view
def uninvoiced_page(request: HttpRequest) -> HttpResponse:
    number = (request.GET.get("account") or "").strip()
    account = Account.objects.filter(number=number).first() if number else None
    rows = [] if number and account is None else bills_paid_without_invoice(account=account)
    return render(
        request,
        "invoicing/uninvoiced.html",
        {"rows": rows, "account_number": number, "total": sum(row.bill.amount for row in rows)},
    )


def _bill_choices(account: Account) -> list[tuple[str, str]]:
    return [
        (
            str(row.bill.public_id),
            f"{row.bill.number}　{row.bill.period_start:%Y-%m-%d}—{row.bill.period_end:%Y-%m-%d}"
            f"　{row.bill.amount:.2f}",
        )
        for row in bills_paid_without_invoice(account=account)
    ]


@require_http_methods(["GET", "POST"])
@issuer_view
def account_issue_page(request: HttpRequest, public_id) -> HttpResponse:
    account = _account(public_id)
    choices = _bill_choices(account)
    form = forms.IssueForm(request.POST or None, bill_choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            bills = list(Bill.objects.filter(public_id__in=form.cleaned_data["bills"]))
            try:
                invoice = services.invoice_request(actor=request.user, account=account, bills=bills)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("已申请开票 %(number)s。") % {"number": invoice.number})
                return redirect("workbench:invoice", public_id=invoice.public_id)
        status = 400
    return render(
        request,
        "invoicing/account_issue.html",
        {"account": account, "form": form, "has_bills": bool(choices)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@issuer_view
def account_title_page(request: HttpRequest, public_id) -> HttpResponse:
    account = _account(public_id)
    title = account_invoice_title(account)
    initial = {
        "kind": title.kind,
        "name": title.name,
        "tax_id": title.tax_id,
        "address": title.address,
        "phone": title.phone,
        "bank_name": title.bank_name,
        "bank_account": title.bank_account,
        "email": title.email,
        "auto_issue": title.auto_issue,
    }
    form = forms.TitleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invoice_title_save(actor=request.user, account=account, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("发票抬头已保存。"))
                return redirect("workbench:customer", public_id=account.customer.public_id)
        status = 400
    return render(
        request,
        "invoicing/title.html",
        {"account": account, "form": form, "kinds": TitleKind},
        status=status,
    )


@require_GET
@tax_reader_view
def tax_items_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "invoicing/tax_items.html",
        {
            "items": list(TaxItem.objects.all()),
            "may_manage": request.user.has_perm("invoicing.manage_tax_items"),
        },
    )


@require_http_methods(["GET", "POST"])
@tax_manager_view
def tax_item_page(request: HttpRequest, pk: int) -> HttpResponse:
    item = TaxItem.objects.filter(pk=pk).first()
    if item is None:
        raise Http404()
    initial = {
        "goods_name": item.goods_name,
        "tax_code": item.tax_code,
        "treatment": item.treatment,
        "rate": item.rate,
        "simple_levy": item.simple_levy,
        "unit": item.unit,
    }
    form = forms.TaxItemForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                tax_item_update(actor=request.user, tax_item=item, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("税目已保存。"))
                return redirect("workbench:invoicing_tax_items")
        status = 400
    return render(request, "invoicing/tax_item.html", {"item": item, "form": form}, status=status)


@require_GET
@finance_view
def finance_index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "invoicing/finance_index.html", {"reports": finance_reports_for(request.user)}
    )


@require_GET
@report_view
def invoicing_report(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = forms.ReportForm(
        request.GET if "start" in request.GET else None,
        initial={"start": today - timedelta(days=30), "end": today},
    )
    if form.is_bound and not form.is_valid():
        return render(request, "invoicing/report.html", {"form": form, "report": None}, status=400)
    start, end = (
        (form.cleaned_data["start"], form.cleaned_data["end"])
        if form.is_bound
        else (today - timedelta(days=30), today)
    )
    report = invoice_report(start=start, end=end)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            invoice_report_xlsx(report), filename=f"invoices-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        )
    return render(request, "invoicing/report.html", {"form": form, "report": report})


@require_GET
def sandbox_pdf(request: HttpRequest, token) -> HttpResponse:
    """The sandbox platform's invoice PDF (no login: the link sent to the customer)."""
    record = SandboxInvoice.objects.filter(token=token).first()
    if record is None:
        raise Http404()
    return pdf_response(sandbox_invoice_pdf(record), f"invoice-{record.number}.pdf")

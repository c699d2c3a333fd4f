"""The cash office's pages (收费管理): void and reversal requests to decide, the cashiers'
daily closes to sign off, the cash-office report per day (and its Excel file), and the
billing office's reversal requests for an account's payments."""

from datetime import date

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from waterdesk.billing.selectors.bills import account_get
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.forms import DateInput, DomainErrorMixin
from waterdesk.core.web import has_perm, staff_view
from waterdesk.core.xlsx import xlsx_response
from waterdesk.payments.models import (
    CloseStatus,
    CorrectionKind,
    CorrectionStatus,
    DailyClose,
    Payment,
    PaymentCorrection,
    PaymentMethod,
    PaymentStatus,
)
from waterdesk.payments.reports import cash_report as build_cash_report
from waterdesk.payments.reports import cash_report_xlsx as render_cash_report_xlsx
from waterdesk.payments.services.corrections import (
    REASON_MAX_LENGTH,
    payment_correction_approve,
    payment_correction_reject,
    payment_correction_request,
)
from waterdesk.payments.services.counter import NOTE_MAX_LENGTH, daily_close_sign_off

APPROVE = "payments.approve_correction"
SIGN_OFF = "payments.sign_off_close"
REPORT = "payments.view_cash_report"
REVERSE = "billing.post_adjustment"
DECIDED_SHOWN = 20
ACCOUNT_PAYMENTS_LIMIT = 50


class DecisionForm(DomainErrorMixin, forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("审批"),
        choices=[("approve", gettext_lazy("批准")), ("reject", gettext_lazy("驳回"))],
        error_messages={"required": gettext_lazy("请选择批准或驳回。")},
    )
    note = forms.CharField(
        label=gettext_lazy("审批意见"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy("驳回时必填。"),
    )


class SignOffForm(DomainErrorMixin, forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("已核对实点现金与差异说明"),
        error_messages={"required": gettext_lazy("请先核对实点现金与差异说明并勾选确认。")},
    )
    note = forms.CharField(
        label=gettext_lazy("签核意见"), max_length=NOTE_MAX_LENGTH, required=False
    )


class ReversalForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("冲正原因"),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": gettext_lazy("请填写冲正的原因。")},
    )


class ReportDateForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("营业日"), widget=DateInput, required=False)


# --- corrections --------------------------------------------------------------------------


def _corrections_context(forms_by_id=None) -> dict:
    base = PaymentCorrection.objects.select_related(
        "payment__account__customer", "payment__cashier", "requested_by", "decided_by"
    )
    return {
        "pending": list(base.filter(status=CorrectionStatus.REQUESTED).order_by("requested_at")),
        "decided": list(base.exclude(status=CorrectionStatus.REQUESTED)[:DECIDED_SHOWN]),
        "forms": forms_by_id or {},
        "blank_form": DecisionForm(),
    }


@require_GET
@staff_view(has_perm(APPROVE))
def corrections(request: HttpRequest) -> HttpResponse:
    """Void and reversal requests waiting for a decision, and the latest decided."""
    return render(request, "payments/office/corrections.html", _corrections_context())


def _correction_get(public_id) -> PaymentCorrection:
    try:
        return PaymentCorrection.objects.get(public_id=public_id)
    except PaymentCorrection.DoesNotExist as error:
        raise NotFound() from error


@require_POST
@staff_view(has_perm(APPROVE))
def correction_decide(request: HttpRequest, public_id) -> HttpResponse:
    correction = _correction_get(public_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                payment_correction_approve(
                    actor=request.user, correction=correction, note=data["note"]
                )
            else:
                payment_correction_reject(
                    actor=request.user, correction=correction, note=data["note"]
                )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            done = _("已批准") if data["decision"] == "approve" else _("已驳回")
            messages.success(
                request,
                _("%(done)s收据 %(number)s 的%(kind)s申请。")
                % {
                    "done": done,
                    "number": str(correction.payment),
                    "kind": correction.get_kind_display(),
                },
            )
            return redirect("payments:corrections")
    context = _corrections_context({correction.pk: form})
    return render(request, "payments/office/corrections.html", context, status=400)


# --- daily closes -------------------------------------------------------------------------


def _closes_context(forms_by_id=None) -> dict:
    base = DailyClose.objects.select_related("cashier", "office", "signed_off_by")
    return {
        "waiting": list(base.filter(status=CloseStatus.SUBMITTED).order_by("business_date", "pk")),
        "signed": list(base.filter(status=CloseStatus.SIGNED_OFF)[:DECIDED_SHOWN]),
        "forms": forms_by_id or {},
        "blank_form": SignOffForm(),
    }


@require_GET
@staff_view(has_perm(SIGN_OFF))
def closes(request: HttpRequest) -> HttpResponse:
    """The cashiers' daily closes waiting for a sign-off, and the latest signed."""
    return render(request, "payments/office/closes.html", _closes_context())


@require_POST
@staff_view(has_perm(SIGN_OFF))
def close_sign_off(request: HttpRequest, public_id) -> HttpResponse:
    try:
        close = DailyClose.objects.get(public_id=public_id)
    except DailyClose.DoesNotExist as error:
        raise NotFound() from error
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            daily_close_sign_off(actor=request.user, close=close, note=form.cleaned_data["note"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("日结已签核。"))
            return redirect("payments:closes")
    return render(
        request, "payments/office/closes.html", _closes_context({close.pk: form}), status=400
    )


# --- the cash-office report ---------------------------------------------------------------


def _report_day(request: HttpRequest) -> tuple[ReportDateForm, date]:
    form = ReportDateForm(request.GET or None)
    day = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data["date"]:
        day = form.cleaned_data["date"]
    return form, day


@require_GET
@staff_view(has_perm(REPORT))
def cash_report(request: HttpRequest) -> HttpResponse:
    """Per cashier on a day: totals per method, voids, the close and its difference."""
    form, day = _report_day(request)
    report = build_cash_report(day)
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {
        "form": form,
        "day": day,
        "method_labels": [PaymentMethod(method).label for method in report.methods],
        "rows": [
            {"day": row, "lines": [row.method(method) for method in report.methods]}
            for row in report.rows
        ],
        "empty_colspan": len(report.methods) + 6,
    }
    return render(request, "payments/office/cash_report.html", context, status=status)


@require_GET
@staff_view(has_perm(REPORT))
def cash_report_xlsx(request: HttpRequest) -> HttpResponse:
    _form, day = _report_day(request)
    return xlsx_response(
        render_cash_report_xlsx(build_cash_report(day)),
        filename=f"cash-report-{day.isoformat()}.xlsx",
    )


# --- reversals of an account's payments (the billing office) ----------------------------


def _account_payments_context(account, forms_by_id=None) -> dict:
    payments = list(
        Payment.objects.filter(account=account)
        .select_related("office", "cashier")
        .prefetch_related("corrections")[:ACCOUNT_PAYMENTS_LIMIT]
    )
    for item in payments:
        item.pending = any(c.status == CorrectionStatus.REQUESTED for c in item.corrections.all())
    return {
        "account": account,
        "payments": payments,
        "forms": forms_by_id or {},
        "blank_form": ReversalForm(),
        "posted": PaymentStatus.POSTED,
    }


@require_GET
@staff_view(has_perm(REVERSE))
def account_payments(request: HttpRequest, public_id) -> HttpResponse:
    """An account's payments, each with 申请冲正 while it is posted."""
    account = account_get(public_id=public_id)
    return render(
        request, "payments/office/account_payments.html", _account_payments_context(account)
    )


@require_POST
@staff_view(has_perm(REVERSE))
def reversal_request(request: HttpRequest, public_id) -> HttpResponse:
    try:
        found = Payment.objects.select_related("account").get(public_id=public_id)
    except Payment.DoesNotExist as error:
        raise NotFound() from error
    form = ReversalForm(request.POST)
    if form.is_valid():
        try:
            payment_correction_request(
                actor=request.user,
                payment=found,
                kind=CorrectionKind.REVERSAL,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("冲正申请已提交，等待主管审批。"))
            return redirect("payments:account_payments", public_id=found.account.public_id)
    context = _account_payments_context(found.account, {found.pk: form})
    return render(request, "payments/office/account_payments.html", context, status=400)


urlpatterns = [
    path("corrections/", corrections, name="corrections"),
    path("corrections/<uuid:public_id>/decide/", correction_decide, name="correction_decide"),
    path("closes/", closes, name="closes"),
    path("closes/<uuid:public_id>/sign-off/", close_sign_off, name="close_sign_off"),
    path("reports/cash/", cash_report, name="cash_report"),
    path("reports/cash.xlsx", cash_report_xlsx, name="cash_report_xlsx"),
    path("accounts/<uuid:public_id>/payments/", account_payments, name="account_payments"),
    path("payments/<uuid:public_id>/reversal/", reversal_request, name="reversal_request"),
]

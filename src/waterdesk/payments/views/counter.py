"""The cashier's counter pages: find an account, take a payment, the result with its
receipt (PDF), a void request, the cashier's day and the daily close.

Thin views: a form parses the input, one service does the work, a ``DomainError`` comes
back as a form error (status 400) or a flash message.
"""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.bills import account_fee_notice, account_get
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.money import MoneyFormField
from waterdesk.core.pdf import pdf_response
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.selectors import account_get_by_number
from waterdesk.payments.documents import receipt_pdf as render_receipt_pdf
from waterdesk.payments.models import (
    CorrectionKind,
    CorrectionStatus,
    DailyClose,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from waterdesk.payments.services.corrections import (
    REASON_MAX_LENGTH,
    day_is_closed,
    payment_correction_request,
)
from waterdesk.payments.services.counter import (
    COUNTER_METHODS,
    NOTE_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
    cashier_office,
    counter_payment_repeat,
    counter_payment_take,
    daily_close_submit,
    day_payments,
    day_totals,
    pending_voids,
)

TAKE = "payments.take_payment"
VIEW = "payments.view_payment"


# --- forms --------------------------------------------------------------------------------


class PayForm(DomainErrorMixin, forms.Form):
    """All or chosen open bills, the amount (at least their total; more stays as credit),
    the method and what it needs. The hidden token is the payment's external id: the form
    posts once however often it is sent."""

    field_aliases = {"external_id": None}

    bills = forms.MultipleChoiceField(
        label=gettext_lazy("缴纳账单"), widget=forms.CheckboxSelectMultiple, required=False
    )
    amount = MoneyFormField(
        label=gettext_lazy("收款金额（元）"),
        required=False,
        help_text=gettext_lazy("默认为所选账单的合计；多收部分留作预存。"),
    )
    method = forms.ChoiceField(
        label=gettext_lazy("支付方式"),
        widget=forms.RadioSelect,
        choices=[(method.value, method.label) for method in COUNTER_METHODS],
        initial=PaymentMethod.CASH,
    )
    tendered = MoneyFormField(label=gettext_lazy("实收现金（元）"), required=False)
    reference = forms.CharField(
        label=gettext_lazy("凭证号 / 交易单号"),
        max_length=REFERENCE_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy("刷卡：签购单参考号；扫码：支付交易单号。"),
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, notice, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.open_items = [item for item in notice.items if item.bill is not None]
        self.fields["bills"].choices = [
            (str(item.bill.public_id), f"{item.bill.number}（{item.unpaid}）")
            for item in self.open_items
        ]
        self.fields["method"].error_messages["required"] = _("请选择支付方式。")
        self.fields["token"].error_messages["required"] = _("页面已过期，请刷新后重新收费。")
        if not self.is_bound:
            self.initial.setdefault("bills", [str(item.bill.public_id) for item in self.open_items])
            self.initial.setdefault("amount", notice.total_due if notice.total_due > 0 else None)

    def chosen_bills(self) -> list[Bill]:
        wanted = set(self.cleaned_data.get("bills") or [])
        return [item.bill for item in self.open_items if str(item.bill.public_id) in wanted]

    def chosen_total(self):
        wanted = set(self.cleaned_data.get("bills") or [])
        return sum(
            (item.unpaid for item in self.open_items if str(item.bill.public_id) in wanted),
            0,
        )

    def clean(self):
        data = super().clean()
        if "token" in self.errors:  # hidden: shown above the form
            self.add_error(None, self.errors.pop("token"))
        if data.get("amount") is None and "amount" not in self.errors:
            total = self.chosen_total()
            if total:
                data["amount"] = total
            else:
                self.add_error("amount", _("请填写收款金额，或勾选要缴纳的账单。"))
        return data


class ReasonForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("作废原因"),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": gettext_lazy("请填写作废的原因。")},
    )


class CloseForm(DomainErrorMixin, forms.Form):
    counted_cash = MoneyFormField(
        label=gettext_lazy("实点现金（元）"),
        error_messages={"required": gettext_lazy("请填写钱箱中实点的现金。")},
    )
    note = forms.CharField(
        label=gettext_lazy("差异说明"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("实点与应有不一致时必填。"),
    )


# --- the counter --------------------------------------------------------------------------


def _counter_context(request: HttpRequest, account, form=None) -> dict:
    today = timezone.localdate()
    office = cashier_office(request.user)
    context = {"office": office, "account": account, "today": today}
    if account is None:
        return context
    notice = account_fee_notice(account, as_of=today)
    closed = day_is_closed(cashier=request.user, business_date=today)
    context.update(
        {
            "notice": notice,
            "balance": account_balance(account),
            "closed": closed,
            "form": form if form is not None else PayForm(notice=notice),
            "may_take": office is not None and not closed,
            "unpaid_by_bill": {
                str(item.bill.public_id): str(item.unpaid)
                for item in notice.items
                if item.bill is not None
            },
        }
    )
    return context


@require_GET
@staff_view(has_perm(TAKE))
def counter(request: HttpRequest) -> HttpResponse:
    """Find the account by its number; its open bills, balance and the payment form."""
    number = (request.GET.get("account") or "").strip()
    account = None
    if number:
        try:
            account = account_get_by_number(number)
        except NotFound:
            messages.error(
                request,
                _("未找到户号 %(number)s，请核对后重新输入。") % {"number": number},
            )
    context = _counter_context(request, account)
    context["number"] = account.number if account else number
    return render(request, "payments/counter/counter.html", context)


@require_POST
@staff_view(has_perm(TAKE))
def counter_pay(request: HttpRequest, public_id) -> HttpResponse:
    account = account_get(public_id=public_id)
    earlier = counter_payment_repeat(
        actor=request.user, account=account, token=request.POST.get("token")
    )
    if earlier is not None:  # a double click: the bills it paid are no longer open
        return redirect("payments:payment", public_id=earlier.public_id)
    notice = account_fee_notice(account, as_of=timezone.localdate())
    form = PayForm(request.POST, notice=notice)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = counter_payment_take(
                actor=request.user,
                account=account,
                amount=data["amount"],
                method=data["method"],
                external_id=str(data["token"]),
                bills=form.chosen_bills(),
                tendered=data["tendered"],
                reference=data["reference"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if recorded.created:
                messages.success(
                    request,
                    _("已收款，收据号 %(number)s。") % {"number": recorded.payment.receipt_number},
                )
            url = reverse("payments:payment", args=[recorded.payment.public_id])
            return redirect(f"{url}?{urlencode({'print': 1})}" if recorded.created else url)
    context = _counter_context(request, account, form=form)
    context["number"] = account.number
    return render(request, "payments/counter/counter.html", context, status=400)


# --- a payment: the result page, its receipt and a void --------------------------------


def _payment_get(public_id) -> Payment:
    try:
        return Payment.objects.select_related(
            "account__customer", "account__premise", "office", "cashier"
        ).get(public_id=public_id)
    except Payment.DoesNotExist as error:
        raise NotFound() from error


def _payment_context(request: HttpRequest, payment: Payment, form=None) -> dict:
    corrections = list(payment.corrections.select_related("requested_by", "decided_by"))
    pending = any(c.status == CorrectionStatus.REQUESTED for c in corrections)
    may_request_void = (
        request.user.has_perm(TAKE)
        and payment.cashier_id == request.user.pk
        and payment.status == PaymentStatus.POSTED
        and payment.business_date == timezone.localdate()
        and not pending
        and not day_is_closed(cashier=payment.cashier, business_date=payment.business_date)
    )
    return {
        "payment": payment,
        "lines": [
            (entry.bill, -entry.amount)
            for entry in payment.entries.select_related("bill").order_by("pk")
        ],
        "corrections": corrections,
        "pending": pending,
        "may_request_void": may_request_void,
        "void_form": form if form is not None else (ReasonForm() if may_request_void else None),
        "open_receipt": request.GET.get("print") == "1",
        "is_cash": payment.method == PaymentMethod.CASH,
    }


@require_GET
@staff_view(has_perm(VIEW))
def payment(request: HttpRequest, public_id) -> HttpResponse:
    """A payment: receipt number, amount, change, its bills; 打印收据, 申请作废."""
    found = _payment_get(public_id)
    return render(request, "payments/counter/payment.html", _payment_context(request, found))


@require_GET
@staff_view(has_perm(VIEW))
def receipt_pdf(request: HttpRequest, public_id) -> HttpResponse:
    found = _payment_get(public_id)
    name = found.receipt_number or str(found.public_id)
    return pdf_response(render_receipt_pdf(found), f"receipt-{name}.pdf")


@require_POST
@staff_view(has_perm(TAKE))
def void_request(request: HttpRequest, public_id) -> HttpResponse:
    found = _payment_get(public_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            payment_correction_request(
                actor=request.user,
                payment=found,
                kind=CorrectionKind.VOID,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("作废申请已提交，请主管在“作废审批”中审批；审批前收据仍然有效。"),
            )
            return redirect("payments:payment", public_id=found.public_id)
    context = _payment_context(request, found, form=form)
    context["void_form"] = form
    return render(request, "payments/counter/payment.html", context, status=400)


# --- the cashier's day and the daily close ----------------------------------------------


def _day_context(request: HttpRequest, form=None) -> dict:
    today = timezone.localdate()
    payments = list(
        day_payments(cashier=request.user, day=today)
        .select_related("account__customer")
        .prefetch_related("corrections")
        .order_by("received_at", "pk")
    )
    totals = day_totals(payments)
    close = DailyClose.objects.filter(cashier=request.user, business_date=today).first()
    pending = list(pending_voids(cashier=request.user, day=today).select_related("payment"))
    return {
        "today": today,
        "office": cashier_office(request.user),
        "payments": payments,
        "totals": totals,
        "close": close,
        "pending": pending,
        "form": form if form is not None else (CloseForm() if close is None else None),
    }


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(TAKE))
def day(request: HttpRequest) -> HttpResponse:
    """Today's payments of the cashier, their totals per method and the daily close."""
    if request.method == "POST":
        form = CloseForm(request.POST)
        if form.is_valid():
            try:
                daily_close_submit(
                    actor=request.user,
                    counted_cash=form.cleaned_data["counted_cash"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("日结已提交，请主管签核。"))
                return redirect("payments:day")
        return render(request, "payments/counter/day.html", _day_context(request, form), status=400)
    return render(request, "payments/counter/day.html", _day_context(request))


urlpatterns = [
    path("counter/", counter, name="counter"),
    path("counter/accounts/<uuid:public_id>/pay/", counter_pay, name="counter_pay"),
    path("counter/day/", day, name="day"),
    path("payments/<uuid:public_id>/", payment, name="payment"),
    path("payments/<uuid:public_id>/receipt.pdf", receipt_pdf, name="receipt_pdf"),
    path("payments/<uuid:public_id>/void/", void_request, name="void_request"),
]

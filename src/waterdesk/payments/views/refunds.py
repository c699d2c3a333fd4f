"""Refund pages (退款): the billing office asks from an account, supervisors decide.

Thin views: a form parses the input, ``payments.services.refunds`` does the work, a refusal
comes back as a form error (or a message on the list).
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.selectors.prepayment import account_prepayment
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.money import MoneyFormField
from waterdesk.core.web import staff_view
from waterdesk.customers.selectors import account_get_by_number
from waterdesk.payments.models import Refund, RefundMethod, RefundStatus
from waterdesk.payments.services.refunds import (
    refund_approve,
    refund_reject,
    refund_request,
    refundable,
)

DECIDED_SHOWN = 50


def may_see_refunds(user) -> bool:
    return user.has_perm("billing.post_adjustment") or user.has_perm("payments.approve_correction")


class RefundRequestForm(DomainErrorMixin, forms.Form):
    amount = MoneyFormField(label=gettext_lazy("退款金额（元）"))
    method = forms.ChoiceField(label=gettext_lazy("退款方式"), choices=RefundMethod.choices)
    payee_bank_account = forms.CharField(
        label=gettext_lazy("收款银行账户"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("银行转账时填写开户行和账号。"),
    )
    reason = forms.CharField(label=gettext_lazy("退款原因"), max_length=200)


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("审批意见"), max_length=200, required=False)


@require_http_methods(["GET", "POST"])
@staff_view(lambda user: user.has_perm("billing.post_adjustment"))
def refund_new(request: HttpRequest) -> HttpResponse:
    """Ask for a refund of an account's credit (``?account=<number>``)."""
    number = request.GET.get("account", "").strip()
    try:
        account = account_get_by_number(number) if number else None
    except NotFound:
        account = None
    if account is None:
        raise NotFound(_("未找到该户号的账户。"))
    form = RefundRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                refund_request(actor=request.user, account=account, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("退款申请已提交，等待主管审批。"))
                return redirect("payments:refunds")
        status = 400
    context = {
        "account": account,
        "balance": account_balance(account),
        "refundable": refundable(account),
        "form": form,
    }
    return render(request, "payments/refund_new.html", context, status=status)


@require_http_methods(["GET"])
@staff_view(may_see_refunds)
def refunds(request: HttpRequest) -> HttpResponse:
    """Refunds waiting for a decision (with approve/reject for supervisors), then the last
    decided ones."""
    rows = Refund.objects.select_related("account__customer", "requested_by", "decided_by")
    context = {
        "waiting": list(rows.filter(status=RefundStatus.REQUESTED).order_by("requested_at", "pk")),
        "decided": list(rows.exclude(status=RefundStatus.REQUESTED)[:DECIDED_SHOWN]),
        "may_decide": request.user.has_perm("payments.approve_correction"),
    }
    return render(request, "payments/refunds.html", context)


def _decide(request: HttpRequest, public_id, *, approve: bool) -> HttpResponse:
    refund = get_object_or_404(Refund, public_id=public_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            refund_approve(actor=request.user, refund=refund, note=note)
        else:
            refund_reject(actor=request.user, refund=refund, note=note)
    except NotPermitted as error:
        if error.code != "own_request":
            raise
        messages.error(request, str(error.message))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已批准退款并记账。") if approve else _("已驳回退款申请。"))
    return redirect("payments:refunds")


@require_POST
@staff_view(lambda user: user.has_perm("payments.approve_correction"))
def refund_approve_view(request: HttpRequest, public_id) -> HttpResponse:
    return _decide(request, public_id, approve=True)


@require_POST
@staff_view(lambda user: user.has_perm("payments.approve_correction"))
def refund_reject_view(request: HttpRequest, public_id) -> HttpResponse:
    return _decide(request, public_id, approve=False)


urlpatterns = [
    path("refunds/", refunds, name="refunds"),
    path("refunds/new/", refund_new, name="refund_new"),
    path("refunds/<uuid:public_id>/approve/", refund_approve_view, name="refund_approve"),
    path("refunds/<uuid:public_id>/reject/", refund_reject_view, name="refund_reject"),
]


def prepayment_section(account, user) -> dict | None:
    """The prepaid balance (预存) under an account on the customer's page (an
    ``AccountSection``): the balance, its latest settlements, whether it is below the
    threshold, and the refunds of it waiting for approval. Shown to those who see bills,
    when the account holds or held a prepaid balance or has a refund waiting."""
    if not user.has_perm("billing.view_bill"):
        return None
    state = account_prepayment(account)
    pending = list(Refund.objects.filter(account=account, status=RefundStatus.REQUESTED))
    if not state.balance and not state.settlements and not pending:
        return None
    return {"prepayment": state, "pending_refunds": pending}

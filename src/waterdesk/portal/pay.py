"""Paying online (在线缴费), without login: the page a bill's QR code opens.

``/pay/<account public id>/`` shows what the account owes (the holder's name masked) and an
"在线缴费" button that opens an order with the sandbox gateway and sends the payer to its
"模拟支付" page; its "确认支付" makes the gateway's signed notification and hands it to the
same callback processing as a real POST (the signature is verified there too), then shows
"缴费成功". The account's public id is random: knowing it shows the amount due, nothing more.
"""

import secrets

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.billing.selectors.bills import account_fee_notice, account_get
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.masking import mask_person_name
from waterdesk.payments.gateways import CallbackRequest
from waterdesk.payments.gateways.sandbox import sandbox_notification
from waterdesk.payments.models import OrderStatus, PaymentOrder
from waterdesk.payments.services.gateways import (
    gateway_callback_handle,
    order_awaiting_posting,
    payment_order_create,
)

SANDBOX = "sandbox"


def _account(public_id):
    try:
        return account_get(public_id=public_id)
    except NotFound as error:
        raise Http404 from error


def _order(public_id) -> PaymentOrder:
    order = (
        PaymentOrder.objects.select_related("account__customer")
        .filter(public_id=public_id, gateway=SANDBOX)
        .first()
    )
    if order is None:
        raise Http404
    return order


@never_cache
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, account: str) -> HttpResponse:
    customer_account = _account(account)
    error = None
    if request.method == "POST":
        try:
            order = payment_order_create(account=customer_account, gateway=SANDBOX)
        except DomainError as refused:
            error = refused.message
        else:
            return redirect("portal:sandbox_pay", order=order.public_id)
    notice = account_fee_notice(customer_account, as_of=timezone.localdate())
    context = {
        "account": customer_account,
        "name": mask_person_name(customer_account.customer.name),
        "notice": notice,
        "error": error,
    }
    return render(request, "portal/pay.html", context, status=400 if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest, order: str) -> HttpResponse:
    """The sandbox gateway's own page (模拟支付)."""
    payment_order = _order(order)
    if request.method == "POST" and payment_order.status == OrderStatus.OPEN:
        body, headers = sandbox_notification(
            out_trade_no=payment_order.out_trade_no,
            transaction_id=f"SBX{secrets.token_hex(10).upper()}",
            amount=payment_order.amount,
            paid_at=timezone.now(),
        )
        gateway_callback_handle(
            code=SANDBOX,
            request=CallbackRequest(body=body, headers=headers),
            remote_addr="sandbox",
        )
        return redirect("portal:pay_done", order=payment_order.public_id)
    if payment_order.status != OrderStatus.OPEN:
        return redirect("portal:pay_done", order=payment_order.public_id)
    context = {
        "order": payment_order,
        "name": mask_person_name(payment_order.account.customer.name),
    }
    return render(request, "portal/sandbox_pay.html", context)


@never_cache
@require_GET
def pay_done(request: HttpRequest, order: str) -> HttpResponse:
    payment_order = _order(order)
    paid = payment_order.status == OrderStatus.PAID
    context = {
        "order": payment_order,
        "paid": paid,
        "posting": not paid and order_awaiting_posting(payment_order),
    }
    return render(request, "portal/pay_done.html", context)

"""The kiosk and partner-agent API, mounted at /api/payments/devices/ (``api:payments-device-…``).

Only a payment device's own machine user may call it (``Authorization: Token <key>``, the
token issued in the admin); a revoked token is 401, a deactivated device and every other
user 403. The device's transaction id is the idempotency key of a payment: the first POST
answers 201 with the receipt, a repeat 200 with the same receipt, the id reused for another
account or amount 409 ``transaction_id_reused``.
"""

from decimal import Decimal

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import NotFound
from waterdesk.core.masking import mask_person_name
from waterdesk.core.money import MONEY_SUM_MAX_DIGITS
from waterdesk.customers.selectors import account_get_by_number
from waterdesk.payments.models import Payment
from waterdesk.payments.services.devices import (
    DEVICE_METHODS,
    device_amount_due,
    device_for_user,
    device_pay,
    device_payment_get,
    device_payment_limit,
)

TRANSACTION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"

_UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="`not_authenticated` (no token, or a revoked one)"
)
_FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="`not_permitted`: not a payment device, or a deactivated one"
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="`not_found`")


class IsActiveDevice(BasePermission):
    def has_permission(self, request, view) -> bool:
        device = device_for_user(request.user)
        if device is None or not device.is_active:
            return False
        request.device = device
        return True


def _sum_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=MONEY_SUM_MAX_DIGITS, decimal_places=2, **kwargs)


class OpenBillSerializer(serializers.Serializer):
    number = api_fields.CharField(help_text="The bill number, or the charge's description.")
    period = api_fields.CharField(help_text="`YYYY-MM` of the bill's period; empty otherwise.")
    due_date = serializers.DateField()
    unpaid = _sum_field()


class AmountDueSerializer(serializers.Serializer):
    account = api_fields.CharField()
    holder = api_fields.CharField(help_text="The account holder's name, masked.")
    amount_due = _sum_field()
    credit = _sum_field()
    open_bills = OpenBillSerializer(many=True)


class PaySerializer(serializers.Serializer):
    account = api_fields.CharField(max_length=20, help_text="The water account number.")
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=device_payment_limit(),
        help_text="Yuan, > 0 and at most the device limit.",
    )
    transaction_id = serializers.RegexField(
        TRANSACTION_ID_PATTERN,
        max_length=64,
        help_text="The device's own id of this payment: the idempotency key.",
    )
    method = serializers.ChoiceField(choices=list(DEVICE_METHODS))


class ReceiptSerializer(serializers.Serializer):
    receipt_number = api_fields.CharField(
        allow_null=True, help_text="The office's receipt number; null for a partner agent."
    )
    transaction_id = api_fields.CharField(source="external_id")
    account = api_fields.CharField(source="account.number")
    holder = serializers.SerializerMethodField()
    amount = _sum_field()
    method = api_fields.CharField()
    status = api_fields.CharField(help_text="`posted`, `voided` or `reversed`.")
    received_at = serializers.DateTimeField()
    business_date = serializers.DateField()
    office = serializers.SerializerMethodField()

    def get_holder(self, payment: Payment) -> str:
        return mask_person_name(payment.account.customer.name)

    def get_office(self, payment: Payment) -> str | None:
        return payment.office.name if payment.office_id else None


class _DeviceView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, IsActiveDevice]


class AmountDueView(_DeviceView):
    @extend_schema(
        operation_id="payments_device_amount_due",
        summary="An account's amount due",
        description="The unpaid bills and charges of the account today (payments settle the "
        "oldest first), their total, and the credit left when nothing is owed.",
        responses={
            200: AmountDueSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="`not_found`: no such account"),
        },
    )
    def get(self, request: Request, number: str) -> Response:
        account = account_get_by_number(number)
        due = device_amount_due(account=account, as_of=timezone.localdate())
        bills = [
            {
                "number": item.description,
                "period": f"{item.bill.period_end:%Y-%m}" if item.bill is not None else "",
                "due_date": item.due,
                "unpaid": item.unpaid,
            }
            for item in due.notice.items
        ]
        payload = {
            "account": account.number,
            "holder": mask_person_name(account.customer.name),
            "amount_due": due.notice.total_due,
            "credit": due.notice.credit,
            "open_bills": bills,
        }
        return Response(AmountDueSerializer(payload).data)


class PayView(_DeviceView):
    @extend_schema(
        operation_id="payments_device_pay",
        summary="Record a payment taken by the device",
        description="Posts the payment once per `transaction_id`: 201 the first time, 200 "
        "with the same receipt for a repeat.",
        request=PaySerializer,
        responses={
            201: ReceiptSerializer,
            200: ReceiptSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid_input` (see `fields`; an unknown `account` too), "
                "`invalid_amount`, `amount_too_large`, `amount_above_device_limit`.",
            ),
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`transaction_id_reused`: the id was used for another account "
                "or amount.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = PaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            account = account_get_by_number(values["account"])
        except NotFound as exc:
            raise serializers.ValidationError({"account": [_("户号不存在。")]}) from exc
        recorded = device_pay(
            device=request.device,
            account=account,
            amount=values["amount"],
            transaction_id=values["transaction_id"],
            method=values["method"],
        )
        payment = Payment.objects.select_related("account__customer", "office").get(
            pk=recorded.payment.pk
        )
        return Response(
            ReceiptSerializer(payment).data,
            status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK,
        )


class ReceiptView(_DeviceView):
    @extend_schema(
        operation_id="payments_device_receipt",
        summary="Reprint a receipt",
        description="The receipt of a payment this device recorded, by its transaction id.",
        responses={200: ReceiptSerializer, 401: _UNAUTHENTICATED, 403: _FORBIDDEN, 404: _NOT_FOUND},
    )
    def get(self, request: Request, transaction_id: str) -> Response:
        payment = device_payment_get(device=request.device, transaction_id=transaction_id)
        if payment is None:
            raise NotFound()
        return Response(ReceiptSerializer(payment).data)


urlpatterns = [
    path(
        "devices/account/<str:number>/due/",
        AmountDueView.as_view(),
        name="payments-device-amount-due",
    ),
    path("devices/pay/", PayView.as_view(), name="payments-device-pay"),
    path(
        "devices/receipts/<str:transaction_id>/",
        ReceiptView.as_view(),
        name="payments-device-receipt",
    ),
]

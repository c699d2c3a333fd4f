"""Self-service kiosks and partner agents (自助终端/代收点).

Each device calls the devices API as its own machine user (no password, no role) with its
own DRF token; ``device_create`` makes both and returns the token's key once. Revoking
deactivates the device and deletes its token (the next request is 401; a device switched
off in the admin while its token remains is 403).

A device's payment ends in ``payment_record`` keyed ``device:<code>`` / the device's
transaction id: a repeat returns the first payment's receipt, the same id with another
account or amount is refused (``transaction_id_reused``, 409). A kiosk at an office takes
that office's receipt numbers; a partner without an office gets none (its own slip).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from waterdesk.billing.selectors.bills import FeeNotice, account_fee_notice
from waterdesk.core.errors import DomainError, InvalidInput, NotPermitted
from waterdesk.customers.models import Account
from waterdesk.payments.models import Office, Payment, PaymentChannel, PaymentDevice
from waterdesk.payments.services.record import Recorded, payment_record

DEVICE_METHODS = ("cash", "card", "scan")


def device_payment_limit() -> Decimal:
    """The most a device may take in one payment (``WATERDESK_DEVICE_PAYMENT_LIMIT``)."""
    return Decimal(settings.WATERDESK_DEVICE_PAYMENT_LIMIT)


class TransactionIdReused(DomainError):
    code = "transaction_id_reused"
    http_status = 409


def device_source(device: PaymentDevice) -> str:
    return f"device:{device.code}"


def device_for_user(user) -> PaymentDevice | None:
    """The device this (machine) user is, or None."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return PaymentDevice.objects.select_related("office").get(user_id=user.pk)
    except PaymentDevice.DoesNotExist:
        return None


@transaction.atomic
def device_create(
    *, actor, code: str, name: str, kind: str, office: Office | None = None
) -> tuple[PaymentDevice, str]:
    """The device, its machine user and its token; the token's key is returned only here."""
    if actor is None or not actor.has_perm("payments.add_paymentdevice"):
        raise NotPermitted()
    user = get_user_model().objects.create_user(username=f"device-{code}", password=None)
    device = PaymentDevice.objects.create(code=code, name=name, kind=kind, office=office, user=user)
    token = Token.objects.create(user=user)
    return device, token.key


@transaction.atomic
def device_revoke(*, actor, device: PaymentDevice) -> PaymentDevice:
    if actor is None or not actor.has_perm("payments.change_paymentdevice"):
        raise NotPermitted()
    device = PaymentDevice.objects.select_for_update().get(pk=device.pk)
    device.is_active = False
    device.save(update_fields=["is_active"])
    Token.objects.filter(user_id=device.user_id).delete()
    return device


def device_token_issue(*, actor, device: PaymentDevice) -> str:
    """A new token for the device (the old one stops working); shown once."""
    if actor is None or not actor.has_perm("payments.change_paymentdevice"):
        raise NotPermitted()
    with transaction.atomic():
        Token.objects.filter(user_id=device.user_id).delete()
        return Token.objects.create(user_id=device.user_id).key


@dataclass(frozen=True)
class AmountDue:
    account: Account
    notice: FeeNotice


def device_amount_due(*, account: Account, as_of) -> AmountDue:
    return AmountDue(account=account, notice=account_fee_notice(account, as_of=as_of))


def device_pay(
    *, device: PaymentDevice, account: Account, amount, transaction_id: str, method: str
) -> Recorded:
    if not device.is_active:
        raise NotPermitted()
    if method not in DEVICE_METHODS:
        raise InvalidInput(_("支付方式不正确。"), code="invalid_method", field="method")
    value = Decimal(str(amount))
    limit = device_payment_limit()
    if value > limit:
        raise InvalidInput(
            _("单笔缴费不能超过 %(limit)s 元。") % {"limit": f"{limit:.2f}"},
            code="amount_above_device_limit",
            field="amount",
        )
    try:
        return payment_record(
            account=account,
            amount=value,
            channel=PaymentChannel.DEVICE,
            method=method,
            source=device_source(device),
            external_id=transaction_id,
            office=device.office,
        )
    except InvalidInput as error:
        if error.code == "transaction_id_reused":
            raise TransactionIdReused(
                _("该交易流水号已用于另一笔不同的缴费。"), field="transaction_id"
            ) from error
        raise


def device_payment_get(*, device: PaymentDevice, transaction_id: str) -> Payment | None:
    return (
        Payment.objects.select_related("account__customer", "office")
        .filter(source=device_source(device), external_id=transaction_id)
        .first()
    )

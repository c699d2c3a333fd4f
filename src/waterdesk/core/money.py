"""Money is ``Decimal`` in yuan with two places (fen); rounding happens once per line.

Every amount that enters the system (a form, a serializer, a service argument) passes
``money_validate``: a finite number with at most two places, not above
``settings.WATERDESK_MONEY_MAX_AMOUNT``. The bound keeps sums inside the columns: a money
column holds ``MONEY_MAX_DIGITS`` digits (< 10^12 yuan) and the setting may not exceed
``MONEY_MAX_AMOUNT_CEILING`` (< 10^9), so an account's balance reaches the column's limit
only after a thousand entries at the ceiling, a million at the default (1,000,000 yuan).
Sums are read with ``MONEY_SUM_MAX_DIGITS`` digits all the same (Python ``Decimal``), so
that even such a ledger is shown, not refused.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from waterdesk.core.errors import InvalidInput

MONEY_PLACES = Decimal("0.01")
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
MONEY_MAX_AMOUNT_CEILING = Decimal("999999999.99")
MONEY_SUM_MAX_DIGITS = 20


def to_money(value) -> Decimal:
    """Round a value to the fen, half up (the rule printed on Chinese utility bills)."""
    return Decimal(value).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def money_max_amount() -> Decimal:
    """The largest single amount (yuan) accepted anywhere: ``WATERDESK_MONEY_MAX_AMOUNT``."""
    limit = Decimal(settings.WATERDESK_MONEY_MAX_AMOUNT)
    if not limit.is_finite() or not Decimal("0.01") <= limit <= MONEY_MAX_AMOUNT_CEILING:
        raise ImproperlyConfigured(
            f"WATERDESK_MONEY_MAX_AMOUNT must lie in 0.01..{MONEY_MAX_AMOUNT_CEILING}"
        )
    return limit


def money_validate(value, *, field: str, allow_negative: bool = False) -> Decimal:
    """``value`` as an amount of yuan, or ``InvalidInput``: ``invalid_amount`` (not a finite
    number with at most two places, or negative where that is not allowed) or
    ``amount_too_large`` (its size is above ``money_max_amount()``)."""
    try:
        amount = (
            None if isinstance(value, bool) or value is None else Decimal(str(value).strip() or "x")
        )
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput(_("金额应为数字。"), code="invalid_amount", field=field)
    limit = money_max_amount()
    if abs(amount) > limit:
        raise InvalidInput(
            _("金额不能超过 %(limit)s 元。") % {"limit": f"{limit:,.2f}"},
            code="amount_too_large",
            field=field,
            details={"maximum": f"{limit:.2f}"},
        )
    if amount != amount.quantize(MONEY_PLACES):
        raise InvalidInput(_("金额最多保留两位小数。"), code="invalid_amount", field=field)
    if amount < 0 and not allow_negative:
        raise InvalidInput(_("金额不能为负数。"), code="invalid_amount", field=field)
    return amount.quantize(MONEY_PLACES)


class MoneyField(serializers.DecimalField):
    """A serializer's amount: ``money_validate`` with the field's name; its refusal is the
    domain error itself (``amount_too_large`` …), so clients see the stable code. The
    schema shows the bound as ``maximum`` (and ``minimum``)."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        limit = money_max_amount()
        kwargs.setdefault("max_value", limit)
        kwargs.setdefault("min_value", -limit if allow_negative else Decimal("0"))
        super().__init__(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)

    def to_internal_value(self, data):
        return money_validate(data, field=self.field_name, allow_negative=self.allow_negative)


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """In the OpenAPI schema an amount is a number with its bounds (a string such as
    ``"12.30"`` is accepted as well)."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        return {
            "type": "number",
            "format": "decimal",
            "minimum": float(field.min_value),
            "maximum": float(field.max_value),
        }


class MoneyFormField(forms.DecimalField):
    """A form's amount: ``money_validate``, its refusal shown on the field."""

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        limit = money_max_amount()
        kwargs.setdefault("max_value", limit)
        if not allow_negative:
            kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return money_validate(value, field=self.label, allow_negative=self.allow_negative)
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message), code=error.code) from error


def money_field(verbose_name, **kwargs):
    """A model field of money: ``MONEY_MAX_DIGITS`` digits, two of them decimal places."""
    from django.db import models

    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )

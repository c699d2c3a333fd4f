"""The invoice title of an account (发票抬头) and the tax items: edits with validation.

Tax ids are checked with ``python-stdnum``: an organisation's is its unified social credit
code (统一社会信用代码, ``stdnum.cn.uscc``, required); an individual may give a resident
ID number (``stdnum.cn.ric``) or nothing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.customers.models import Account
from waterdesk.invoicing.models import (
    TAX_CODE_VALIDATOR,
    InvoiceTitle,
    TaxItem,
    TaxTreatment,
    TitleKind,
)

ISSUE_PERMISSION = "invoicing.issue_invoice"
MANAGE_TAX_ITEMS_PERMISSION = "invoicing.manage_tax_items"


def tax_id_clean(*, kind: str, tax_id: str) -> str:
    """The tax id as stored (upper case, no spaces), or ``InvalidInput``."""
    value = "".join(str(tax_id or "").split()).upper()
    if kind == TitleKind.ORGANISATION:
        if not value:
            raise InvalidInput(
                _("单位抬头须填写统一社会信用代码（18位）。"),
                code="tax_id_required",
                field="tax_id",
            )
        if not uscc.is_valid(value):
            raise InvalidInput(
                _("统一社会信用代码校验不通过，请核对营业执照上的18位代码。"),
                code="invalid_tax_id",
                field="tax_id",
            )
    elif kind == TitleKind.INDIVIDUAL:
        if value and not ric.is_valid(value):
            raise InvalidInput(
                _("个人抬头的纳税人识别号应为有效的18位居民身份证号码，不确定时请留空。"),
                code="invalid_tax_id",
                field="tax_id",
            )
    else:
        raise InvalidInput(_("请选择抬头类型。"), code="invalid_title_kind", field="kind")
    return value


def _text(value, *, max_length: int) -> str:
    return str(value or "").strip()[:max_length]


@transaction.atomic
def invoice_title_save(
    *,
    actor,
    account: Account,
    kind: str,
    name: str,
    tax_id: str = "",
    address: str = "",
    phone: str = "",
    bank_name: str = "",
    bank_account: str = "",
    email: str = "",
    auto_issue: bool = True,
) -> InvoiceTitle:
    """Create or replace the account's invoice title (with history). Needs
    ``invoicing.issue_invoice``."""
    require_permission(actor, ISSUE_PERMISSION)
    clean_name = _text(name, max_length=200)
    if not clean_name:
        raise InvalidInput(_("请填写抬头名称。"), code="title_name_required", field="name")
    clean_tax_id = tax_id_clean(kind=kind, tax_id=tax_id)
    clean_email = _text(email, max_length=254)
    if clean_email:
        try:
            validate_email(clean_email)
        except ValidationError as error:
            raise InvalidInput(
                _("接收邮箱格式不正确。"), code="invalid_email", field="email"
            ) from error
    # The account's row lock orders concurrent first saves (one title per account).
    Account.objects.select_for_update().filter(pk=account.pk).first()
    title = InvoiceTitle.objects.filter(account=account).first() or InvoiceTitle(account=account)
    title.kind = kind
    title.name = clean_name
    title.tax_id = clean_tax_id
    title.address = _text(address, max_length=200)
    title.phone = _text(phone, max_length=30)
    title.bank_name = _text(bank_name, max_length=100)
    title.bank_account = _text(bank_account, max_length=40)
    title.email = clean_email
    title.auto_issue = bool(auto_issue)
    title.updated_at = timezone.now()
    title.updated_by = actor
    title.save()
    return title


@transaction.atomic
def tax_item_update(
    *,
    actor,
    tax_item: TaxItem,
    goods_name: str,
    tax_code: str,
    treatment: str,
    rate,
    simple_levy: bool = False,
    unit: str = "吨",
) -> TaxItem:
    """Change how a component is invoiced (with history). Needs
    ``invoicing.manage_tax_items``. An untaxed treatment has rate 0."""
    require_permission(actor, MANAGE_TAX_ITEMS_PERMISSION)
    name = _text(goods_name, max_length=100)
    if not name:
        raise InvalidInput(_("请填写项目名称。"), code="goods_name_required", field="goods_name")
    code = _text(tax_code, max_length=19)
    try:
        TAX_CODE_VALIDATOR(code)
    except ValidationError as error:
        raise InvalidInput(
            _("税收分类编码应为19位数字。"), code="invalid_tax_code", field="tax_code"
        ) from error
    if treatment not in TaxTreatment.values:
        raise InvalidInput(_("请选择税收处理方式。"), code="invalid_treatment", field="treatment")
    try:
        value = Decimal(str(rate))
    except (InvalidOperation, ValueError) as error:
        raise InvalidInput(
            _("税率应为数字，如 0.03。"), code="invalid_rate", field="rate"
        ) from error
    if (
        not value.is_finite()
        or not Decimal("0") <= value < Decimal("1")
        or value != value.quantize(Decimal("0.0001"))
    ):
        raise InvalidInput(
            _("税率应在 0 到 1 之间且最多4位小数，如 0.03。"), code="invalid_rate", field="rate"
        )
    if treatment != TaxTreatment.TAXABLE and value != 0:
        raise InvalidInput(
            _("免税和不征税项目的税率应为 0。"), code="untaxed_rate_not_zero", field="rate"
        )
    tax_item = TaxItem.objects.select_for_update().get(pk=tax_item.pk)
    tax_item.goods_name = name
    tax_item.tax_code = code
    tax_item.treatment = treatment
    tax_item.rate = value
    tax_item.simple_levy = bool(simple_levy) and treatment == TaxTreatment.TAXABLE
    tax_item.unit = _text(unit, max_length=10) or "吨"
    tax_item.save()
    return tax_item

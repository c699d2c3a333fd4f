"""E-invoices (数电发票): the tax items of each billing component, the invoice title kept on
an account, the invoices with their lines, bills, events and delivery, and the sandbox
platform's own table.

Invoices are never deleted. A blue (normal) invoice goes requested → issued, or requested →
failed (with the reason and the attempts) → requested again (retried) → issued; an issued
one is reversed by a red-letter invoice (红字发票) that points at it; one never issued whose
reason went away (its payment cancelled) is cancelled. A bill is on at most one live
invoice (requested, failed awaiting retry, issued) and a payment has at most one: both are
unique constraints."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.billing.models import ComponentKind
from waterdesk.core.money import money_field

TAX_CODE_VALIDATOR = RegexValidator(r"^\d{19}$", _("税收分类编码应为19位数字。"))


class TaxTreatment(models.TextChoices):
    TAXABLE = "taxable", _("应税")
    EXEMPT = "exempt", _("免税")
    NOT_TAXABLE = "not_taxable", _("不征税")


class TaxItem(models.Model):
    """How the bill lines of one component are printed on an invoice: the goods or service
    name, the tax classification code (税收分类编码), the treatment and the rate. Edited by
    the finance office (admin, or the tax items page), with history."""

    component_kind = models.CharField(
        _("费用构成"), max_length=20, choices=ComponentKind.choices, unique=True
    )
    goods_name = models.CharField(_("货物或应税劳务、服务名称"), max_length=100)
    tax_code = models.CharField(_("税收分类编码"), max_length=19, validators=[TAX_CODE_VALIDATOR])
    treatment = models.CharField(_("税收处理"), max_length=20, choices=TaxTreatment.choices)
    rate = models.DecimalField(
        _("税率/征收率"),
        max_digits=5,
        decimal_places=4,
        help_text=_("如 0.03 表示 3%；免税、不征税填 0。"),
    )
    simple_levy = models.BooleanField(_("简易计税"), default=False)
    unit = models.CharField(_("单位"), max_length=10, default="吨")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发票税目")
        verbose_name_plural = _("发票税目")
        ordering = ["component_kind"]
        permissions = [("manage_tax_items", _("可维护发票税目"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=1), name="taxitem_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(treatment="taxable") | Q(rate=0), name="taxitem_untaxed_rate_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_component_kind_display()} {self.goods_name}"


class TitleKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    ORGANISATION = "organisation", _("单位")


class InvoiceTitle(models.Model):
    """The buyer printed on an account's invoices (发票抬头). Without one, invoices go to the
    customer's name as an individual."""

    account = models.OneToOneField(
        "customers.Account", on_delete=models.PROTECT, related_name="invoice_title"
    )
    kind = models.CharField(_("抬头类型"), max_length=20, choices=TitleKind.choices)
    name = models.CharField(_("抬头名称"), max_length=200)
    tax_id = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)
    email = models.EmailField(_("接收邮箱"), blank=True)
    auto_issue = models.BooleanField(_("缴费后自动开票"), default=True)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发票抬头")
        verbose_name_plural = _("发票抬头")

    def __str__(self) -> str:
        return self.name


class InvoiceKind(models.TextChoices):
    BLUE = "blue", _("蓝字发票")
    RED = "red", _("红字发票")


class InvoiceState(models.TextChoices):
    REQUESTED = "requested", _("待开具")
    ISSUED = "issued", _("已开具")
    FAILED = "failed", _("开具失败")
    REVERSED = "reversed", _("已冲红")
    CANCELLED = "cancelled", _("已取消")


# The states in which an invoice holds its bills and its payment.
LIVE_STATES = (InvoiceState.REQUESTED, InvoiceState.FAILED, InvoiceState.ISSUED)


class InvoiceOrigin(models.TextChoices):
    PAYMENT = "payment", _("缴费后自动")
    MANUAL = "manual", _("人工开具")
    REVERSAL = "reversal", _("冲红")


class Invoice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("内部编号"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=InvoiceKind.choices)
    origin = models.CharField(_("来源"), max_length=10, choices=InvoiceOrigin.choices)
    state = models.CharField(
        _("状态"), max_length=12, choices=InvoiceState.choices, default=InvoiceState.REQUESTED
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="invoices"
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("缴费"),
    )
    # A red-letter invoice: the blue one it reverses (at most one red per blue).
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # What the platform dedupes on: a retry after a timeout sends the same id.
    request_id = models.UUIDField(default=uuid.uuid4, unique=True)
    platform_number = models.CharField(_("发票号码"), max_length=40, blank=True)
    issued_at = models.DateTimeField(_("开票时间"), null=True, blank=True)
    pdf_url = models.CharField(_("PDF 链接"), max_length=500, blank=True)
    ofd_url = models.CharField(_("OFD 链接"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    failure_reason = models.CharField(_("失败原因"), max_length=300, blank=True)
    failure_is_permanent = models.BooleanField(_("需人工处理"), default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    reverse_reason = models.CharField(_("冲红原因"), max_length=200, blank=True)
    seller_name = models.CharField(_("销售方名称"), max_length=200)
    seller_tax_id = models.CharField(_("销售方纳税人识别号"), max_length=20)
    buyer_kind = models.CharField(_("购买方类型"), max_length=20, choices=TitleKind.choices)
    buyer_name = models.CharField(_("购买方名称"), max_length=200)
    buyer_tax_id = models.CharField(_("购买方纳税人识别号"), max_length=20, blank=True)
    buyer_address_phone = models.CharField(_("购买方地址电话"), max_length=250, blank=True)
    buyer_bank = models.CharField(_("购买方开户行及账号"), max_length=150, blank=True)
    buyer_email = models.EmailField(_("接收邮箱"), blank=True)
    amount_with_tax = money_field(_("价税合计"))
    tax_amount = money_field(_("税额"))
    amount_without_tax = money_field(_("不含税金额"))
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("电子发票")
        verbose_name_plural = _("电子发票")
        ordering = ["-requested_at", "-pk"]
        permissions = [
            ("issue_invoice", _("可开具发票")),
            ("reverse_invoice", _("可冲红发票")),
            ("view_finance_reports", _("可查看财务报表")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="blue", state__in=["requested", "failed", "issued"]),
                name="invoice_one_live_per_payment",
            ),
            models.CheckConstraint(
                condition=Q(kind="blue", reverses__isnull=True)
                | Q(kind="red", reverses__isnull=False),
                name="invoice_red_reverses_blue",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="invoice_state_retry_idx"),
            models.Index(fields=["account", "requested_at"], name="invoice_account_idx"),
            models.Index(fields=["issued_at"], name="invoice_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.platform_number or self.number

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def can_retry(self) -> bool:
        return self.state == InvoiceState.FAILED

    def can_reverse(self) -> bool:
        return self.kind == InvoiceKind.BLUE and self.state == InvoiceState.ISSUED


class InvoiceLine(models.Model):
    """One tax item of an invoice: the bill lines of one component summed (red: negated)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    component_kind = models.CharField(_("费用构成"), max_length=20, choices=ComponentKind.choices)
    goods_name = models.CharField(_("项目名称"), max_length=100)
    tax_code = models.CharField(_("税收分类编码"), max_length=19)
    treatment = models.CharField(_("税收处理"), max_length=20, choices=TaxTreatment.choices)
    rate = models.DecimalField(_("税率/征收率"), max_digits=5, decimal_places=4)
    simple_levy = models.BooleanField(_("简易计税"), default=False)
    unit = models.CharField(_("单位"), max_length=10)
    quantity = models.DecimalField(_("数量"), max_digits=14, decimal_places=2)
    amount_with_tax = money_field(_("含税金额"))
    tax_amount = money_field(_("税额"))
    amount_without_tax = money_field(_("不含税金额"))

    class Meta:
        verbose_name = _("发票明细")
        verbose_name_plural = _("发票明细")
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return f"{self.goods_name} {self.amount_with_tax}"


class InvoiceBill(models.Model):
    """A bill an invoice covers. ``is_live`` follows the invoice (cleared when it is
    reversed or cancelled), so that a bill is on one live invoice at most."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="bill_links")
    bill = models.ForeignKey("billing.Bill", on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("金额（元）"))
    is_live = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("发票所含账单")
        verbose_name_plural = _("发票所含账单")
        ordering = ["invoice", "bill__period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=Q(is_live=True), name="invoicebill_one_live_per_bill"
            ),
            models.UniqueConstraint(fields=["invoice", "bill"], name="invoicebill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}:{self.bill_id}"


class InvoiceEvent(models.Model):
    """What happened to an invoice, in order (append-only): its state history."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("事件"), max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    LABELS = {
        "requested": _("申请开票"),
        "issued": _("开具成功"),
        "failed": _("开具失败"),
        "retried": _("重试"),
        "reversed": _("冲红"),
        "red_issued": _("红字发票已开具"),
        "cancelled": _("取消"),
    }

    class Meta:
        verbose_name = _("发票事件")
        verbose_name_plural = _("发票事件")
        ordering = ["invoice", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.action}"

    @property
    def label(self) -> str:
        return str(self.LABELS.get(self.action, self.action))

    @property
    def to_state_label(self) -> str:
        return str(InvoiceState(self.to_state).label) if self.to_state else ""


class InvoiceDelivery(models.Model):
    """The invoice's link sent to the customer: once per invoice."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="delivery")
    queued_at = models.DateTimeField(_("发送时间"))
    channels = models.JSONField(_("渠道"), default=list)

    class Meta:
        verbose_name = _("发票交付")
        verbose_name_plural = _("发票交付")

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.queued_at:%Y-%m-%d %H:%M}"


class SandboxInvoice(models.Model):
    """The sandbox tax platform's own record of what it issued (not ours: the adapter's).
    ``request_id`` is what it dedupes on; ``token`` the opaque id of its PDF link."""

    request_id = models.UUIDField(unique=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True)
    is_red = models.BooleanField(default=False)
    original_number = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("沙箱平台发票")
        verbose_name_plural = _("沙箱平台发票")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.number

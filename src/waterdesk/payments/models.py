"""Payments: who paid what, where and how, each recorded exactly once.

A ``Payment`` is money received for one account through one channel; it is unique by its
``(source, external_id)`` — the gateway's transaction id, the bank file's line, the kiosk's
transaction id, the counter form's token — so that no retry, double click or repeated
file posts it twice. Its ledger entries (``billing.LedgerEntry``, kind payment) are written
by ``billing.services.ledger``; a payment is never deleted or changed in amount: a void or
a reversal is a new ledger entry, approved by a second person.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.core.money import money_field


class Office(models.Model):
    """A place where money is taken (营业网点): a service hall's counters, its kiosks. Each
    office numbers its receipts in its own gap-free sequence."""

    code = models.SlugField(
        _("编码"),
        max_length=16,
        unique=True,
        help_text=_("收据号前缀，如 HQ；只用字母和数字。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("营业网点")
        verbose_name_plural = _("营业网点")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CashierPost(models.Model):
    """The office a cashier takes money at (one at a time)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cashier_post",
        verbose_name=_("收费员"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="cashiers", verbose_name=_("营业网点")
    )

    class Meta:
        verbose_name = _("收费员岗位")
        verbose_name_plural = _("收费员岗位")

    def __str__(self) -> str:
        return f"{self.user} @ {self.office}"


class ReceiptSequence(models.Model):
    """The last receipt number an office gave in a year. Taken under a row lock inside the
    payment's transaction: a rolled-back payment gives its number back, so there are no gaps."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="receiptseq_unique_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office.code} {self.year}: {self.last_value}"


class PaymentChannel(models.TextChoices):
    COUNTER = "counter", _("营业厅")
    ONLINE = "online", _("线上支付")
    BANK = "bank", _("银行代扣")
    DEVICE = "device", _("自助终端/代收点")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("现金")
    CARD = "card", _("银行卡")
    SCAN = "scan", _("扫码支付")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    SANDBOX = "sandbox", _("在线支付（沙箱）")
    BANK_DEBIT = "bank_debit", _("银行代扣")


class PaymentStatus(models.TextChoices):
    POSTED = "posted", _("已入账")
    VOIDED = "voided", _("已作废")
    REVERSED = "reversed", _("已冲正")


class Payment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="payments"
    )
    amount = money_field(_("金额（元）"))
    channel = models.CharField(_("渠道"), max_length=10, choices=PaymentChannel.choices)
    method = models.CharField(_("支付方式"), max_length=12, choices=PaymentMethod.choices)
    # Who reported it and under which id: "counter", "wechat", "alipay", "sandbox",
    # "bank:<bank code>", "device:<device code>"; the pair is recorded once.
    source = models.CharField(_("来源"), max_length=40)
    external_id = models.CharField(_("外部流水号"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.POSTED
    )
    # The bills the payer chose, settled first; none: the oldest debts first.
    bills = models.ManyToManyField(
        "billing.Bill", blank=True, related_name="+", verbose_name=_("所选账单")
    )
    entries = models.ManyToManyField(
        "billing.LedgerEntry", blank=True, related_name="+", verbose_name=_("账户流水")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("收费员/经办人"),
    )
    receipt_number = models.CharField(
        _("收据号"), max_length=32, null=True, blank=True, unique=True
    )
    received_at = models.DateTimeField(_("收款时间"))
    business_date = models.DateField(_("营业日"), db_index=True)
    tendered = money_field(_("实收现金"), null=True, blank=True)
    change = money_field(_("找零"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缴费")
        verbose_name_plural = _("缴费")
        ordering = ["-received_at", "-pk"]
        permissions = [
            ("take_payment", _("可在柜台收费")),
            ("approve_correction", _("可审批作废、冲正和退款")),
            ("sign_off_close", _("可签核收费员日结")),
            ("view_cash_report", _("可查看收费报表")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="payment_unique_source_external_id"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "received_at"], name="payment_account_idx"),
            models.Index(fields=["cashier", "business_date"], name="payment_cashier_day_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"{self.source}:{self.external_id}"


class CorrectionKind(models.TextChoices):
    VOID = "void", _("当日作废")
    REVERSAL = "reversal", _("冲正")


class CorrectionStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class PaymentCorrection(models.Model):
    """A request to cancel a payment — a same-day void at the counter or a later reversal
    (a bank's chargeback, a payment on the wrong account) — and its decision by a second
    person. Approval writes the reversing ledger entries; nothing is deleted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="corrections")
    kind = models.CharField(_("类型"), max_length=10, choices=CorrectionKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.REQUESTED,
    )
    reason = models.CharField(_("原因"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("作废/冲正")
        verbose_name_plural = _("作废/冲正")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # At most one open or approved correction per payment.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["requested", "approved"]),
                name="paymentcorrection_one_live_per_payment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.payment}"


class CloseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待签核")
    SIGNED_OFF = "signed_off", _("已签核")


class DailyClose(models.Model):
    """A cashier's daily close (日结): what the system recorded per payment method against
    the cash counted in the drawer, the difference explained, and a supervisor's sign-off.
    Once a day is closed the cashier takes no more money and voids nothing on it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="closes")
    business_date = models.DateField(_("营业日"))
    status = models.CharField(
        _("状态"), max_length=12, choices=CloseStatus.choices, default=CloseStatus.SUBMITTED
    )
    # {"cash": {"count": 3, "amount": "120.00"}, "card": …}: payments still posted on the day
    # by method; voided ones are counted apart.
    totals = models.JSONField(_("分方式合计"), default=dict)
    payments_count = models.PositiveIntegerField(_("笔数"), default=0)
    voided_count = models.PositiveIntegerField(_("作废笔数"), default=0)
    expected_cash = money_field(_("应有现金"))
    counted_cash = money_field(_("实点现金"))
    difference = money_field(_("长短款"))  # counted − expected: > 0 over, < 0 short
    note = models.CharField(_("差异说明"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("签核时间"), null=True, blank=True)
    sign_off_note = models.CharField(_("签核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("收费日结")
        verbose_name_plural = _("收费日结")
        ordering = ["-business_date", "cashier"]
        constraints = [
            models.UniqueConstraint(
                fields=["cashier", "business_date"], name="dailyclose_unique_cashier_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cashier} {self.business_date}"


# --- bank ---


class MandateStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("暂停")
    CANCELLED = "cancelled", _("已撤销")


class BankMandate(models.Model):
    """A customer's direct-debit mandate (银行代扣协议): the bank may debit this bank account
    for the water account's bills. At most one active mandate per water account. The bank
    account number is shown masked everywhere except in the debit file sent to the bank."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        related_name="bank_mandates",
        verbose_name=_("户号"),
    )
    bank_code = models.CharField(_("银行"), max_length=10)
    bank_account_number = models.CharField(_("银行账号"), max_length=30)
    holder_name = models.CharField(_("账户名"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=10, choices=MandateStatus.choices, default=MandateStatus.ACTIVE
    )
    signed_on = models.DateField(_("签约日期"))
    cancelled_on = models.DateField(_("撤销日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("银行代扣协议")
        verbose_name_plural = _("银行代扣协议")
        ordering = ["account__number", "-signed_on", "-pk"]
        permissions = [("manage_bank_debit", _("可管理银行代扣（协议、扣款文件、回盘）"))]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="active"),
                name="bankmandate_one_active_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.bank_code}"


class DebitBatchStatus(models.TextChoices):
    CREATED = "created", _("待回盘")
    RESULT_IMPORTED = "result_imported", _("已回盘")


class DebitBatch(models.Model):
    """One debit file sent to one bank: the lines to debit, the exact file content, and,
    once the bank answers, its result import."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bank_code = models.CharField(_("银行"), max_length=10)
    reference = models.CharField(_("批次号"), max_length=40, unique=True)
    due_up_to = models.DateField(_("扣款截止日"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    line_count = models.PositiveIntegerField(_("笔数"), default=0)
    total = money_field(_("合计（元）"), default=0)
    file_name = models.CharField(_("文件名"), max_length=100)
    content = models.BinaryField(_("文件内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=DebitBatchStatus.choices, default=DebitBatchStatus.CREATED
    )

    class Meta:
        verbose_name = _("代扣批次")
        verbose_name_plural = _("代扣批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


class DebitLineStatus(models.TextChoices):
    PENDING = "pending", _("待回盘")
    PAID = "paid", _("扣款成功")
    FAILED = "failed", _("扣款失败")
    UNKNOWN_ACCOUNT = "unknown_account", _("账户不存在")


class DebitLine(models.Model):
    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField(_("序号"))
    mandate = models.ForeignKey(BankMandate, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("金额（元）"))
    bill_numbers = models.CharField(_("账单号"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DebitLineStatus.choices, default=DebitLineStatus.PENDING
    )
    reason_code = models.CharField(_("银行返回码"), max_length=10, blank=True)
    reason_text = models.CharField(_("银行返回说明"), max_length=100, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("代扣明细")
        verbose_name_plural = _("代扣明细")
        ordering = ["batch", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="debitline_unique_line_no")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line_no}"


class BankResultImport(models.Model):
    """One result file (回盘文件) of a batch as imported: counts and a line-by-line report
    (``[{"line": 3, "outcome": "paid" | "already_posted" | "failed" | "unknown_account" |
    "error", "detail": …}]``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"))
    lines = models.PositiveIntegerField(_("行数"), default=0)
    posted = models.PositiveIntegerField(_("入账"), default=0)
    already_posted = models.PositiveIntegerField(_("已入账（重复）"), default=0)
    failed = models.PositiveIntegerField(_("银行扣款失败"), default=0)
    errors = models.PositiveIntegerField(_("错误行"), default=0)
    report = models.JSONField(_("逐行报告"), default=list)

    class Meta:
        verbose_name = _("回盘导入")
        verbose_name_plural = _("回盘导入")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


# --- devices ---


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", _("自助终端")
    PARTNER = "partner", _("代收点")


class PaymentDevice(models.Model):
    """A self-service kiosk or a partner agent (代收点): it calls the devices API as its
    own machine user with its own token. Revoking deactivates it and deletes the token."""

    code = models.SlugField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=DeviceKind.choices)
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("营业网点"),
        help_text=_("自助终端的收据使用该网点的收据号。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_device",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("自助终端/代收点")
        verbose_name_plural = _("自助终端/代收点")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- notices ---


class PaymentNoticePolicy(models.Model):
    """Admin-editable rules of the payment notices (缴费提醒) before a bill's due date (one
    row; without it the defaults apply)."""

    enabled = models.BooleanField(_("发送缴费提醒"), default=True)
    days_before_due = models.PositiveSmallIntegerField(
        _("提前天数"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("在账单缴费截止日前多少天提醒仍未缴清的客户。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("缴费提醒规则")
        verbose_name_plural = _("缴费提醒规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "PaymentNoticePolicy":
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls()


class RefundMethod(models.TextChoices):
    CASH = "cash", _("现金")
    BANK_TRANSFER = "bank_transfer", _("银行转账")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class Refund(models.Model):
    """Paying back an account's credit (退款): asked for by the billing office, decided by a
    supervisor (never the one who asked). Approval posts a debit adjustment that takes up
    the credit; nothing is deleted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="refunds"
    )
    amount = money_field(_("退款金额（元）"))
    reason = models.CharField(_("退款原因"), max_length=200)
    method = models.CharField(_("退款方式"), max_length=16, choices=RefundMethod.choices)
    payee_bank_account = models.CharField(_("收款银行账户"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    entry = models.OneToOneField(
        "billing.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("账户流水"),
    )

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="refund_status_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"


# --- gateways ---


class OrderStatus(models.TextChoices):
    OPEN = "open", _("待支付")
    PAID = "paid", _("已支付")
    CLOSED = "closed", _("已关闭")


class PaymentOrder(models.Model):
    """An online payment order (支付订单): what we asked a gateway to collect for an account —
    its amount due, or chosen bills — under our ``out_trade_no``. Paid once, by the
    gateway's notification; the payment it produced is linked."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, unique=True)
    gateway = models.CharField(_("支付渠道"), max_length=16)
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="payment_orders"
    )
    amount = money_field(_("金额（元）"))
    bills = models.ManyToManyField(
        "billing.Bill", blank=True, related_name="+", verbose_name=_("所选账单")
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )

    class Meta:
        verbose_name = _("支付订单")
        verbose_name_plural = _("支付订单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentorder_amount_positive")
        ]

    def __str__(self) -> str:
        return self.out_trade_no


class NotificationOutcome(models.TextChoices):
    RECEIVED = "received", _("已接收，待入账")
    POSTED = "posted", _("已入账")
    DUPLICATE = "duplicate", _("重复通知")
    BAD_SIGNATURE = "bad_signature", _("验签失败")
    AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
    UNKNOWN_ORDER = "unknown_order", _("订单不存在")
    MALFORMED = "malformed", _("格式错误")
    NOT_SUCCESS = "not_success", _("非成功状态")
    REFUSED = "refused", _("入账被拒")


class GatewayNotification(models.Model):
    """Every callback a gateway made, whatever came of it (the audit of money coming in).

    A verified notification of a payment that matches its order is accepted as ``received``
    and posted by ``payments.services.gateways.gateway_notifications_post``, which sets its
    outcome (posted, duplicate or refused) and payment."""

    gateway = models.CharField(_("支付渠道"), max_length=16)
    outcome = models.CharField(_("处理结果"), max_length=16, choices=NotificationOutcome.choices)
    out_trade_no = models.CharField(_("商户订单号"), max_length=64, blank=True)
    transaction_id = models.CharField(_("渠道流水号"), max_length=64, blank=True)
    amount = money_field(_("金额（元）"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)  # the gateway's
    order = models.ForeignKey(
        PaymentOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    remote_addr = models.CharField(_("来源地址"), max_length=45, blank=True)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        ordering = ["-received_at", "-pk"]
        indexes = [
            # What is waiting to be posted, in order, however long the log grows.
            models.Index(
                fields=["id"],
                condition=models.Q(outcome="received"),
                name="payments_notification_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.outcome} {self.transaction_id}"


class ExceptionKind(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("支付金额与订单不符")
    UNKNOWN_ORDER = "unknown_order", _("通知的订单不存在")
    REFUSED = "refused", _("支付入账被拒")
    MISSING_HERE = "missing_here", _("渠道有、我方无")
    MISSING_THERE = "missing_there", _("我方有、渠道无")
    AMOUNT_DIFFERS = "amount_differs", _("对账金额不符")


class PaymentException(models.Model):
    """Money the system could not settle by itself, flagged for the cash office (收费异常)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=ExceptionKind.choices)
    source = models.CharField(_("来源"), max_length=40)  # the gateway's code
    reference = models.CharField(_("流水号/订单号"), max_length=140)
    amount = money_field(_("金额（元）"), null=True, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("发现时间"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution_note = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("收费异常")
        verbose_name_plural = _("收费异常")
        ordering = ["-created_at", "-pk"]
        permissions = [("resolve_paymentexception", _("可处理收费异常"))]
        indexes = [models.Index(fields=["resolved_at"], name="paymentexception_open_idx")]
        constraints = [
            # One open exception per matter: a gateway's retries, even concurrent ones, add none.
            models.UniqueConstraint(
                fields=["kind", "source", "reference"],
                condition=Q(resolved_at__isnull=True),
                name="paymentexception_one_open_per_matter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class StatementImport(models.Model):
    """A gateway's daily statement, imported once per file (by its SHA-256) and reconciled
    against the payments recorded from that gateway on that day."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    gateway = models.CharField(_("支付渠道"), max_length=16)
    statement_date = models.DateField(_("对账日期"))
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, unique=True)
    lines = models.PositiveIntegerField(_("对账单笔数"), default=0)
    matched = models.PositiveIntegerField(_("核对一致"), default=0)
    missing_here = models.PositiveIntegerField(_("我方缺少"), default=0)
    missing_there = models.PositiveIntegerField(_("渠道缺少"), default=0)
    amount_differs = models.PositiveIntegerField(_("金额不符"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"))

    class Meta:
        verbose_name = _("渠道对账")
        verbose_name_plural = _("渠道对账")
        ordering = ["-statement_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.statement_date}"


class DiscrepancyKind(models.TextChoices):
    MISSING_HERE = "missing_here", _("渠道有、我方无")
    MISSING_THERE = "missing_there", _("我方有、渠道无")
    AMOUNT_DIFFERS = "amount_differs", _("金额不符")


class StatementDiscrepancy(models.Model):
    """One difference a reconciliation found."""

    statement = models.ForeignKey(
        StatementImport, on_delete=models.CASCADE, related_name="discrepancies"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DiscrepancyKind.choices)
    transaction_id = models.CharField(_("渠道流水号"), max_length=64)
    out_trade_no = models.CharField(_("商户订单号"), max_length=64, blank=True)
    gateway_amount = money_field(_("渠道金额"), null=True, blank=True)
    our_amount = money_field(_("我方金额"), null=True, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line_number = models.PositiveIntegerField(_("行号"), null=True, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["kind", "transaction_id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.transaction_id}"

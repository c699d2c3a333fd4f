"""Billing: tariffs, meter reads, bill runs, bills and the account ledger.

Money is ``Decimal`` in yuan with two places; unit prices have four. Volumes are m³ with
two places. Rounding to the fen happens once per bill line (``core.money.to_money``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from waterdesk.customers.models import UsageCategory

VOLUME_MAX_DIGITS = 12
VOLUME_DECIMAL_PLACES = 2
PRICE_MAX_DIGITS = 10
PRICE_DECIMAL_PLACES = 4


def _money_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def _volume_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=VOLUME_MAX_DIGITS, decimal_places=VOLUME_DECIMAL_PLACES, **kwargs
    )


# --- tariffs ------------------------------------------------------------------------------


# Why an account got no bill (the run page shows them; stable codes).
SKIP_NEEDS_REVIEW = "read_needs_review"
SKIP_NO_READ = "no_validated_read"
SKIP_NOT_PRICED = "not_priced"

SKIP_LABELS = {
    SKIP_NEEDS_REVIEW: _("本期抄表待复核"),
    SKIP_NO_READ: _("本期无已审核的抄表数据"),
    SKIP_NOT_PRICED: _("无法计价（请检查水价设置）"),
}


class TierBasis(models.TextChoices):
    ANNUAL = "annual", _("年度阶梯")
    MONTHLY = "monthly", _("月度阶梯")
    NONE = "none", _("不分阶梯")


class Tariff(models.Model):
    """A price list for one usage category; its prices live in dated versions."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    usage_category = models.CharField(_("用水性质"), max_length=20, choices=UsageCategory.choices)
    is_default = models.BooleanField(
        _("该用水性质的默认价格"),
        default=False,
        help_text=_("未单独指定价格的账户按其用水性质的默认价格计费。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水价")
        verbose_name_plural = _("水价")
        ordering = ["usage_category", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["usage_category"],
                condition=models.Q(is_default=True),
                name="tariff_one_default_per_category",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TariffVersion(models.Model):
    """The prices of a tariff from ``effective_from`` until the next version starts."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField(_("生效日期"))
    tier_basis = models.CharField(_("阶梯计量周期"), max_length=10, choices=TierBasis.choices)
    household_base_size = models.PositiveSmallIntegerField(
        _("基准户人口"),
        default=4,
        help_text=_("阶梯水量按此人口核定；超出的每人按各阶梯的“每增一人增加水量”调整。"),
    )
    large_household_size = models.PositiveSmallIntegerField(
        _("多人口户起点"),
        null=True,
        blank=True,
        help_text=_("人口达到此数的家庭，各阶梯加上“多人口户增加水量”。留空表示不适用。"),
    )
    note = models.CharField(_("依据/说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水价版本")
        verbose_name_plural = _("水价版本")
        ordering = ["tariff", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "effective_from"], name="tariffversion_unique_tariff_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} {self.effective_from}"


class TariffTier(models.Model):
    """Tier ``index`` (1, 2, 3 …) covers volume up to ``upper_bound`` m³ per tier period
    (year or month), the last tier has no upper bound. Household-size adjustments raise
    the bound."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="tiers")
    index = models.PositiveSmallIntegerField(_("阶梯"))
    upper_bound = _volume_field(_("阶梯上限（m³）"), null=True, blank=True)
    extra_per_person = _volume_field(_("每增一人增加水量（m³）"), default=0)
    extra_for_large_household = _volume_field(_("多人口户增加水量（m³）"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("阶梯")
        verbose_name_plural = _("阶梯")
        ordering = ["version", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "index"], name="tarifftier_unique_version_index"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.index}"


class ComponentKind(models.TextChoices):
    WATER_SUPPLY = "water_supply", _("供水价格")
    SEWAGE = "sewage", _("污水处理费")
    WATER_RESOURCE = "water_resource", _("水资源费（税）")
    GARBAGE = "garbage", _("垃圾处理费")
    OTHER = "other", _("其他附加费")


class TariffComponent(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(_("费用构成"), max_length=20, choices=ComponentKind.choices)
    name = models.CharField(_("名称"), max_length=50)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("费用构成")
        verbose_name_plural = _("费用构成")
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="tariffcomponent_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TariffRate(models.Model):
    """The price per m³ of a component in tier ``tier_index``; ``tier_index`` empty means the
    same price for every tier (a flat component, billed as one line)."""

    component = models.ForeignKey(TariffComponent, on_delete=models.CASCADE, related_name="rates")
    tier_index = models.PositiveSmallIntegerField(_("阶梯"), null=True, blank=True)
    price = models.DecimalField(
        _("单价（元/m³）"), max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单价")
        verbose_name_plural = _("单价")
        ordering = ["component", "tier_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "tier_index"], name="tariffrate_unique_component_tier"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="tariffrate_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.tier_index or '*'}: {self.price}"


class AccountTariff(models.Model):
    """An account billed on a tariff other than its category's default, from a date on
    (special industries, a usage change). The latest row on or before a day applies."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="tariffs"
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField(_("生效日期"))
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("账户水价")
        verbose_name_plural = _("账户水价")
        ordering = ["account", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "effective_from"], name="accounttariff_unique_account_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.tariff} {self.effective_from}"


# --- meter reading ------------------------------------------------------------------------


class ReadingCycle(models.Model):
    """A billing period (账期), e.g. 2026-03: reads taken in its window are billed for it."""

    code = models.CharField(_("账期"), max_length=20, unique=True)
    period_start = models.DateField(_("计费起始日"))
    period_end = models.DateField(_("计费截止日"))
    read_from = models.DateField(_("抄表开始日"))
    read_to = models.DateField(_("抄表截止日"))
    due_days = models.PositiveSmallIntegerField(_("缴费期限（天）"), default=20)
    is_closed = models.BooleanField(_("已关账"), default=False)

    class Meta:
        verbose_name = _("抄表账期")
        verbose_name_plural = _("抄表账期")
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="readingcycle_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ReadKind(models.TextChoices):
    ACTUAL = "actual", _("实抄")
    ESTIMATED = "estimated", _("估抄")
    INITIAL = "initial", _("新表起度")
    FINAL = "final", _("旧表止度")
    TRANSFER = "transfer", _("过户抄表")
    CHANGE = "change", _("变更抄表")
    # Derived by the system, not read off a register (``metering``): a share of a shared or
    # master meter's volume, or the fixed volume of a flat-fee account.
    ALLOCATED = "allocated", _("分摊水量")
    FLAT = "flat", _("包费核定")


class ReadSource(models.TextChoices):
    MANUAL = "manual", _("手工录入")
    HANDHELD = "handheld", _("抄表机")
    AMR = "amr", _("远传")
    SYSTEM = "system", _("系统")


class ReadStatus(models.TextChoices):
    VALIDATED = "validated", _("已审核")
    NEEDS_REVIEW = "needs_review", _("待复核")
    REJECTED = "rejected", _("已作废")


class ReadImport(models.Model):
    """One uploaded read file (handheld or AMR export) and what became of its lines."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("来源"), max_length=20, choices=ReadSource.choices)
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    lines_total = models.PositiveIntegerField(default=0)
    lines_imported = models.PositiveIntegerField(default=0)
    lines_duplicate = models.PositiveIntegerField(default=0)
    lines_failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True
    )  # [{"line": n, "code": ..., "message": ...}]

    class Meta:
        verbose_name = _("抄表数据导入")
        verbose_name_plural = _("抄表数据导入")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name


class MeterRead(models.Model):
    """A reading of a meter. ``consumption`` is the volume since the meter's previous
    validated read (with roll-over and exchange handled); only validated reads are billed."""

    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="reads")
    meter = models.ForeignKey("customers.Meter", on_delete=models.PROTECT, related_name="reads")
    cycle = models.ForeignKey(
        ReadingCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="reads"
    )
    read_on = models.DateField(_("抄表日期"))
    value = _volume_field(_("读数"))
    kind = models.CharField(
        _("类型"), max_length=20, choices=ReadKind.choices, default=ReadKind.ACTUAL
    )
    source = models.CharField(_("来源"), max_length=20, choices=ReadSource.choices)
    status = models.CharField(_("状态"), max_length=20, choices=ReadStatus.choices, db_index=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上次读数"),
    )
    consumption = _volume_field(_("用水量（m³）"), null=True, blank=True)
    issues = models.JSONField(_("校验问题"), default=list, blank=True)  # see billing.read_rules
    note = models.CharField(_("备注"), max_length=300, blank=True)
    import_batch = models.ForeignKey(
        ReadImport, on_delete=models.PROTECT, null=True, blank=True, related_name="reads"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("复核说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("抄表记录")
        verbose_name_plural = _("抄表记录")
        permissions = [
            ("review_meterread", _("可复核抄表数据")),
            ("import_meterread", _("可导入抄表文件")),
        ]
        ordering = ["meter", "read_on", "pk"]
        constraints = [
            # The natural key of a read: importing the same file twice adds nothing. A rejected
            # read gives way, so a mistyped reading can be entered again for that day.
            models.UniqueConstraint(
                fields=["meter", "read_on", "kind"],
                condition=~models.Q(status="rejected"),
                name="meterread_unique_meter_day_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "status", "read_on"], name="meterread_account_status_idx"
            ),
            models.Index(fields=["cycle", "status"], name="meterread_cycle_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.read_on} {self.value}"


class MeterReadCorrection(models.Model):
    """A read's value corrected before it was billed (a mistyped or misread register): the
    values and outcome before and after, who, when and why. Append-only: the read keeps the
    corrected value, its corrections are its history."""

    read = models.ForeignKey(
        MeterRead, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("抄表记录")
    )
    old_value = _volume_field(_("原读数"))
    new_value = _volume_field(_("更正后读数"))
    old_consumption = _volume_field(_("原用水量（m³）"), null=True, blank=True)
    new_consumption = _volume_field(_("更正后用水量（m³）"), null=True, blank=True)
    old_status = models.CharField(_("原状态"), max_length=20, choices=ReadStatus.choices)
    new_status = models.CharField(_("更正后状态"), max_length=20, choices=ReadStatus.choices)
    old_issues = models.JSONField(_("原校验问题"), default=list, blank=True)
    reason = models.CharField(_("更正原因"), max_length=300)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更正人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("更正时间"))

    class Meta:
        verbose_name = _("读数更正记录")
        verbose_name_plural = _("读数更正记录")
        ordering = ["read", "corrected_at", "pk"]

    def __str__(self) -> str:
        return f"{self.read} {self.old_value} → {self.new_value}"


class ReadingPolicy(models.Model):
    """The thresholds of read validation (``billing.read_rules``); one row (pk 1), edited in
    the admin. Without the row the defaults apply."""

    jump_factor = models.DecimalField(
        _("突增倍数"),
        max_digits=5,
        decimal_places=2,
        default=3,
        help_text=_("本次用水量超过历史日均用水量×间隔天数的此倍数时，转人工复核。"),
    )
    history_reads = models.PositiveSmallIntegerField(
        _("历史读数个数"), default=6, help_text=_("计算日均用水量所用的最近已审核读数个数。")
    )
    min_history_reads = models.PositiveSmallIntegerField(
        _("最少历史读数"),
        default=3,
        help_text=_("已审核读数少于此数时不做突增判断。"),
    )
    jump_min_volume = _volume_field(
        _("突增最小水量（m³）"),
        default=5,
        help_text=_("用水量不超过此值时不判为突增（用于历史用水接近零的账户）。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("抄表校验规则")
        verbose_name_plural = _("抄表校验规则")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="readingpolicy_singleton"),
            models.CheckConstraint(
                condition=models.Q(jump_factor__gte=1), name="readingpolicy_jump_factor_min"
            ),
            models.CheckConstraint(
                condition=models.Q(min_history_reads__gte=1)
                & models.Q(history_reads__gte=models.F("min_history_reads")),
                name="readingpolicy_history_reads",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# --- bill runs, bills, ledger ---------------------------------------------------------------


class BillRunStatus(models.TextChoices):
    PENDING = "pending", _("待运行")
    RUNNING = "running", _("运行中")
    COMPLETED = "completed", _("已完成")
    FAILED = "failed", _("失败")


class BillRun(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(ReadingCycle, on_delete=models.PROTECT, related_name="bill_runs")
    status = models.CharField(
        _("状态"), max_length=20, choices=BillRunStatus.choices, default=BillRunStatus.PENDING
    )
    chunk_size = models.PositiveIntegerField(default=2000)
    total_accounts = models.PositiveIntegerField(default=0)
    billed_accounts = models.PositiveIntegerField(default=0)
    skipped_accounts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("出账批次")
        verbose_name_plural = _("出账批次")
        permissions = [("run_billing", _("可运行出账"))]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.cycle} {self.created_at:%Y-%m-%d %H:%M}"


class BillRunChunk(models.Model):
    """A slice of a bill run (accounts with ids in [first_account_id, last_account_id]) that
    one worker bills in one transaction; the chunk is marked done in that same transaction."""

    run = models.ForeignKey(BillRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_account_id = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=BillRunStatus.choices, default=BillRunStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    billed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="billrunchunk_unique_run_index"),
        ]

    def __str__(self) -> str:
        return f"{self.run} #{self.index}"


class BillKind(models.TextChoices):
    CYCLE = "cycle", _("账期账单")
    FINAL = "final", _("结清账单")


class Bill(models.Model):
    """An issued bill. Never changed after issue: corrections are ledger adjustments."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("账单号"), max_length=32, unique=True)
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="bills")
    kind = models.CharField(
        _("类型"), max_length=10, choices=BillKind.choices, default=BillKind.CYCLE
    )
    cycle = models.ForeignKey(
        ReadingCycle, on_delete=models.PROTECT, null=True, blank=True, related_name="bills"
    )
    run = models.ForeignKey(
        BillRun, on_delete=models.PROTECT, null=True, blank=True, related_name="bills"
    )
    period_start = models.DateField(_("计费起始日"))
    period_end = models.DateField(_("计费截止日"))
    closing_read = models.OneToOneField(
        MeterRead, on_delete=models.PROTECT, related_name="bill", verbose_name=_("本期止度")
    )
    volume = _volume_field(_("用水量（m³）"))
    amount = _money_field(_("金额（元）"))
    issued_at = models.DateTimeField(_("出账时间"))
    due_date = models.DateField(_("缴费截止日"))

    class Meta:
        verbose_name = _("账单")
        verbose_name_plural = _("账单")
        ordering = ["-period_end", "account"]
        constraints = [
            # Exactly one bill per account and period; final (transfer) bills have no cycle.
            models.UniqueConstraint(fields=["account", "cycle"], name="bill_unique_account_period"),
        ]
        indexes = [models.Index(fields=["account", "period_end"], name="bill_account_period_idx")]

    def __str__(self) -> str:
        return self.number


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    component_kind = models.CharField(_("费用构成"), max_length=20, choices=ComponentKind.choices)
    component_name = models.CharField(_("名称"), max_length=50)
    tier_index = models.PositiveSmallIntegerField(_("阶梯"), null=True, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    volume = _volume_field(_("水量（m³）"))
    unit_price = models.DecimalField(
        _("单价"), max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    amount = _money_field(_("金额（元）"))

    class Meta:
        verbose_name = _("账单明细")
        verbose_name_plural = _("账单明细")
        ordering = ["bill", "pk"]

    def __str__(self) -> str:
        return f"{self.component_name} {self.volume} × {self.unit_price}"


class LedgerEntryKind(models.TextChoices):
    CHARGE = "charge", _("应收")
    PAYMENT = "payment", _("缴费")
    ADJUSTMENT = "adjustment", _("调整")
    LATE_FEE = "late_fee", _("违约金")
    REVERSAL = "reversal", _("冲正")
    NOTE = "note", _("备注")
    # A prepaid balance applied to a bill when it is issued (``services.prepayment``).
    PREPAID = "prepaid", _("预存抵扣")


class LedgerEntry(models.Model):
    """Append-only account ledger. ``amount`` > 0 is owed by the customer (a charge, a late
    fee), < 0 reduces the debt (a payment, a credit); a note has no amount and records an
    event on the account (a balance carried to a new owner). Balance and aging are sums."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=LedgerEntryKind.choices)
    amount = _money_field(_("金额（元）"))
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    posted_at = models.DateTimeField(_("记账时间"))
    due_date = models.DateField(_("到期日"), null=True, blank=True)
    description = models.CharField(_("摘要"), max_length=200, blank=True)
    reference = models.CharField(_("凭证号"), max_length=64, blank=True)
    # An external payment's or a correction's idempotency key: recorded once, whatever the retries.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("账户流水")
        verbose_name_plural = _("账户流水")
        permissions = [("post_adjustment", _("可做账务调整"))]
        ordering = ["account", "posted_at", "pk"]
        indexes = [models.Index(fields=["account", "posted_at"], name="ledger_account_posted_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.kind} {self.amount}"


# --- late fees ------------------------------------------------------------------------------


class LateFeePolicy(models.Model):
    """The late-fee terms (违约金) from ``effective_from`` on: the policy in force on a day
    (the active row with the latest ``effective_from`` on or before it) applies to that day.
    The calculation is ``billing.late_fees``; edited in the admin, with history."""

    effective_from = models.DateField(_("生效日期"), unique=True)
    daily_rate = models.DecimalField(
        _("日费率"),
        max_digits=7,
        decimal_places=6,
        help_text=_("按逾期未缴本金每日计收的比例，如 0.0005 即每日万分之五。"),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("宽限天数"), default=0, help_text=_("缴费截止日后不计违约金的天数。")
    )
    cap_share = models.DecimalField(
        _("封顶比例"),
        max_digits=5,
        decimal_places=4,
        help_text=_("一张账单累计违约金不超过其本金的此比例，如 0.30 即 30%。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("依据/说明"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("违约金规则")
        verbose_name_plural = _("违约金规则")
        ordering = ["effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_rate__gte=0) & models.Q(daily_rate__lt=1),
                name="latefeepolicy_daily_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_share__gte=0) & models.Q(cap_share__lte=1),
                name="latefeepolicy_cap_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.daily_rate}"


class LateFeeRun(models.Model):
    """One nightly posting of late fees for ``as_of`` (the hourly beat posts a day once)."""

    as_of = models.DateField(_("计至日期"), unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    bills_posted = models.PositiveIntegerField(default=0)
    amount_posted = _money_field(_("金额（元）"), default=0)

    class Meta:
        verbose_name = _("违约金计收批次")
        verbose_name_plural = _("违约金计收批次")
        ordering = ["-as_of"]

    def __str__(self) -> str:
        return str(self.as_of)


class BillDispute(models.Model):
    """A bill under dispute or complaint: no late fee accrues on a day it is open."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(_("争议/投诉事由"), max_length=300)
    opened_at = models.DateTimeField(_("登记时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_note = models.CharField(_("处理结果"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("账单争议")
        verbose_name_plural = _("账单争议")
        ordering = ["bill", "opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill"],
                condition=models.Q(closed_at__isnull=True),
                name="billdispute_one_open_per_bill",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill} {self.reason}"


class LateFeeWaiver(models.Model):
    """A waiver of a bill's late fees (减免违约金): requested by one person, approved by
    another holding ``billing.approve_late_fee_waiver``; the approval posts a negative
    LATE_FEE ledger entry naming the bill (``ledger_entry``). ``amount`` empty asks for
    all the bill's late fees outstanding at approval; ``approved_amount`` is what was
    waived."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="late_fee_waivers")
    amount = _money_field(_("减免金额（元）"), null=True, blank=True)
    reason = models.CharField(_("减免原因"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_amount = _money_field(_("实际减免（元）"), null=True, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("违约金减免")
        verbose_name_plural = _("违约金减免")
        permissions = [("approve_late_fee_waiver", _("可批准违约金减免"))]
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.bill} {self.amount or '*'}"


# --- prepayment -----------------------------------------------------------------------------


class PrepaymentNoticeChannel(models.TextChoices):
    PREFERENCE = "preference", _("客户选择的通知渠道")
    ALL = "all", _("客户的全部联系方式")
    SMS = "sms", _("仅短信")


class PrepaymentPolicy(models.Model):
    """How prepaid balances (预存) are used (``services.prepayment``); one row (pk 1), edited
    in the admin. Without the row the defaults apply."""

    low_balance_threshold = _money_field(
        _("预存余额提醒线（元）"),
        default=50,
        help_text=_("出账抵扣后预存余额从此金额以上降到此金额以下时，通知客户一次。"),
    )
    settles_automatically = models.BooleanField(
        _("出账时自动抵扣"),
        default=True,
        help_text=_("出账时用账户的预存余额抵扣新账单（记“预存抵扣”流水）。"),
    )
    notice_channel = models.CharField(
        _("提醒渠道"),
        max_length=20,
        choices=PrepaymentNoticeChannel.choices,
        default=PrepaymentNoticeChannel.PREFERENCE,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预存规则")
        verbose_name_plural = _("预存规则")
        permissions = [("view_prepayment_report", _("可查看预存余额报表"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="prepaymentpolicy_singleton"),
            models.CheckConstraint(
                condition=models.Q(low_balance_threshold__gte=0),
                name="prepaymentpolicy_threshold_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

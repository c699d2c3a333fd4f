"""Arrears classification (R-C7, issue 11 §1): the amount × age matrix that chooses a
collection strategy, the exemptions, and what each nightly run found.

The matrix (bands, strategies, rules) and the exemptions are edited in the admin, with
history; ``AccountArrears`` is replaced as a whole by every run
(``waterdesk.collection.classify``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.core.money import money_field


class AmountBand(models.Model):
    """Overdue amount from ``lower`` (inclusive) to ``upper`` (exclusive; none: no limit)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    lower = money_field(_("下限（元，含）"))
    upper = money_field(_("上限（元，不含）"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("欠费金额档")
        verbose_name_plural = _("欠费金额档")
        ordering = ["lower"]
        constraints = [
            models.CheckConstraint(condition=Q(lower__gte=0), name="amountband_lower_not_negative"),
            models.CheckConstraint(
                condition=Q(upper__isnull=True) | Q(upper__gt=models.F("lower")),
                name="amountband_upper_above_lower",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AgeBand(models.Model):
    """Days overdue of the oldest unpaid debt, ``min_days`` to ``max_days`` (both inclusive;
    none: no limit)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    min_days = models.PositiveIntegerField(_("最少逾期天数（含）"))
    max_days = models.PositiveIntegerField(_("最多逾期天数（含）"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("欠费账龄档")
        verbose_name_plural = _("欠费账龄档")
        ordering = ["min_days"]
        constraints = [
            models.CheckConstraint(condition=Q(min_days__gte=1), name="ageband_min_days_positive"),
            models.CheckConstraint(
                condition=Q(max_days__isnull=True) | Q(max_days__gte=models.F("min_days")),
                name="ageband_max_not_below_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CollectionStrategy(models.Model):
    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("催收策略")
        verbose_name_plural = _("催收策略")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ClassificationRule(models.Model):
    """One cell of the matrix: arrears in this amount band and age band get this strategy."""

    amount_band = models.ForeignKey(
        AmountBand, verbose_name=_("金额档"), on_delete=models.CASCADE, related_name="rules"
    )
    age_band = models.ForeignKey(
        AgeBand, verbose_name=_("账龄档"), on_delete=models.CASCADE, related_name="rules"
    )
    strategy = models.ForeignKey(
        CollectionStrategy, verbose_name=_("催收策略"), on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("分类规则")
        verbose_name_plural = _("分类规则")
        ordering = ["amount_band__lower", "age_band__min_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["amount_band", "age_band"], name="classificationrule_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_band} × {self.age_band} → {self.strategy}"


class ExemptionKind(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("学校")
    VULNERABLE_HOUSEHOLD = "vulnerable_household", _("登记困难户")
    BILL_DISPUTE = "bill_dispute", _("账单争议")
    COMPLAINT = "complaint", _("投诉处理中")
    INSTALMENT_PLAN = "instalment_plan", _("分期还款中")
    OTHER = "other", _("其他")


class CollectionExemptionQuerySet(models.QuerySet):
    def active_on(self, day):
        """Not revoked, started on or before ``day`` and not expired by it."""
        return self.filter(revoked_at__isnull=True, starts_at__lte=day).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=day)
        )


class CollectionExemption(models.Model):
    """An explicit flag that keeps an account out of collection, with a reason, from
    ``starts_at`` (inclusive) until ``expires_at`` (exclusive; none: until revoked)."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        related_name="collection_exemptions",
    )
    kind = models.CharField(_("豁免类型"), max_length=30, choices=ExemptionKind.choices)
    reason = models.CharField(_("豁免原因"), max_length=300)
    starts_at = models.DateField(_("生效日期"))
    expires_at = models.DateField(_("到期日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = CollectionExemptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("催收豁免")
        verbose_name_plural = _("催收豁免")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("starts_at")),
                name="collectionexemption_expires_after_start",
            )
        ]
        indexes = [models.Index(fields=["account", "starts_at"], name="exemption_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.get_kind_display()}"


class ClassificationRun(models.Model):
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    as_of = models.DateField(_("分类日期"), db_index=True)
    accounts_classified = models.PositiveIntegerField(_("分类账户数"), default=0)
    seconds = models.DecimalField(_("耗时（秒）"), max_digits=10, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("欠费分类批次")
        verbose_name_plural = _("欠费分类批次")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.accounts_classified})"


class AccountArrears(models.Model):
    """One account in arrears as the latest run found it (all rows replaced by each run)."""

    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("账户"),
        on_delete=models.CASCADE,
        related_name="arrears",
    )
    run = models.ForeignKey(
        ClassificationRun, verbose_name=_("分类批次"), on_delete=models.CASCADE, related_name="+"
    )
    balance = money_field(_("账户余额（元）"))
    overdue_amount = money_field(_("逾期欠费（元）"))
    oldest_due_date = models.DateField(_("最早未缴到期日"))
    days_overdue = models.PositiveIntegerField(_("逾期天数"))
    amount_band = models.ForeignKey(
        AmountBand,
        verbose_name=_("金额档"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    age_band = models.ForeignKey(
        AgeBand,
        verbose_name=_("账龄档"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    strategy = models.ForeignKey(
        CollectionStrategy,
        verbose_name=_("催收策略"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_exempt = models.BooleanField(_("豁免"), default=False)
    # The kinds of the exemptions active on the run's day, comma-separated ("" when none).
    exemption_kinds = models.CharField(_("豁免类型"), max_length=200, blank=True)
    classified_at = models.DateTimeField(_("分类时间"))

    class Meta:
        verbose_name = _("欠费账户")
        verbose_name_plural = _("欠费账户")
        ordering = ["-days_overdue", "-overdue_amount"]
        indexes = [
            models.Index(fields=["strategy", "amount_band", "age_band"], name="arrears_cell_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.overdue_amount}"

"""Where and how often water is sampled (R-Q2): plants, sampling points, sampling plans, and
the samples the plans schedule.

A plan is a set of indicator codes × a frequency × the point types it covers (or one point,
for the extra sampling an anomaly raises). The schedule makes one sample per plan, point and
period, due in a window (a monthly sample: any day of the month); a sample not taken by the
end of its window is overdue. Indicator codes, not catalogue rows, so that a plan outlives an
edition of the standard."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.quality.models.catalogue import Disinfection


class Plant(models.Model):
    """A water treatment plant (水厂) and the supply zones it feeds."""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("水厂名称"), max_length=100)
    zones = models.ManyToManyField(
        "customers.SupplyZone", verbose_name=_("供水片区"), related_name="plants", blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水厂")
        verbose_name_plural = _("水厂")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PointType(models.TextChoices):
    SOURCE = "source", _("水源水")
    PLANT_OUTLET = "plant_outlet", _("出厂水")
    NETWORK = "network", _("管网水")
    TAP = "tap", _("末梢水")
    SECONDARY = "secondary", _("二次供水")


# The point types judged by the tap limits of the disinfectants (末梢水): the water that
# has left the plant. Source water is monitored, not judged by the drinking-water standard.
TAP_SIDE = (PointType.NETWORK, PointType.TAP, PointType.SECONDARY)
JUDGED = (PointType.PLANT_OUTLET, *TAP_SIDE)


class SamplingPoint(models.Model):
    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("采样点名称"), max_length=100)
    point_type = models.CharField(_("采样点类型"), max_length=20, choices=PointType.choices)
    location = models.CharField(_("位置"), max_length=300)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    plant = models.ForeignKey(
        Plant,
        verbose_name=_("水厂"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points",
    )
    zone = models.ForeignKey(
        "customers.SupplyZone",
        verbose_name=_("供水片区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sampling_points",
    )
    disinfection = models.CharField(
        _("消毒方式"), max_length=30, choices=Disinfection.choices, default=Disinfection.CHLORINE
    )
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("采样点")
        verbose_name_plural = _("采样点")
        ordering = ["code"]
        permissions = [("manage_sampling", _("维护采样点和采样计划"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Frequency(models.TextChoices):
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    TWICE_MONTHLY = "twice_monthly", _("每月两次")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    HALF_YEARLY = "half_yearly", _("每半年")
    YEARLY = "yearly", _("每年")


class SamplingPlan(models.Model):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("计划名称"), max_length=200)
    indicator_codes = models.JSONField(_("检测指标"), default=list)
    frequency = models.CharField(_("频次"), max_length=20, choices=Frequency.choices)
    point_types = models.JSONField(_("适用采样点类型"), default=list, blank=True)
    # The extra sampling an anomaly raises: one point, until the anomaly closes.
    point = models.ForeignKey(
        SamplingPoint,
        verbose_name=_("采样点"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_plans",
    )
    anomaly = models.ForeignKey(
        "quality.Anomaly",
        verbose_name=_("水质异常"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plans",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("采样计划")
        verbose_name_plural = _("采样计划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SampleStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待采样")
    TAKEN = "taken", _("已采样")
    ANALYSED = "analysed", _("待确认")
    AWAITING_SECOND = "awaiting_second", _("待复核")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")


class SampleVerdict(models.TextChoices):
    PENDING = "pending", _("未判定")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class SampleReason(models.TextChoices):
    ROUTINE = "routine", _("例行监测")
    EXTRA = "extra", _("加密监测")
    FOLLOW_UP = "follow_up", _("跟踪复测")
    AD_HOC = "ad_hoc", _("临时采样")


class Sample(models.Model):
    number = models.CharField(_("样品编号"), max_length=40, unique=True)
    point = models.ForeignKey(
        SamplingPoint, verbose_name=_("采样点"), on_delete=models.PROTECT, related_name="samples"
    )
    plan = models.ForeignKey(
        SamplingPlan,
        verbose_name=_("采样计划"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="samples",
    )
    reason = models.CharField(
        _("采样原因"), max_length=20, choices=SampleReason.choices, default=SampleReason.ROUTINE
    )
    # The indicators to test, copied from the plan when scheduled: a result for any other
    # indicator is refused.
    indicator_codes = models.JSONField(_("检测指标"), default=list)
    due_date = models.DateField(_("应采日期"), db_index=True)
    due_by = models.DateField(_("最迟采样日期"), db_index=True)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=SampleStatus.choices,
        default=SampleStatus.SCHEDULED,
        db_index=True,
    )
    taken_at = models.DateTimeField(_("采样时间"), null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("采样人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # During an algal bloom the algal toxins apply (GB 5749-2022: microcystin-LR).
    algal_bloom = models.BooleanField(_("藻类暴发期"), default=False)
    # The edition in force on the sampling day (set when the sample is taken).
    edition = models.ForeignKey(
        "quality.Edition",
        verbose_name=_("判定标准"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="samples",
    )
    verdict = models.CharField(
        _("结论"), max_length=10, choices=SampleVerdict.choices, default=SampleVerdict.PENDING
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A failing sample counts only after a second analyst confirms it.
    second_confirmed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    second_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    anomaly = models.ForeignKey(
        "quality.Anomaly",
        verbose_name=_("水质异常"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="samples",
    )
    round_number = models.PositiveSmallIntegerField(_("复测轮次"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=300, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("水样")
        verbose_name_plural = _("水样")
        ordering = ["-due_date", "number"]
        constraints = [
            # The schedule makes one sample per plan, point and period.
            models.UniqueConstraint(
                fields=["plan", "point", "due_date"],
                condition=models.Q(plan__isnull=False),
                name="quality_sample_once_per_period",
            )
        ]
        indexes = [models.Index(fields=["point", "status", "-taken_at"])]
        permissions = [
            ("take_sample", _("采样")),
            ("enter_results", _("录入和确认检测结果")),
            ("view_quality", _("查看水质数据")),
        ]

    def __str__(self) -> str:
        return self.number

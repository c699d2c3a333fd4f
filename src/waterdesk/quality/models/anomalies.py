"""The anomaly response (R-Q4): a confirmed failing sample opens (or joins) an emergency
incident under the pollution plan; sampling is raised at the point and across its zone;
treatment adjustments are recorded; the water-quality side closes only after the required
number of consecutive passing rounds at the affected points, with a follow-up record."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class QualityPolicy(models.Model):
    """The anomaly rules (one row, the latest counts; history kept)."""

    passes_required = models.PositiveSmallIntegerField(
        _("解除所需连续合格轮次"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("受影响采样点连续这么多轮复测合格后，方可结束水质异常。"),
    )
    expected_recovery_hours = models.PositiveSmallIntegerField(
        _("预计恢复时间（小时）"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("开启应急事件时告知客户的预计恢复时间，之后可随时更新。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水质异常规则")
        verbose_name_plural = _("水质异常规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AnomalyStatus(models.TextChoices):
    OPEN = "open", _("处置中")
    CLOSED = "closed", _("已解除")


class Anomaly(models.Model):
    number = models.CharField(_("异常编号"), max_length=40, unique=True)
    point = models.ForeignKey(
        "quality.SamplingPoint",
        verbose_name=_("采样点"),
        on_delete=models.PROTECT,
        related_name="anomalies",
    )
    zone = models.ForeignKey(
        "customers.SupplyZone",
        verbose_name=_("供水片区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_anomalies",
    )
    sample = models.ForeignKey(
        "quality.Sample", verbose_name=_("不合格水样"), on_delete=models.PROTECT, related_name="+"
    )
    # The failing indicators' codes and results: [{"code", "name", "raw", "limit"}].
    failures = models.JSONField(_("不合格指标"), default=list)
    incident = models.ForeignKey(
        "cases.Case",
        verbose_name=_("应急事件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_anomalies",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN
    )
    passes_required = models.PositiveSmallIntegerField(_("解除所需连续合格轮次"), default=3)
    pass_streak = models.PositiveSmallIntegerField(_("连续合格轮次"), default=0)
    opened_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    follow_up = models.TextField(_("跟踪处置记录"), blank=True)

    class Meta:
        verbose_name = _("水质异常")
        verbose_name_plural = _("水质异常")
        ordering = ["-opened_at"]
        permissions = [("manage_anomaly", _("处置水质异常"))]

    def __str__(self) -> str:
        return self.number


class TreatmentAdjustment(models.Model):
    anomaly = models.ForeignKey(
        Anomaly, verbose_name=_("水质异常"), on_delete=models.CASCADE, related_name="adjustments"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("处理工艺调整"))

    class Meta:
        verbose_name = _("处理工艺调整")
        verbose_name_plural = _("处理工艺调整")
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return self.description[:50]

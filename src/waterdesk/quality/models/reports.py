"""Disclosure reports (R-Q3): the month's or the quarter's results, generated from the
confirmed samples, reviewed and published by the quality manager. A report keeps the figures
it was generated with (``snapshot``), so a published report never changes under its readers."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportPeriod(models.TextChoices):
    MONTH = "month", _("月报")
    QUARTER = "quarter", _("季报")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("待审核")
    REVIEWED = "reviewed", _("已审核")
    PUBLISHED = "published", _("已发布")


class QualityReport(models.Model):
    period = models.CharField(_("报告类型"), max_length=10, choices=ReportPeriod.choices)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    snapshot = models.JSONField(_("报告数据"), default=dict)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("水质报告")
        verbose_name_plural = _("水质报告")
        ordering = ["-period_start", "period"]
        constraints = [
            models.UniqueConstraint(fields=["period", "period_start"], name="quality_report_once")
        ]
        permissions = [("publish_report", _("审核和发布水质报告"))]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.period_start:%Y-%m}"

"""Lab results (R-Q3): one result per sample and indicator, as the lab wrote it (``raw``:
"0.003", "<0.001", "未检出", "无异臭、异味") and as the verdict reads it (qualifier, value,
text). The verdict is computed when the result is entered; descriptive indicators and
results the rules cannot decide wait for the analyst's judgement."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Qualifier(models.TextChoices):
    EQUAL = "eq", _("测定值")
    LESS_THAN = "lt", _("低于检出限")
    GREATER_THAN = "gt", _("高于")
    NOT_DETECTED = "nd", _("未检出")
    TEXT = "text", _("描述")


class Verdict(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    # A guidance value exceeded (gross α/β): further analysis, not a failure.
    GUIDANCE = "guidance", _("超指导值")
    NOT_APPLICABLE = "not_applicable", _("不适用")
    # Descriptive, or a detection limit above the limit: the analyst decides.
    JUDGEMENT = "judgement", _("待人工判定")


class ImportBatch(models.Model):
    """One lab file imported: what it held and what became of each line."""

    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    encoding = models.CharField(_("编码"), max_length=20)
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lines = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    # [{"line": 7, "message": "…"}]: every line refused, with the reason.
    errors = models.JSONField(_("错误行"), default=list, blank=True)

    class Meta:
        verbose_name = _("检测结果导入")
        verbose_name_plural = _("检测结果导入")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.filename


class Result(models.Model):
    sample = models.ForeignKey(
        "quality.Sample", verbose_name=_("水样"), on_delete=models.CASCADE, related_name="results"
    )
    indicator = models.ForeignKey(
        "quality.Indicator",
        verbose_name=_("指标"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    raw = models.CharField(_("检测结果"), max_length=200)
    qualifier = models.CharField(_("结果类型"), max_length=5, choices=Qualifier.choices)
    # The measured value, or the detection limit for "<", or the bound for ">".
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=10, null=True, blank=True)
    text = models.CharField(_("描述"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    auto_verdict = models.CharField(_("自动判定"), max_length=20, choices=Verdict.choices)
    # The verdict that counts: the automatic one, or the analyst's where judgement is needed.
    verdict = models.CharField(_("判定"), max_length=20, choices=Verdict.choices, db_index=True)
    verdict_note = models.CharField(_("判定说明"), max_length=300, blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("判定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("导入批次"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("检测结果")
        verbose_name_plural = _("检测结果")
        ordering = ["sample", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "indicator"], name="quality_result_once")
        ]

    def __str__(self) -> str:
        return f"{self.sample} {self.indicator.code} {self.raw}"

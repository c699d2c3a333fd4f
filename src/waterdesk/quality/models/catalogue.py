"""The indicator catalogue (R-Q1): editions of the national drinking-water standard
(GB 5749) and their indicators with limits.

An edition is in force from its effective date; a sample is judged by the edition in force
on the day it was taken, so loading a new edition never changes an old verdict. Within an
edition the quality manager corrects an indicator's limits (each change is kept in its
history). Limits are decimals and never floats: a verdict at the boundary must be exact."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Edition(models.Model):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("标准名称"), max_length=200)
    effective_from = models.DateField(_("实施日期"), unique=True)
    note = models.TextField(_("说明"), blank=True)
    loaded_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("水质标准版本")
        verbose_name_plural = _("水质标准版本")
        ordering = ["-effective_from"]
        permissions = [("manage_catalogue", _("维护水质指标目录"))]

    def __str__(self) -> str:
        return self.name


class IndicatorGroup(models.TextChoices):
    ROUTINE = "routine", _("常规指标")
    EXTENDED = "extended", _("扩展指标")


class IndicatorCategory(models.TextChoices):
    MICROBIOLOGICAL = "microbiological", _("微生物指标")
    TOXICOLOGICAL = "toxicological", _("毒理指标")
    SENSORY_GENERAL = "sensory_general", _("感官性状和一般化学指标")
    RADIOLOGICAL = "radiological", _("放射性指标")
    DISINFECTANT = "disinfectant", _("消毒剂常规指标")


class LimitType(models.TextChoices):
    MAX = "max", _("不超过上限")
    MAX_EXCLUSIVE = "max_exclusive", _("低于上限")
    MIN = "min", _("不低于下限")
    RANGE = "range", _("范围")
    NOT_DETECTED = "not_detected", _("不得检出")
    DESCRIPTIVE = "descriptive", _("描述性")
    SUM_OF_RATIOS = "sum_of_ratios", _("比值之和")
    GUIDANCE_MAX = "guidance_max", _("指导值")


class PointScope(models.TextChoices):
    ALL = "all", _("出厂水和末梢水")
    OUTLET = "outlet", _("出厂水")
    TAP = "tap", _("末梢水")


class Disinfection(models.TextChoices):
    """The disinfection in use at a sampling point; it decides which disinfectant limits and
    by-products apply (GB 5749-2022 table 2 and its notes)."""

    CHLORINE = "chlorine", _("氯消毒（液氯、次氯酸钠）")
    CHLORAMINE = "chloramine", _("氯胺消毒")
    OZONE = "ozone", _("臭氧消毒")
    CHLORINE_DIOXIDE = "chlorine_dioxide", _("二氧化氯消毒")
    COMPOSITE_CHLORINE_DIOXIDE = "composite_chlorine_dioxide", _("复合二氧化氯消毒")
    NONE = "none", _("无")


# Conditions an indicator can be limited to, besides the disinfection methods.
ALGAL_BLOOM = "algal_bloom"
CONDITION_KEYS = (*Disinfection.values, ALGAL_BLOOM)


class Indicator(models.Model):
    edition = models.ForeignKey(
        Edition, verbose_name=_("标准版本"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("指标编码"), max_length=60)
    name_zh = models.CharField(_("指标名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    group = models.CharField(_("分类"), max_length=10, choices=IndicatorGroup.choices)
    category = models.CharField(_("类别"), max_length=20, choices=IndicatorCategory.choices)
    unit = models.CharField(_("单位"), max_length=30, blank=True)
    limit_type = models.CharField(_("限值类型"), max_length=20, choices=LimitType.choices)
    min_value = models.DecimalField(
        _("下限"), max_digits=20, decimal_places=8, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("上限"), max_digits=20, decimal_places=8, null=True, blank=True
    )
    point_scope = models.CharField(
        _("适用水样"), max_length=10, choices=PointScope.choices, default=PointScope.ALL
    )
    # The standard's note as written ("when chlorine disinfection is used", "无异臭、异味").
    condition = models.CharField(_("适用条件或要求"), max_length=300, blank=True)
    # The same note as keys the verdict reads: the disinfection methods and "algal_bloom"
    # under which the indicator applies; empty: always.
    applies_when = models.JSONField(_("适用条件"), default=list, blank=True)
    # sum_of_ratios: the codes of the member compounds (trihalomethanes).
    members = models.JSONField(_("组成指标"), default=list, blank=True)
    confidence = models.CharField(_("数值核对"), max_length=20, blank=True)
    sort_order = models.PositiveIntegerField(_("顺序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水质指标")
        verbose_name_plural = _("水质指标")
        ordering = ["edition", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="quality_indicator_code")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name_zh

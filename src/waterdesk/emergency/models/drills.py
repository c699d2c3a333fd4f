"""Drills (应急演练, R-E3): a plan version rehearsed on a scenario; the timings observed
against the plan's targets, the evaluation and the improvement measures (``Measure``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.emergency.models.plans import PlanStep, PlanVersion, ResponseLevel


class DrillStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    HELD = "held", _("已演练")
    EVALUATED = "evaluated", _("已评估")
    CANCELLED = "cancelled", _("已取消")


class Drill(models.Model):
    plan_version = models.ForeignKey(
        PlanVersion, verbose_name=_("演练预案"), on_delete=models.PROTECT, related_name="drills"
    )
    level = models.PositiveSmallIntegerField(_("演练级别"), choices=ResponseLevel.choices)
    scheduled_for = models.DateTimeField(_("演练时间"))
    scenario = models.TextField(_("演练场景"))
    status = models.CharField(
        _("状态"), max_length=12, choices=DrillStatus.choices, default=DrillStatus.PLANNED
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参演人员"), blank=True, related_name="+"
    )
    other_participants = models.CharField(_("其他参演单位"), max_length=500, blank=True)
    held_at = models.DateTimeField(_("实际开始"), null=True, blank=True)
    evaluation = models.TextField(_("演练评估"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("评估时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("应急演练")
        verbose_name_plural = _("应急演练")
        ordering = ["-scheduled_for", "-pk"]
        permissions = [("manage_drills", _("组织和评估应急演练"))]

    def __str__(self) -> str:
        return f"{self.plan_version} {self.scheduled_for:%Y-%m-%d}"


class DrillTiming(models.Model):
    """A step's time observed in the drill against its target (minutes from the start)."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="timings")
    step = models.ForeignKey(PlanStep, on_delete=models.PROTECT, null=True, blank=True)
    label = models.CharField(_("环节"), max_length=300)
    target_minutes = models.PositiveIntegerField(_("目标（分钟）"), null=True, blank=True)
    observed_minutes = models.PositiveIntegerField(_("实际（分钟）"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("演练计时")
        verbose_name_plural = _("演练计时")
        ordering = ["drill", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def met(self) -> bool | None:
        if self.target_minutes is None:
            return None
        return self.observed_minutes <= self.target_minutes

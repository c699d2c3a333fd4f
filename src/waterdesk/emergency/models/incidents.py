"""Incidents (突发事件, R-E2): a case kind. The plan activated at a level, the checklist
that became its tasks, the post-incident review and its measures."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.emergency.models.plans import IncidentType, PlanStep, PlanVersion, ResponseLevel


class IncidentStatus(models.TextChoices):
    ACTIVE = "active", _("应急处置中")
    RESTORED = "restored", _("已恢复供水")
    CLOSED = "closed", _("已复盘结案")
    CANCELLED = "cancelled", _("已撤销")


class IncidentSource(models.TextChoices):
    HOTLINE = "hotline", _("热线")
    DISPATCHER = "dispatcher", _("调度")
    QUALITY_LAB = "quality_lab", _("水质检测")
    SUPERVISOR = "supervisor", _("管理人员")


class Incident(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="incident"
    )
    incident_type = models.CharField(_("事件类型"), max_length=20, choices=IncidentType.choices)
    level = models.PositiveSmallIntegerField(_("响应级别"), choices=ResponseLevel.choices)
    source = models.CharField(_("来源"), max_length=16, choices=IncidentSource.choices)
    plan_version = models.ForeignKey(
        PlanVersion,
        verbose_name=_("启动预案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
    )
    title = models.CharField(_("事件名称"), max_length=200)
    description = models.TextField(_("事件情况"))
    # What the public pages and the notices say happened (no personal data).
    public_summary = models.CharField(_("公告内容"), max_length=500)
    started_at = models.DateTimeField(_("发生时间"))
    activated_at = models.DateTimeField(_("启动时间"), default=timezone.now)
    expected_restoration_at = models.DateTimeField(_("预计恢复时间"), null=True, blank=True)
    restored_at = models.DateTimeField(_("恢复供水时间"), null=True, blank=True)
    restoration_note = models.CharField(_("恢复说明"), max_length=500, blank=True)
    # A reference the opener gives (a quality result, a repair case) for the same event
    # opened twice: the second opening joins the first.
    source_reference = models.CharField(_("来源编号"), max_length=100, blank=True, db_index=True)

    class Meta:
        verbose_name = _("突发事件")
        verbose_name_plural = _("突发事件")
        permissions = [
            ("open_incident", _("启动应急事件")),
            ("manage_incident", _("处置应急事件")),
            ("review_incident", _("事件复盘")),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentTask(models.Model):
    """A checklist item of the incident (from the plan's steps, or added on the spot)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(PlanStep, on_delete=models.PROTECT, null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("任务"), max_length=300)
    owner_role = models.CharField(_("负责岗位"), max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("完成时限"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("处置任务")
        verbose_name_plural = _("处置任务")
        ordering = ["incident", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class IncidentReview(models.Model):
    """The post-incident review (事后复盘): the timeline is generated from the case's
    events; what people write is here."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    causes = models.TextField(_("原因分析"))
    went_well = models.TextField(_("做得好的"), blank=True)
    went_badly = models.TextField(_("存在问题"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("复盘时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事件复盘")
        verbose_name_plural = _("事件复盘")

    def __str__(self) -> str:
        return str(self.incident)


class Measure(models.Model):
    """An improvement measure of a review or a drill, with its owner and deadline, tracked
    to done."""

    review = models.ForeignKey(
        IncidentReview, on_delete=models.CASCADE, null=True, blank=True, related_name="measures"
    )
    drill = models.ForeignKey(
        "emergency.Drill", on_delete=models.CASCADE, null=True, blank=True, related_name="measures"
    )
    description = models.CharField(_("改进措施"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("改进措施")
        verbose_name_plural = _("改进措施")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(review__isnull=False, drill__isnull=True)
                    | models.Q(review__isnull=True, drill__isnull=False)
                ),
                name="emergency_measure_of_review_or_drill",
            ),
        ]

    def __str__(self) -> str:
        return self.description

"""Planned outages (计划停水): works that stop supply, announced to the affected customers
at least ``OutagePolicy.notice_hours`` ahead; inside that window only with an approved
emergency reason. A case kind."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OutageStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("待批准（通知不足时限）")
    ANNOUNCED = "announced", _("已通知")
    RESTORED = "restored", _("已恢复供水")
    CANCELLED = "cancelled", _("已取消")
    REFUSED = "refused", _("未批准")


class PlannedOutage(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="outage"
    )
    works = models.CharField(_("施工内容"), max_length=300)
    public_summary = models.CharField(_("公告内容"), max_length=500)
    starts_at = models.DateTimeField(_("停水开始"))
    ends_at = models.DateTimeField(_("预计恢复"))
    # The end first announced (an overrun moves ends_at; this stays).
    planned_ends_at = models.DateTimeField(_("原定恢复"))
    announced_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    short_notice_reason = models.CharField(_("紧急原因"), max_length=500, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    restored_at = models.DateTimeField(_("恢复供水时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("计划停水")
        verbose_name_plural = _("计划停水")
        permissions = [
            ("schedule_outage", _("安排计划停水")),
            ("approve_outage", _("批准紧急停水")),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="outage_starts_idx"),
        ]

    def __str__(self) -> str:
        return self.works


class OutagePolicy(models.Model):
    """The outage rules (one row, the latest counts; history kept)."""

    notice_hours = models.PositiveSmallIntegerField(
        _("提前通知时限（小时）"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_("计划停水须至少提前此时限通知受影响客户；不足时限须经批准。"),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("停水前提醒（小时）"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text=_("停水开始前此时限再提醒一次。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("计划停水规则")
        verbose_name_plural = _("计划停水规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

"""What incidents and planned outages share: the affected area (supply zones, streets,
single premises — any combination), the temporary water points, and the notice rounds
sent to every affected customer. Each hangs on the case (an incident or an outage)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AffectedZone(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="affected_zones")
    zone = models.ForeignKey(
        "customers.SupplyZone",
        verbose_name=_("供水片区"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("影响片区")
        verbose_name_plural = _("影响片区")
        constraints = [
            models.UniqueConstraint(fields=["case", "zone"], name="affectedzone_unique"),
        ]

    def __str__(self) -> str:
        return str(self.zone)


class AffectedStreet(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="affected_streets"
    )
    district = models.CharField(_("区县"), max_length=50, blank=True)
    street = models.CharField(_("街道/道路"), max_length=100)

    class Meta:
        verbose_name = _("影响街道")
        verbose_name_plural = _("影响街道")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "district", "street"], name="affectedstreet_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district}{self.street}"


class AffectedPremise(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="affected_premises"
    )
    premise = models.ForeignKey(
        "customers.Premise", verbose_name=_("用水地址"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("影响地址")
        verbose_name_plural = _("影响地址")
        constraints = [
            models.UniqueConstraint(fields=["case", "premise"], name="affectedpremise_unique"),
        ]

    def __str__(self) -> str:
        return str(self.premise)


class WaterPoint(models.Model):
    """A temporary water point (临时供水点): a tanker or bottled water at an address."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="water_points")
    address = models.CharField(_("地址"), max_length=300)
    district = models.CharField(_("区县"), max_length=50, blank=True)
    opening_hours = models.CharField(_("开放时间"), max_length=100)
    supplies = models.CharField(_("供应内容"), max_length=200, help_text=_("如：送水车、桶装水"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    opened_at = models.DateTimeField(_("设立时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("撤除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("临时供水点")
        verbose_name_plural = _("临时供水点")
        ordering = ["case", "opened_at", "pk"]

    def __str__(self) -> str:
        return self.address


class NoticeKind(models.TextChoices):
    ANNOUNCEMENT = "announcement", _("首次通知")
    UPDATE = "update", _("进展更新")
    REMINDER = "reminder", _("停水前提醒")
    OVERRUN = "overrun", _("延长停水")
    RESTORATION = "restoration", _("恢复供水")
    CANCELLATION = "cancellation", _("取消停水")


class NoticeRound(models.Model):
    """One notice to every affected customer (each once), queued set-based through the
    outbox in one transaction: the batch ``emergency:<case>:<number>``."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notice_rounds")
    number = models.PositiveIntegerField(_("第几次通知"))
    kind = models.CharField(_("通知类型"), max_length=16, choices=NoticeKind.choices)
    message = models.TextField(_("通知内容"), blank=True)  # the SMS body as sent
    expected_restoration_at = models.DateTimeField(_("预计恢复时间"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("通知客户数"), default=0)
    sensitive_customers = models.PositiveIntegerField(_("其中重点用户"), default=0)
    messages = models.PositiveIntegerField(_("消息条数"), default=0)
    queued_at = models.DateTimeField(_("发出时间"), default=timezone.now)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("停水通知")
        verbose_name_plural = _("停水通知")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="noticeround_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.number} {self.kind}"

    @property
    def batch_key(self) -> str:
        return f"emergency:{self.case_id}:{self.number}"

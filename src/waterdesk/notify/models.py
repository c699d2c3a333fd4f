import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.core.masking import mask_contact


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class NotificationTemplate(models.Model):
    """The Chinese wording of one message on one channel; rendered with Django's template
    language when a notification is queued."""

    key = models.CharField(_("模板键"), max_length=100, help_text=_("如 new_connection.registered"))
    channel = models.CharField(_("渠道"), max_length=20, choices=NotificationChannel.choices)
    subject = models.CharField(_("邮件主题"), max_length=200, blank=True)
    body = models.TextField(_("正文"))
    description = models.CharField(_("说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        ordering = ["key", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel"], name="notificationtemplate_unique_key_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_channel_display()})"


class NotificationQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)


class Notification(models.Model):
    """One message to one address: the outbox row a worker delivers after commit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    template_key = models.CharField(_("模板键"), max_length=100)
    channel = models.CharField(_("渠道"), max_length=20, choices=NotificationChannel.choices)
    is_urgent = models.BooleanField(
        _("紧急"), default=False, help_text=_("紧急短信不受夜间免打扰限制。")
    )
    recipient_address = models.CharField(_("接收地址"), max_length=254)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收员工"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    body = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"))
    last_attempt_at = models.DateTimeField(_("最近发送时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送成功时间"), null=True, blank=True)
    provider_message_id = models.CharField(_("服务商消息号"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # The same (key, channel, address) is queued only once, e.g. "case:42:registered";
    # NULL means "no dedupe" and is what the partial unique constraint skips.
    dedupe_key = models.CharField(  # noqa: DJ001
        _("去重键"), max_length=200, null=True, blank=True
    )
    # The mass mailing the row belongs to (``notification_queue_bulk``: one notice round of
    # an outage to every affected customer); its workers take the rows batch by batch.
    batch_key = models.CharField(_("批次"), max_length=100, blank=True, default="", db_index=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "channel", "recipient_address"],
                condition=models.Q(dedupe_key__isnull=False),
                name="notification_unique_dedupe",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} → {mask_contact(self.recipient_address)}"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("成功")
    FAILED = "failed", _("失败")
    INTERRUPTED = "interrupted", _("中断")


class NotificationAttempt(models.Model):
    """Append-only delivery log: one row per finished (or abandoned) attempt."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("第几次"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"))
    outcome = models.CharField(_("结果"), max_length=20, choices=AttemptOutcome.choices)
    error = models.TextField(_("错误"), blank=True)
    provider_message_id = models.CharField(_("服务商消息号"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["notification", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "number"], name="notificationattempt_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}#{self.number} {self.outcome}"

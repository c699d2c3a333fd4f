import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import kind_choices


class Channel(models.TextChoices):
    COUNTER = "counter", _("营业厅")
    PHONE = "phone", _("电话")
    WEB = "web", _("网上营业厅")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("电子邮件")
    CITY_HOTLINE = "city_hotline", _("12345转办")
    API = "api", _("接口")
    SYSTEM = "system", _("系统生成")


class Priority(models.TextChoices):
    NORMAL = "normal", _("普通")
    GREEN = "green", _("绿色通道")


class CaseQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_at__isnull=True)

    def closed(self):
        return self.filter(closed_at__isnull=False)


class Case(models.Model):
    """Every tracked customer request, whatever its kind; the kind's detail model holds the rest."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("受理编号"), max_length=32, unique=True)
    kind = models.CharField(_("业务类型"), max_length=32, choices=kind_choices)
    channel = models.CharField(_("受理渠道"), max_length=20, choices=Channel.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    contact_name = models.CharField(_("联系人"), max_length=100)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    premise = models.ForeignKey(
        "customers.Premise",
        verbose_name=_("用水地址"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    priority = models.CharField(
        _("优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    green_channel_reason = models.CharField(_("绿色通道原因"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=40, db_index=True)
    summary = models.TextField(_("摘要"), blank=True)
    opened_at = models.DateTimeField(_("受理时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_cases",
    )
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Bumped by every transition; lets a client detect that somebody else moved the case.
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-opened_at", "-pk"]
        permissions = [
            ("register_case", _("可受理登记工单")),
            ("view_all_cases", _("可查看全部工单")),
            ("reassign_case", _("可改派工单")),
            ("withdraw_attachment", _("可撤回附件")),
        ]
        indexes = [
            models.Index(fields=["kind", "status"], name="case_kind_status_idx"),
            models.Index(fields=["closed_at", "assignee"], name="case_open_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_green(self) -> bool:
        return self.priority == Priority.GREEN


class CaseSequence(models.Model):
    """The last number handed out per prefix and day; numbers are never reused."""

    prefix = models.CharField(max_length=8)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "day"], name="casesequence_unique_prefix_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d}: {self.last_value}"


class CaseEvent(models.Model):
    """Append-only timeline of a case: every state change and every notable action."""

    # Evidence: a case with a timeline cannot be deleted (PROTECT), nor can its events.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("动作"), max_length=40)
    from_status = models.CharField(_("原状态"), max_length=40, blank=True)
    to_status = models.CharField(_("新状态"), max_length=40, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    return f"cases/{instance.case.public_id}/{uuid.uuid4().hex}"


# The longest reason a withdrawal may give.
ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH = 500


class AttachmentQuerySet(models.QuerySet):
    def current(self):
        """The attachments not withdrawn: what a case counts as supplied."""
        return self.filter(withdrawn_at__isnull=True)


class Attachment(models.Model):
    """A file on a case. Evidence: never deleted; a wrong file is withdrawn with a reason,
    stays listed (marked withdrawn) and keeps its file."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    material_code = models.CharField(_("材料类型"), max_length=40, blank=True)
    file = models.FileField(_("文件"), upload_to=attachment_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    # Empty: received by the system itself (a complaint's e-mail attachment).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.CharField(
        _("撤回原因"), max_length=ATTACHMENT_WITHDRAWAL_REASON_MAX_LENGTH, blank=True
    )

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            # Withdrawn means all three are set: when, by whom and why.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        withdrawn_at__isnull=True,
                        withdrawn_by__isnull=True,
                        withdrawal_reason="",
                    )
                    | (
                        models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                        & ~models.Q(withdrawal_reason="")
                    )
                ),
                name="attachment_withdrawal_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

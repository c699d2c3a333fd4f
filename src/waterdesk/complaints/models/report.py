"""Whistleblower reports (举报, R-V2) about staff conduct: the report itself, the reporter's
identity kept apart (only supervisors may open it, and every attempt is logged), the
evidence sent with it, and the log of who looked at the identity.

The case's ``contact_name`` is a placeholder and its ``contact_phone`` empty, so that no
queue, list, search, timeline, customer page, API case or document shows the reporter.
A report carries no tracking code in clear: only its SHA-256 hash.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

REPORT_TEXT_MAX_LENGTH = 4000
REPORT_LINE_MAX_LENGTH = 200
# What every case of the kind shows instead of the reporter's name.
REPORTER_PLACEHOLDER = "举报人（身份保密）"


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    INVESTIGATING = "investigating", _("调查核实中")
    CONCLUDED = "concluded", _("调查完毕")
    FEEDBACK_GIVEN = "feedback_given", _("已反馈")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")
    INVALID = "invalid", _("不予受理")


class ReportFinding(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    UNSUBSTANTIATED = "unsubstantiated", _("不属实")


class Report(models.Model):
    """What is reported: who (a name or a department as the reporter wrote it, and the
    staff member the investigator identified), when and where, the matter; the finding,
    the action taken and the feedback the reporter is given."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="report", verbose_name=_("工单")
    )
    subject = models.CharField(_("被举报人或部门"), max_length=REPORT_LINE_MAX_LENGTH)
    subject_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被举报员工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_when = models.CharField(_("发生时间"), max_length=REPORT_LINE_MAX_LENGTH, blank=True)
    occurred_where = models.CharField(_("发生地点"), max_length=REPORT_LINE_MAX_LENGTH, blank=True)
    matter = models.TextField(_("举报事项"))
    tracking_hash = models.CharField(max_length=64, unique=True, editable=False)
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调查人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finding = models.CharField(
        _("调查结论"), max_length=20, choices=ReportFinding.choices, blank=True
    )
    action_taken = models.TextField(_("处理措施"), blank=True)
    feedback = models.TextField(_("反馈内容"), blank=True)
    concluded_at = models.DateTimeField(_("调查完毕时间"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        permissions = [
            ("intake_report", _("可受理举报")),
            ("handle_report", _("可调查处理举报")),
            ("view_reporter_identity", _("可查看举报人身份")),
        ]

    def __str__(self) -> str:
        return str(self.case)


class ReportIdentity(models.Model):
    """Who reported, when they said so (all three may be empty: anonymous)."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="identity")
    name = models.CharField(_("举报人姓名"), max_length=100, blank=True)
    phone = models.CharField(_("举报人电话"), max_length=20, blank=True)
    email = models.EmailField(_("举报人邮箱"), blank=True)

    class Meta:
        verbose_name = _("举报人身份")
        verbose_name_plural = _("举报人身份")
        default_permissions = ()

    def __str__(self) -> str:  # never the identity itself
        return f"reporter of report {self.report_id}"

    @property
    def is_anonymous(self) -> bool:
        return not (self.name or self.phone or self.email)


def report_evidence_upload_to(instance: "ReportEvidence", filename: str) -> str:
    return f"reports/{instance.report.case.public_id}/{uuid.uuid4().hex}"


class ReportEvidence(models.Model):
    """A file the reporter sent with the report (evidence: never deleted)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=report_evidence_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("举报证据")
        verbose_name_plural = _("举报证据")
        ordering = ["received_at", "pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return self.original_name


class IdentityViewChannel(models.TextChoices):
    PAGE = "page", _("页面")
    API = "api", _("接口")


class ReporterIdentityView(models.Model):
    """Append-only: every attempt to open a reporter's identity, granted or refused."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员")
    )
    reason = models.CharField(_("查看原因"), max_length=REPORT_LINE_MAX_LENGTH, blank=True)
    channel = models.CharField(_("途径"), max_length=10, choices=IdentityViewChannel.choices)
    at = models.DateTimeField(_("时间"))
    granted = models.BooleanField(_("已准许"))

    class Meta:
        verbose_name = _("举报人身份查看记录")
        verbose_name_plural = _("举报人身份查看记录")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.case_id} {self.user_id} {self.at:%Y-%m-%d %H:%M} {self.granted}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ReporterIdentityView rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ReporterIdentityView rows are append-only")

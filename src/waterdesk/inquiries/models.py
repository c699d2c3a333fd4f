"""Inquiries (业务咨询, R-B1): the question categories and the detail of an inquiry case."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# The longest reply limit a category may set: an inquiry is a question, not a project.
MAX_REPLY_DAYS = 30
QUESTION_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 2000


class InquiryCategory(models.Model):
    """What the customer asks about: which department answers, and within how many working
    days (the answer deadline of the case, on the working-day calendar)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("答复部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inquiry_categories",
        help_text=_("留空则由受理人所在部门答复。"),
    )
    reply_days = models.PositiveSmallIntegerField(
        _("答复时限（工作日）"),
        default=1,
        validators=[MaxValueValidator(MAX_REPLY_DAYS)],
        help_text=_("未能当场答复的咨询，须在受理后第几个工作日下班前答复；0 表示当日答复。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("咨询类别")
        verbose_name_plural = _("咨询类别")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reply_days__lte=MAX_REPLY_DAYS), name="inquirycategory_reply_days_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InquiryStatus(models.TextChoices):
    AWAITING_ANSWER = "awaiting_answer", _("待答复")
    ANSWERED = "answered", _("已答复")
    CONVERTED = "converted", _("已转办")
    WITHDRAWN = "withdrawn", _("已撤销")


class AnswerChannel(models.TextChoices):
    """How the answer reached the customer."""

    ON_THE_SPOT = "on_the_spot", _("当场答复")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    PHONE = "phone", _("电话回复")


class Inquiry(models.Model):
    """The detail of an inquiry case (业务咨询), 1:1 with ``cases.Case``."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="inquiry"
    )
    category = models.ForeignKey(
        InquiryCategory,
        verbose_name=_("咨询类别"),
        on_delete=models.PROTECT,
        related_name="inquiries",
    )
    question = models.TextField(_("咨询内容"), max_length=QUESTION_MAX_LENGTH)
    # The address an e-mail inquiry came from: the answer goes back to it.
    email = models.EmailField(_("回复邮箱"), blank=True)
    answer = models.TextField(_("答复内容"), max_length=ANSWER_MAX_LENGTH, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer_channel = models.CharField(
        _("答复方式"), max_length=20, choices=AnswerChannel.choices, blank=True
    )
    converted_to = models.ForeignKey(
        "cases.Case",
        verbose_name=_("转办工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="converted_inquiries",
    )

    class Meta:
        verbose_name = _("业务咨询")
        verbose_name_plural = _("业务咨询")
        permissions = [
            ("intake_inquiry", _("可受理业务咨询")),
            ("answer_inquiry", _("可答复业务咨询")),
        ]
        constraints = [
            # Answered means all four are set: what, by whom, when and how it reached the
            # customer; unanswered means none is.
            models.CheckConstraint(
                condition=(
                    Q(
                        answer="",
                        answered_by__isnull=True,
                        answered_at__isnull=True,
                        answer_channel="",
                    )
                    | (
                        ~Q(answer="")
                        & Q(answered_by__isnull=False, answered_at__isnull=False)
                        & Q(answer_channel__in=AnswerChannel.values)
                    )
                ),
                name="inquiry_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return str(self.case_id)

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

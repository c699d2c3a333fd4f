"""Satisfaction surveys (满意度调查, R-K4): the policy per case kind, the surveys sent by SMS
with a single-use link, the periodic campaigns to a random sample of customers, and the
follow-up case (回访跟进) a low score opens."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.cases.kinds import kind_choices

SCORE_MIN = 1
SCORE_MAX = 5
COMMENT_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 1000


def _no_statuses() -> list:
    return []


class SurveyPolicy(models.Model):
    """Whether closed cases of one kind are surveyed: which closures count (answered, not
    withdrawn), which share of them (sampled by the case number, so it is reproducible),
    how long the link stays valid and which score opens a follow-up."""

    case_kind = models.CharField(_("业务类型"), max_length=32, choices=kind_choices, unique=True)
    is_enabled = models.BooleanField(_("启用"), default=True)
    sample_percent = models.PositiveSmallIntegerField(
        _("抽样比例（%）"),
        default=100,
        validators=[MaxValueValidator(100)],
        help_text=_("办结工单中发送问卷的比例，0–100。"),
    )
    counted_statuses = models.JSONField(
        _("计入的办结状态"),
        default=_no_statuses,
        blank=True,
        help_text=_("以这些状态办结的工单才发送问卷（如已办结、已答复），撤销、驳回的不计。"),
    )
    valid_days = models.PositiveSmallIntegerField(
        _("链接有效天数"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    low_score = models.PositiveSmallIntegerField(
        _("低分阈值"),
        default=2,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX - 1)],
        help_text=_("评分不高于此值时生成回访跟进任务。"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("满意度调查策略")
        verbose_name_plural = _("满意度调查策略")
        ordering = ["case_kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="surveypolicy_sample_percent_max"
            ),
            models.CheckConstraint(
                condition=Q(low_score__gte=SCORE_MIN, low_score__lt=SCORE_MAX),
                name="surveypolicy_low_score_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_case_kind_display())


class SurveyCampaign(models.Model):
    """A periodic survey: a random sample of active customers with a mobile number, each
    sent a survey about the service in general. The monthly one (``period`` set) runs once
    per month; ``manage.py surveys_sample`` runs others on demand."""

    period = models.CharField(_("月份"), max_length=7, blank=True)  # "2026-11", monthly runs
    sample_size = models.PositiveIntegerField(_("抽样数量"))
    sent_count = models.PositiveIntegerField(_("发送数量"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发起时间"))

    class Meta:
        verbose_name = _("定期满意度调查")
        verbose_name_plural = _("定期满意度调查")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"], condition=~Q(period=""), name="surveycampaign_unique_period"
            ),
        ]

    def __str__(self) -> str:
        return self.period or f"{self.created_at:%Y-%m-%d}"


class SurveyQuerySet(models.QuerySet):
    def answered(self):
        return self.filter(answered_at__isnull=False)


class Survey(models.Model):
    """One survey sent to one customer: about a closed case, or periodic (a campaign). The
    SMS link carries the raw token; only its SHA-256 is stored. Answered once: the answer
    is a compare-and-set on ``answered_at`` being empty."""

    public_id = models.UUIDField(_("编号"), default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survey",
    )
    campaign = models.ForeignKey(
        SurveyCampaign,
        verbose_name=_("定期调查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    case_kind = models.CharField(_("业务类型"), max_length=32, blank=True)  # "" periodic
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="satisfaction_surveys",
    )
    channel = models.CharField(_("发送渠道"), max_length=20, default="sms")
    sent_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    answered_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    comment = models.TextField(_("意见"), max_length=COMMENT_MAX_LENGTH, blank=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("满意度问卷")
        verbose_name_plural = _("满意度问卷")
        ordering = ["-sent_at", "-pk"]
        permissions = [("view_survey_results", _("可查看满意度统计"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, score__isnull=True)
                | Q(answered_at__isnull=False, score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="survey_answer_complete",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(campaign__isnull=False),
                name="survey_about_case_or_campaign",
            ),
        ]
        indexes = [models.Index(fields=["customer", "sent_at"], name="survey_customer_sent_idx")]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("待跟进")
    DONE = "done", _("已跟进")


class Feedback(models.Model):
    """The detail of a follow-up case (回访跟进) opened by a low survey score, 1:1 with
    ``cases.Case``: what the customer said and what was done about it."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="feedback"
    )
    survey = models.OneToOneField(
        Survey, verbose_name=_("问卷"), on_delete=models.PROTECT, related_name="feedback"
    )
    note = models.TextField(_("跟进情况"), max_length=NOTE_MAX_LENGTH, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("跟进时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回访跟进")
        verbose_name_plural = _("回访跟进")
        permissions = [("resolve_feedback", _("可办理回访跟进"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(note="", resolved_by__isnull=True, resolved_at__isnull=True)
                | (~Q(note="") & Q(resolved_by__isnull=False, resolved_at__isnull=False)),
                name="feedback_resolution_complete",
            ),
        ]

    def __str__(self) -> str:
        return str(self.case_id)

"""Complaints (投诉, R-K1..R-K4): categories, the policy, and the record of each complaint —
its rounds (each with its investigation report, interviews and reply), the handling plan
with its measures, the follow-up call and the lessons learned."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MATTER_MAX_LENGTH = 4000
TEXT_MAX_LENGTH = 4000
# Rounds beyond the policy's N go on (escalated) up to this many: a complaint that nine
# rounds did not settle is a matter for the management's decision, not a tenth reply.
ROUNDS_LIMIT = 9


class ComplaintCategory(models.Model):
    """What a complaint is about, and the department that investigates it by default."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaint_categories",
        help_text=_("留空则由受理人所在部门调查处理。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class ComplaintPolicy(models.Model):
    """The time limits and the escalation rule (one row, edited in the admin)."""

    acknowledge_days = models.PositiveSmallIntegerField(
        _("受理确认时限（工作日）"), default=1, validators=[MaxValueValidator(10)]
    )
    reply_days = models.PositiveSmallIntegerField(
        _("答复时限（工作日）"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("每一轮从开始调查到答复投诉人的时限；12345 转办件的平台时限更短时以平台为准。"),
    )
    max_rounds = models.PositiveSmallIntegerField(
        _("升级前的处理轮次"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(ROUNDS_LIMIT - 1)],
        help_text=_("投诉人对这么多轮答复仍不满意时，升级到部门负责人，再下一轮升级到公司领导。"),
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("回访时限（工作日）"), default=3, validators=[MaxValueValidator(30)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("投诉处理规则")
        verbose_name_plural = _("投诉处理规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rounds__gte=1, max_rounds__lte=ROUNDS_LIMIT - 1),
                name="complaintpolicy_max_rounds_range",
            ),
            models.CheckConstraint(condition=Q(reply_days__gte=1), name="complaintpolicy_reply"),
        ]

    def __str__(self) -> str:
        return str(_("投诉处理规则"))


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", _("待受理确认")
    INVESTIGATING = "investigating", _("调查处理中")
    AWAITING_RESPONSE = "awaiting_response", _("已答复待评价")
    RESOLVING = "resolving", _("措施落实与回访")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤诉")


class EscalationLevel(models.IntegerChoices):
    DEPARTMENT = 0, _("责任部门")
    DEPARTMENT_HEAD = 1, _("部门负责人")
    MANAGEMENT = 2, _("公司领导")


class RootCause(models.TextChoices):
    """The finding's cause, for the analysis of complaints."""

    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    DELAY = "delay", _("办理超时")
    BILLING_ERROR = "billing_error", _("水费差错")
    METER = "meter", _("水表问题")
    WATER_QUALITY = "water_quality", _("水质")
    PRESSURE_SUPPLY = "pressure_supply", _("水压或停水")
    REPAIR_QUALITY = "repair_quality", _("维修质量")
    CONSTRUCTION = "construction", _("施工影响")
    POLICY = "policy", _("政策理解")
    UNFOUNDED = "unfounded", _("投诉不属实")
    OTHER = "other", _("其他")


class ReplyChannel(models.TextChoices):
    """How a reply or the outcome reached the complainant."""

    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    VISIT = "visit", _("上门")
    LETTER = "letter", _("书面")
    CITY_HOTLINE = "city_hotline", _("12345 平台")


class Response(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    NOT_SATISFIED = "not_satisfied", _("不满意")


class Complaint(models.Model):
    """The detail of a complaint case (投诉), 1:1 with ``cases.Case``.

    Intake records the complainant (the case's contact), the matter, the demand, the
    category and who is complained about; the department investigating is the case's
    department. A transfer from the city's 12345 platform carries the platform's reference
    (unique: the same transfer twice is one case) and its deadline.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="complaint"
    )
    category = models.ForeignKey(
        ComplaintCategory,
        verbose_name=_("投诉类别"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    matter = models.TextField(_("投诉事项"), max_length=MATTER_MAX_LENGTH)
    demand = models.TextField(_("投诉诉求"), max_length=TEXT_MAX_LENGTH, blank=True)
    email = models.EmailField(_("回复邮箱"), blank=True)
    staff_concerned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被投诉员工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_concerning",
    )
    department_concerned = models.ForeignKey(
        "core.Department",
        verbose_name=_("被投诉部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_concerning",
    )
    linked_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("关联工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_about",
        help_text=_("投诉涉及的报修、业务或其他工单。"),
    )
    linked_bill = models.ForeignKey(
        "billing.Bill",
        verbose_name=_("关联账单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    city_reference = models.CharField(_("12345 工单号"), max_length=64, blank=True)
    city_deadline = models.DateTimeField(_("12345 办结时限"), null=True, blank=True)
    city_payload = models.JSONField(_("12345 转办内容"), default=dict, blank=True)
    round = models.PositiveSmallIntegerField(_("当前轮次"), default=1)
    escalation_level = models.PositiveSmallIntegerField(
        _("升级层级"), choices=EscalationLevel.choices, default=EscalationLevel.DEPARTMENT
    )
    root_cause = models.CharField(
        _("原因分类"), max_length=30, choices=RootCause.choices, blank=True
    )
    is_substantiated = models.BooleanField(_("投诉属实"), null=True, blank=True)
    plan_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("处理方案责任部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plan_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理方案责任人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plan_summary = models.TextField(_("处理方案"), max_length=TEXT_MAX_LENGTH, blank=True)
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    follow_up_note = models.TextField(_("回访记录"), max_length=TEXT_MAX_LENGTH, blank=True)
    follow_up_satisfaction = models.PositiveSmallIntegerField(
        _("回访满意度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    lessons = models.TextField(_("经验教训"), max_length=TEXT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        permissions = [
            ("intake_complaint", _("可受理投诉")),
            ("handle_complaint", _("可处理投诉（确认、答复、回访、办结）")),
            ("respond_complaint", _("可调查投诉并落实措施（责任部门）")),
            ("supervise_complaint", _("可督办投诉并查看投诉分析")),
            ("transfer_city_hotline", _("可推送和拉取 12345 转办件（平台接口）")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["city_reference"],
                condition=~Q(city_reference=""),
                name="complaint_unique_city_reference",
            ),
            models.CheckConstraint(
                condition=Q(round__gte=1, round__lte=ROUNDS_LIMIT), name="complaint_round_range"
            ),
            models.CheckConstraint(
                condition=Q(follow_up_at__isnull=True) | Q(follow_up_by__isnull=False),
                name="complaint_follow_up_complete",
            ),
        ]
        indexes = [models.Index(fields=["category", "root_cause"], name="complaint_cat_cause")]

    def __str__(self) -> str:
        return str(self.case_id)

    @property
    def is_from_city_hotline(self) -> bool:
        return bool(self.city_reference)


class ComplaintRound(models.Model):
    """One round of handling: investigated, replied, and the complainant's response. Round 1
    opens with the complaint; each "not satisfied" opens the next, with its reason."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("轮次"))
    opened_at = models.DateTimeField(_("开始时间"))
    reason = models.TextField(_("不满意原因"), max_length=TEXT_MAX_LENGTH, blank=True)
    reply = models.TextField(_("处理结果"), max_length=TEXT_MAX_LENGTH, blank=True)
    basis = models.TextField(_("处理依据"), max_length=TEXT_MAX_LENGTH, blank=True)
    reply_channel = models.CharField(
        _("答复方式"), max_length=20, choices=ReplyChannel.choices, blank=True
    )
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    response = models.CharField(
        _("投诉人评价"), max_length=20, choices=Response.choices, blank=True
    )
    response_note = models.TextField(_("评价说明"), max_length=TEXT_MAX_LENGTH, blank=True)
    response_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    response_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("处理轮次")
        verbose_name_plural = _("处理轮次")
        ordering = ["complaint", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "number"], name="complaintround_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(replied_at__isnull=True, reply="")
                | (Q(replied_at__isnull=False, replied_by__isnull=False) & ~Q(reply="")),
                name="complaintround_reply_complete",
            ),
            models.CheckConstraint(
                condition=Q(response="", response_at__isnull=True)
                | (~Q(response="") & Q(response_at__isnull=False, replied_at__isnull=False)),
                name="complaintround_response_after_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} #{self.number}"

    @property
    def is_replied(self) -> bool:
        return self.replied_at is not None


class Investigation(models.Model):
    """The investigation report of one round (调查报告; a later round's is its addendum):
    facts, the process, the finding and the proposal. A reply needs it."""

    round = models.OneToOneField(
        ComplaintRound, on_delete=models.PROTECT, primary_key=True, related_name="investigation"
    )
    facts = models.TextField(_("投诉事项核实情况"), max_length=TEXT_MAX_LENGTH)
    process = models.TextField(_("调查过程"), max_length=TEXT_MAX_LENGTH)
    finding = models.TextField(_("调查结论"), max_length=TEXT_MAX_LENGTH)
    proposal = models.TextField(_("处理建议"), max_length=TEXT_MAX_LENGTH)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("报告时间"))

    class Meta:
        verbose_name = _("调查报告")
        verbose_name_plural = _("调查报告")

    def __str__(self) -> str:
        return str(self.round)


class Interview(models.Model):
    """A party interviewed during a round's investigation (the complainant, staff, a
    witness) and what they said."""

    class Party(models.TextChoices):
        COMPLAINANT = "complainant", _("投诉人")
        STAFF = "staff", _("当事员工")
        WITNESS = "witness", _("证人")
        OTHER = "other", _("其他")

    round = models.ForeignKey(ComplaintRound, on_delete=models.PROTECT, related_name="interviews")
    person = models.CharField(_("被询问人"), max_length=100)
    party = models.CharField(_("身份"), max_length=20, choices=Party.choices)
    held_at = models.DateTimeField(_("询问时间"))
    summary = models.TextField(_("询问内容"), max_length=TEXT_MAX_LENGTH)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("询问记录")
        verbose_name_plural = _("询问记录")
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return self.person


class Measure(models.Model):
    """One measure of the handling plan: what, who, by when — tracked to done. A complaint
    closes only when all its measures are done."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="measures")
    round_number = models.PositiveSmallIntegerField(_("轮次"))
    description = models.TextField(_("措施"), max_length=TEXT_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("制定时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_note = models.TextField(_("落实情况"), max_length=TEXT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("处理措施")
        verbose_name_plural = _("处理措施")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True, done_note="")
                | (Q(done_at__isnull=False, done_by__isnull=False) & ~Q(done_note="")),
                name="measure_done_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

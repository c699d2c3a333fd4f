"""Repairs (报修, R-R1..R-R4): the fault catalogue, the repair policy, the detail of a
repair case, its callers, and its follow-up call.

A repair is a case (kind ``repair``) with one ``Repair`` detail. Every caller who reported
the same fault is a ``RepairContact`` of it — the first one too — and is told of progress
and completion. The crews' work is a ``fieldwork.WorkOrder`` of purpose ``repair``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

DESCRIPTION_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 2000


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    GENERAL = "general", _("一般")


class FaultType(models.Model):
    """A kind of fault the hotline records (故障类型), with its default urgency."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    default_urgency = models.CharField(
        _("默认紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.GENERAL
    )
    zone_wide = models.BooleanField(
        _("片区性故障"),
        default=False,
        help_text=_("同一供水片区内同类报修视为同一故障（如停水、水压低）。"),
    )
    informs_quality = models.BooleanField(
        _("通知水质部门"), default=False, help_text=_("如水质浑浊、发黄：报修同时告知水质部门。")
    )
    explained_by_incident = models.BooleanField(
        _("区域性供水故障"),
        default=False,
        help_text=_(
            "停水、水压低、水质异常、管道爆裂：报修地址位于应急事件影响范围内时，报修并入该事件，"
            "不再单独派单。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("故障类型")
        verbose_name_plural = _("故障类型")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class RepairPolicy(models.Model):
    """The repair rules the company sets (one row, the latest counts; history kept)."""

    contact_hours = models.PositiveSmallIntegerField(
        _("一般报修联系时限（小时）"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text=_("一般报修：维修人员须在此时限内联系客户并约定上门时间。"),
    )
    contact_in_business_hours = models.BooleanField(
        _("联系时限按工作时间计算"),
        default=False,
        help_text=_("勾选则只计工作时间（夜间、节假日报修顺延）；不勾选按自然时间计算。"),
    )
    duplicate_distance_m = models.PositiveIntegerField(
        _("重复报修判定距离（米）"), default=200, validators=[MaxValueValidator(5000)]
    )
    duplicate_window_hours = models.PositiveSmallIntegerField(
        _("重复报修判定时段（小时）"), default=24, validators=[MaxValueValidator(168)]
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("回访时限（天）"), default=3, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    repeat_fault_days = models.PositiveSmallIntegerField(
        _("返修判定天数"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("同一地址同类故障在此天数内再次报修，前一次维修记为不合格。"),
    )
    low_satisfaction = models.PositiveSmallIntegerField(
        _("低满意度阈值"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("回访满意度不高于此分值时，转责任部门处理。"),
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("报修承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("报修工单的承办部门（调度）；不填则为受理人所在部门。"),
    )
    quality_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("水质部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("水质类报修（如水质浑浊、发黄）通知该部门的全部在岗员工。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("维修规则")
        verbose_name_plural = _("维修规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class RepairStatus(models.TextChoices):
    AWAITING_DISPATCH = "awaiting_dispatch", _("待派单")
    DISPATCHED = "dispatched", _("已派单")
    ON_SITE = "on_site", _("现场处理中")
    COMPLETED = "completed", _("已完工待回访")
    CLOSED = "closed", _("已回访结案")
    CANCELLED = "cancelled", _("已撤销")
    # Inside an active incident's area, of a fault the incident explains: no crew is sent,
    # the caller is told of the incident; closed at its restoration.
    LINKED = "linked", _("已并入应急事件")


class Repair(models.Model):
    """The detail of a repair case, 1:1 with ``cases.Case``. The caller, the phone and the
    green channel are the case's; the place is here too (a report need not match a
    premise)."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="repair"
    )
    fault_type = models.ForeignKey(
        FaultType, verbose_name=_("故障类型"), on_delete=models.PROTECT, related_name="repairs"
    )
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices)
    description = models.TextField(_("故障描述"), max_length=DESCRIPTION_MAX_LENGTH)
    address = models.CharField(_("报修地址"), max_length=300)
    # The address reduced for comparison (``repairs.selectors.duplicates.address_key``):
    # two reports of one address typed differently are found as one place.
    address_key = models.CharField(max_length=300, blank=True, editable=False)
    zone = models.ForeignKey(
        "customers.SupplyZone",
        verbose_name=_("供水片区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("户号"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repairs",
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    reported_at = models.DateTimeField(_("报修时间"))
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完工时间"), null=True, blank=True)
    completed_by_crew = models.ForeignKey(
        "fieldwork.Crew",
        verbose_name=_("完成班组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The incident the report was linked to instead of being dispatched (status linked);
    # cleared when a dispatcher sends a crew separately after all.
    incident = models.ForeignKey(
        "cases.Case",
        verbose_name=_("应急事件"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Repair pass rate (维修合格率): a repeat of the same fault at the same premise within the
    # policy's days marks this repair failed, naming the repeat.
    failed = models.BooleanField(_("返修（不合格）"), default=False)
    failed_by = models.ForeignKey(
        "cases.Case",
        verbose_name=_("返修报修"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("报修")
        verbose_name_plural = _("报修")
        permissions = [
            ("intake_repair", _("受理报修")),
            ("dispatch_repair", _("报修派单")),
            ("follow_up_repair", _("维修回访")),
        ]
        indexes = [
            # Duplicate detection: open repairs of a fault type, newest first.
            models.Index(
                fields=["fault_type", "reported_at"],
                condition=Q(completed_at__isnull=True),
                name="repairs_open_by_fault",
            ),
            # Duplicate detection by place: the bounding box around a report, open repairs.
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(completed_at__isnull=True, latitude__isnull=False),
                name="repairs_open_by_place",
            ),
            # Duplicate detection by address typed the same way, open repairs.
            models.Index(
                fields=["address_key"],
                condition=Q(completed_at__isnull=True),
                name="repairs_open_by_address",
            ),
            # Repeat faults (pass rate): repairs at a premise by fault and completion.
            models.Index(fields=["fault_type", "completed_at"], name="repairs_completed_by_fault"),
            # The dispatcher's board: each open case's urgency read from the index alone
            # (PostgreSQL's covering index; elsewhere a plain index on the key).
            models.Index(fields=["case"], include=["urgency"], name="repairs_urgency_by_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.fault_type_id}"


class RepairContact(models.Model):
    """A caller who reported the fault (the first one, and every duplicate report linked
    to it): told of progress and completion."""

    repair = models.ForeignKey(Repair, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("报修人"), max_length=100)
    phone = models.CharField(_("联系电话"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("报修地址"), max_length=300, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    channel = models.CharField(_("渠道"), max_length=20)
    reported_at = models.DateTimeField(_("报修时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("报修人")
        verbose_name_plural = _("报修人")
        ordering = ["reported_at", "pk"]

    def __str__(self) -> str:
        return self.name


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("已回访")
    NOT_REACHED = "not_reached", _("未接通")
    DECLINED = "declined", _("客户拒绝回访")


class FollowUp(models.Model):
    """The follow-up call after a repair (维修回访)."""

    repair = models.ForeignKey(Repair, on_delete=models.CASCADE, related_name="follow_ups")
    outcome = models.CharField(_("回访结果"), max_length=16, choices=FollowUpOutcome.choices)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度（1–5）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comments = models.TextField(_("客户意见"), max_length=COMMENT_MAX_LENGTH, blank=True)
    referred = models.BooleanField(_("已转责任部门"), default=False)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("回访时间"))

    class Meta:
        verbose_name = _("维修回访")
        verbose_name_plural = _("维修回访")
        ordering = ["called_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="followup_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.repair_id} {self.outcome}"

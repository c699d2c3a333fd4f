"""Working-day calendar, SLA policies and the clocks that run on cases.

The calendar tables are master data edited by administrators (with history); every edit goes
through ``waterdesk.sla.services`` so that the deadlines of open clocks are recomputed.
"""

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.cases.kinds import kind_choices, kind_spec
from waterdesk.cases.models import Priority


class CalendarYear(models.Model):
    """One year of the official schedule; unconfirmed years are provisional."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    is_confirmed = models.BooleanField(_("已确认官方安排"), default=False)
    note = models.TextField(_("备注"), blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

    @property
    def is_provisional(self) -> bool:
        return not self.is_confirmed


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日/休息日")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """An override of the weekday rule: a day off on a weekday, or a working weekend day."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CalendarDayKind.values), name="calendarday_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


DEFAULT_BUSINESS_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)


class BusinessHours(models.Model):
    """One period of a working day (e.g. 08:30–12:00); the periods never overlap."""

    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    ordering = models.PositiveSmallIntegerField(_("顺序"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("营业时间")
        verbose_name_plural = _("营业时间")
        ordering = ["ordering", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")), name="businesshours_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class SlaUnit(models.TextChoices):
    CALENDAR_HOURS = "calendar_hours", _("自然小时")
    WORKING_HOURS = "working_hours", _("工作小时")
    WORKING_DAYS = "working_days", _("工作日")


class SlaPolicy(models.Model):
    """The time limit of one milestone of one case kind and priority."""

    case_kind = models.CharField(_("业务类型"), max_length=32, choices=kind_choices)
    milestone = models.SlugField(_("节点"), max_length=40)
    priority = models.CharField(
        _("优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    amount = models.DecimalField(_("时限"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=20, choices=SlaUnit.choices)
    at_risk_ratio = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default="0.80",
        help_text=_("已用时间达到时限的该比例时预警，例如 0.80。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("时限策略")
        verbose_name_plural = _("时限策略")
        ordering = ["case_kind", "milestone", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_kind", "milestone", "priority"],
                name="slapolicy_unique_kind_milestone_priority",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="slapolicy_amount_positive"),
            models.CheckConstraint(
                condition=Q(at_risk_ratio__gt=0, at_risk_ratio__lte=1),
                name="slapolicy_at_risk_ratio_range",
            ),
            models.CheckConstraint(
                condition=Q(unit__in=SlaUnit.values), name="slapolicy_unit_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_kind_display()} · {self.milestone} · {self.get_priority_display()}"

    def clean(self) -> None:
        if (
            self.unit == SlaUnit.WORKING_DAYS
            and self.amount is not None
            and self.amount != self.amount.to_integral_value()
        ):
            raise ValidationError({"amount": _("以工作日计的时限必须是整数。")})


class ClockState(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("按时完成")
    BREACHED = "breached", _("超时完成")
    CANCELLED = "cancelled", _("已取消")


OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)
STOPPED_CLOCK_STATES = (ClockState.MET, ClockState.BREACHED, ClockState.CANCELLED)


class SlaClockQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state__in=OPEN_CLOCK_STATES)

    def running(self):
        return self.filter(state=ClockState.RUNNING)


class SlaClock(models.Model):
    """The time limit of one milestone of one case.

    ``unit`` and ``amount`` are copied from the policy when the clock starts, so editing a
    policy never moves the deadline of a running case. ``paused_minutes`` is the total time
    spent paused, measured in the clock's unit (calendar minutes for calendar hours, working
    minutes otherwise); ``due_at`` always equals the deadline computed from ``started_at``,
    the snapshot and ``paused_minutes`` (the current pause is added when it ends).
    """

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("工单"), on_delete=models.CASCADE, related_name="clocks"
    )
    milestone = models.SlugField(_("节点"), max_length=40)
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("时限策略"), on_delete=models.PROTECT, related_name="clocks"
    )
    unit = models.CharField(_("单位"), max_length=20, choices=SlaUnit.choices)
    amount = models.DecimalField(_("时限"), max_digits=8, decimal_places=2)
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("截止时间"))
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(_("累计暂停（分钟）"), default=0)
    state = models.CharField(
        _("状态"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    stopped_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    at_risk_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    is_late = models.BooleanField(_("超时"), default=False)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("时限计时")
        verbose_name_plural = _("时限计时")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "milestone"], name="slaclock_unique_case_milestone"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("started_at")), name="slaclock_due_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(state=ClockState.PAUSED) & Q(paused_at__isnull=False))
                | (~Q(state=ClockState.PAUSED) & Q(paused_at__isnull=True)),
                name="slaclock_paused_at_iff_paused",
            ),
            models.CheckConstraint(
                condition=(Q(state__in=STOPPED_CLOCK_STATES) & Q(stopped_at__isnull=False))
                | (Q(state__in=OPEN_CLOCK_STATES) & Q(stopped_at__isnull=True)),
                name="slaclock_stopped_at_iff_stopped",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="slaclock_state_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.milestone}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CLOCK_STATES


def milestone_label(milestone: str, kind: str) -> str:
    """The display name the case kind gives a milestone (its registration); unknown slugs
    are shown as they are."""
    return str(kind_spec(kind).milestones.get(milestone, milestone))

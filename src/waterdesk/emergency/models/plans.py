"""Emergency plans (应急预案, R-E1): per incident type, versioned. A version is edited as a
draft and published by the emergency office; a published version is never changed again
(the next edit is a new draft), so an incident or a drill always shows the plan it ran on.

A version holds its response levels (with their triggers), the organisation (who is called
at each level: a role, the on-duty manager, the crew on call or a named person), the
procedure as ordered checklist steps, and the resources."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IncidentType(models.TextChoices):
    PIPE_BURST = "pipe_burst", _("管道爆裂")
    POLLUTION = "pollution", _("水质污染")
    NATURAL_DISASTER = "natural_disaster", _("自然灾害")
    SUPPLY_SHORTAGE = "supply_shortage", _("供水不足")
    OTHER = "other", _("其他")


class ResponseLevel(models.IntegerChoices):
    """Chinese practice: level Ⅰ is the most severe."""

    I = 1, _("Ⅰ级（特别重大）")  # noqa: E741
    II = 2, _("Ⅱ级（重大）")
    III = 3, _("Ⅲ级（较大）")
    IV = 4, _("Ⅳ级（一般）")


class EmergencyPlan(models.Model):
    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("预案名称"), max_length=200)
    incident_type = models.CharField(_("事件类型"), max_length=20, choices=IncidentType.choices)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("应急预案")
        verbose_name_plural = _("应急预案")
        ordering = ["incident_type", "code"]
        permissions = [("manage_plans", _("编制和发布应急预案"))]

    def __str__(self) -> str:
        return self.name


class PlanVersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("现行")
    SUPERSEDED = "superseded", _("已废止")


class PlanVersion(models.Model):
    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=PlanVersionStatus.choices,
        default=PlanVersionStatus.DRAFT,
    )
    change_note = models.CharField(_("修订说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("预案版本")
        verbose_name_plural = _("预案版本")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planversion_unique_number"),
            # At most one current version and one draft per plan.
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(status="published"),
                name="planversion_one_published",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(status="draft"),
                name="planversion_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanLevel(models.Model):
    """A response level of a version and what triggers it (any one trigger suffices)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("响应级别"), choices=ResponseLevel.choices)
    trigger_customers = models.PositiveIntegerField(
        _("影响户数达到"), null=True, blank=True, help_text=_("受影响客户数达到此数即启动本级。")
    )
    trigger_hours = models.PositiveIntegerField(
        _("预计停水时长达到（小时）"), null=True, blank=True
    )
    trigger_quality_failure = models.BooleanField(_("水质检测不合格即启动"), default=False)
    trigger_note = models.CharField(_("其他启动条件"), max_length=300, blank=True)
    response_minutes = models.PositiveIntegerField(
        _("响应时限（分钟）"), default=30, help_text=_("启动后相关人员到位的时限（演练考核用）。")
    )

    class Meta:
        verbose_name = _("响应级别")
        verbose_name_plural = _("响应级别")
        ordering = ["version", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "level"], name="planlevel_unique_level"),
        ]

    def __str__(self) -> str:
        return self.get_level_display()


class ContactTarget(models.TextChoices):
    ROLE = "role", _("岗位（全部人员）")
    DUTY_MANAGER = "duty_manager", _("当班值班主任")
    CREW_ON_CALL = "crew_on_call", _("当班抢修班组")
    PERSON = "person", _("指定人员")


class PlanContact(models.Model):
    """Who is called when the plan is activated at ``level`` or a more severe one."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="contacts")
    level = models.PositiveSmallIntegerField(_("自此级别起"), choices=ResponseLevel.choices)
    target = models.CharField(_("通知对象"), max_length=16, choices=ContactTarget.choices)
    role = models.CharField(_("岗位"), max_length=40, blank=True)  # core.roles.Role value
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    duty = models.CharField(_("职责"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("应急组织")
        verbose_name_plural = _("应急组织")
        ordering = ["version", "-level", "pk"]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.role or self.user_id or ''}".strip()


class PlanStep(models.Model):
    """One step of the procedure: an ordered checklist item that becomes an incident task."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("处置步骤"), max_length=300)
    # The step applies from this level on (a level Ⅳ step applies to every level); None: all.
    level = models.PositiveSmallIntegerField(
        _("适用级别"), choices=ResponseLevel.choices, null=True, blank=True
    )
    owner_role = models.CharField(_("负责岗位"), max_length=40, blank=True)
    target_minutes = models.PositiveIntegerField(
        _("完成时限（分钟）"), null=True, blank=True, help_text=_("自启动预案起算。")
    )

    class Meta:
        verbose_name = _("处置步骤")
        verbose_name_plural = _("处置步骤")
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="planstep_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class ResourceKind(models.TextChoices):
    TANKER = "tanker", _("送水车")
    BOTTLED_WATER = "bottled_water", _("桶装/瓶装水")
    STANDBY_CREW = "standby_crew", _("备勤抢修队伍")
    EQUIPMENT = "equipment", _("抢修设备")
    OTHER = "other", _("其他")


class PlanResource(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("资源类别"), max_length=16, choices=ResourceKind.choices)
    description = models.CharField(_("名称/规格"), max_length=200)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    location = models.CharField(_("存放/驻地"), max_length=200, blank=True)
    contact = models.CharField(_("联系人及电话"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("应急资源")
        verbose_name_plural = _("应急资源")
        ordering = ["version", "kind", "pk"]

    def __str__(self) -> str:
        return self.description


class DutyShift(models.Model):
    """The emergency duty roster: who is the duty manager (值班主任) when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("值班主任"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))

    class Meta:
        verbose_name = _("应急值班")
        verbose_name_plural = _("应急值班")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="emergency_dutyshift_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}"

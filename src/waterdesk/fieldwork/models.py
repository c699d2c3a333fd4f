"""Field work (外勤): crews, their members and vehicles, who is on call when, and the work
orders they carry out for a case (a repair; later disconnections, reconnections and meter
exchanges).

A work order belongs to one case and one purpose (``fieldwork.purposes``: the case kind's
hook that reacts to the order's moves); it is carried out by one crew. Its moves, who may
make them and what each records are ``fieldwork.workflow`` and ``fieldwork.services``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.core.money import money_field

REASON_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 2000


class Crew(models.Model):
    """A repair or field crew (班组)."""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="crews",
    )
    phone = models.CharField(_("班组电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("班组")
        verbose_name_plural = _("班组")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CrewMember(models.Model):
    """A staff user in a crew; a user works in one crew at a time."""

    crew = models.ForeignKey(
        Crew, verbose_name=_("班组"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="crew_membership",
    )
    is_leader = models.BooleanField(_("班组长"), default=False)

    class Meta:
        verbose_name = _("班组成员")
        verbose_name_plural = _("班组成员")
        ordering = ["crew", "-is_leader", "user__username"]

    def __str__(self) -> str:
        return f"{self.crew} · {self.user}"


class Vehicle(models.Model):
    plate = models.CharField(_("车牌号"), max_length=16, unique=True)
    description = models.CharField(_("车辆说明"), max_length=100, blank=True)
    crew = models.ForeignKey(
        Crew,
        verbose_name=_("所属班组"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vehicles",
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        ordering = ["plate"]

    def __str__(self) -> str:
        return self.plate


class DutyShift(models.Model):
    """A crew on call (值班) from ``starts_at`` to ``ends_at``: the roster that says who takes
    an urgent job tonight."""

    crew = models.ForeignKey(
        Crew, verbose_name=_("班组"), on_delete=models.CASCADE, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["starts_at", "crew"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="dutyshift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.crew} {self.starts_at:%Y-%m-%d %H:%M}"


class WorkOrderStatus(models.TextChoices):
    ASSIGNED = "assigned", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    EN_ROUTE = "en_route", _("已出发")
    ARRIVED = "arrived", _("已到达")
    WORK_DONE = "work_done", _("已完工")
    SIGNED_OFF = "signed_off", _("已签字确认")
    NOT_COMPLETED = "not_completed", _("未能完成")
    CANCELLED = "cancelled", _("已撤单")


OPEN_STATUSES = (
    WorkOrderStatus.ASSIGNED,
    WorkOrderStatus.ACCEPTED,
    WorkOrderStatus.EN_ROUTE,
    WorkOrderStatus.ARRIVED,
    WorkOrderStatus.WORK_DONE,
)


class WorkOrder(models.Model):
    """One job for a crew at a place, for a case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("工单号"), max_length=32, unique=True)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("业务"), on_delete=models.PROTECT, related_name="work_orders"
    )
    purpose = models.CharField(_("工单类型"), max_length=32)  # a registered purpose
    crew = models.ForeignKey(
        Crew, verbose_name=_("班组"), on_delete=models.PROTECT, related_name="work_orders"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=WorkOrderStatus.choices, default=WorkOrderStatus.ASSIGNED
    )
    urgent = models.BooleanField(_("紧急"), default=False)
    address = models.CharField(_("地址"), max_length=300)
    premise = models.ForeignKey(
        "customers.Premise",
        verbose_name=_("用水地址"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
    )
    contact_name = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    description = models.TextField(_("工作内容"), max_length=TEXT_MAX_LENGTH)
    # The visit booked with the customer (general jobs), or the window the dispatcher set.
    window_start = models.DateTimeField(_("预约开始"), null=True, blank=True)
    window_end = models.DateTimeField(_("预约结束"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系客户时间"), null=True, blank=True)
    # Timestamps of the moves.
    assigned_at = models.DateTimeField(_("派单时间"))
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    arrived_latitude = models.DecimalField(
        _("到达纬度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    arrived_longitude = models.DecimalField(
        _("到达经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    work_done_at = models.DateTimeField(_("完工时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结单时间"), null=True, blank=True)
    # On site.
    diagnosis = models.TextField(_("故障诊断"), max_length=TEXT_MAX_LENGTH, blank=True)
    plan = models.TextField(_("维修方案"), max_length=TEXT_MAX_LENGTH, blank=True)
    estimate_minutes = models.PositiveIntegerField(_("预计用时（分钟）"), null=True, blank=True)
    estimate_cost = money_field(_("预计费用（元）"), null=True, blank=True)
    estimate_accepted_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    expected_done_at = models.DateTimeField(_("预计完成时间"), null=True, blank=True)
    site_cleaned = models.BooleanField(_("已清理现场"), default=False)
    use_demonstrated = models.BooleanField(_("已演示使用"), default=False)
    result = models.TextField(_("处理结果"), max_length=TEXT_MAX_LENGTH, blank=True)
    # What the order's purpose records at finish besides the result (its finish form's
    # fields: a meter reading, a seal number), as the finish event's data.
    finish_details = models.JSONField(_("完工记录"), default=dict, blank=True)
    # The customer's signature on the screen (PNG), or why there is none.
    signature = models.BinaryField(_("客户签名"), null=True, blank=True, editable=False)
    signer_name = models.CharField(_("签字人"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    no_signature_reason = models.CharField(
        _("未签字原因"), max_length=REASON_MAX_LENGTH, blank=True
    )
    not_completed_reason = models.CharField(
        _("未能完成原因"), max_length=REASON_MAX_LENGTH, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("外勤工单")
        verbose_name_plural = _("外勤工单")
        ordering = ["-assigned_at", "-pk"]
        permissions = [
            ("dispatch_workorder", _("派单、改派与撤单")),
            ("work_workorder", _("处理本班组的工单")),
        ]
        indexes = [
            models.Index(
                fields=["crew", "assigned_at"],
                condition=Q(closed_at__isnull=True),
                name="fieldwork_order_open_by_crew",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class WorkOrderEvent(models.Model):
    """Every move and step of an order (append-only): the order's timeline."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"


class MaterialUse(models.Model):
    """Material used on an order (物料)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("物料名称"), max_length=100)
    specification = models.CharField(_("规格"), max_length=100, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=16)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("使用物料")
        verbose_name_plural = _("使用物料")
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="materialuse_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.quantity}{self.unit}"


def _photo_path(instance, filename: str) -> str:
    extension = "png" if instance.content_type == "image/png" else "jpg"
    return f"fieldwork/{instance.order.public_id}/{uuid.uuid4().hex}.{extension}"


class WorkOrderPhoto(models.Model):
    """A photo taken on site (before, during, after the work)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=_photo_path)
    content_type = models.CharField(max_length=40)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["taken_at", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name

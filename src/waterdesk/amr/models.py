"""Remote-read meters (远传/NB-IoT): the head-end systems that push their readings, the
meters they read, the daily readings kept, the alarms raised from them, the valve commands
sent through them, the files imported and the billing reads made per cycle.

A reading is stored once per meter and timestamp (``remotereading_unique_meter_time``): a
head-end that pushes the same batch twice stores nothing the second time. An alarm is open
at most once per meter and kind (``amralarm_unique_open``). A valve command is approved by
another person than the one who asked (``valvecommand_second_person``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

VOLUME = {"max_digits": 12, "decimal_places": 3}


class HeadEnd(models.Model):
    """A head-end system (远传主站) of a meter vendor or an NB-IoT platform. It calls the push
    API as its own machine user (no password, no role) with a token of which only the
    SHA-256 hash is kept (``token_hash``); the key is shown once when issued."""

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接口用户"),
        on_delete=models.PROTECT,
        related_name="amr_head_end",
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, blank=True, db_index=True)
    token_issued_at = models.DateTimeField(_("令牌签发时间"), null=True, blank=True)
    # The adapter that sends valve commands ("sandbox": answers at once, no network).
    adapter = models.CharField(_("接口适配器"), max_length=30, default="sandbox")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("远传主站")
        verbose_name_plural = _("远传主站")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ValveState(models.TextChoices):
    OPEN = "open", _("开阀")
    CLOSED = "closed", _("关阀")
    UNKNOWN = "unknown", _("未知")


class RemoteMeter(models.Model):
    """A customer's meter read by a head-end: its device id (IMEI / NB-IoT id), whether it
    has a valve the head-end can turn, and what it last told us."""

    meter = models.OneToOneField(
        "customers.Meter",
        verbose_name=_("水表"),
        on_delete=models.PROTECT,
        related_name="remote",
    )
    head_end = models.ForeignKey(
        HeadEnd, verbose_name=_("远传主站"), on_delete=models.PROTECT, related_name="meters"
    )
    device_id = models.CharField(_("设备号"), max_length=40, unique=True)
    supports_valve = models.BooleanField(_("带阀控"), default=False)
    valve_state = models.CharField(
        _("阀门状态"), max_length=10, choices=ValveState.choices, default=ValveState.UNKNOWN
    )
    battery_percent = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最后通讯时间"), null=True, blank=True)
    last_value = models.DecimalField(_("最新读数"), null=True, blank=True, **VOLUME)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("远传水表")
        verbose_name_plural = _("远传水表")
        ordering = ["device_id"]
        permissions = [
            ("view_remote_meter", _("查看远传水表")),
            ("import_remote_reading", _("导入远传读数")),
            ("make_billing_read", _("生成远传结算读数")),
            ("manage_alarm", _("处理远传告警")),
            ("request_valve_command", _("申请阀控指令")),
            ("approve_valve_command", _("审批阀控指令")),
            ("manage_head_end", _("管理远传主站")),
        ]

    def __str__(self) -> str:
        return self.device_id


class RemoteImport(models.Model):
    """A head-end's export file imported from the desk, with its counts and per-line errors
    ([{"line": n, "code": ..., "message": ...}])."""

    head_end = models.ForeignKey(
        HeadEnd, verbose_name=_("远传主站"), on_delete=models.PROTECT, related_name="imports"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    encoding = models.CharField(_("编码"), max_length=20)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("导入时间"))
    received = models.PositiveIntegerField(_("行数"), default=0)
    stored = models.PositiveIntegerField(_("新增"), default=0)
    duplicate = models.PositiveIntegerField(_("重复"), default=0)
    rejected = models.PositiveIntegerField(_("拒收"), default=0)
    errors = models.JSONField(_("错误行"), default=list, blank=True)

    class Meta:
        verbose_name = _("远传读数导入")
        verbose_name_plural = _("远传读数导入")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class RemoteReading(models.Model):
    """One reading pushed (or imported) for a remote meter at ``read_at``; the daily reads
    are kept. Flags as the head-end reports them; ``night_flow`` is the minimum night flow
    (m³/h) when the head-end computes it."""

    remote_meter = models.ForeignKey(
        RemoteMeter, verbose_name=_("远传水表"), on_delete=models.PROTECT, related_name="readings"
    )
    read_at = models.DateTimeField(_("读数时间"))
    value = models.DecimalField(_("读数"), **VOLUME)
    reverse_flow = models.BooleanField(_("倒流"), default=False)
    low_battery = models.BooleanField(_("低电量"), default=False)
    leak = models.BooleanField(_("疑似漏水"), default=False)
    night_flow = models.DecimalField(
        _("最小夜间流量（m³/h）"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    battery_percent = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"))
    import_batch = models.ForeignKey(
        RemoteImport, on_delete=models.PROTECT, null=True, blank=True, related_name="readings"
    )

    class Meta:
        verbose_name = _("远传读数")
        verbose_name_plural = _("远传读数")
        ordering = ["-read_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["remote_meter", "read_at"], name="remotereading_unique_meter_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.remote_meter_id}@{self.read_at:%Y-%m-%d %H:%M}"


class AmrPolicy(models.Model):
    """The thresholds of the remote-read rules; one row (pk 1), edited in the admin."""

    silence_days = models.PositiveSmallIntegerField(
        _("无数据告警天数"), default=3, help_text=_("超过该天数未收到读数即告警。")
    )
    low_battery_percent = models.PositiveSmallIntegerField(_("低电量阈值（%）"), default=20)
    night_flow_threshold = models.DecimalField(
        _("夜间流量阈值（m³/h）"), max_digits=10, decimal_places=3, default=Decimal("0.010")
    )
    night_flow_nights = models.PositiveSmallIntegerField(_("连续夜数"), default=3)
    # How many days before a cycle's read_to a reading may be to become its billing read.
    billing_window_days = models.PositiveSmallIntegerField(
        _("结算读数回溯天数"),
        default=0,
        help_text=_("0 表示以账期的抄表开始日为窗口起点。"),
    )

    class Meta:
        verbose_name = _("远传规则")
        verbose_name_plural = _("远传规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AlarmKind(models.TextChoices):
    SILENT = "silent", _("长时间无数据")
    REVERSE_FLOW = "reverse_flow", _("倒流")
    NIGHT_FLOW = "night_flow", _("夜间流量异常（疑似漏水）")
    LOW_BATTERY = "low_battery", _("低电量")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已解决")


class Alarm(models.Model):
    """An alarm of a remote meter, a task in the alarm queue until someone resolves it."""

    remote_meter = models.ForeignKey(
        RemoteMeter, verbose_name=_("远传水表"), on_delete=models.PROTECT, related_name="alarms"
    )
    kind = models.CharField(_("告警类型"), max_length=20, choices=AlarmKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=AlarmStatus.choices, default=AlarmStatus.OPEN
    )
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("告警时间"))
    # The reading (or the last contact) that raised it: a later alarm needs newer evidence.
    evidence_at = models.DateTimeField(_("依据时间"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解决人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(_("处理结果"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("远传告警")
        verbose_name_plural = _("远传告警")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["remote_meter", "kind"],
                condition=Q(status="open"),
                name="amralarm_unique_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ValveAction(models.TextChoices):
    OPEN = "open", _("开阀")
    CLOSE = "close", _("关阀")


class ValveCommandState(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准待发送")
    SENT = "sent", _("已发送待确认")
    CONFIRMED = "confirmed", _("已确认执行")
    FAILED = "failed", _("执行失败")
    REFUSED = "refused", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤销")


class ValveOrigin(models.TextChoices):
    MANUAL = "manual", _("人工申请")
    DISCONNECTION = "disconnection", _("欠费停水")
    RECONNECTION = "reconnection", _("缴费复水")


class ValveCommand(models.Model):
    """An open/close command for a meter's valve: requested, approved by a second person,
    sent to the head-end, then confirmed (its confirmation id and time kept) or failed.
    Commands of the collection ladder carry the ladder's approval (the disconnection
    order's) and its case."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    remote_meter = models.ForeignKey(
        RemoteMeter,
        verbose_name=_("远传水表"),
        on_delete=models.PROTECT,
        related_name="valve_commands",
    )
    action = models.CharField(_("指令"), max_length=10, choices=ValveAction.choices)
    reason = models.CharField(_("原因"), max_length=300)
    origin = models.CharField(
        _("来源"), max_length=20, choices=ValveOrigin.choices, default=ValveOrigin.MANUAL
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("业务"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=ValveCommandState.choices,
        default=ValveCommandState.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    confirmation_id = models.CharField(_("主站确认号"), max_length=64, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=300, blank=True)
    # The crew chosen when the ladder's order was approved: sent if the command fails.
    fallback_crew_id = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("阀控指令")
        verbose_name_plural = _("阀控指令")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(requested_by__isnull=True)
                | ~Q(approved_by=F("requested_by")),
                name="valvecommand_second_person",
            ),
            models.UniqueConstraint(
                fields=["remote_meter"],
                condition=Q(state__in=["requested", "approved", "sent"]),
                name="valvecommand_one_pending_per_meter",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"FK{self.pk:06d}"


class ValveCommandEvent(models.Model):
    """Append-only history of a valve command (requested, approved, sent, confirmed, …)."""

    command = models.ForeignKey(ValveCommand, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.action


class BillingReadRun(models.Model):
    """One run of "make the billing reads of a cycle": what it created and which meters it
    skipped, with the reason ([{"meter": serial, "code": ..., "message": ...}])."""

    cycle = models.ForeignKey(
        "billing.ReadingCycle", verbose_name=_("账期"), on_delete=models.PROTECT, related_name="+"
    )
    run_at = models.DateTimeField(_("运行时间"))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.PositiveIntegerField(_("新建结算读数"), default=0)
    existing = models.PositiveIntegerField(_("已有结算读数"), default=0)
    skipped = models.JSONField(_("跳过"), default=list, blank=True)

    class Meta:
        verbose_name = _("远传结算读数生成")
        verbose_name_plural = _("远传结算读数生成")
        ordering = ["-run_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.cycle_id}@{self.run_at:%Y-%m-%d %H:%M}"

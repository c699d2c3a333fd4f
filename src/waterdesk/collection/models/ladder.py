"""The dunning ladder (催缴, R-C7, issue 11 §2–§3): one collection case per account in
arrears, its steps as tasks with a due date and an outcome, the written disconnection
notice, the disconnection order that a supervisor approves, instalment plans, and what was
collected while the case was open.

A collection case is a ``cases.Case`` of kind ``collection`` with one ``Dunning`` detail;
its status is the rung of the ladder it stands on (``DunningStatus``). The ladder of each
strategy is its ``LadderStep`` rows. Nothing here is edited in place by people: the
services of ``waterdesk.collection.services`` write, and every move is a case event.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.collection.models.classification import CollectionStrategy
from waterdesk.core.money import money_field

NOTE_MAX_LENGTH = 1000


class StepKind(models.TextChoices):
    REMINDER = "reminder", _("短信/微信提醒")
    CALL = "call", _("电话催缴")
    VISIT = "visit", _("上门催缴")
    NOTICE = "notice", _("停水通知")
    DISCONNECTION = "disconnection", _("停水")


# The order of the rungs: a strategy's steps keep it (a step may be left out).
STEP_ORDER = (
    StepKind.REMINDER,
    StepKind.CALL,
    StepKind.VISIT,
    StepKind.NOTICE,
    StepKind.DISCONNECTION,
)


class LadderStep(models.Model):
    """One rung of a strategy's ladder: ``wait_days`` after the previous rung ended (its
    task done, or its promise broken), the rung's task is created, due ``due_days`` later."""

    strategy = models.ForeignKey(
        CollectionStrategy,
        verbose_name=_("催收策略"),
        on_delete=models.CASCADE,
        related_name="steps",
    )
    kind = models.CharField(_("步骤"), max_length=20, choices=StepKind.choices)
    wait_days = models.PositiveSmallIntegerField(
        _("间隔天数"),
        default=3,
        validators=[MaxValueValidator(180)],
        help_text=_("上一步结束后再过多少天开始这一步；第一步为进入催收后多少天。"),
    )
    due_days = models.PositiveSmallIntegerField(
        _("办理时限（天）"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("这一步的任务在开始后多少天内办完。"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("催收步骤")
        verbose_name_plural = _("催收步骤")
        constraints = [
            models.UniqueConstraint(fields=["strategy", "kind"], name="ladderstep_unique_kind")
        ]

    def __str__(self) -> str:
        return f"{self.strategy} · {self.get_kind_display()}"

    @property
    def position(self) -> int:
        return STEP_ORDER.index(self.kind)


class CollectionPolicy(models.Model):
    """The collection rules the company sets (one row, the latest counts; history kept)."""

    notice_days = models.PositiveSmallIntegerField(
        _("停水通知期（天）"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("书面停水通知送达后，满此天数方可停水。"),
    )
    promise_grace_days = models.PositiveSmallIntegerField(
        _("承诺缴费宽限（天）"),
        default=2,
        validators=[MaxValueValidator(30)],
        help_text=_("客户承诺的缴费日过后再等多少天，仍未缴清即进入下一步。"),
    )
    promise_max_days = models.PositiveSmallIntegerField(
        _("承诺缴费最长（天）"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text=_("承诺缴费日最晚可在登记后多少天。"),
    )
    plan_max_instalments = models.PositiveSmallIntegerField(
        _("分期最多期数"), default=12, validators=[MinValueValidator(2), MaxValueValidator(36)]
    )
    plan_first_within_days = models.PositiveSmallIntegerField(
        _("首期缴费期限（天）"),
        default=7,
        validators=[MaxValueValidator(60)],
        help_text=_("分期协议的第一期须在约定后多少天内到期；首期缴清后停止催收。"),
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("催收部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("催收业务的承办部门。"),
    )
    reconnection_crew = models.ForeignKey(
        "fieldwork.Crew",
        verbose_name=_("默认复水班组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("缴费后立即派复水工单：先派值班班组，无人值班时派此班组。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("催收规则")
        verbose_name_plural = _("催收规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class DunningStatus(models.TextChoices):
    REMINDING = "reminding", _("提醒")
    CALLING = "calling", _("电话催缴")
    VISITING = "visiting", _("上门催缴")
    NOTICE_SERVED = "notice_served", _("停水通知期")
    AWAITING_APPROVAL = "awaiting_approval", _("停水待审批")
    DISCONNECTION_APPROVED = "disconnection_approved", _("待停水")
    DISCONNECTED = "disconnected", _("已停水")
    RECONNECTING = "reconnecting", _("待复水")
    ON_PLAN = "on_plan", _("分期还款中")
    SETTLED = "settled", _("已结清")
    WITHDRAWN = "withdrawn", _("已撤销")


# The status of a case standing on each rung.
STEP_STATUS = {
    StepKind.REMINDER: DunningStatus.REMINDING,
    StepKind.CALL: DunningStatus.CALLING,
    StepKind.VISIT: DunningStatus.VISITING,
    StepKind.NOTICE: DunningStatus.NOTICE_SERVED,
    StepKind.DISCONNECTION: DunningStatus.AWAITING_APPROVAL,
}

# Statuses in which the ladder climbs by itself (the nightly run).
CLIMBING = (
    DunningStatus.REMINDING,
    DunningStatus.CALLING,
    DunningStatus.VISITING,
    DunningStatus.NOTICE_SERVED,
)


class Dunning(models.Model):
    """The detail of a collection case, 1:1 with ``cases.Case``: whose arrears, by which
    strategy, the rung it stands on, and when supply was cut and restored."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="dunning"
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("账户"), on_delete=models.PROTECT, related_name="+"
    )
    strategy = models.ForeignKey(
        CollectionStrategy, verbose_name=_("催收策略"), on_delete=models.PROTECT, related_name="+"
    )
    step = models.ForeignKey(
        LadderStep,
        verbose_name=_("当前步骤"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # When the current rung ended (its task done or its promise broken): the next rung
    # starts ``wait_days`` after it. None while the rung's task is open.
    step_ended_on = models.DateField(_("本步结束日期"), null=True, blank=True)
    is_open = models.BooleanField(_("进行中"), default=True)
    opened_amount = money_field(_("立案时逾期欠费（元）"))
    # The rung a plan stopped the ladder at: a missed instalment resumes it there.
    resume_status = models.CharField(_("恢复到"), max_length=30, blank=True)
    disconnected_at = models.DateTimeField(_("停水时间"), null=True, blank=True)
    reconnection_requested_at = models.DateTimeField(_("复水申请时间"), null=True, blank=True)
    reconnected_at = models.DateTimeField(_("复水时间"), null=True, blank=True)
    settled_at = models.DateTimeField(_("结清时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("催收")
        verbose_name_plural = _("催收")
        permissions = [
            ("work_dunning", _("办理催收任务")),
            ("approve_disconnection", _("审批停水")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_open=True), name="dunning_one_open_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.account_id}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已办")
    CANCELLED = "cancelled", _("已取消")


class ActionOutcome(models.TextChoices):
    SENT = "sent", _("已发送")
    PROMISED = "promised", _("承诺缴费")
    REFUSED = "refused", _("拒绝缴费")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    NO_ANSWER = "no_answer", _("无人接听")
    PAID = "paid", _("已缴费")
    NOT_HOME = "not_home", _("无人在家")
    DELIVERED = "delivered", _("当面送达")
    POSTED = "posted", _("张贴送达")
    MAILED = "mailed", _("邮寄送达")


# What a task of each kind may end with (a reminder is done by the system when sent).
OUTCOMES = {
    StepKind.REMINDER: (ActionOutcome.SENT,),
    StepKind.CALL: (
        ActionOutcome.PROMISED,
        ActionOutcome.REFUSED,
        ActionOutcome.WRONG_NUMBER,
        ActionOutcome.NO_ANSWER,
    ),
    StepKind.VISIT: (
        ActionOutcome.PAID,
        ActionOutcome.PROMISED,
        ActionOutcome.REFUSED,
        ActionOutcome.NOT_HOME,
    ),
    StepKind.NOTICE: (ActionOutcome.DELIVERED, ActionOutcome.POSTED, ActionOutcome.MAILED),
}

# Outcomes that did not reach the customer (counted on the effectiveness page).
UNREACHED = (ActionOutcome.WRONG_NUMBER, ActionOutcome.NO_ANSWER, ActionOutcome.NOT_HOME)


def _action_photo_path(instance, filename: str) -> str:
    extension = "png" if instance.photo_content_type == "image/png" else "jpg"
    return f"collection/{instance.dunning_id}/{instance.pk or 'new'}-{filename[:8]}.{extension}"


class CollectionAction(models.Model):
    """One task of the ladder: a reminder sent, a call to make, a visit to pay, a notice to
    deliver — with its due date and, once done, its outcome."""

    dunning = models.ForeignKey(
        Dunning, verbose_name=_("催收"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("任务类型"), max_length=20, choices=StepKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    due_on = models.DateField(_("办理期限"))
    created_at = models.DateTimeField(_("创建时间"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催收员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("结果"), max_length=20, choices=ActionOutcome.choices, blank=True)
    promised_on = models.DateField(_("承诺缴费日"), null=True, blank=True)
    promised_amount = money_field(_("承诺金额（元）"), null=True, blank=True)
    # Whether the promise was kept: set once its date (and grace) has passed or it was paid.
    promise_kept = models.BooleanField(_("承诺已兑现"), null=True, blank=True)
    note = models.TextField(_("说明"), max_length=NOTE_MAX_LENGTH, blank=True)
    photo = models.FileField(_("照片"), upload_to=_action_photo_path, blank=True)
    photo_content_type = models.CharField(max_length=40, blank=True)
    done_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("催收任务")
        verbose_name_plural = _("催收任务")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(status="open"), name="collection_open_tasks"
            ),
            models.Index(fields=["promised_on"], name="collection_promises"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dunning"],
                condition=Q(status="open"),
                name="collectionaction_one_open_per_dunning",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"


class DisconnectionNotice(models.Model):
    """The written notice that supply will be suspended (停水通知书): the amount owed, the
    notice period, and how and when it was delivered. The period runs from delivery."""

    dunning = models.ForeignKey(
        Dunning, verbose_name=_("催收"), on_delete=models.CASCADE, related_name="notices"
    )
    number = models.CharField(_("通知书编号"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("开具时间"))
    amount = money_field(_("欠费金额（元）"))
    period_days = models.PositiveSmallIntegerField(_("通知期（天）"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    delivery = models.CharField(_("送达方式"), max_length=20, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("送达人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The first day on which supply may be suspended: delivery day + the period.
    ends_on = models.DateField(_("通知期满日"), null=True, blank=True)

    class Meta:
        verbose_name = _("停水通知书")
        verbose_name_plural = _("停水通知书")
        ordering = ["issued_at", "pk"]

    def __str__(self) -> str:
        return self.number


class DisconnectionOrderStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准待执行")
    REFUSED = "refused", _("未批准")
    CANCELLED = "cancelled", _("已撤销")
    EXECUTED = "executed", _("已停水")


class DisconnectionOrder(models.Model):
    """An order to suspend supply (停水令): requested once the notice period has run,
    approved by a collection supervisor (payments and exemptions checked again), carried
    out by a crew as a field work order (checked again), or cancelled by a payment."""

    dunning = models.ForeignKey(
        Dunning,
        verbose_name=_("催收"),
        on_delete=models.CASCADE,
        related_name="disconnection_orders",
    )
    notice = models.ForeignKey(
        DisconnectionNotice,
        verbose_name=_("停水通知书"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=DisconnectionOrderStatus.choices,
        default=DisconnectionOrderStatus.REQUESTED,
    )
    amount = money_field(_("申请时欠费（元）"))
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    work_order = models.OneToOneField(
        "fieldwork.WorkOrder",
        verbose_name=_("外勤工单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancelled_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    executed_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    meter_reading = models.DecimalField(
        _("停水时表读数"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    seal_number = models.CharField(_("铅封号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("停水令")
        verbose_name_plural = _("停水令")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dunning"],
                condition=Q(status__in=["requested", "approved"]),
                name="disconnectionorder_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dunning_id} {self.get_status_display()}"


class PlanStatus(models.TextChoices):
    AWAITING_FIRST = "awaiting_first", _("待缴首期")
    ACTIVE = "active", _("履行中")
    COMPLETED = "completed", _("已还清")
    BROKEN = "broken", _("已违约")
    CANCELLED = "cancelled", _("已取消")


class InstalmentPlan(models.Model):
    """An agreed schedule that pays the whole debt (分期还款协议). It stops the ladder once
    the first instalment is paid; a missed instalment resumes it."""

    dunning = models.ForeignKey(
        Dunning, verbose_name=_("催收"), on_delete=models.CASCADE, related_name="plans"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.AWAITING_FIRST
    )
    total = money_field(_("协议总额（元）"))
    debt = money_field(_("约定时欠费（元）"))
    agreed_at = models.DateTimeField(_("约定时间"))
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    exemption = models.OneToOneField(
        "collection.CollectionExemption",
        verbose_name=_("分期豁免"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("分期还款协议")
        verbose_name_plural = _("分期还款协议")
        ordering = ["-agreed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dunning"],
                condition=Q(status__in=["awaiting_first", "active"]),
                name="instalmentplan_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dunning_id} {self.total}"


class Instalment(models.Model):
    plan = models.ForeignKey(
        InstalmentPlan, verbose_name=_("分期协议"), on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("到期日"))
    amount = money_field(_("金额（元）"))

    class Meta:
        verbose_name = _("分期")
        verbose_name_plural = _("分期")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.amount}"


class CollectedPayment(models.Model):
    """A payment received while a collection case was open, with the strategy and the rung
    it stood on: the figures of collection effectiveness."""

    dunning = models.ForeignKey(
        Dunning, verbose_name=_("催收"), on_delete=models.CASCADE, related_name="payments"
    )
    strategy = models.ForeignKey(
        CollectionStrategy, verbose_name=_("催收策略"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("所处阶段"), max_length=30, choices=DunningStatus.choices)
    amount = money_field(_("金额（元）"))
    received_at = models.DateTimeField(_("缴费时间"))
    reference = models.CharField(_("凭证号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("催收回款")
        verbose_name_plural = _("催收回款")
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["received_at"], name="collected_received_idx")]

    def __str__(self) -> str:
        return f"{self.dunning_id} {self.amount}"


class LadderRun(models.Model):
    """The nightly ladder run of one day (once a day, after that day's classification)."""

    day = models.DateField(_("日期"), unique=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    counts = models.JSONField(_("处理数"), default=dict, blank=True)

    class Meta:
        verbose_name = _("催收批处理")
        verbose_name_plural = _("催收批处理")
        ordering = ["-day"]

    def __str__(self) -> str:
        return self.day.isoformat()

"""Metering arrangements and the allocations derived from them.

- **Master and sub meters (总分表)**: a master meter whose consumption minus its sub meters'
  (the difference: common areas, losses) is billed to a chosen account or apportioned to
  the sub meters' accounts.
- **Shared meter (一表多户)**: one meter's consumption split among member accounts.
- **Flat fee (包费户)**: an account billed a fixed volume or amount per cycle, unread.

The physical master or shared meter sits on a *metering point* account
(``customers.BillingMode.METERING_POINT``), never billed itself. Each cycle the system
writes, for every receiving account, a derived read (kind ``allocated`` or ``flat``) on
the account's virtual meter of the arrangement (an ``AllocationPoint``); the bill run
bills it with the account's own reads. ``Allocation`` and ``AllocationShare`` record how
each derived read was worked out (``services`` has the rules).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from waterdesk.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

VOLUME = {"max_digits": 12, "decimal_places": 2}


class ArrangementKind(models.TextChoices):
    MASTER_SUB = "master_sub", _("总分表")
    SHARED = "shared", _("一表多户")
    FLAT_FEE = "flat_fee", _("包费户")


class AllocationRule(models.TextChoices):
    MASTER_ACCOUNT = "master_account", _("差额计入总表账户")
    BY_CONSUMPTION = "by_consumption", _("按分表水量比例分摊")
    EQUAL = "equal", _("按户均摊")
    HOUSEHOLD_SIZE = "household_size", _("按家庭人口分摊")
    FIXED = "fixed", _("按固定比例分摊")


# The rules each kind may use.
RULES_OF_KIND = {
    ArrangementKind.MASTER_SUB: (
        AllocationRule.MASTER_ACCOUNT,
        AllocationRule.BY_CONSUMPTION,
        AllocationRule.EQUAL,
        AllocationRule.HOUSEHOLD_SIZE,
        AllocationRule.FIXED,
    ),
    ArrangementKind.SHARED: (
        AllocationRule.FIXED,
        AllocationRule.EQUAL,
        AllocationRule.HOUSEHOLD_SIZE,
    ),
    ArrangementKind.FLAT_FEE: (),
}


class FlatBasis(models.TextChoices):
    VOLUME = "volume", _("按核定水量")
    AMOUNT = "amount", _("按固定金额")


class Arrangement(models.Model):
    """One master/sub, shared-meter or flat-fee arrangement. ``meter``: the master or
    shared meter; ``account``: the account billed the master's difference (rule
    ``master_account``) or the flat-fee account. Its parts are the sub meters (with their
    accounts) or the member accounts."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=ArrangementKind.choices)
    rule = models.CharField(
        _("分摊规则"), max_length=20, choices=AllocationRule.choices, blank=True
    )
    meter = models.ForeignKey(
        "customers.Meter",
        verbose_name=_("总表/共用表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("差额/包费账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    flat_basis = models.CharField(
        _("包费方式"), max_length=10, choices=FlatBasis.choices, blank=True
    )
    flat_volume = models.DecimalField(_("每期核定水量（m³）"), null=True, blank=True, **VOLUME)
    flat_amount = models.DecimalField(
        _("每期包费金额（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("计量分摊设置")
        verbose_name_plural = _("计量分摊设置")
        ordering = ["kind", "name", "pk"]
        permissions = [
            ("manage_arrangement", _("可设置总分表、一表多户和包费户")),
            ("review_allocation", _("可复核分摊差额")),
            ("view_metering_report", _("可查看总分表差额报表")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["meter"],
                condition=models.Q(is_active=True),
                name="arrangement_one_per_meter",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_active=True, kind="flat_fee"),
                name="arrangement_one_flat_fee_per_account",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ArrangementPart(models.Model):
    """A sub meter (with its account) of a master, or a member account of a shared meter;
    ``share_percent`` for the fixed-share rule (the parts' shares add up to 100)."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="parts")
    meter = models.ForeignKey(
        "customers.Meter",
        verbose_name=_("分表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("账户"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    share_percent = models.DecimalField(
        _("固定比例（百分比）"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("分表/成员账户")
        verbose_name_plural = _("分表/成员账户")
        ordering = ["arrangement", "position", "pk"]
        constraints = [
            # A meter is the sub meter of one master at most.
            models.UniqueConstraint(
                fields=["meter"],
                condition=models.Q(meter__isnull=False),
                name="arrangementpart_one_master_per_meter",
            ),
            models.UniqueConstraint(
                fields=["arrangement", "account"], name="arrangementpart_unique_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrangement} · {self.account}"


class AllocationPoint(models.Model):
    """A receiving account's virtual meter in one arrangement: the derived reads of the
    account's shares are written on it."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.PROTECT, related_name="points")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="+")
    meter = models.OneToOneField("customers.Meter", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("分摊点")
        verbose_name_plural = _("分摊点")
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "account"], name="allocationpoint_unique_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrangement} · {self.account}"


class AllocationStatus(models.TextChoices):
    CALCULATED = "calculated", _("已计算")
    FLAGGED = "flagged", _("差额为负待复核")
    ACCEPTED_ZERO = "accepted_zero", _("复核按零计")
    WAITING = "waiting", _("待抄表数据")


class WaitingReason(models.TextChoices):
    MASTER_UNREAD = "master_unread", _("总表本期无抄表记录")
    MASTER_IN_REVIEW = "master_in_review", _("总表读数待复核")
    SUB_IN_REVIEW = "sub_in_review", _("分表读数待复核")


class Allocation(models.Model):
    """An arrangement worked out for a reading cycle: the figures and the outcome. The
    derived reads it wrote are its shares'. Recalculated (the old derived reads rejected,
    the new ones written) until one of them is billed; then it is fixed."""

    arrangement = models.ForeignKey(
        Arrangement, on_delete=models.PROTECT, related_name="allocations"
    )
    cycle = models.ForeignKey(
        "billing.ReadingCycle", verbose_name=_("账期"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=AllocationStatus.choices)
    waiting_reason = models.CharField(
        _("等待原因"), max_length=20, choices=WaitingReason.choices, blank=True
    )
    rule = models.CharField(
        _("分摊规则"), max_length=20, choices=AllocationRule.choices, blank=True
    )
    source_volume = models.DecimalField(_("总表/共用表水量（m³）"), null=True, blank=True, **VOLUME)
    subs_volume = models.DecimalField(_("分表水量合计（m³）"), null=True, blank=True, **VOLUME)
    difference = models.DecimalField(_("差额（m³）"), null=True, blank=True, **VOLUME)
    allocated_volume = models.DecimalField(_("分摊水量（m³）"), null=True, blank=True, **VOLUME)
    # The source reads and sub meters' volumes: {"source": [...], "subs": [...]}.
    figures = models.JSONField(_("计算依据"), default=dict, blank=True)
    calculated_at = models.DateTimeField(_("计算时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_note = models.CharField(_("复核说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("分摊结果")
        verbose_name_plural = _("分摊结果")
        ordering = ["-cycle__period_start", "arrangement"]
        constraints = [
            models.UniqueConstraint(
                fields=["arrangement", "cycle"], name="allocation_unique_arrangement_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrangement} {self.cycle}"

    @property
    def is_flagged(self) -> bool:
        return self.status == AllocationStatus.FLAGGED


class AllocationShare(models.Model):
    """One receiving account's share of an allocation and the derived read carrying it
    (``volume`` empty while the allocation waits for review)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="shares")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("权重"), max_digits=14, decimal_places=4)
    volume = models.DecimalField(_("分摊水量（m³）"), null=True, blank=True, **VOLUME)
    read = models.OneToOneField(
        "billing.MeterRead", on_delete=models.PROTECT, related_name="+", verbose_name=_("派生读数")
    )

    class Meta:
        verbose_name = _("分摊份额")
        verbose_name_plural = _("分摊份额")
        ordering = ["allocation", "pk"]

    def __str__(self) -> str:
        return f"{self.allocation} · {self.account} {self.volume}"


class MeteringEventKind(models.TextChoices):
    CREATED = "created", _("新建")
    CHANGED = "changed", _("修改")
    DEACTIVATED = "deactivated", _("停用")
    CALCULATED = "calculated", _("计算分摊")
    FLAGGED = "flagged", _("差额为负，转复核")
    ACCEPTED_ZERO = "accepted_zero", _("复核按零计")
    REVIEWED = "reviewed", _("复核后重新计算")


class MeteringEvent(models.Model):
    """Append-only: what happened to an arrangement and its allocations, who, when."""

    arrangement = models.ForeignKey(Arrangement, on_delete=models.PROTECT, related_name="events")
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(_("事项"), max_length=20, choices=MeteringEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("分摊记录")
        verbose_name_plural = _("分摊记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.arrangement} {self.kind}"

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.cases.kinds import kind_choices
from waterdesk.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from waterdesk.customers.models import CustomerKind, UsageCategory


class ApplicationKind(models.TextChoices):
    """The case kinds of this app (each registered with ``waterdesk.cases.kinds``)."""

    NEW_CONNECTION = "new_connection", _("新装开户")
    OWNERSHIP_TRANSFER = "ownership_transfer", _("水表过户")
    USAGE_CHANGE = "usage_change", _("用水性质变更")


class MaterialType(models.Model):
    """A document a customer may have to bring (ID card, property certificate …)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("材料名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MaterialRequirement(models.Model):
    """The checklist: which materials a service needs, per kind of customer."""

    case_kind = models.CharField(_("业务类型"), max_length=32, choices=kind_choices)
    material = models.ForeignKey(MaterialType, on_delete=models.PROTECT, verbose_name=_("材料"))
    customer_kind = models.CharField(
        _("适用客户"),
        max_length=20,
        choices=CustomerKind.choices,
        blank=True,
        help_text=_("留空表示个人和单位均需提供。"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    # Requirements of one case kind sharing a group are alternatives: any one of them
    # satisfies the group (a usage change needs a business licence OR an authority approval).
    alternative_group = models.SlugField(
        _("可替代组"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("同一业务类型下组名相同的材料任交其一即可；留空表示必须提供。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("材料清单")
        verbose_name_plural = _("材料清单")
        ordering = ["case_kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_kind", "material", "customer_kind"],
                name="materialrequirement_unique_kind_material",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_kind_display()}: {self.material}"


class NewConnectionPolicy(models.Model):
    """Admin-editable rules of the new-connection workflow (one row)."""

    collective_review_threshold = models.DecimalField(
        _("集体审议金额起点（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        default=Decimal("50000.00"),
    )
    materials_wait_days = models.PositiveSmallIntegerField(
        _("补齐材料期限（自然日）"),
        default=30,
        help_text=_("超过期限仍未补齐材料的申请自动撤回。"),
    )
    payment_due_days = models.PositiveSmallIntegerField(_("缴费期限（自然日）"), default=15)
    payment_methods = models.CharField(
        _("缴费方式"), max_length=200, default="营业厅现金/刷卡、银行转账、网上营业厅、微信支付"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("新装开户规则")
        verbose_name_plural = _("新装开户规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "NewConnectionPolicy":
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls()


# Connection-type fees banned by national policy since 2021 (R-C1).
BANNED_FEE_WORDS = ("开户费", "接水费", "增容费", "碰头费", "配套费")


def validate_not_connection_fee(name: str) -> None:
    for word in BANNED_FEE_WORDS:
        if word in name:
            raise ValidationError(
                _("“%(word)s”属于国家明令取消的接入类收费，只能设置安装工程及材料费用。"),
                params={"word": word},
                code="banned_fee",
            )


class FeeItemKind(models.TextChoices):
    INSTALLATION_WORK = "installation_work", _("安装工程")
    MATERIALS = "materials", _("材料")


class FeeItem(models.Model):
    """A chargeable item of installation work. Connection-type fees (开户费, 接水费, 增容费)
    are banned nationally since 2021 and are refused by the service that saves items."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100, validators=[validate_not_connection_fee])
    kind = models.CharField(_("类别"), max_length=20, choices=FeeItemKind.choices)
    unit = models.CharField(_("单位"), max_length=20)
    unit_price = models.DecimalField(
        _("单价（元）"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    is_active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="feeitem_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NewConnectionStatus(models.TextChoices):
    MATERIALS_PENDING = "materials_pending", _("待补材料")
    REGISTERED = "registered", _("待派勘查")
    SURVEY_ASSIGNED = "survey_assigned", _("待预约勘查")
    SURVEY_BOOKED = "survey_booked", _("待现场勘查")
    SURVEYED = "surveyed", _("待初审")
    REVIEWED = "reviewed", _("待审批")
    COLLECTIVE_REVIEWED = "collective_reviewed", _("已集体审议")
    APPROVED = "approved", _("待核算费用")
    FEE_ASSESSED = "fee_assessed", _("待缴费")
    PAID = "paid", _("待装表")
    METER_INSTALLED = "meter_installed", _("待开户")
    ACCOUNT_OPENED = "account_opened", _("待通水")
    COMPLETED = "completed", _("已通水")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class NewConnection(models.Model):
    """The detail of a new-connection case (新装开户), 1:1 with ``cases.Case``."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="new_connection"
    )
    requested_usage = models.CharField(
        _("申请用水性质"), max_length=20, choices=UsageCategory.choices
    )
    requested_size_dn = models.PositiveSmallIntegerField(_("申请口径(DN)"), default=20)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), default=3)
    is_major = models.BooleanField(_("重大申请"), default=False)
    materials_received = models.JSONField(_("已收材料"), default=list, blank=True)
    # Survey (勘查)
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("勘查员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
    )
    survey_booked_for = models.DateTimeField(_("预约勘查时间"), null=True, blank=True)
    survey_preparation = models.CharField(_("请客户准备"), max_length=300, blank=True)
    installation_position = models.CharField(_("安装位置"), max_length=200, blank=True)
    surveyed_usage = models.CharField(
        _("勘查用水性质"), max_length=20, choices=UsageCategory.choices, blank=True
    )
    site_conditions = models.TextField(_("现场环境"), blank=True)
    facilities = models.TextField(_("设施状况"), blank=True)
    notes_explained = models.TextField(_("已向客户说明的注意事项"), blank=True)
    surveyed_at = models.DateTimeField(_("勘查时间"), null=True, blank=True)
    # Review and approval (初审、审批)
    first_review_opinion = models.TextField(_("初审意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    estimated_amount = models.DecimalField(
        _("预估工程金额（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        default=Decimal("0.00"),
    )
    approval_opinion = models.TextField(_("审批意见"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("不予办理原因"), blank=True)
    # Fees and payment (费用核算、缴费)
    fee_total = models.DecimalField(
        _("应缴费用（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    fee_due_date = models.DateField(_("缴费截止日"), null=True, blank=True)
    paid_amount = models.DecimalField(
        _("实缴金额（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    payment_reference = models.CharField(_("收据/流水号"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)
    # Installation and account (装表、开户、通水)
    meter = models.ForeignKey(
        "customers.Meter",
        verbose_name=_("水表"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    water_on_at = models.DateTimeField(_("通水时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("新装开户")
        verbose_name_plural = _("新装开户")
        permissions = [
            ("intake_newconnection", _("可受理新装申请")),
            ("survey_newconnection", _("可勘查新装申请")),
            ("review_newconnection", _("可初审新装申请")),
            ("approve_newconnection", _("可审批新装申请")),
            ("collective_review_newconnection", _("可登记集体审议")),
            ("assess_fee_newconnection", _("可核算新装费用")),
            ("record_payment_newconnection", _("可登记缴费")),
            ("install_meter_newconnection", _("可装表通水")),
            ("open_account_newconnection", _("可办理开户")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="newconnection_unique_payment_reference",
            ),
        ]

    def __str__(self) -> str:
        return str(self.case)

    def needs_collective_review(self, threshold: Decimal) -> bool:
        return self.is_major or self.estimated_amount >= threshold


class MaterialNotice(models.Model):
    """The one-time notice listing every missing material (一次性告知)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="material_notices"
    )
    missing = models.JSONField(_("缺少材料"))
    issued_at = models.DateTimeField(_("告知时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("补齐期限"))
    fulfilled_at = models.DateTimeField(_("补齐时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一次性告知书")
        verbose_name_plural = _("一次性告知书")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.deadline}"


class CollectiveDecision(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")


class CollectiveReview(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="collective_review"
    )
    meeting_date = models.DateField(_("会议日期"))
    participants = models.TextField(_("参会人员"))
    decision = models.CharField(_("审议结论"), max_length=10, choices=CollectiveDecision.choices)
    minutes = models.TextField(_("会议纪要"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("集体审议")
        verbose_name_plural = _("集体审议")

    def __str__(self) -> str:
        return f"{self.case} {self.meeting_date}"


class FeeLine(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="fee_lines")
    item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, verbose_name=_("收费项目"))
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(
        _("单价（元）"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    amount = models.DecimalField(
        _("金额（元）"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )

    class Meta:
        verbose_name = _("费用明细")
        verbose_name_plural = _("费用明细")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="feeline_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


# --- ownership transfer (水表过户) and usage change (用水性质变更) ----------------------------


class TransferPolicy(models.Model):
    """Admin-editable rules of the ownership-transfer workflow (one row)."""

    require_settlement = models.BooleanField(
        _("过户前须结清欠费"),
        default=True,
        help_text=_(
            "勾选：结清账单出具后账户仍有欠费的，须原户主结清后方可过户；"
            "不勾选：欠费随账户结转给新户主，并在账户流水中注明。"
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("过户规则")
        verbose_name_plural = _("过户规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "TransferPolicy":
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls()


class OwnershipTransferStatus(models.TextChoices):
    MATERIALS_PENDING = "materials_pending", _("待补材料")
    REGISTERED = "registered", _("待核验材料")
    VERIFIED = "verified", _("待过户抄表结算")
    AWAITING_SETTLEMENT = "awaiting_settlement", _("待结清欠费")
    COMPLETED = "completed", _("已过户")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class SettlementOutcome(models.TextChoices):
    NOTHING_OWED = "nothing_owed", _("无欠费")
    SETTLED = "settled", _("已结清")
    CARRIED = "carried", _("结转新户主")


class OwnershipTransfer(models.Model):
    """The detail of an ownership-transfer case (水表过户), 1:1 with ``cases.Case``.

    The case's customer is the new owner; ``previous_customer`` is the owner at intake.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="ownership_transfer"
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("账户"), on_delete=models.PROTECT, related_name="+"
    )
    previous_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("原户主"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("新户主"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    materials_received = models.JSONField(_("已收材料"), default=list, blank=True)
    verification_opinion = models.TextField(_("核验意见"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    rejection_reason = models.TextField(_("不予办理原因"), blank=True)
    transfer_read = models.ForeignKey(
        "billing.MeterRead",
        verbose_name=_("过户读数"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The bill that settles the old owner, issued once (a retried completion reuses it); a
    # bill of a bill run when one reached the transfer read's day already — which can be
    # the settling bill of an earlier transfer of the account that day too.
    final_bill = models.ForeignKey(
        "billing.Bill",
        verbose_name=_("结清账单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    balance_after_final_bill = models.DecimalField(
        _("出具结清账单后余额（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    settlement = models.CharField(
        _("欠费处理"), max_length=20, choices=SettlementOutcome.choices, blank=True
    )
    carried_balance = models.DecimalField(
        _("结转金额（元）"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    completed_at = models.DateTimeField(_("过户时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("水表过户")
        verbose_name_plural = _("水表过户")
        permissions = [
            ("intake_ownershiptransfer", _("可受理过户申请")),
            ("verify_ownershiptransfer", _("可核验过户材料")),
            ("complete_ownershiptransfer", _("可办结过户")),
        ]
        indexes = [
            models.Index(fields=["account"], name="ownershiptransfer_account_idx"),
        ]

    def __str__(self) -> str:
        return str(self.case)


class UsageChangeStatus(models.TextChoices):
    MATERIALS_PENDING = "materials_pending", _("待补材料")
    REGISTERED = "registered", _("待核实用途")
    SURVEY_ASSIGNED = "survey_assigned", _("待现场核查")
    VERIFIED = "verified", _("待审批")
    APPROVED = "approved", _("待变更抄表")
    COMPLETED = "completed", _("已变更")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class VerificationMethod(models.TextChoices):
    DESK = "desk", _("书面核实")
    SURVEY = "survey", _("现场核查")


class UsageChange(models.Model):
    """The detail of a usage-change case (用水性质变更), 1:1 with ``cases.Case``."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="usage_change"
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("账户"), on_delete=models.PROTECT, related_name="+"
    )
    previous_usage = models.CharField(_("原用水性质"), max_length=20, choices=UsageCategory.choices)
    requested_usage = models.CharField(
        _("申请用水性质"), max_length=20, choices=UsageCategory.choices
    )
    requested_tariff = models.ForeignKey(
        "billing.Tariff",
        verbose_name=_("申请执行的特定水价"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    materials_received = models.JSONField(_("已收材料"), default=list, blank=True)
    # Verification of the actual use (核实实际用途)
    verification_method = models.CharField(
        _("核实方式"), max_length=10, choices=VerificationMethod.choices, blank=True
    )
    surveyor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    survey_findings = models.TextField(_("现场核查情况"), blank=True)
    verified_usage = models.CharField(
        _("核实用水性质"), max_length=20, choices=UsageCategory.choices, blank=True
    )
    verification_opinion = models.TextField(_("核实意见"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    # Approval (审批)
    approval_opinion = models.TextField(_("审批意见"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    effective_date = models.DateField(_("变更生效日期"), null=True, blank=True)
    rejection_reason = models.TextField(_("不予办理原因"), blank=True)
    # Completion (抄表、换价)
    change_read = models.ForeignKey(
        "billing.MeterRead",
        verbose_name=_("变更读数"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The bill up to the change read, at the old price (a bill run may have issued it).
    split_bill = models.ForeignKey(
        "billing.Bill",
        verbose_name=_("变更前结算账单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_tariff = models.ForeignKey(
        "billing.Tariff",
        verbose_name=_("变更后水价"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    price_summary = models.TextField(_("新水价说明"), blank=True)
    completed_at = models.DateTimeField(_("变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用水性质变更")
        verbose_name_plural = _("用水性质变更")
        permissions = [
            ("intake_usagechange", _("可受理用水性质变更")),
            ("verify_usagechange", _("可核实用水性质变更")),
            ("survey_usagechange", _("可现场核查用水性质")),
            ("approve_usagechange", _("可审批用水性质变更")),
            ("complete_usagechange", _("可办结用水性质变更")),
        ]
        indexes = [
            models.Index(fields=["account"], name="usagechange_account_idx"),
        ]

    def __str__(self) -> str:
        return str(self.case)

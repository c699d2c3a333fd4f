from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from waterdesk.cases.models import CaseKind
from waterdesk.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from waterdesk.customers.models import CustomerKind, UsageCategory


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

    case_kind = models.CharField(_("业务类型"), max_length=32, choices=CaseKind.choices)
    material = models.ForeignKey(MaterialType, on_delete=models.PROTECT, verbose_name=_("材料"))
    customer_kind = models.CharField(
        _("适用客户"),
        max_length=20,
        choices=CustomerKind.choices,
        blank=True,
        help_text=_("留空表示个人和单位均需提供。"),
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
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

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CustomerKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("单位")


class UsageCategory(models.TextChoices):
    RESIDENTIAL = "residential", _("居民生活")
    NON_RESIDENTIAL = "non_residential", _("非居民")
    SPECIAL = "special", _("特种行业")


class NoticeChannel(models.TextChoices):
    """The channels a customer may ask notices on (the values of ``notify``'s channels)."""

    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")


class SensitiveCategory(models.TextChoices):
    """Customers told first when their water stops (an outage, a pollution event), in this
    order: the values' rank in ``SENSITIVE_ORDER``."""

    HOSPITAL = "hospital", _("医院")
    CARE_HOME = "care_home", _("养老院")
    SCHOOL = "school", _("学校")
    VULNERABLE_HOUSEHOLD = "vulnerable_household", _("登记困难户")
    OTHER = "other", _("其他重点用户")


# The order sensitive customers are told in (lower first); not sensitive: after them all.
SENSITIVE_ORDER = {value: rank for rank, value in enumerate(SensitiveCategory.values, start=1)}
NOT_SENSITIVE_RANK = len(SENSITIVE_ORDER) + 1


def default_notice_channels() -> list[str]:
    return [NoticeChannel.SMS.value, NoticeChannel.EMAIL.value]


class Customer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("客户类型"), max_length=20, choices=CustomerKind.choices)
    name = models.CharField(_("姓名/单位名称"), max_length=200)
    # Resident ID (cn.ric) for a person, unified social credit code (cn.uscc) for an organisation.
    id_number = models.CharField(_("证件号码"), max_length=18, db_index=True)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    contact_address = models.CharField(_("联系地址"), max_length=300, blank=True)
    is_vulnerable = models.BooleanField(
        _("特殊关爱对象"), default=False, help_text=_("如独居老人、医院等，享受绿色通道。")
    )
    # Hospitals, schools, care homes, registered vulnerable households: told first when the
    # water stops (emergencies and planned outages); "" = not a sensitive customer.
    sensitive_category = models.CharField(
        _("重点用户类别"),
        max_length=24,
        choices=SensitiveCategory.choices,
        blank=True,
        db_index=True,
        help_text=_("停水、水质事件时优先通知（医院、养老院、学校、登记困难户等）。"),
    )
    # Which channels the customer wants payment notices on (values of NoticeChannel).
    notice_channels = models.JSONField(
        _("通知渠道"),
        default=default_notice_channels,
        blank=True,
        help_text=_("缴费提醒、到账通知等按客户选择的渠道发送。"),
    )
    # The customer's openid under the utility's WeChat official account (template messages).
    wechat_openid = models.CharField(_("微信 OpenID"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "id_number"], name="customer_unique_kind_id_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SupplyZone(models.Model):
    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("供水片区"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("供水片区")
        verbose_name_plural = _("供水片区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Premise(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.CharField(_("用水地址"), max_length=300, db_index=True)
    district = models.CharField(_("区县"), max_length=50, blank=True)
    # The street or road the premise is on (an outage's area can be drawn by streets).
    street = models.CharField(_("街道/道路"), max_length=100, blank=True, db_index=True)
    zone = models.ForeignKey(
        SupplyZone, verbose_name=_("供水片区"), on_delete=models.PROTECT, related_name="premises"
    )
    # Where it is (WGS-84), when known: repairs reported near each other are one fault.
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("用水地址")
        verbose_name_plural = _("用水地址")
        ordering = ["address", "pk"]

    def __str__(self) -> str:
        return self.address


class RouteQuerySet(models.QuerySet):
    def of_zone(self, zone: SupplyZone | int) -> "RouteQuerySet":
        """The routes of a supply zone (or its id), the zone's default first (lowest code)."""
        return self.filter(zone=zone).order_by("code", "pk")

    def default_by_zone(self) -> dict[int | None, "Route"]:
        """Each zone's default route (the first by code, as ``of_zone``), by zone id."""
        defaults: dict[int | None, Route] = {}
        for route in self.order_by("code", "pk"):
            defaults.setdefault(route.zone_id, route)
        return defaults


class Route(models.Model):
    """A meter-reading route (抄表路线): the accounts one reader visits together. A new
    account is put on its premise's zone's route (the first by code) unless the clerk
    chooses another."""

    code = models.SlugField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("路线名称"), max_length=100)
    zone = models.ForeignKey(
        SupplyZone,
        verbose_name=_("供水片区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routes",
        help_text=_("新开户账户默认编入其用水地址所在片区的路线（同一片区有多条时取编码最小的）。"),
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抄表员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reading_routes",
    )
    history = HistoricalRecords()

    objects = RouteQuerySet.as_manager()

    class Meta:
        verbose_name = _("抄表路线")
        verbose_name_plural = _("抄表路线")
        ordering = ["code"]
        permissions = [("assign_route", _("可为账户指定抄表路线"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("停水")
    CLOSED = "closed", _("销户")


class BillingMode(models.TextChoices):
    """How an account's bills are made (``billing.services.bills``; the arrangements that
    set the last three live in ``metering``)."""

    METERED = "metered", _("按表计量")
    # Holds a master or shared meter whose volume is allocated to other accounts: its reads
    # are read and validated like any, but the account itself is never billed.
    METERING_POINT = "metering_point", _("分摊计量点（不出账）")
    FLAT_VOLUME = "flat_volume", _("包量户（按核定水量计费）")
    FLAT_AMOUNT = "flat_amount", _("包费户（按固定金额计费）")


class Account(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("户号"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="accounts"
    )
    premise = models.ForeignKey(
        Premise, verbose_name=_("用水地址"), on_delete=models.PROTECT, related_name="accounts"
    )
    usage_category = models.CharField(_("用水性质"), max_length=20, choices=UsageCategory.choices)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), default=3)
    status = models.CharField(
        _("状态"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    route = models.ForeignKey(
        Route,
        verbose_name=_("抄表路线"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    opened_at = models.DateTimeField(_("开户时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    billing_mode = models.CharField(
        _("计费方式"),
        max_length=20,
        choices=BillingMode.choices,
        default=BillingMode.METERED,
        help_text=_("由总分表、一表多户和包费设置自动维护。"),
    )
    # The fixed amount billed per cycle of a FLAT_AMOUNT account (kept by ``metering``).
    flat_amount = models.DecimalField(
        _("每期包费金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(billing_mode="flat_amount", flat_amount__gt=0)
                    | (~models.Q(billing_mode="flat_amount") & models.Q(flat_amount__isnull=True))
                ),
                name="account_flat_amount_iff_flat_mode",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AccountNumberSequence(models.Model):
    """The last account number handed out per key; numbers are never reused.

    One row per key, incremented with an UPDATE that holds the row lock until the opening
    transaction commits, so concurrent account openings are serialised on PostgreSQL.
    """

    key = models.CharField(max_length=20, unique=True)
    last_value = models.BigIntegerField()

    class Meta:
        verbose_name = _("户号序列")
        verbose_name_plural = _("户号序列")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


class MeterState(models.TextChoices):
    IN_STOCK = "in_stock", _("库存")
    INSTALLED = "installed", _("在用")
    REMOVED = "removed", _("已拆除")
    FAULTY = "faulty", _("故障")
    # A share point of an allocation (``metering``): never read in the field, so left out
    # of routes and read entry (they look for installed meters); the system writes its
    # derived reads.
    VIRTUAL = "virtual", _("虚拟表（系统分摊）")


class Meter(models.Model):
    serial = models.CharField(_("表号"), max_length=40, unique=True)
    size_dn = models.PositiveSmallIntegerField(_("口径(DN)"))
    state = models.CharField(
        _("状态"), max_length=20, choices=MeterState.choices, default=MeterState.IN_STOCK
    )
    premise = models.ForeignKey(
        Premise,
        verbose_name=_("用水地址"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
    )
    installed_at = models.DateTimeField(_("安装时间"), null=True, blank=True)
    initial_reading = models.DecimalField(
        _("初始读数"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_reading = models.DecimalField(
        _("最大读数"),
        max_digits=12,
        decimal_places=2,
        default=99999,
        help_text=_("超过后归零（用于判断翻表）。"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("水表")
        verbose_name_plural = _("水表")
        ordering = ["serial"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_dn__gte=15) & models.Q(size_dn__lte=600),
                name="meter_size_dn_range",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


# --- personal data (R-P1) -------------------------------------------------------------------


class PersonalField(models.TextChoices):
    """Identifiers shown in full only where the work needs them, masked everywhere else."""

    ID_NUMBER = "id_number", _("证件号码")
    MOBILE = "mobile", _("手机号")
    EMAIL = "email", _("电子邮箱")
    CONTACT_ADDRESS = "contact_address", _("联系地址")
    CONTACT_PHONE = "contact_phone", _("工单联系电话")


class AccessChannel(models.TextChoices):
    PAGE = "page", _("页面")
    API = "api", _("接口")
    DOCUMENT = "document", _("文档")
    EXPORT = "export", _("导出")


class PersonalDataAccess(models.Model):
    """One display of a full personal identifier to one user: who, whose, which field, when,
    why. Append-only: rows are only ever inserted (the admin is read-only, and PostgreSQL
    refuses UPDATE and DELETE on the table)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
    )
    case_number = models.CharField(_("工单编号"), max_length=32, blank=True)
    field = models.CharField(_("信息项"), max_length=20, choices=PersonalField.choices)
    is_reveal = models.BooleanField(
        _("主动查看"), default=False, help_text=_("用户说明理由后主动查看完整信息。")
    )
    reason = models.CharField(_("理由"), max_length=300)
    channel = models.CharField(_("途径"), max_length=20, choices=AccessChannel.choices)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="pda_user_created"),
            models.Index(fields=["customer", "created_at"], name="pda_customer_created"),
        ]
        permissions = [
            ("reveal_personal_data", _("可说明理由后查看完整个人信息")),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_field_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class LookupAlert(models.Model):
    """A user's customer look-ups passed the hourly threshold: raised once per user and hour,
    and sent to the supervisors."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        on_delete=models.PROTECT,
        related_name="lookup_alerts",
    )
    hour_start = models.DateTimeField(_("时段开始"))
    lookups = models.PositiveIntegerField(_("查询次数"))
    threshold = models.PositiveIntegerField(_("阈值"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("查询过量提醒")
        verbose_name_plural = _("查询过量提醒")
        ordering = ["-hour_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "hour_start"], name="lookupalert_unique_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.hour_start:%Y-%m-%d %H:00} · {self.lookups}"

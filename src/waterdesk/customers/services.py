"""Writes for customers, premises, accounts and meters.

Every function is one transaction, takes keyword-only arguments and the acting user
(``actor``, ``None`` for the system), validates its input through
``waterdesk.customers.validation`` and raises ``InvalidInput`` with a stable code and a
Chinese message; a refused call writes nothing. ``django-simple-history`` records who
changed what. Lock order, wherever several rows are locked: supply zone, account, meter.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import DomainError, InvalidInput, NotPermitted
from waterdesk.core.text import text_clean_line
from waterdesk.customers.hooks import account_closed
from waterdesk.customers.models import (
    Account,
    AccountNumberSequence,
    AccountStatus,
    Customer,
    CustomerKind,
    Meter,
    MeterState,
    Premise,
    Route,
    SensitiveCategory,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.validation import (
    validate_id_number,
    validate_mobile,
    validate_notice_channels,
    validate_wechat_openid,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

CUSTOMER_EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "name",
        "id_number",
        "mobile",
        "email",
        "contact_address",
        "is_vulnerable",
        "sensitive_category",
        "notice_channels",
        "wechat_openid",
    }
)

# Account numbers: ten digits from one never-decreasing sequence. The range starts at 2…
# so that numbers handed out here never meet hand-entered or imported ones starting 1….
ACCOUNT_NUMBER_SEQUENCE_KEY = "account"
ACCOUNT_NUMBER_FIRST = 2_000_000_001
ACCOUNT_NUMBER_LAST = 9_999_999_999

METER_SIZE_DN_MIN = 15
METER_SIZE_DN_MAX = 600
HOUSEHOLD_SIZE_MAX = 99
_READING_PLACES = Decimal("0.01")
_READING_LIMIT = Decimal(10) ** 10  # Meter.initial_reading: 12 digits, 2 of them decimals


# --- customers ------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor: Actor,
    kind: str,
    name: str,
    id_number: str,
    mobile: str = "",
    email: str = "",
    contact_address: str = "",
    is_vulnerable: bool = False,
    sensitive_category: str = "",
    notice_channels=None,
    wechat_openid: str = "",
) -> Customer:
    """Register a customer; refuses a second customer with the same kind and ID number.
    ``notice_channels`` None: the default (SMS and e-mail). ``sensitive_category``: a
    hospital, school, care home … told first when the water stops ("" = none)."""
    kind = _clean_kind(kind)
    customer = Customer(
        kind=kind,
        name=_clean_name(name),
        id_number=validate_id_number(kind, id_number),
        mobile=_clean_optional_mobile(mobile),
        email=_clean_email(email),
        contact_address=_clean_text(
            contact_address, field="contact_address", max_length=300, label=_("联系地址")
        ),
        is_vulnerable=bool(is_vulnerable),
        sensitive_category=_clean_sensitive_category(sensitive_category),
        wechat_openid=validate_wechat_openid(wechat_openid),
    )
    if notice_channels is not None:
        customer.notice_channels = validate_notice_channels(notice_channels)
    _refuse_duplicate_customer(customer)
    _stamp(customer, actor)
    try:
        with transaction.atomic():  # a savepoint: the race loser still gets a clean error
            customer.save()
    except IntegrityError:
        _refuse_duplicate_customer(customer)
        raise
    return customer


@transaction.atomic
def customer_update(*, actor: Actor, customer: Customer, **fields: Any) -> Customer:
    """Change some of a customer's fields (see ``CUSTOMER_EDITABLE_FIELDS``).

    Only the fields that change are validated (and the ID number again when the kind
    changes), so an old record with a legacy value can still have its name corrected.
    Returns the updated customer, freshly read under a row lock.
    """
    unknown = set(fields) - CUSTOMER_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"customer_update() got unexpected fields: {sorted(unknown)}")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)

    cleaners = {
        "name": _clean_name,
        "mobile": _clean_optional_mobile,
        "email": _clean_email,
        "contact_address": lambda value: _clean_text(
            value, field="contact_address", max_length=300, label=_("联系地址")
        ),
        "is_vulnerable": bool,
        "sensitive_category": _clean_sensitive_category,
        "notice_channels": validate_notice_channels,
        "wechat_openid": validate_wechat_openid,
    }
    changes: dict[str, Any] = {}
    kind = _clean_kind(fields["kind"]) if "kind" in fields else locked.kind
    if kind != locked.kind:
        changes["kind"] = kind
    if "id_number" in fields or "kind" in changes:
        id_number = validate_id_number(kind, fields.get("id_number", locked.id_number))
        if id_number != locked.id_number or "kind" in changes:
            changes["id_number"] = id_number
    for field_name, clean in cleaners.items():
        if field_name in fields:
            value = clean(fields[field_name])
            if value != getattr(locked, field_name):
                changes[field_name] = value
    if not changes:
        return locked

    for field_name, value in changes.items():
        setattr(locked, field_name, value)
    if "kind" in changes or "id_number" in changes:
        _refuse_duplicate_customer(locked)
    _stamp(locked, actor)
    try:
        with transaction.atomic():
            locked.save(update_fields=sorted(changes))
    except IntegrityError:
        _refuse_duplicate_customer(locked)
        raise
    return locked


def _refuse_duplicate_customer(customer: Customer) -> None:
    existing = (
        Customer.objects.filter(kind=customer.kind, id_number=customer.id_number)
        .exclude(pk=customer.pk)
        .first()
    )
    if existing is not None:
        raise InvalidInput(
            format_lazy(_("该证件号码已登记为客户“{name}”，请勿重复登记。"), name=existing.name),
            code="customer_exists",
            field="id_number",
            details={"customer": str(existing.public_id)},
        )


# --- premises -------------------------------------------------------------------------


@transaction.atomic
def premise_create(
    *, actor: Actor, address: str, zone: SupplyZone, district: str = "", street: str = ""
) -> Premise:
    """Create a premise; refuses an address that already exists in the same supply zone.
    ``street``: the street or road it is on (an outage's area can be drawn by streets)."""
    address = _clean_address(address)
    district = _clean_text(district, field="district", max_length=50, label=_("区县"))
    street = _clean_street(street)
    zone = _lock_zone(zone)
    existing = _premise_find(address=address, zone=zone)
    if existing is not None:
        raise InvalidInput(
            format_lazy(_("用水地址“{address}”已存在。"), address=existing.address),
            code="premise_exists",
            field="address",
            details={"premise": str(existing.public_id)},
        )
    return _premise_insert(
        actor=actor, address=address, zone=zone, district=district, street=street
    )


@transaction.atomic
def premise_get_or_create(
    *, actor: Actor, address: str, zone: SupplyZone, district: str = "", street: str = ""
) -> Premise:
    """The premise with this address in this zone, created when there is none yet (an
    existing one without a street gets the one given).

    Returns the premise only (not Django's ``(obj, created)`` pair).
    """
    address = _clean_address(address)
    district = _clean_text(district, field="district", max_length=50, label=_("区县"))
    street = _clean_street(street)
    # The zone row lock serialises concurrent calls for the same address.
    zone = _lock_zone(zone)
    existing = _premise_find(address=address, zone=zone)
    if existing is not None:
        if street and not existing.street:
            existing.street = street
            _stamp(existing, actor)
            existing.save(update_fields=["street"])
        return existing
    return _premise_insert(
        actor=actor, address=address, zone=zone, district=district, street=street
    )


def _lock_zone(zone: SupplyZone | None) -> SupplyZone:
    if zone is None or zone.pk is None:
        raise InvalidInput(_("请选择供水片区。"), code="invalid_zone", field="zone")
    try:
        return SupplyZone.objects.select_for_update().get(pk=zone.pk)
    except SupplyZone.DoesNotExist as exc:
        raise InvalidInput(_("供水片区不存在。"), code="invalid_zone", field="zone") from exc


def _premise_find(*, address: str, zone: SupplyZone) -> Premise | None:
    return Premise.objects.filter(zone=zone, address=address).order_by("pk").first()


def _premise_insert(
    *, actor: Actor, address: str, zone: SupplyZone, district: str, street: str = ""
) -> Premise:
    premise = Premise(address=address, zone=zone, district=district, street=street)
    _stamp(premise, actor)
    premise.save()
    return premise


# --- accounts -------------------------------------------------------------------------


@transaction.atomic
def account_open(
    *,
    actor: Actor,
    customer: Customer,
    premise: Premise,
    usage_category: str,
    household_size: int = 3,
    opened_at: datetime | None = None,
    route: Route | None = None,
) -> Account:
    """Open an account for a customer at a premise with a new, never reused account number,
    on a reading route: ``route`` (the clerk's choice) or the premise's zone's route (the
    first by code). With no route in the zone the account is listed as unrouted for the
    billing office to assign one."""
    if customer is None or customer.pk is None:
        raise InvalidInput(_("请选择客户。"), code="invalid_customer", field="customer")
    if premise is None or premise.pk is None:
        raise InvalidInput(_("请选择用水地址。"), code="invalid_premise", field="premise")
    if usage_category not in UsageCategory.values:
        raise InvalidInput(
            _("用水性质不正确。"), code="invalid_usage_category", field="usage_category"
        )
    household_size = _clean_household_size(household_size)
    opened_at = _aware_or_now(opened_at)
    if route is not None and route.pk is None:
        raise InvalidInput(_("抄表路线不存在。"), code="invalid_route", field="route")
    if route is None:
        route = Route.objects.of_zone(premise.zone_id).first()

    account = Account(
        number=_next_account_number(),
        customer=customer,
        premise=premise,
        usage_category=usage_category,
        household_size=household_size,
        status=AccountStatus.ACTIVE,
        opened_at=opened_at,
        opened_by=_user_or_none(actor),
        route=route,
    )
    _stamp(account, actor)
    account.save()
    return account


@transaction.atomic
def account_assign_route(*, actor: Actor, account: Account, route: Route) -> Account:
    """Put an account on a reading route (an account no route reads is never billed), or
    move it to another; the account's history records who did it."""
    if actor is not None and not actor.has_perm("customers.assign_route"):
        raise NotPermitted()
    if route is None or route.pk is None:
        raise InvalidInput(_("请选择抄表路线。"), code="invalid_route", field="route")
    locked = _lock_open_account(account)
    if locked.route_id == route.pk:
        return locked
    locked.route = route
    _stamp(locked, actor)
    locked._change_reason = "抄表路线"
    locked.save(update_fields=["route"])
    return locked


@transaction.atomic
def account_transfer_owner(
    *, actor: Actor, account: Account, new_customer: Customer, reason: str = ""
) -> Account:
    """Move ``account`` to ``new_customer`` (水表过户): the account keeps its number, premise,
    meters, reads and ledger; its history records the old owner, who did it and ``reason``
    (e.g. the case number)."""
    locked = _lock_open_account(account)
    if new_customer is None or new_customer.pk is None:
        raise InvalidInput(_("请选择新户主。"), code="invalid_customer", field="customer")
    if new_customer.pk == locked.customer_id:
        raise InvalidInput(_("新户主与原户主相同，无需过户。"), code="same_owner", field="customer")
    locked.customer = new_customer
    _stamp(locked, actor)
    locked._change_reason = str(reason or "")[:100]
    locked.save(update_fields=["customer"])
    return locked


@transaction.atomic
def account_change_usage(
    *, actor: Actor, account: Account, usage_category: str, reason: str = ""
) -> Account:
    """Change the usage category of ``account`` (用水性质变更); unchanged is a no-op. The
    prices follow from billing's account tariff rows, not from this field alone."""
    if usage_category not in UsageCategory.values:
        raise InvalidInput(
            _("用水性质不正确。"), code="invalid_usage_category", field="usage_category"
        )
    locked = _lock_open_account(account)
    if locked.usage_category == usage_category:
        return locked
    locked.usage_category = usage_category
    _stamp(locked, actor)
    locked._change_reason = str(reason or "")[:100]
    locked.save(update_fields=["usage_category"])
    return locked


def account_supply_set(*, actor: Actor, account: Account, suspended: bool, reason: str) -> Account:
    """Suspend the account's supply (停水, for arrears) or restore it; the reason is kept in
    the account's history. Part of the caller's transaction (a collection case's move)."""
    locked = _lock_open_account(account)
    status = AccountStatus.SUSPENDED if suspended else AccountStatus.ACTIVE
    if locked.status == status:
        return locked
    locked.status = status
    _stamp(locked, actor)
    locked._change_reason = str(reason or "")[:100]
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def account_close(*, actor: Actor, account: Account, reason: str) -> Account:
    """Close the account (销户): it takes no more reads or bills; its ledger stays. Needs
    ``customers.change_account`` and a reason (kept in the account's history). The apps
    listening to ``hooks.account_closed`` act in the same transaction (a prepaid balance
    left on the account is asked to be refunded), so a refusal there closes nothing."""
    if actor is None or not actor.has_perm("customers.change_account"):
        raise NotPermitted()
    text = " ".join(str(reason or "").split())[:100]
    if not text:
        raise InvalidInput(_("请填写销户原因。"), code="reason_required", field="reason")
    locked = _lock_open_account(account)
    locked.status = AccountStatus.CLOSED
    _stamp(locked, actor)
    locked._change_reason = text
    locked.save(update_fields=["status"])
    account_closed.notify(account=locked, actor=actor)
    return locked


def _lock_open_account(account: Account) -> Account:
    """The account's row, locked; a closed account is refused (``account_closed``)."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.status == AccountStatus.CLOSED:
        raise InvalidInput(
            format_lazy(_("账户{number}已销户。"), number=locked.number),
            code="account_closed",
            field="account",
        )
    return locked


def _next_account_number() -> str:
    """Take the next number from the sequence row.

    The UPDATE comes first: it takes the row lock (PostgreSQL) or the write lock (SQLite)
    before anything is read, and keeps it until the opening transaction commits, so two
    openings can never read the same value. A rolled-back opening gives its number back,
    which is harmless: that number was never seen by anyone.
    """
    sequence = AccountNumberSequence.objects.filter(key=ACCOUNT_NUMBER_SEQUENCE_KEY)
    if not sequence.update(last_value=F("last_value") + 1):
        _account_number_sequence_create()
        sequence.update(last_value=F("last_value") + 1)
    value = sequence.values_list("last_value", flat=True).get()
    start = value
    # Skip numbers that accounts created outside this service (imports, admin) already use.
    while Account.objects.filter(number=f"{value:010d}").exists():
        value += 1
    if value > ACCOUNT_NUMBER_LAST:
        raise DomainError(_("户号已用尽，请联系系统管理员。"), code="account_numbers_exhausted")
    if value != start:
        sequence.update(last_value=value)
    return f"{value:010d}"


def _account_number_sequence_create() -> None:
    highest = Account.objects.filter(
        number__regex=r"^[0-9]{10}$",
        number__gte=f"{ACCOUNT_NUMBER_FIRST:010d}",
    ).aggregate(highest=Max("number"))["highest"]
    start = max(ACCOUNT_NUMBER_FIRST - 1, int(highest) if highest else 0)
    try:
        with transaction.atomic():
            AccountNumberSequence.objects.create(key=ACCOUNT_NUMBER_SEQUENCE_KEY, last_value=start)
    except IntegrityError:
        pass  # a concurrent opening created it first; its row is just as good


# --- meters ---------------------------------------------------------------------------


@transaction.atomic
def meter_install(
    *,
    actor: Actor,
    meter_serial: str,
    size_dn: int,
    premise: Premise,
    account: Account | None = None,
    initial_reading: Decimal | int | str,
    installed_at: datetime | None = None,
) -> Meter:
    """Install a meter at a premise (and optionally on an account).

    A new serial creates the meter already installed; a serial in stock is installed.
    A meter installed anywhere is refused with ``meter_in_use``; a removed or faulty one
    with ``meter_unavailable``.
    """
    serial = _clean_serial(meter_serial)
    size_dn = _clean_size_dn(size_dn)
    reading = _clean_reading(initial_reading)
    installed_at = _aware_or_now(installed_at)
    if premise is None or premise.pk is None:
        raise InvalidInput(_("请选择用水地址。"), code="invalid_premise", field="premise")
    if account is not None:
        account = Account.objects.select_for_update().get(pk=account.pk)
        _check_account_takes_meter(account=account, premise_id=premise.pk)

    meter = Meter.objects.select_for_update().filter(serial=serial).first()
    if meter is None:
        meter = Meter(
            serial=serial,
            size_dn=size_dn,
            state=MeterState.INSTALLED,
            premise=premise,
            account=account,
            installed_at=installed_at,
            initial_reading=reading,
        )
        _check_reading_fits(reading, meter)
        _stamp(meter, actor)
        try:
            with transaction.atomic():
                meter.save()
            return meter
        except IntegrityError:
            # Registered by a concurrent call a moment ago: treat it as an existing meter.
            meter = Meter.objects.select_for_update().get(serial=serial)

    if meter.state == MeterState.INSTALLED:
        raise _meter_in_use(meter)
    if meter.state != MeterState.IN_STOCK:
        raise InvalidInput(
            format_lazy(
                _("水表“{serial}”状态为“{state}”，不能安装。"),
                serial=meter.serial,
                state=meter.get_state_display(),
            ),
            code="meter_unavailable",
            field="meter_serial",
        )
    if meter.size_dn != size_dn:
        raise InvalidInput(
            format_lazy(
                _("水表“{serial}”的口径为DN{actual}，与填写的DN{given}不符。"),
                serial=meter.serial,
                actual=meter.size_dn,
                given=size_dn,
            ),
            code="meter_size_mismatch",
            field="size_dn",
        )
    _check_reading_fits(reading, meter)
    meter.state = MeterState.INSTALLED
    meter.premise = premise
    meter.account = account
    meter.installed_at = installed_at
    meter.initial_reading = reading
    _stamp(meter, actor)
    meter.save(update_fields=["state", "premise", "account", "installed_at", "initial_reading"])
    return meter


@transaction.atomic
def meter_attach_to_account(*, actor: Actor, meter: Meter, account: Account) -> Meter:
    """Put an installed meter on the account of the same premise (idempotent)."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    meter = Meter.objects.select_for_update().get(pk=meter.pk)
    if meter.state != MeterState.INSTALLED:
        raise InvalidInput(
            format_lazy(_("水表“{serial}”尚未安装。"), serial=meter.serial),
            code="meter_not_installed",
            field="meter",
        )
    if meter.account_id == account.pk:
        return meter
    if meter.account_id is not None:
        raise _meter_in_use(meter)
    _check_account_takes_meter(account=account, premise_id=meter.premise_id)
    meter.account = account
    _stamp(meter, actor)
    meter.save(update_fields=["account"])
    return meter


def _meter_in_use(meter: Meter) -> InvalidInput:
    where = meter.premise.address if meter.premise_id else ""
    return InvalidInput(
        format_lazy(
            _("水表“{serial}”已在使用中（{where}），不能重复安装。"),
            serial=meter.serial,
            where=where,
        ),
        code="meter_in_use",
        field="meter_serial",
        details={"meter": meter.serial},
    )


def _check_account_takes_meter(*, account: Account, premise_id: int | None) -> None:
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(
            format_lazy(_("账户{number}已销户。"), number=account.number),
            code="account_closed",
            field="account",
        )
    if account.premise_id != premise_id:
        raise InvalidInput(
            format_lazy(_("账户{number}的用水地址与水表安装地址不一致。"), number=account.number),
            code="account_premise_mismatch",
            field="account",
        )


def _check_reading_fits(reading: Decimal, meter: Meter) -> None:
    if reading > Decimal(meter.max_reading):
        raise InvalidInput(
            format_lazy(_("初始读数不能超过水表最大读数{maximum}。"), maximum=meter.max_reading),
            code="invalid_reading",
            field="initial_reading",
        )


# --- cleaning helpers -----------------------------------------------------------------


def _stamp(instance, actor: Actor) -> None:
    # django-simple-history reads the acting user from here; views add nothing.
    user = _user_or_none(actor)
    if user is not None:
        instance._history_user = user


def _user_or_none(actor: Actor):
    return actor if actor is not None and getattr(actor, "pk", None) is not None else None


def _normalise(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _clean_kind(kind) -> str:
    if kind not in CustomerKind.values:
        raise InvalidInput(_("客户类型不正确。"), code="invalid_kind", field="kind")
    return str(kind)


def _clean_text(value, *, field: str, max_length: int, label) -> str:
    text = text_clean_line(value)
    if len(text) > max_length:
        raise InvalidInput(
            format_lazy(_("{label}不能超过{limit}个字。"), label=label, limit=max_length),
            code=f"invalid_{field}",
            field=field,
        )
    return text


def _clean_name(value) -> str:
    name = _clean_text(value, field="name", max_length=200, label=_("姓名/单位名称"))
    if not name:
        raise InvalidInput(_("请填写姓名或单位名称。"), code="invalid_name", field="name")
    return name


def _clean_address(value) -> str:
    address = _clean_text(value, field="address", max_length=300, label=_("用水地址"))
    if not address:
        raise InvalidInput(_("请填写用水地址。"), code="invalid_address", field="address")
    return address


def _clean_street(value) -> str:
    return _clean_text(value, field="street", max_length=100, label=_("街道/道路"))


def _clean_sensitive_category(value) -> str:
    category = _normalise(value)
    if category and category not in SensitiveCategory.values:
        raise InvalidInput(
            _("重点用户类别不正确，请从列表中选择，或留空表示非重点用户。"),
            code="invalid_sensitive_category",
            field="sensitive_category",
        )
    return category


def _clean_optional_mobile(value) -> str:
    return validate_mobile(value) if _normalise(value) else ""


def _clean_email(value) -> str:
    email = _normalise(value)
    if not email:
        return ""
    try:
        if len(email) > 254:  # Customer.email's column width
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(_("电子邮箱格式不正确。"), code="invalid_email", field="email") from exc
    local_part, _at, domain = email.rpartition("@")
    return f"{local_part}@{domain.lower()}"


def _clean_household_size(value) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= HOUSEHOLD_SIZE_MAX:
        raise InvalidInput(
            format_lazy(_("家庭人口应为1到{maximum}之间的整数。"), maximum=HOUSEHOLD_SIZE_MAX),
            code="invalid_household_size",
            field="household_size",
        )
    return size


def _clean_serial(value) -> str:
    serial = _normalise(value).upper()
    if not serial or len(serial) > 40 or any(ch.isspace() for ch in serial):
        raise InvalidInput(
            _("表号不正确：应为1到40位、不含空格的字母或数字。"),
            code="invalid_meter_serial",
            field="meter_serial",
        )
    return serial


def _clean_size_dn(value) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not METER_SIZE_DN_MIN <= size <= METER_SIZE_DN_MAX:
        raise InvalidInput(
            format_lazy(
                _("水表口径应为DN{low}到DN{high}。"), low=METER_SIZE_DN_MIN, high=METER_SIZE_DN_MAX
            ),
            code="invalid_meter_size",
            field="size_dn",
        )
    return size


def _clean_reading(value) -> Decimal:
    try:
        reading = Decimal(str(value).strip()) if value is not None else None
        if reading is not None and reading.is_finite() and reading >= 0:
            rounded = reading.quantize(_READING_PLACES)
            if rounded == reading and rounded < _READING_LIMIT:
                return rounded
    except (InvalidOperation, ValueError):
        pass
    raise InvalidInput(
        _("初始读数应为不小于0、最多两位小数的数字。"),
        code="invalid_reading",
        field="initial_reading",
    )


def _aware_or_now(value: datetime | None) -> datetime:
    if value is None:
        return timezone.now()
    if timezone.is_naive(value):
        raise ValueError("naive datetime; services take aware datetimes only")
    return value

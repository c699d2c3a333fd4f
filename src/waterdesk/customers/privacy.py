"""The personal-data policy (R-P1): one rule for pages, API, documents and exports.

A customer's ID number, mobile, e-mail and contact address (and a case's contact phone) are
shown in full only to a user whose work needs them *for this customer* — a *grant*; every
other user sees them masked and may reveal one once, with a reason. Every full display, by
grant or by reveal, is written to the append-only ``PersonalDataAccess`` log.

Grants are registered by the apps that know the work: ``cases`` grants the staff handling an
open case of the customer, ``billing`` grants the billing office for customers with an
account. A grant is a function ``(user, customer) -> reason | None``; the reason ("handles
case XZ-…") goes into the log. Lists and search results are always masked.

Customer look-ups (search, detail, reveal) are counted per user: above
``WATERDESK_LOOKUPS_PER_MINUTE`` they are refused for the rest of the minute, and the
first time a user passes ``WATERDESK_LOOKUP_ALERT_PER_HOUR`` in an hour the supervisors are
alerted (once per user and hour).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import DomainError, InvalidInput, NotPermitted
from waterdesk.core.masking import mask_address, mask_email, mask_id_number, mask_mobile
from waterdesk.core.ratelimit import counter_incr
from waterdesk.core.roles import Role
from waterdesk.core.text import text_clean_line
from waterdesk.customers.models import (
    AccessChannel,
    Customer,
    LookupAlert,
    PersonalDataAccess,
    PersonalField,
)
from waterdesk.notify.services import notification_queue

logger = logging.getLogger(__name__)

REVEAL_PERMISSION = "customers.reveal_personal_data"
REASON_MIN_LENGTH = 4
REASON_MAX_LENGTH = 200

CUSTOMER_FIELDS = (
    PersonalField.ID_NUMBER,
    PersonalField.MOBILE,
    PersonalField.EMAIL,
    PersonalField.CONTACT_ADDRESS,
)

Grant = Callable[[object, Customer], "str | None"]
_GRANTS: dict[str, list[Grant]] = {field: [] for field in PersonalField.values}


class LookupRateLimited(DomainError):
    code = "lookup_rate_limited"
    default_message = _("客户信息查询过于频繁，请一分钟后再试；如确因工作需要，请联系服务监督员。")
    http_status = 429


# --- masking ---------------------------------------------------------------------------------


MASKS: dict[str, Callable[[str], str]] = {
    PersonalField.ID_NUMBER: mask_id_number,
    PersonalField.MOBILE: mask_mobile,
    PersonalField.EMAIL: mask_email,
    PersonalField.CONTACT_ADDRESS: mask_address,
    PersonalField.CONTACT_PHONE: mask_mobile,
}


def mask(field: str, value) -> str:
    return MASKS[field](value) if value else ""


@dataclass(frozen=True)
class Shown:
    """One personal value as this user may see it."""

    field: str
    value: str
    is_full: bool
    may_reveal: bool  # masked now, and the user may reveal it with a reason

    @property
    def label(self) -> str:
        return str(PersonalField(self.field).label)

    def __str__(self) -> str:
        return self.value


# --- grants ----------------------------------------------------------------------------------


def privacy_grant_register(*, fields: Iterable[str], grant: Grant) -> None:
    """Let ``grant`` open ``fields`` of a customer to a user (called from ``AppConfig.ready``)."""
    for field in fields:
        if grant not in _GRANTS[field]:
            _GRANTS[field].append(grant)


def _grant_reason(
    *, user, customer: Customer, field: str, asked: dict[Grant, str | None] | None = None
) -> str | None:
    """The first grant's reason for ``field``; ``asked`` keeps each grant's answer for the
    other fields of the same customer (a grant opens several fields with one query)."""
    if not (user.is_authenticated and user.is_active):
        return None
    asked = {} if asked is None else asked
    for grant in _GRANTS[field]:
        if grant not in asked:
            asked[grant] = grant(user, customer)
        if asked[grant]:
            return str(asked[grant])
    return None


def _registered_by_user(user, customer: Customer) -> str | None:
    """The clerk who registered the customer in the last 24 hours typed these values."""
    recent = timezone.now() - timedelta(hours=24)
    if customer.created_at < recent:
        return None
    registered = customer.history.filter(
        history_type="+", history_user_id=user.pk, history_date__gte=recent
    ).exists()
    return str(_("本人登记该客户")) if registered else None


privacy_grant_register(fields=CUSTOMER_FIELDS, grant=_registered_by_user)


def may_reveal(user) -> bool:
    return user.is_authenticated and user.has_perm(REVEAL_PERMISSION)


def reveal_check_permitted(user) -> None:
    """Refuse a role that may never reveal, before its request is even read."""
    if not may_reveal(user):
        raise NotPermitted(
            _("您的岗位不能查看完整个人信息；如确有需要，请联系服务监督员。"),
            code="reveal_not_permitted",
        )


# --- reads (with the access log) -------------------------------------------------------------


def customer_personal_data(
    *, user, customer: Customer, channel: str, fields: Iterable[str] = CUSTOMER_FIELDS
) -> dict[str, Shown]:
    """The customer's personal fields as ``user`` may see them; full displays are logged."""
    shown: dict[str, Shown] = {}
    log_rows: list[PersonalDataAccess] = []
    asked: dict[Grant, str | None] = {}
    for field in fields:
        raw = getattr(customer, field) or ""
        reason = (
            _grant_reason(user=user, customer=customer, field=field, asked=asked) if raw else None
        )
        shown[field], log_row = _decide(
            user=user, field=field, raw=raw, channel=channel, customer=customer, reason=reason
        )
        if log_row is not None:
            log_rows.append(log_row)
    if log_rows:
        PersonalDataAccess.objects.bulk_create(log_rows)
    return shown


def customer_masked(customer: Customer, field: str) -> str:
    """The masked value, for lists and search results (never logged, never full)."""
    return mask(field, getattr(customer, field))


def personal_value(
    *,
    user,
    field: str,
    raw: str,
    channel: str,
    customer: Customer | None = None,
    case_number: str = "",
    grant_reason: str | None = None,
) -> Shown:
    """One value that belongs to a customer or a case (a case's contact phone): full with a
    ``grant_reason`` from the caller's own rule (logged), masked otherwise."""
    shown, log_row = _decide(
        user=user,
        field=field,
        raw=raw,
        channel=channel,
        customer=customer,
        case_number=case_number,
        reason=grant_reason,
    )
    if log_row is not None:
        log_row.save()
    return shown


def _decide(
    *, user, field: str, raw: str, channel: str, customer, reason, case_number: str = ""
) -> tuple[Shown, PersonalDataAccess | None]:
    """The one rule: full, with its (unsaved) log row, where a work reason grants it;
    masked, with the reveal control for roles that may reveal, otherwise."""
    if not raw:
        return Shown(field, "", is_full=False, may_reveal=False), None
    if reason:
        log_row = PersonalDataAccess(
            user=user,
            customer=customer,
            case_number=case_number,
            field=field,
            reason=reason,
            channel=channel,
        )
        return Shown(field, raw, is_full=True, may_reveal=False), log_row
    return Shown(field, mask(field, raw), is_full=False, may_reveal=may_reveal(user)), None


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def personal_data_reveal(
    *,
    actor,
    field: str,
    reason: str,
    channel: str,
    customer: Customer | None = None,
    case_number: str = "",
    raw: str | None = None,
) -> str:
    """Show one full value to a masked role that needs it once, and log why.

    ``raw`` is the value when it is not the customer's own field (a case's contact phone).
    """
    if field not in PersonalField.values or channel not in AccessChannel.values:
        raise InvalidInput(_("信息项不正确。"), code="invalid_personal_field", field="field")
    reveal_check_permitted(actor)
    text = text_clean_line(reason)
    if len(text) < REASON_MIN_LENGTH or len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            format_lazy(
                _("请说明查看理由（{low}至{high}个字），例如“回电核实报修地址”。"),
                low=REASON_MIN_LENGTH,
                high=REASON_MAX_LENGTH,
            ),
            code="reveal_reason_required",
            field="reason",
        )
    value = raw if raw is not None else getattr(customer, field, "")
    if not value:
        raise InvalidInput(_("该信息项没有登记内容。"), code="personal_field_empty", field="field")
    customer_lookup_count(user=actor)
    PersonalDataAccess.objects.create(
        user=actor,
        customer=customer,
        case_number=case_number,
        field=field,
        is_reveal=True,
        reason=text,
        channel=channel,
    )
    return value


def customer_lookup_count(*, user, now: datetime | None = None) -> None:
    """Count one customer look-up by ``user``: refuse above the per-minute limit, alert the
    supervisors once when the hourly threshold is passed."""
    now = now or timezone.now()
    minute_key = f"privacy:lookups:m:{user.pk}:{now:%Y%m%d%H%M}"
    hour_start = now.replace(minute=0, second=0, microsecond=0)
    hour_key = f"privacy:lookups:h:{user.pk}:{hour_start:%Y%m%d%H}"
    per_minute = counter_incr(minute_key, timeout=120)
    if per_minute > settings.WATERDESK_LOOKUPS_PER_MINUTE:
        raise LookupRateLimited()
    per_hour = counter_incr(hour_key, timeout=7200)
    threshold = settings.WATERDESK_LOOKUP_ALERT_PER_HOUR
    if per_hour == threshold + 1:
        _lookup_alert_raise(user=user, hour_start=hour_start, lookups=per_hour, threshold=threshold)


def _lookup_alert_raise(*, user, hour_start: datetime, lookups: int, threshold: int) -> None:
    with transaction.atomic():
        try:
            with transaction.atomic():
                alert = LookupAlert.objects.create(
                    user=user, hour_start=hour_start, lookups=lookups, threshold=threshold
                )
        except IntegrityError:
            return  # another process raised it first: once per user and hour
        supervisors = (
            get_user_model().objects.filter(is_active=True, groups__name=Role.SUPERVISOR).distinct()
        )
        local_hour = timezone.localtime(hour_start)
        for supervisor in supervisors:
            notification_queue(
                template="privacy.lookup_alert",
                context={
                    "staff": user.get_username(),
                    "staff_name": user.get_full_name() or user.get_username(),
                    "hour": f"{local_hour:%Y-%m-%d %H:00}",
                    "threshold": threshold,
                },
                user=supervisor,
                dedupe_key=f"lookup-alert:{alert.pk}:{supervisor.pk}",
                urgent=True,
            )
    logger.warning(
        "privacy: user %s passed %s customer look-ups in the hour from %s",
        user.pk,
        threshold,
        hour_start.isoformat(),
    )

"""What the reading services share: the kinds and limits of a read, the input cleaners,
locking an account, finding its meter."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    ReadKind,
    ReadSource,
)
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.customers.models import Account, Meter, MeterState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None


# Kinds a caller may record with ``meter_read_record``; initial and final reads come only
# from ``meter_exchange_record``.
RECORDABLE_KINDS = frozenset(
    {ReadKind.ACTUAL, ReadKind.ESTIMATED, ReadKind.TRANSFER, ReadKind.CHANGE}
)
# Reads a meter reader takes in the field; transfer and change reads are taken inside a
# case whose own transition checks the permission.
FIELD_KINDS = frozenset({ReadKind.ACTUAL, ReadKind.ESTIMATED})
IMPORT_SOURCES = frozenset({ReadSource.HANDHELD, ReadSource.AMR})
NOTE_MAX_LENGTH = 300
CYCLE_CODE_MAX_LENGTH = 20
DUE_DAYS_MAX = 365
READ_IMPORT_MAX_BYTES = 50 * 1024 * 1024
_CHUNK = 500  # ids per IN (...) list: well below SQLite's and PostgreSQL's limits


# --- helpers --------------------------------------------------------------------------


def _require(actor: Actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise NotPermitted()


def _lock_account(account: Account | None) -> Account:
    if account is None or account.pk is None:
        raise InvalidInput(_("请选择账户。"), code="invalid_account", field="account")
    try:
        return (
            Account.objects.select_for_update(of=("self",))
            .select_related("premise")
            .get(pk=account.pk)
        )
    except Account.DoesNotExist as error:
        raise InvalidInput(_("账户不存在。"), code="invalid_account", field="account") from error


def _resolve_meter(*, account: Account, meter: Meter | None) -> Meter:
    if meter is not None:
        if meter.pk is None:
            raise InvalidInput(_("水表不存在。"), code="unknown_meter", field="meter")
        locked = Meter.objects.select_for_update().filter(pk=meter.pk).first()
        if locked is None:
            raise InvalidInput(_("水表不存在。"), code="unknown_meter", field="meter")
        return locked
    installed = list(
        Meter.objects.select_for_update()
        .filter(account=account, state=MeterState.INSTALLED)
        .order_by("pk")
    )
    return _only_installed_meter(account, installed)


def _only_installed_meter(account: Account, installed: list[Meter]) -> Meter:
    if not installed:
        raise InvalidInput(
            format_lazy(_("账户{number}没有在用水表。"), number=account.number),
            code="no_meter",
            field="meter",
        )
    if len(installed) > 1:
        raise InvalidInput(
            format_lazy(_("账户{number}有多块在用水表，请填写表号。"), number=account.number),
            code="meter_ambiguous",
            field="meter",
        )
    return installed[0]


def _clean_kind(kind, *, allowed: Iterable[str]) -> str:
    if kind not in allowed:
        raise InvalidInput(_("抄表类型不正确。"), code="invalid_read_kind", field="kind")
    return str(kind)


def _clean_source(source, *, allowed: Iterable[str]) -> str:
    if source not in allowed:
        raise InvalidInput(_("数据来源不正确。"), code="invalid_read_source", field="source")
    return str(source)


def _clean_read_on(read_on) -> date:
    if isinstance(read_on, datetime):
        raise TypeError("read_on is a date, not a datetime")
    if isinstance(read_on, date):
        return read_on
    try:
        return date.fromisoformat(str(read_on).strip())
    except ValueError as error:
        raise InvalidInput(
            _("抄表日期应为 YYYY-MM-DD 格式的日期。"), code="invalid_read_date", field="read_on"
        ) from error


def _clean_note(note, *, field: str = "note") -> str:
    text = " ".join(str(note or "").split())
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            format_lazy(_("说明不能超过{limit}个字。"), limit=NOTE_MAX_LENGTH),
            code="invalid_note",
            field=field,
        )
    return text


def _clean_file_name(name) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/")).strip()
    return base[:200] or "reads.csv"


def _normalise(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _user_or_none(actor: Actor):
    return actor if actor is not None and getattr(actor, "pk", None) is not None else None


def _stamp(instance, actor: Actor) -> None:
    user = _user_or_none(actor)
    if user is not None:
        instance._history_user = user  # read by django-simple-history

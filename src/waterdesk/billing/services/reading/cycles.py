"""Reading cycles (抄表周期): create one, never overlapping another."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import (
    ReadingCycle,
)
from waterdesk.core.errors import InvalidInput

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

from waterdesk.billing.services.reading.common import (
    CYCLE_CODE_MAX_LENGTH,
    DUE_DAYS_MAX,
    _normalise,
    _require,
)

# --- reading cycles -------------------------------------------------------------------


@transaction.atomic
def reading_cycle_create(
    *,
    actor: Actor,
    code: str,
    period_start: date,
    period_end: date,
    read_from: date,
    read_to: date,
    due_days: int = 20,
) -> ReadingCycle:
    """Open a billing period with its reading window.

    Refuses a period or a reading window that overlaps another cycle's (a read's day must
    name exactly one cycle).
    """
    _require(actor, "billing.add_readingcycle")
    code = _normalise(code)
    if not code or len(code) > CYCLE_CODE_MAX_LENGTH:
        raise InvalidInput(
            format_lazy(_("账期编码应为1到{limit}个字符。"), limit=CYCLE_CODE_MAX_LENGTH),
            code="invalid_cycle_code",
            field="code",
        )
    dates = {
        "period_start": period_start,
        "period_end": period_end,
        "read_from": read_from,
        "read_to": read_to,
    }
    for name, value in dates.items():
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput(_("请填写正确的日期。"), code="invalid_cycle_dates", field=name)
    if period_end < period_start:
        raise InvalidInput(
            _("计费截止日不能早于计费起始日。"), code="invalid_cycle_dates", field="period_end"
        )
    if read_to < read_from:
        raise InvalidInput(
            _("抄表截止日不能早于抄表开始日。"), code="invalid_cycle_dates", field="read_to"
        )
    try:
        due_days = int(due_days)
    except (TypeError, ValueError):
        due_days = 0
    if not 1 <= due_days <= DUE_DAYS_MAX:
        raise InvalidInput(
            format_lazy(_("缴费期限应为1到{limit}天。"), limit=DUE_DAYS_MAX),
            code="invalid_due_days",
            field="due_days",
        )

    _serialise_cycle_writes()
    if ReadingCycle.objects.filter(code=code).exists():
        raise InvalidInput(
            format_lazy(_("账期“{code}”已存在。"), code=code), code="cycle_exists", field="code"
        )
    overlapping = ReadingCycle.objects.filter(
        period_start__lte=period_end, period_end__gte=period_start
    ).first()
    if overlapping is not None:
        raise InvalidInput(
            format_lazy(_("计费期与账期“{code}”重叠。"), code=overlapping.code),
            code="cycle_overlap",
            field="period_start",
        )
    overlapping = ReadingCycle.objects.filter(
        read_from__lte=read_to, read_to__gte=read_from
    ).first()
    if overlapping is not None:
        raise InvalidInput(
            format_lazy(_("抄表期与账期“{code}”的抄表期重叠。"), code=overlapping.code),
            code="read_window_overlap",
            field="read_from",
        )
    return ReadingCycle.objects.create(
        code=code,
        period_start=period_start,
        period_end=period_end,
        read_from=read_from,
        read_to=read_to,
        due_days=due_days,
    )


def _serialise_cycle_writes() -> None:
    """Two concurrent creations must not both pass the overlap check. SQLite serialises
    writers anyway; PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CYCLE_LOCK_KEY])


_CYCLE_LOCK_KEY = 0x5744_5243  # "WDRC"

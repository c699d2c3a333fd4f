"""Correcting a read before it is billed: a wrong but plausible value (validated at once)
or one that went to review can be put right by whoever takes reads, with the old value
kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import MeterRead, MeterReadCorrection, ReadKind, ReadStatus
from waterdesk.billing.selectors.corrections import (
    meter_read_bill,
    meter_read_later,
    reads_open_to_correction,
)
from waterdesk.billing.selectors.reading import reads_all_routes
from waterdesk.billing.services.reading.common import (
    _clean_note,
    _require,
    _user_or_none,
)
from waterdesk.billing.services.reading.reads import JUDGEMENT_FIELDS, _lock_read_rows
from waterdesk.billing.services.reading.recording import (
    _check_value_fits,
    _evaluate,
    _ReadBook,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Route

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None


@transaction.atomic
def meter_read_correct(*, actor: Actor, read: MeterRead, value, reason: str) -> MeterRead:
    """Replace the value of a read that is not billed yet, and validate it again.

    The read keeps its day, kind and meter; the rules (``billing.read_rules``) run again on
    the new value as if it were entered now, so it is validated or goes to review, and a
    reviewer's earlier decision no longer stands. The old value, consumption, status and
    issues are kept in a ``MeterReadCorrection`` with who, when and why.

    Refused: a user without ``billing.add_meterread`` (``NotPermitted``); no reason
    (``reason_required``); the same value (``read_unchanged``); a rejected read or a new
    meter's initial reading (``read_not_correctable``); a read a bill covers
    (``read_billed``); a read the meter has a later read after (``read_not_latest``: the
    later read's consumption is measured from it).
    """
    _require(actor, "billing.add_meterread")
    value = rules.clean_read_value(value)
    reason = _clean_note(reason, field="reason")
    if not reason:
        raise InvalidInput(
            _("请填写更正原因（例如“看错读数，现场复核为…”）。"),
            code="reason_required",
            field="reason",
        )
    read = _lock_read_rows(read)
    meter_read_correction_check(read)
    if value == read.value:
        raise InvalidInput(
            _("更正后的读数与原读数相同。如读数无误，待复核的读数请由账务员在抄表复核页审核通过。"),
            code="read_unchanged",
            field="value",
        )
    meter, account = read.meter, read.account
    _check_value_fits(meter, value)
    book = _ReadBook.load(
        meters=[meter], accounts=[account], first_day=None, last_day=None, leave_out=read
    )
    previous = book._state(meter.pk, account.pk).last_validated
    verdict = _evaluate(
        book=book, account=account, meter=meter, read_on=read.read_on, value=value, kind=read.kind
    )
    now = timezone.now()
    MeterReadCorrection.objects.create(
        read=read,
        old_value=read.value,
        new_value=value,
        old_consumption=read.consumption,
        new_consumption=verdict.consumption,
        old_status=read.status,
        new_status=verdict.status,
        old_issues=list(read.issues),
        reason=reason,
        corrected_by=_user_or_none(actor),
        corrected_at=now,
    )
    read.value = value
    read.status = verdict.status
    read.previous_id = previous.pk if previous is not None else None
    read.consumption = verdict.consumption
    read.issues = list(verdict.issues)
    # A reviewer's decision was about the old value.
    read.reviewed_by, read.reviewed_at, read.review_note = None, None, ""
    read.save(update_fields=["value", *JUDGEMENT_FIELDS])
    return read


def meter_read_correction_check(read: MeterRead) -> None:
    """Refuse the correction of a read that cannot be corrected any more, saying why and
    what to do instead (the pages ask before they offer the form)."""
    refusal = _kind_refusal(read)
    if refusal is not None:
        raise refusal
    bill = meter_read_bill(read)
    if bill is not None:
        raise IllegalTransition(
            format_lazy(
                _(
                    "该读数已计入账单{bill}（{day}出账），不能更正：如读数有误，"
                    "请由账务员对该账单做账务调整。"
                ),
                bill=bill.number,
                day=local(bill.issued_at).date().isoformat(),
            ),
            code="read_billed",
            details={"bill": bill.number},
        )
    later = meter_read_later(read)
    if later is not None:
        raise IllegalTransition(
            format_lazy(
                _(
                    "该水表在{day}还有一条更晚的读数（{value}），只能更正最近一次读数："
                    "请核对更晚的那条读数；本条的差错请由账务员在出账后做账务调整。"
                ),
                day=later.read_on.isoformat(),
                value=later.value,
            ),
            code="read_not_latest",
            details={"later_read": later.pk},
        )


def _kind_refusal(read: MeterRead) -> IllegalTransition | None:
    """A rejected read or a new meter's initial reading is never corrected here."""
    if read.status == ReadStatus.REJECTED:
        return IllegalTransition(
            _("该读数已作废，不能更正：请重新录入该日的读数。"), code="read_not_correctable"
        )
    if read.kind == ReadKind.INITIAL:
        return IllegalTransition(
            _("新表起度是换表时登记的初始读数，不能在此更正：请联系系统管理员核对水表资料。"),
            code="read_not_correctable",
        )
    return None


def reads_may_correct(user, reads: list[MeterRead]) -> set[int]:
    """The pks of ``reads`` whose correction the pages offer ``user``: the role, the
    reader's routes and ``meter_read_correction_check``'s rules, for a whole page at once
    (a handful of queries, whatever its length)."""
    if not user.has_perm("billing.add_meterread"):
        return set()
    if reads_all_routes(user):
        mine = list(reads)
    else:
        routes = set(Route.objects.filter(reader=user).values_list("pk", flat=True))
        mine = [read for read in reads if read.account.route_id in routes]
    candidates = [read for read in mine if _kind_refusal(read) is None]
    return reads_open_to_correction(candidates)

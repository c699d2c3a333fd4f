"""Late fees: the nightly posting, bill disputes and waivers (issue 11 §4).

The calculation is ``billing.late_fees`` (pure); here the ledger is read in batches of
accounts and each bill's fee accrued and not yet posted becomes ONE LATE_FEE entry, with
the idempotency key ``late-fee:<bill id>:<as_of>``: running a day twice posts nothing more
(the second run finds nothing unposted). One run at a time: a second, of the same day or
another, waits for the first (``RUN_LOCK``).

Waivers post a negative **LATE_FEE** entry (not an ADJUSTMENT): the ledger settles a
negative late fee naming a bill against that bill's late fees only
(``selectors.ledger``), so a waiver never lowers the principal that fees are charged on,
and the fees charged and waived stay visible under one kind on the statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.late_fees import (
    ZERO,
    PolicyBook,
    PolicyTerms,
    Principal,
    bill_late_fee_spans,
    unposted_days,
)
from waterdesk.billing.models import (
    Bill,
    BillDispute,
    LateFeePolicy,
    LateFeeRun,
    LateFeeWaiver,
    LedgerEntry,
    LedgerEntryKind,
)
from waterdesk.billing.selectors.ledger import ledger_settle
from waterdesk.billing.services.ledger import ledger_post_late_fee_waiver, ledger_post_late_fees
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted, require_permission
from waterdesk.core.locks import job_lock
from waterdesk.core.money import MONEY_SUM_MAX_DIGITS, money_validate
from waterdesk.core.text import text_input
from waterdesk.core.timeutil import LOCAL_TZ, local

BATCH_ACCOUNTS = 2000
KEY_PREFIX = "late-fee:"
APPROVE_PERMISSION = "billing.approve_late_fee_waiver"
REQUEST_PERMISSION = "billing.post_adjustment"
REASON_MAX_LENGTH = 200
DISPUTE_REASON_MAX_LENGTH = 300
# Two runs at once, of the same day or of two days, would each subtract only the fees
# posted before they read a batch, and post the days between twice: the second waits for
# the first (``core.locks.job_lock``). Without the lock (SQLite) each batch still reads and
# writes as one IMMEDIATE transaction, so it counts the fees any other run committed.
RUN_LOCK = "late_fees_post"


@dataclass(frozen=True)
class _Entry:
    """A ledger entry as the calculation reads it (what ``ledger_settle`` needs)."""

    pk: int
    account_id: int
    kind: str
    amount: Decimal
    bill_id: int | None
    due_date: date | None
    posted_at: datetime
    reverses_id: int | None
    idempotency_key: str | None
    day: date  # posted on (Asia/Shanghai)


@dataclass(frozen=True)
class LateFeeResult:
    as_of: date
    accounts: int
    bills_posted: int
    amount_posted: Decimal


def policy_book() -> PolicyBook:
    return PolicyBook(
        [
            PolicyTerms(p.effective_from, p.daily_rate, p.grace_days, p.cap_share)
            for p in LateFeePolicy.objects.filter(is_active=True)
        ]
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def _candidate_accounts(as_of: date) -> list[int]:
    """Accounts that may owe a fee up to ``as_of``: those in debt now, and those with any
    entry since the day of the previous run (a debt paid since still owes the days before);
    on the first run, every account with a bill due before ``as_of``."""
    previous = (
        LateFeeRun.objects.filter(as_of__lt=as_of, finished_at__isnull=False)
        .order_by("-as_of")
        .first()
    )
    total = Sum(
        "amount", output_field=DecimalField(max_digits=MONEY_SUM_MAX_DIGITS, decimal_places=2)
    )
    in_debt = set(
        LedgerEntry.objects.values("account_id")
        .annotate(total=total)
        .filter(total__gt=0)
        .values_list("account_id", flat=True)
    )
    if previous is None:
        recent = set(
            LedgerEntry.objects.filter(kind=LedgerEntryKind.CHARGE, due_date__lt=as_of)
            .values_list("account_id", flat=True)
            .distinct()
        )
    else:
        recent = set(
            LedgerEntry.objects.filter(posted_at__gte=_start_of(previous.as_of))
            .values_list("account_id", flat=True)
            .distinct()
        )
    return sorted(in_debt | recent)


def _load(account_ids: list[int], as_of: date):
    """The ledgers (up to ``as_of``, and every late fee posted) and the bills' disputes of
    the accounts ``account_ids`` (ascending): read by the id range, the accounts outside the
    list dropped here (a range is cheaper to send and plan than thousands of ids)."""
    wanted = set(account_ids)
    first, last = account_ids[0], account_ids[-1]
    end = _start_of(as_of + timedelta(days=1))
    # The late fees already posted count whenever they were posted: a run for an earlier
    # day after a later one (a backfill, or two runs racing in either order) must not
    # charge the days the later run charged.
    posted_fees = Q(kind=LedgerEntryKind.LATE_FEE, idempotency_key__startswith=KEY_PREFIX)
    rows = (
        LedgerEntry.objects.filter(account_id__gte=first, account_id__lte=last)
        .filter(Q(posted_at__lt=end) | posted_fees)
        .annotate(day=TruncDate("posted_at", tzinfo=LOCAL_TZ))
        .values_list(
            "pk",
            "account_id",
            "kind",
            "amount",
            "bill_id",
            "due_date",
            "posted_at",
            "reverses_id",
            "idempotency_key",
            "day",
        )
    )
    by_account: dict[int, list[_Entry]] = defaultdict(list)
    for row in rows:
        if row[1] in wanted:
            by_account[row[1]].append(_Entry(*row))
    disputes: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for bill_id, opened, closed in BillDispute.objects.filter(
        bill__account_id__gte=first, bill__account_id__lte=last
    ).values_list("bill_id", "opened_at", "closed_at"):
        disputes[bill_id].append(
            (local(opened).date(), local(closed).date() if closed is not None else None)
        )
    return by_account, disputes


def _account_fees(entries: list[_Entry], *, as_of: date, policies: PolicyBook, disputes):
    """``(bill id, amount, first day, last day)`` to post for one account."""
    charges: dict[int, tuple[date, Decimal]] = {}
    posted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        if entry.kind == LedgerEntryKind.CHARGE and entry.bill_id is not None:
            due, original = charges.get(entry.bill_id, (entry.due_date, ZERO))
            charges[entry.bill_id] = (due or entry.due_date, original + entry.amount)
        elif (
            entry.kind == LedgerEntryKind.LATE_FEE
            and entry.amount > 0
            and (entry.idempotency_key or "").startswith(KEY_PREFIX)
        ):
            posted[entry.bill_id] += entry.amount
    overdue = {bill: value for bill, value in charges.items() if value[0] and value[0] < as_of}
    if not overdue:
        return []
    # The principal of each bill at the end of every day the account's ledger changed.
    entries = sorted(entries, key=lambda entry: (entry.posted_at, entry.pk))
    changes: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    days = sorted({entry.day for entry in entries if entry.day < as_of})
    for day in days:
        settled, _credit = ledger_settle([entry for entry in entries if entry.day <= day])
        left: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for entry, _due, unpaid in settled:
            if entry.kind == LedgerEntryKind.CHARGE and entry.bill_id in overdue:
                left[entry.bill_id] += unpaid
        for bill_id in overdue:
            history = changes[bill_id]
            if not history or history[-1][1] != left[bill_id]:
                history.append((day, left[bill_id]))
    result = []
    for bill_id, (due, original) in overdue.items():
        spans = bill_late_fee_spans(
            due_date=due,
            original=original,
            principal=Principal(changes[bill_id]),
            policies=policies,
            disputes=disputes.get(bill_id, ()),
            as_of=as_of,
        )
        amount, first, last = unposted_days(spans, posted=posted[bill_id])
        if amount > 0:
            result.append((bill_id, amount, first, last))
    return result


def late_fees_post(*, as_of: date) -> LateFeeResult:
    """Post, per bill, the late fee accrued through ``as_of`` and not yet posted, as one
    LATE_FEE entry due at once (see the module docstring). Accounts are worked in batches
    of ``BATCH_ACCOUNTS``, each batch in its own transaction; safe to run again, and one
    run at a time (``RUN_LOCK``)."""
    with job_lock(RUN_LOCK):
        return _post(as_of)


def late_fees_post_due() -> LateFeeResult | None:
    """The hourly beat's job: post today's late fees once (nothing when today's run has
    finished, also when it finished while this one waited for the lock)."""
    today = timezone.localdate()
    with job_lock(RUN_LOCK):
        if LateFeeRun.objects.filter(as_of=today, finished_at__isnull=False).exists():
            return None
        return _post(today)


def _post(as_of: date) -> LateFeeResult:
    run, _created = LateFeeRun.objects.get_or_create(
        as_of=as_of, defaults={"started_at": timezone.now()}
    )
    policies = policy_book()
    accounts = _candidate_accounts(as_of)
    bills_posted = 0
    amount_posted = ZERO
    for offset in range(0, len(accounts), BATCH_ACCOUNTS):
        batch = accounts[offset : offset + BATCH_ACCOUNTS]
        with transaction.atomic():
            rows = _batch_fees(batch, as_of=as_of, policies=policies)
            if not rows:
                continue
            ledger_post_late_fees(rows)
            amount = sum((row.amount for row in rows), ZERO)
            # Counted with the batch that posted them (a run resumed adds to its row).
            LateFeeRun.objects.filter(pk=run.pk).update(
                bills_posted=F("bills_posted") + len(rows),
                amount_posted=F("amount_posted") + amount,
            )
            bills_posted += len(rows)
            amount_posted += amount
    LateFeeRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    return LateFeeResult(as_of, len(accounts), bills_posted, amount_posted)


def _batch_fees(batch: list[int], *, as_of: date, policies: PolicyBook) -> list[LedgerEntry]:
    """The unsaved LATE_FEE entries of the accounts ``batch`` (read in the caller's
    transaction)."""
    by_account, disputes = _load(batch, as_of)
    fees = []
    for entries in by_account.values():
        fees += _account_fees(entries, as_of=as_of, policies=policies, disputes=disputes)
    if not fees:
        return []
    numbers = dict(Bill.objects.filter(pk__in=[fee[0] for fee in fees]).values_list("pk", "number"))
    account_of = {
        entry.bill_id: entry.account_id
        for entries in by_account.values()
        for entry in entries
        if entry.bill_id
    }
    now = timezone.now()
    today = local(now).date()
    return [
        LedgerEntry(
            account_id=account_of[bill_id],
            kind=LedgerEntryKind.LATE_FEE,
            amount=amount,
            bill_id=bill_id,
            posted_at=now,
            due_date=today,
            description=f"违约金（{first:%Y-%m-%d}至{last:%Y-%m-%d}）",
            reference=numbers[bill_id],
            idempotency_key=f"{KEY_PREFIX}{bill_id}:{as_of.isoformat()}",
        )
        for bill_id, amount, first, last in fees
    ]


# --- disputes -----------------------------------------------------------------------------


@transaction.atomic
def bill_dispute_open(*, actor, bill: Bill, reason: str) -> BillDispute:
    """The bill is under dispute or complaint from today: no late fee accrues while open."""
    require_permission(actor, REQUEST_PERMISSION)
    text = text_input(
        reason, field="reason", label=_("争议/投诉事由"), limit=DISPUTE_REASON_MAX_LENGTH
    )
    Bill.objects.select_for_update().filter(pk=bill.pk).first()
    if BillDispute.objects.filter(bill=bill, closed_at__isnull=True).exists():
        raise IllegalTransition(_("该账单已有未结束的争议。"), code="dispute_open")
    return BillDispute.objects.create(
        bill=bill, reason=text, opened_at=timezone.now(), opened_by=actor
    )


@transaction.atomic
def bill_dispute_close(*, actor, dispute: BillDispute, note: str = "") -> BillDispute:
    """The dispute is settled today: late fees accrue again from the next day."""
    require_permission(actor, REQUEST_PERMISSION)
    dispute = BillDispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.closed_at is not None:
        raise IllegalTransition(_("该争议已结束。"), code="dispute_closed")
    dispute.closed_at = timezone.now()
    dispute.closed_by = actor
    dispute.close_note = str(note or "").strip()[:300]
    dispute.save(update_fields=["closed_at", "closed_by", "close_note"])
    return dispute


# --- waivers ------------------------------------------------------------------------------


def bill_late_fees_outstanding(bill: Bill) -> Decimal:
    """The bill's late fees posted and not waived or reversed (what a waiver may take)."""
    net = (
        LedgerEntry.objects.filter(bill=bill)
        .filter(
            Q(kind=LedgerEntryKind.LATE_FEE)
            | Q(kind=LedgerEntryKind.REVERSAL, reverses__kind=LedgerEntryKind.LATE_FEE)
        )
        .aggregate(total=Sum("amount"))["total"]
    )
    return ZERO if net is None else Decimal(net)


@transaction.atomic
def late_fee_waiver_request(*, actor, bill: Bill, reason: str, amount=None) -> LateFeeWaiver:
    """Ask to waive ``amount`` of a bill's late fees (all of them when None); another
    person with ``billing.approve_late_fee_waiver`` approves it."""
    require_permission(actor, REQUEST_PERMISSION)
    text = text_input(reason, field="reason", label=_("减免原因"), limit=REASON_MAX_LENGTH)
    value = None
    if amount not in (None, ""):
        value = money_validate(amount, field="amount")
        if value <= 0:
            raise InvalidInput(_("减免金额应大于零。"), code="invalid_amount", field="amount")
    outstanding = bill_late_fees_outstanding(bill)
    if outstanding <= 0:
        raise InvalidInput(_("该账单没有可减免的违约金。"), code="no_late_fee", field="bill")
    if value is not None and value > outstanding:
        raise InvalidInput(
            _("减免金额超过该账单未减免的违约金 %(amount)s 元，请核对后重填。")
            % {"amount": outstanding},
            code="waiver_too_large",
            field="amount",
        )
    return LateFeeWaiver.objects.create(
        bill=bill, amount=value, reason=text, requested_by=actor, requested_at=timezone.now()
    )


@transaction.atomic
def late_fee_waiver_approve(*, actor, waiver: LateFeeWaiver) -> LateFeeWaiver:
    """Approve a waiver: by someone other than the requester, holding
    ``billing.approve_late_fee_waiver``; posts the negative LATE_FEE entry."""
    if actor is None or not actor.has_perm(APPROVE_PERMISSION):
        raise NotPermitted(
            _("批准违约金减免需要“可批准违约金减免”权限，请交由有该权限的负责人批准。")
        )
    waiver = (
        LateFeeWaiver.objects.select_for_update().select_related("bill__account").get(pk=waiver.pk)
    )
    if waiver.approved_at is not None:
        raise IllegalTransition(_("该减免已批准。"), code="waiver_approved")
    if waiver.requested_by_id == actor.pk:
        raise NotPermitted(_("违约金减免须由申请人以外的人批准，请交由其他有权限的负责人批准。"))
    outstanding = bill_late_fees_outstanding(waiver.bill)
    value = outstanding if waiver.amount is None else waiver.amount
    if value <= 0 or value > outstanding:
        raise InvalidInput(
            _("该账单未减免的违约金为 %(amount)s 元，不足以按申请减免，请重新申请。")
            % {"amount": outstanding},
            code="waiver_too_large",
            field="amount",
        )
    entry = ledger_post_late_fee_waiver(
        bill=waiver.bill,
        amount=value,
        reason=f"违约金减免：{waiver.reason}",
        key=f"late-fee-waiver:{waiver.pk}",
        recorded_by=actor,
    )
    waiver.approved_by = actor
    waiver.approved_at = entry.posted_at
    waiver.approved_amount = value
    waiver.ledger_entry = entry
    waiver.save(update_fields=["approved_by", "approved_at", "approved_amount", "ledger_entry"])
    return waiver

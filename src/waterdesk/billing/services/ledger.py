"""Writes to the account ledger. The ledger is append-only: nothing is ever updated or
deleted; a correction is a new entry.

- A **charge** is written with its bill (``services.bills``); issued bills never change.
- An **adjustment** corrects what an account owes: > 0 debits it, < 0 credits it. A credit
  note is a negative adjustment against a bill.
- A **payment** (> 0 received) is stored negative, exactly once per idempotency key.
- A **reversal** cancels one payment, adjustment or late fee with the opposite amount, at
  most once (``reverses`` is one-to-one). Charges are not reversed: a bill is corrected by a
  credit note, so that the bill and its correction both stay on the statement.

Amounts are ``Decimal`` yuan with at most two places (no rounding here: the fen is exact)
and at most ``WATERDESK_MONEY_MAX_AMOUNT`` (``core.money.money_validate``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.hooks import bill_credited
from waterdesk.billing.models import Bill, LedgerEntry, LedgerEntryKind
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.money import money_validate
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account

REASON_MAX_LENGTH = 200
REFERENCE_MAX_LENGTH = 64
IDEMPOTENCY_KEY_MAX_LENGTH = 100


def _clean_amount(value, *, field: str = "amount") -> Decimal:
    """A non-zero amount of yuan (``money_validate``: two places, within the bound)."""
    amount = money_validate(value, field=field, allow_negative=True)
    if amount == 0:
        raise InvalidInput(_("金额不能为零。"), code="amount_zero", field=field)
    return amount


def _clean_text(value, *, max_length: int, field: str, code: str, message) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(message, code=code, field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("内容过长（最多 %(limit)s 个字符）。") % {"limit": max_length},
            code="too_long",
            field=field,
        )
    return text


def _payment_reference(value) -> str:
    return _clean_text(
        value,
        max_length=REFERENCE_MAX_LENGTH,
        field="reference",
        code="reference_required",
        message=_("请填写缴费凭证号。"),
    )


def _clean_key(value) -> str | None:
    if value is None or value == "":
        return None
    key = str(value).strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise InvalidInput(
            _("幂等键应为 1 到 100 个字符。"),
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    return key


def _positive_amount(value, *, message) -> Decimal:
    amount = _clean_amount(value)
    if amount < 0:
        raise InvalidInput(message, code="invalid_amount", field="amount")
    return amount


def _required_key(value, *, message) -> str:
    key = _clean_key(value)
    if key is None:
        raise InvalidInput(message, code="invalid_idempotency_key", field="idempotency_key")
    return key


def _existing_for_key(key: str, *, account: Account, kind: str, amount: Decimal) -> LedgerEntry:
    entry = LedgerEntry.objects.get(idempotency_key=key)
    if entry.account_id != account.pk or entry.kind != kind or entry.amount != amount:
        raise InvalidInput(
            _("该幂等键已用于另一笔不同的记账。"),
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    return entry


def _create_once(*, key: str | None, account: Account, kind: str, amount: Decimal, **fields):
    """Insert an entry; with an idempotency key, a repeat (even a concurrent one, caught by
    the unique constraint) returns the entry already recorded."""
    if key is None:
        return LedgerEntry.objects.create(account=account, kind=kind, amount=amount, **fields)
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return _existing_for_key(key, account=account, kind=kind, amount=amount)
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                account=account, kind=kind, amount=amount, idempotency_key=key, **fields
            )
    except IntegrityError:
        return _existing_for_key(key, account=account, kind=kind, amount=amount)


@transaction.atomic
def ledger_post_adjustment(
    *,
    actor,
    account: Account,
    amount,
    reason: str,
    bill: Bill | None = None,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """An adjustment (> 0 debit, < 0 credit); against ``bill`` a negative one is a credit
    note. Needs ``billing.post_adjustment``; a debit is due at once (or on the bill's due
    date when made against a bill)."""
    require_permission(actor, "billing.post_adjustment")
    value = _clean_amount(amount)
    text = _clean_text(
        reason,
        max_length=REASON_MAX_LENGTH,
        field="reason",
        code="reason_required",
        message=_("请填写调整原因。"),
    )
    key = _clean_key(idempotency_key)
    if bill is not None and bill.account_id != account.pk:
        raise InvalidInput(_("该账单不属于此账户。"), code="bill_wrong_account", field="bill")
    now = timezone.now()
    credit_note = bill is not None and value < 0
    repeat = (
        credit_note and key is not None and LedgerEntry.objects.filter(idempotency_key=key).exists()
    )
    entry = _create_once(
        key=key,
        account=account,
        kind=LedgerEntryKind.ADJUSTMENT,
        amount=value,
        bill=bill,
        posted_at=now,
        due_date=(bill.due_date if bill is not None else local(now).date()) if value > 0 else None,
        description=text,
        reference=bill.number if bill is not None else "",
        created_by=actor,
    )
    if credit_note and not repeat:
        bill_credited.notify(entry=entry, bill=bill)
    return entry


@transaction.atomic
def ledger_post_note(
    *, actor, account: Account, text: str, reference: str = "", idempotency_key: str
) -> LedgerEntry:
    """A note on the account's ledger with no amount (e.g. the balance carried to a new
    owner at a transfer); recorded once per ``idempotency_key``."""
    text = _clean_text(
        text,
        max_length=200,
        field="text",
        code="reason_required",
        message=_("请填写备注内容。"),
    )
    return _create_once(
        key=_clean_key(idempotency_key),
        account=account,
        kind=LedgerEntryKind.NOTE,
        amount=Decimal("0.00"),
        posted_at=timezone.now(),
        description=text,
        reference=reference,
        created_by=actor,
    )


@transaction.atomic
def ledger_post_payment(
    *, actor, account: Account, amount, reference: str, idempotency_key: str
) -> LedgerEntry:
    """Record a payment of ``amount`` (> 0) exactly once per ``idempotency_key``: a repeat
    returns the entry recorded the first time. Stored negative (it reduces the debt).

    ``actor`` None is the system (a payment gateway's callback); a user needs
    ``billing.post_adjustment``. The payments services record theirs with
    ``ledger_post_new_payment``.
    """
    if actor is not None:
        require_permission(actor, "billing.post_adjustment")
    value = _positive_amount(amount, message=_("缴费金额应大于零。"))
    text = _payment_reference(reference)
    key = _required_key(idempotency_key, message=_("缴费必须带幂等键。"))
    return _create_once(
        key=key,
        account=account,
        kind=LedgerEntryKind.PAYMENT,
        amount=-value,
        posted_at=timezone.now(),
        reference=text,
        created_by=actor,
    )


@transaction.atomic(savepoint=False)
def ledger_post_new_payment(
    *,
    account: Account,
    parts: list[tuple[Bill | None, Decimal]],
    reference: str,
    key: str,
    recorded_by=None,
) -> list[LedgerEntry]:
    """The entries of a payment recorded just now by the caller's service (which checked
    who may record it and holds the payment's own unique id): one per ``(bill, amount)``
    part, a part without a bill settling the oldest debts, written in one statement. Their
    keys (``key`` and ``key:<bill id>``) are new with the payment, so no repeat is looked
    for here: a repeat of the payment is caught by the payment's unique id."""
    text = _payment_reference(reference)
    now = timezone.now()
    entries = []
    for bill, amount in parts:
        value = _positive_amount(amount, message=_("缴费金额应大于零。"))
        if bill is not None and bill.account_id != account.pk:
            raise InvalidInput(_("该账单不属于此账户。"), code="bill_wrong_account", field="bill")
        entries.append(
            LedgerEntry(
                account=account,
                kind=LedgerEntryKind.PAYMENT,
                amount=-value,
                bill=bill,
                posted_at=now,
                reference=text,
                idempotency_key=_clean_key(key if bill is None else f"{key}:{bill.pk}"),
                created_by=recorded_by,
            )
        )
    return LedgerEntry.objects.bulk_create(entries)


@transaction.atomic
def ledger_reverse(*, actor, entry: LedgerEntry, reason: str, recorded_by=None) -> LedgerEntry:
    """A REVERSAL entry with the opposite amount, once per entry (needs
    ``billing.post_adjustment``). Charges and reversals are not reversed. ``actor`` None is
    a service that checked its own permissions (a payment void approved by a supervisor),
    acting for ``recorded_by``."""
    if actor is not None:
        require_permission(actor, "billing.post_adjustment")
    text = _clean_text(
        reason,
        max_length=REASON_MAX_LENGTH,
        field="reason",
        code="reason_required",
        message=_("请填写冲正原因。"),
    )
    original = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if original.kind == LedgerEntryKind.CHARGE:
        raise IllegalTransition(
            _("账单应收不能冲正，请对账单开具红字（负数调整）。"), code="charge_not_reversible"
        )
    if original.kind == LedgerEntryKind.REVERSAL:
        raise IllegalTransition(_("冲正记录不能再冲正。"), code="reversal_not_reversible")
    if LedgerEntry.objects.filter(reverses=original).exists():
        raise IllegalTransition(_("该笔记录已冲正。"), code="already_reversed")
    now = timezone.now()
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                account_id=original.account_id,
                kind=LedgerEntryKind.REVERSAL,
                amount=-original.amount,
                bill_id=original.bill_id,
                reverses=original,
                posted_at=now,
                due_date=local(now).date() if original.amount < 0 else None,
                description=text,
                reference=original.reference,
                created_by=actor or recorded_by,
            )
    except IntegrityError as error:  # a concurrent reversal won (one-to-one ``reverses``)
        raise IllegalTransition(_("该笔记录已冲正。"), code="already_reversed") from error


@transaction.atomic
def ledger_post_refund(
    *, account: Account, amount, reason: str, reference: str, idempotency_key: str, recorded_by
) -> LedgerEntry:
    """Money paid back out of the account's credit (退款): a debit adjustment of ``amount``
    (> 0), due at once, so that it takes up the credit; once per ``idempotency_key``. Called
    by a service that checked the approval and the credit itself, acting for
    ``recorded_by``."""
    value = _positive_amount(amount, message=_("退款金额应大于零。"))
    text = _clean_text(
        reason,
        max_length=REASON_MAX_LENGTH,
        field="reason",
        code="reason_required",
        message=_("请填写退款原因。"),
    )
    key = _required_key(idempotency_key, message=_("退款必须带幂等键。"))
    now = timezone.now()
    return _create_once(
        key=key,
        account=account,
        kind=LedgerEntryKind.ADJUSTMENT,
        amount=value,
        posted_at=now,
        due_date=local(now).date(),
        description=text,
        reference=str(reference or "")[:REFERENCE_MAX_LENGTH],
        created_by=recorded_by,
    )


@transaction.atomic(savepoint=False)
def ledger_post_late_fees(entries: list[LedgerEntry]) -> int:
    """Late fees computed by ``services.late_fees`` (unsaved LATE_FEE entries, each with
    its bill and an idempotency key per bill and day), written in one statement; an entry
    whose key is already recorded (a run repeated, or racing another) is skipped. Returns
    how many were asked for."""
    for entry in entries:
        if entry.kind != LedgerEntryKind.LATE_FEE or entry.amount <= 0 or not entry.bill_id:
            raise ValueError("a late fee is a positive LATE_FEE entry naming a bill")
    LedgerEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)
    return len(entries)


@transaction.atomic(savepoint=False)
def ledger_post_late_fee_waiver(
    *, bill: Bill, amount: Decimal, reason: str, key: str, recorded_by
) -> LedgerEntry:
    """A waiver of ``amount`` (> 0) of a bill's late fees, approved by the caller's service:
    a negative LATE_FEE entry naming the bill (``selectors.ledger``: it settles that bill's
    late fees, never its charges), once per ``key``."""
    value = _positive_amount(amount, message=_("减免金额应大于零。"))
    return _create_once(
        key=_required_key(key, message=_("减免必须带幂等键。")),
        account=bill.account,
        kind=LedgerEntryKind.LATE_FEE,
        amount=-value,
        bill=bill,
        posted_at=timezone.now(),
        description=str(reason)[:REASON_MAX_LENGTH],
        reference=bill.number,
        created_by=recorded_by,
    )

"""The cashier's counter (营业厅收费): taking a payment, the daily close and its sign-off.

A cashier takes money at the office of their ``CashierPost``. Both taking a payment and
closing the day lock that post's row first, so a payment and the close of the same
cashier never interleave: a close counts every payment taken before it, and no payment is
taken on a closed day.

- ``counter_payment_take``: cash (tendered, change given), bank card (the slip's
  reference) or scan-to-pay (the code's transaction reference), for all or chosen open
  bills; the page's form token is the external id (source ``counter``), so a double click
  records one payment. Ends in ``payment_record``.
- ``daily_close_submit``: today's totals per method from the cashier's payments (voided
  ones apart), the cash expected in the drawer against the cash counted; a difference
  needs a note. One per cashier and day; refused while a void request is pending.
- ``daily_close_sign_off``: a supervisor, never the cashier, signs the close off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.billing.models import Bill
from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.money import money_validate
from waterdesk.customers.models import Account
from waterdesk.payments.models import (
    CashierPost,
    CloseStatus,
    CorrectionStatus,
    DailyClose,
    Office,
    Payment,
    PaymentChannel,
    PaymentCorrection,
    PaymentMethod,
    PaymentStatus,
)
from waterdesk.payments.services.corrections import day_is_closed
from waterdesk.payments.services.record import Recorded, payment_record

COUNTER_SOURCE = "counter"
COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.SCAN)
REFERENCE_MAX_LENGTH = 64
NOTE_MAX_LENGTH = 300
ZERO = Decimal("0.00")


# --- the cashier's post ------------------------------------------------------------------


def cashier_office(user) -> Office | None:
    """The office ``user`` takes money at, or None."""
    post = CashierPost.objects.select_related("office").filter(user_id=user.pk).first()
    return post.office if post is not None else None


def _locked_post(actor) -> CashierPost:
    """The actor's post, locked until the transaction ends; refused without one."""
    if actor is None or not actor.has_perm("payments.take_payment"):
        raise NotPermitted()
    post = (
        CashierPost.objects.select_for_update()
        .select_related("office")
        .filter(user_id=actor.pk)
        .first()
    )
    if post is None:
        raise NotPermitted(
            _("您还没有收费岗位（营业网点），请联系系统管理员设置后再收费。"),
            code="no_cashier_post",
        )
    if not post.office.is_active:
        raise NotPermitted(_("您所在的营业网点已停用，请联系系统管理员。"), code="office_inactive")
    return post


def _refuse_if_closed(actor, day: date) -> None:
    if day_is_closed(cashier=actor, business_date=day):
        raise IllegalTransition(
            _("您今天已日结，不能再收费；请明天再收，或请主管安排其他收费员收取。"),
            code="day_closed",
        )


# --- taking a payment --------------------------------------------------------------------


def _clean_reference(value) -> str:
    text = str(value or "").strip()
    if len(text) > REFERENCE_MAX_LENGTH:
        raise InvalidInput(
            _("凭证号过长（最多 %(limit)s 个字符）。") % {"limit": REFERENCE_MAX_LENGTH},
            code="reference_too_long",
            field="reference",
        )
    return text


def _chosen_bills(account: Account, bills: Iterable[Bill], *, day: date) -> tuple[list, Decimal]:
    """The chosen bills, each still unpaid on the account, and what is unpaid of them."""
    chosen = list(bills)
    if not chosen:
        return [], ZERO
    unpaid = {
        item.bill.pk: item.unpaid
        for item in account_fee_notice(account, as_of=day).items
        if item.bill is not None
    }
    for bill in chosen:
        if bill.account_id != account.pk:
            raise InvalidInput(
                _("所选账单不属于此账户。"), code="bill_wrong_account", field="bills"
            )
        if bill.pk not in unpaid:
            raise InvalidInput(
                _("账单 %(number)s 已结清，请刷新页面后重新选择。") % {"number": bill.number},
                code="bill_paid",
                field="bills",
            )
    return chosen, sum((unpaid[bill.pk] for bill in chosen), ZERO)


def counter_payment_repeat(*, actor, account: Account, token) -> Payment | None:
    """The payment ``actor`` already took on ``account`` with this form token, if any."""
    text = str(token or "").strip()
    if not text:
        return None
    return Payment.objects.filter(
        source=COUNTER_SOURCE, external_id=text, cashier_id=actor.pk, account=account
    ).first()


@transaction.atomic
def counter_payment_take(
    *,
    actor,
    account: Account,
    amount,
    method: str,
    external_id: str,
    bills: Iterable[Bill] = (),
    tendered=None,
    reference: str = "",
) -> Recorded:
    """Take a payment at the cashier's office. ``amount`` covers at least the chosen bills
    (the rest stays on the account as credit); cash needs ``tendered`` (the change is
    recorded), a card or a scan its ``reference``. A repeat of ``external_id`` (a double
    click) returns the first payment."""
    post = _locked_post(actor)
    today = timezone.localdate()
    existing = (
        Payment.objects.filter(source=COUNTER_SOURCE, external_id=str(external_id or "").strip())
        .select_related("account")
        .first()
    )
    if existing is not None:  # a double click: the first one counts, closed day or not
        return payment_record(
            account=account,
            amount=amount,
            channel=PaymentChannel.COUNTER,
            method=existing.method,
            source=COUNTER_SOURCE,
            external_id=external_id,
        )
    _refuse_if_closed(actor, today)
    value = money_validate(amount, field="amount")
    if value <= 0:
        raise InvalidInput(_("缴费金额应大于零。"), code="invalid_amount", field="amount")
    if method not in COUNTER_METHODS:
        raise InvalidInput(_("请选择支付方式。"), code="invalid_method", field="method")
    chosen, chosen_total = _chosen_bills(account, bills, day=today)
    if value < chosen_total:
        raise InvalidInput(
            _("金额少于所选账单的未缴合计 %(total)s 元；请按合计收取，或少选几张账单。")
            % {"total": chosen_total},
            code="amount_below_chosen",
            field="amount",
        )
    reference = _clean_reference(reference)
    if method == PaymentMethod.CASH:
        if tendered in (None, ""):
            raise InvalidInput(_("请填写实收现金。"), code="tendered_required", field="tendered")
        reference = ""
    else:
        tendered = None
        if not reference:
            message = (
                _("请填写刷卡凭证号（签购单上的参考号）。")
                if method == PaymentMethod.CARD
                else _("请填写扫码支付的交易单号。")
            )
            raise InvalidInput(message, code="reference_required", field="reference")
    return payment_record(
        account=account,
        amount=value,
        channel=PaymentChannel.COUNTER,
        method=method,
        source=COUNTER_SOURCE,
        external_id=external_id,
        office=post.office,
        cashier=actor,
        bills=chosen,
        tendered=tendered,
        note=reference,
    )


# --- the day's totals --------------------------------------------------------------------


@dataclass
class MethodTotal:
    method: str
    count: int = 0
    amount: Decimal = ZERO

    @property
    def label(self) -> str:
        return str(PaymentMethod(self.method).label)


@dataclass
class DayTotals:
    """A cashier's counter payments of one day: posted ones per method, voided apart."""

    methods: dict[str, MethodTotal] = field(default_factory=dict)
    payments_count: int = 0
    amount: Decimal = ZERO
    voided_count: int = 0
    voided_amount: Decimal = ZERO
    change: Decimal = ZERO

    @property
    def expected_cash(self) -> Decimal:
        """The cash that should be in the drawer: what was tendered minus the change given,
        i.e. the amounts of the posted cash payments."""
        cash = self.methods.get(PaymentMethod.CASH)
        return cash.amount if cash is not None else ZERO

    def as_json(self) -> dict:
        return {
            method: {"count": total.count, "amount": f"{total.amount:.2f}"}
            for method, total in self.methods.items()
        }


def day_payments(*, cashier, day: date):
    return Payment.objects.filter(
        cashier=cashier, business_date=day, channel=PaymentChannel.COUNTER
    )


def day_totals(payments: Iterable[Payment]) -> DayTotals:
    totals = DayTotals()
    for payment in payments:
        if payment.status != PaymentStatus.POSTED:
            totals.voided_count += 1
            totals.voided_amount += payment.amount
            continue
        line = totals.methods.setdefault(payment.method, MethodTotal(payment.method))
        line.count += 1
        line.amount += payment.amount
        totals.payments_count += 1
        totals.amount += payment.amount
        totals.change += payment.change or ZERO
    totals.methods = {
        method: totals.methods[method]
        for method in PaymentMethod.values
        if method in totals.methods
    }
    return totals


def pending_voids(*, cashier, day: date):
    return PaymentCorrection.objects.filter(
        payment__cashier=cashier,
        payment__business_date=day,
        status=CorrectionStatus.REQUESTED,
    )


# --- the daily close ---------------------------------------------------------------------


def _clean_note(value, *, field_name: str = "note") -> str:
    text = str(value or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            _("内容过长（最多 %(limit)s 个字符）。") % {"limit": NOTE_MAX_LENGTH},
            code="too_long",
            field=field_name,
        )
    return text


def _already_closed() -> IllegalTransition:
    return IllegalTransition(
        _("今天已经日结过了，不能重复提交；如需更正请联系主管。"), code="already_closed"
    )


@transaction.atomic
def daily_close_submit(*, actor, counted_cash, note: str = "") -> DailyClose:
    """Close the actor's counter day (today): the system's totals per method against the
    cash counted. A difference needs a note; a pending void must be decided first."""
    post = _locked_post(actor)
    counted = money_validate(counted_cash, field="counted_cash")
    text = _clean_note(note)
    today = timezone.localdate()
    if day_is_closed(cashier=actor, business_date=today):
        raise _already_closed()
    if pending_voids(cashier=actor, day=today).exists():
        raise IllegalTransition(
            _("还有待审批的作废申请：请先请主管审批或驳回，再日结。"), code="void_pending"
        )
    totals = day_totals(day_payments(cashier=actor, day=today))
    difference = counted - totals.expected_cash
    if difference != 0 and not text:
        raise InvalidInput(
            _("实点现金与应有现金相差 %(difference)s 元，请填写差异说明。")
            % {"difference": difference},
            code="note_required",
            field="note",
        )
    try:
        with transaction.atomic():
            return DailyClose.objects.create(
                cashier=actor,
                office=post.office,
                business_date=today,
                totals=totals.as_json(),
                payments_count=totals.payments_count,
                voided_count=totals.voided_count,
                expected_cash=totals.expected_cash,
                counted_cash=counted,
                difference=difference,
                note=text,
                submitted_at=timezone.now(),
            )
    except IntegrityError as error:  # the same cashier's concurrent submit won
        raise _already_closed() from error


@transaction.atomic
def daily_close_sign_off(*, actor, close: DailyClose, note: str = "") -> DailyClose:
    """A supervisor signs a cashier's close off (never their own)."""
    if actor is None or not actor.has_perm("payments.sign_off_close"):
        raise NotPermitted()
    text = _clean_note(note)
    close = DailyClose.objects.select_for_update().get(pk=close.pk)
    if close.cashier_id == actor.pk:
        raise NotPermitted(_("不能签核自己的日结，请由另一位主管签核。"), code="own_close")
    if close.status != CloseStatus.SUBMITTED:
        raise IllegalTransition(_("该日结已签核。"), code="already_signed_off")
    close.status = CloseStatus.SIGNED_OFF
    close.signed_off_by = actor
    close.signed_off_at = timezone.now()
    close.sign_off_note = text
    close.save(update_fields=["status", "signed_off_by", "signed_off_at", "sign_off_note"])
    return close

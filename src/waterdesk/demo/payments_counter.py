"""The demo's counter: the 城东营业厅 office (HQ) where ``cashier1`` takes money.

Yesterday: three payments and a daily close 0.50 short, explained and signed off by the
supervisor. Today so far: cash with change for two bills, a card payment, a scan-to-pay,
a cash payment voided with the supervisor's approval, and a card payment whose void still
waits for a decision (so the day cannot be closed yet).

Four accounts in arrears settle at the counter (their arrears are gone from the billing
demo's figures); three that owe nothing pay in advance.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Account
from waterdesk.demo.clock import at
from waterdesk.payments.models import CashierPost, CorrectionKind, Office
from waterdesk.payments.services.corrections import (
    payment_correction_approve,
    payment_correction_request,
)
from waterdesk.payments.services.counter import (
    counter_payment_take,
    daily_close_sign_off,
    daily_close_submit,
)

OFFICE_CODE = "HQ"
OFFICE_NAME = "城东营业厅"
OFFICE_ADDRESS = "城东区解放路1号"


def _payable(today: date) -> tuple[list, list]:
    """Accounts with unpaid bills (their bills oldest first and the total), and accounts
    that owe nothing."""
    owing, paid_up = [], []
    for account in Account.objects.select_related("customer").order_by("number"):
        notice = account_fee_notice(account, as_of=today)
        bills = [(item.bill, item.unpaid) for item in notice.items if item.bill is not None]
        if bills and len(bills) == len(notice.items):
            owing.append((account, bills, notice.total_due))
        elif not notice.items and not notice.credit:
            paid_up.append(account)
    return owing, paid_up


def _round_up(amount: Decimal, step: int) -> Decimal:
    return Decimal((int(amount) // step + 1) * step)


def seed_counter(*, cashier, supervisor, now: datetime) -> None:
    office, _created = Office.objects.get_or_create(
        code=OFFICE_CODE, defaults={"name": OFFICE_NAME, "address": OFFICE_ADDRESS}
    )
    CashierPost.objects.get_or_create(user=cashier, defaults={"office": office})
    today = local(now).date()
    yesterday = today - timedelta(days=1)
    owing, paid_up = _payable(today)
    tokens = iter(range(1, 100))

    def moment(day: date, hour: int, minute: int) -> datetime:
        return min(datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ), now)

    def take(day, hour, minute, account, amount, method, *, bills=(), tendered=None, ref=""):
        with at(moment(day, hour, minute)):
            return counter_payment_take(
                actor=cashier,
                account=account,
                amount=amount,
                method=method,
                external_id=f"demo-counter-{next(tokens):03d}",
                bills=bills,
                tendered=tendered,
                reference=ref,
            ).payment

    # Yesterday: two bills paid in cash and by card, a prepayment; closed 0.50 short.
    if len(owing) >= 4 and len(paid_up) >= 3:
        account, bills, total = owing[0]
        chosen = [bill for bill, _unpaid in bills]
        take(yesterday, 9, 12, account, total, "cash", bills=chosen, tendered=_round_up(total, 50))
        account, bills, _total = owing[1]
        (oldest, unpaid), *_later = bills
        take(yesterday, 10, 40, account, unpaid, "card", bills=[oldest], ref="POS0427831")
        take(yesterday, 14, 5, paid_up[0], Decimal("200.00"), "cash", tendered=Decimal("200.00"))
        with at(moment(yesterday, 17, 30)):
            close = daily_close_submit(
                actor=cashier,
                # Yesterday's cash: the first bill and the prepayment, 0.50 short.
                counted_cash=owing[0][2] + Decimal("199.50"),
                note="找零时多找出5角，已登记。",
            )
        with at(moment(yesterday, 17, 50)):
            daily_close_sign_off(actor=supervisor, close=close, note="差额已核实，同意。")

        # Today: cash with change for two bills, card, scan, a void approved, one pending.
        account, bills, total = owing[2]
        chosen = [bill for bill, _unpaid in bills]
        take(today, 8, 45, account, total, "cash", bills=chosen, tendered=_round_up(total, 100))
        account, bills, total = owing[3]
        chosen = [bill for bill, _unpaid in bills]
        take(today, 9, 20, account, total, "scan", bills=chosen, ref="WX4200002026123456")
        voided = take(
            today, 9, 35, paid_up[1], Decimal("50.00"), "cash", tendered=Decimal("100.00")
        )
        with at(moment(today, 9, 40)):
            correction = payment_correction_request(
                actor=cashier,
                payment=voided,
                kind=CorrectionKind.VOID,
                reason="户号录错，客户要缴的是另一户。",
            )
        with at(moment(today, 9, 50)):
            payment_correction_approve(actor=supervisor, correction=correction, note="核实无误")
        pending = take(today, 10, 5, paid_up[2], Decimal("300.00"), "card", ref="POS0428002")
        with at(moment(today, 10, 15)):
            payment_correction_request(
                actor=cashier,
                payment=pending,
                kind=CorrectionKind.VOID,
                reason="刷卡金额有误，客户要求重刷。",
            )

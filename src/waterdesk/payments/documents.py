"""The counter's receipt (收据) as a PDF: printed on the spot, reprinted on demand.

Set like the billing documents (``core.pdf``): the company's letterhead, the office, the
receipt number, the account and its holder — a person's name masked, since whoever pays
at the counter takes the receipt away — the bills paid with their amounts, the method, the
cash tendered and the change, the cashier and the time. A voided receipt says 作废 in
large red letters at its top and under its number. It is a customer document: printed in
Chinese whatever the cashier's interface language.
"""

from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from waterdesk.core.masking import mask_person_name
from waterdesk.core.pdf import (
    FONT,
    SMALL,
    build,
    cells,
    grid,
    hotline_phrase,
    letterhead,
    para,
    qr_and_seal,
)
from waterdesk.core.timeutil import local
from waterdesk.customers.models import CustomerKind
from waterdesk.payments.models import Payment, PaymentMethod, PaymentStatus

VOID_STAMP = ParagraphStyle(
    "void_stamp", fontName=FONT, fontSize=40, leading=48, alignment=1, textColor=colors.red
)


def _yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def holder_name(payment: Payment) -> str:
    customer = payment.account.customer
    if customer.kind == CustomerKind.ORGANISATION:
        return customer.name
    return mask_person_name(customer.name)


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _paid_lines(payment: Payment) -> list[list]:
    rows = [cells(["账单号 / 项目", "计费期间", "本次缴纳(元)"])]
    for entry in payment.entries.select_related("bill").order_by("pk"):
        bill = entry.bill
        if bill is not None:
            period = f"{bill.period_start:%Y.%m.%d}–{bill.period_end:%Y.%m.%d}"
            rows.append(cells([bill.number, period, _yuan(-entry.amount)]))
        else:
            rows.append(cells(["冲抵欠费 / 预存", "—", _yuan(-entry.amount)]))
    rows.append(cells(["合计", "", _yuan(payment.amount)]))
    return rows


def _method_line(payment: Payment) -> str:
    label = PaymentMethod(payment.method).label
    if payment.method == PaymentMethod.CARD and payment.note:
        return f"{label}（凭证号 {payment.note}）"
    if payment.method == PaymentMethod.SCAN and payment.note:
        return f"{label}（交易单号 {payment.note}）"
    return str(label)


def receipt_pdf(payment: Payment, *, qr_url: str = "", qr_caption: str = "") -> bytes:
    """The receipt of a counter payment. ``qr_url``: a code to print at the foot (e.g. the
    public payment page), none by default."""
    voided = payment.status != PaymentStatus.POSTED
    account = payment.account
    number = payment.receipt_number or "—"
    story = [*letterhead("收　据")]
    if voided:
        story += [para("作废", VOID_STAMP), Spacer(1, 3 * mm)]
    status = "已作废" if payment.status == PaymentStatus.VOIDED else "已冲正"
    summary = grid(
        [
            cells(
                [
                    "收据号",
                    number + (f"（{status}）" if voided else ""),
                    "营业网点",
                    str(payment.office or "—"),
                ]
            ),
            cells(["户号", account.number, "户名", holder_name(payment)]),
            cells(
                [
                    "用水地址",
                    account.premise.address,
                    "收款时间",
                    f"{local(payment.received_at):%Y-%m-%d %H:%M}",
                ]
            ),
        ],
        [24 * mm, 62 * mm, 24 * mm, 60 * mm],
        label_columns=(0, 2),
    )
    paid = grid(_paid_lines(payment), [70 * mm, 60 * mm, 40 * mm], header=True)
    money = [cells(["支付方式", _method_line(payment), "收费员", _person(payment.cashier)])]
    if payment.method == PaymentMethod.CASH:
        money.append(
            cells(["实收现金(元)", _yuan(payment.tendered), "找零(元)", _yuan(payment.change)])
        )
    story += [
        summary,
        Spacer(1, 5 * mm),
        paid,
        Spacer(1, 5 * mm),
        grid(money, [24 * mm, 62 * mm, 24 * mm, 60 * mm], label_columns=(0, 2)),
        Spacer(1, 4 * mm),
    ]
    if voided:
        story.append(para("本收据已作废，所收款项已退回，不作为缴费凭证。", SMALL))
    story += [
        para(
            f"多缴部分留作预存，自动抵扣下期水费。如有疑问，请联系营业厅或拨打{hotline_phrase()}。",
            SMALL,
        ),
        Spacer(1, 6 * mm),
        qr_and_seal(qr_url, qr_caption),
    ]
    return build(story, title=f"收据 {number}")

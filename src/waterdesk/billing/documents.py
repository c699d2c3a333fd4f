"""The customer's billing documents as PDFs: the bill statement (水费账单), the fee notice
(缴费通知单) and the statement (账户对账单) of an account.

Set in the embedded font with the company's letterhead, seal area and — when
``WATERDESK_PAYMENT_QR_URL`` is set — a QR code to pay the amount due (``core.pdf``).
They are customer documents: printed in Chinese whatever the clerk's interface language.
"""

from decimal import Decimal

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, TableStyle

from waterdesk.billing.models import Bill, BillKind, LedgerEntryKind
from waterdesk.billing.selectors.bills import account_fee_notice, bill_statement
from waterdesk.billing.selectors.ledger import account_balance, account_statement
from waterdesk.core.pdf import (
    SMALL,
    build,
    cells,
    grid,
    hotline_phrase,
    letterhead,
    para,
    payment_url,
    qr_and_seal,
)
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account


def how_to_pay() -> str:
    return (
        "缴费方式：营业厅现金或刷卡缴费；银行代扣；微信、支付宝“生活缴费”搜索本公司并输入户号；"
        "网上营业厅。逾期未缴将按规定计收违约金。如有疑问，请在缴费截止日前联系营业厅或拨打"
        f"{hotline_phrase()}。"
    )


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _price(value: Decimal) -> str:
    """A unit price with two to four decimals: 2.07, 0.595."""
    text = f"{value:.4f}"
    while text.endswith("0") and len(text.rsplit(".", 1)[1]) > 2:
        text = text[:-1]
    return text


def _day(value) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


def _closing(*, account: Account, amount: Decimal, bill: str = "") -> list:
    """How to pay, the payment QR code (when configured and something is due) beside the
    seal area, and the printing time."""
    url = (
        payment_url(
            account=account.number, bill=bill, amount=amount, account_public_id=account.public_id
        )
        if amount > 0
        else ""
    )
    return [
        para(how_to_pay()),
        Spacer(1, 6 * mm),
        qr_and_seal(url, f"扫码缴费 {_yuan(amount)} 元"),
        Spacer(1, 4 * mm),
        para(f"打印时间：{local(timezone.now()):%Y-%m-%d %H:%M}", SMALL),
    ]


def bill_pdf(bill: Bill) -> bytes:
    """The printable statement of one bill."""
    statement = bill_statement(bill)
    account = bill.account
    estimated = "（估抄）" if statement.is_estimated else ""
    period = f"{_day(bill.period_start)} 至 {_day(bill.period_end)}"
    kind = "账期账单" if bill.kind == BillKind.CYCLE else "结清账单"
    summary = grid(
        [
            cells(["户号", account.number, "账单号", bill.number]),
            cells(["户名", account.customer.name, "账单类型", kind]),
            cells(
                [
                    "用水地址",
                    account.premise.address,
                    "账期",
                    bill.cycle.code if bill.cycle else "—",
                ]
            ),
            cells(["计费期间", period, "出账日期", _day(local(bill.issued_at).date())]),
            cells(
                [
                    "上次读数",
                    (
                        f"{statement.opening_value}（{_day(statement.opening_date)}）"
                        if statement.opening_value is not None
                        else "—"
                    ),
                    "本次读数",
                    f"{statement.closing_value}（{_day(statement.closing_date)}）{estimated}",
                ]
            ),
            cells(["用水量", f"{bill.volume} m³{estimated}", "缴费截止日", _day(bill.due_date)]),
        ],
        [24 * mm, 62 * mm, 24 * mm, 60 * mm],
        label_columns=(0, 2),
    )
    line_rows = [cells(["费用项目", "阶梯", "计费期间", "水量(m³)", "单价(元/m³)", "金额(元)"])]
    for line in statement.lines:
        line_rows.append(
            cells(
                [
                    line.component_name,
                    f"第{line.tier_index}阶梯" if line.tier_index else "—",
                    f"{line.period_start:%m.%d}–{line.period_end:%m.%d}",
                    line.volume,
                    _price(line.unit_price),
                    _yuan(line.amount),
                ]
            )
        )
    line_rows.append(cells(["本期水费合计", "", "", bill.volume, "", _yuan(bill.amount)]))
    lines = grid(line_rows, [36 * mm, 20 * mm, 30 * mm, 26 * mm, 28 * mm, 30 * mm], header=True)
    lines.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f7f7"))]))
    totals = grid(
        [
            cells(
                [
                    "上期结余/欠费",
                    _yuan(statement.balance_brought_forward),
                    "本期应缴",
                    _yuan(bill.amount),
                ]
            ),
            cells(["合计应缴", _yuan(statement.total_due), "缴费截止日", _day(bill.due_date)]),
            *(
                [cells(["其中违约金", _yuan(statement.late_fees), "", "上次出账以来计收"])]
                if statement.late_fees
                else []
            ),
        ],
        [30 * mm, 55 * mm, 30 * mm, 55 * mm],
        label_columns=(0, 2),
    )
    story = [
        *letterhead("水费账单"),
        summary,
        Spacer(1, 5 * mm),
        lines,
        Spacer(1, 5 * mm),
        totals,
        Spacer(1, 4 * mm),
        para("上期结余/欠费：正数为欠费，负数为预存余额。", SMALL),
    ]
    if statement.is_estimated:
        story.append(para("本期读数为估抄，将在下次实抄时按实际读数结算。", SMALL))
    story += [
        Spacer(1, 5 * mm),
        *_closing(account=account, amount=statement.total_due, bill=bill.number),
    ]
    return build(story, title=f"水费账单 {bill.number}")


def _overdue(due, as_of) -> str:
    days = (as_of - due).days
    return f"已逾期{days}天" if days > 0 else "未到期"


def fee_notice_pdf(account: Account) -> bytes:
    """The fee notice (缴费通知单) of an account today: its unpaid bills and charges, the
    total due, by when, and how to pay."""
    today = timezone.localdate()
    notice = account_fee_notice(account, as_of=today)
    summary = grid(
        [
            cells(["户号", account.number, "通知日期", _day(today)]),
            cells(
                ["户名", account.customer.name, "用水性质", account.get_usage_category_display()]
            ),
            cells(["用水地址", account.premise.address, "应缴合计（元）", _yuan(notice.total_due)]),
        ],
        [24 * mm, 72 * mm, 30 * mm, 44 * mm],
        label_columns=(0, 2),
    )
    rows = [cells(["账单号 / 项目", "计费期间", "水量(m³)", "未缴金额(元)", "缴费截止日", "状态"])]
    for item in notice.items:
        bill = item.bill
        rows.append(
            cells(
                [
                    item.description,
                    f"{bill.period_start:%Y.%m.%d}–{bill.period_end:%Y.%m.%d}" if bill else "—",
                    bill.volume if bill else "—",
                    _yuan(item.unpaid),
                    f"{item.due:%Y-%m-%d}",
                    _overdue(item.due, today),
                ]
            )
        )
    if not notice.items:
        rows.append(cells(["截至通知日期，本户没有未缴的账单。", "", "", "", "", ""]))
    rows.append(cells(["应缴合计", "", "", _yuan(notice.total_due), "", ""]))
    items = grid(rows, [37 * mm, 42 * mm, 19 * mm, 25 * mm, 23 * mm, 24 * mm], header=True)
    items.setStyle(TableStyle([("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f7f7"))]))
    if not notice.items:
        items.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    story = [*letterhead("缴费通知单"), summary, Spacer(1, 5 * mm), items, Spacer(1, 4 * mm)]
    if notice.items:
        overdue = sum(1 for item in notice.items if item.due < today)
        total = _yuan(notice.total_due)
        if overdue:
            request = f"您有 {overdue} 笔费用已逾期，请尽快缴清上列费用共计 {total} 元。"
        else:
            pay_by = _day(min(item.due for item in notice.items))
            request = f"请于 {pay_by} 前缴清上列费用共计 {total} 元。"
        story.append(para(f"尊敬的用户：{request}如已缴纳，请勿重复缴费。"))
    else:
        credit = f"预存余额 {_yuan(notice.credit)} 元，" if notice.credit else ""
        story.append(para(f"尊敬的用户：截至 {_day(today)}，本户{credit}无待缴费用。"))
    story += [
        Spacer(1, 4 * mm),
        para("已缴费用以本公司入账为准；本通知单打印后的缴费不在此列。", SMALL),
        Spacer(1, 4 * mm),
        *_closing(account=account, amount=notice.total_due),
    ]
    return build(story, title=f"缴费通知单 {account.number}")


STATEMENT_ROWS = 60  # the latest entries; their running balances count everything before


def account_statement_pdf(account: Account) -> bytes:
    """The account statement (账户对账单): the ledger with the running balance, printed
    at the counter from the customer's page."""
    rows = account_statement(account, limit=STATEMENT_ROWS)
    balance = account_balance(account)
    today = timezone.localdate()
    if balance > 0:
        standing = f"欠费 {_yuan(balance)} 元"
    elif balance < 0:
        standing = f"预存 {_yuan(-balance)} 元"
    else:
        standing = "已结清"
    summary = grid(
        [
            cells(["户号", account.number, "打印日期", _day(today)]),
            cells(
                ["户名", account.customer.name, "用水性质", account.get_usage_category_display()]
            ),
            cells(["用水地址", account.premise.address, "当前余额", standing]),
        ],
        [24 * mm, 72 * mm, 30 * mm, 44 * mm],
        label_columns=(0, 2),
    )
    ledger = [cells(["记账日期", "类型", "摘要", "金额(元)", "余额(元)"])]
    for row in rows:
        entry = row.entry
        is_bill = entry.kind == LedgerEntryKind.CHARGE and entry.bill_id
        text = f"水费账单 {entry.bill.number}" if is_bill else entry.description
        ledger.append(
            cells(
                [
                    f"{local(entry.posted_at):%Y-%m-%d}",
                    entry.get_kind_display(),
                    text,
                    _yuan(entry.amount),
                    _yuan(row.balance),
                ]
            )
        )
    if not rows:
        ledger.append(cells(["—", "—", "暂无账务记录", "—", "—"]))
    table = grid(ledger, [28 * mm, 20 * mm, 66 * mm, 28 * mm, 28 * mm], header=True)
    story = [*letterhead("账户对账单"), summary, Spacer(1, 5 * mm), table, Spacer(1, 4 * mm)]
    story.append(
        para("金额为正数表示应缴，负数表示缴费或冲减；余额为正数表示欠费，负数表示预存。", SMALL)
    )
    if len(rows) == STATEMENT_ROWS:
        story.append(para(f"仅列最近 {STATEMENT_ROWS} 笔记录，余额含此前全部记录。", SMALL))
    story += [
        Spacer(1, 6 * mm),
        qr_and_seal(),
        Spacer(1, 4 * mm),
        para(f"打印时间：{local(timezone.now()):%Y-%m-%d %H:%M}", SMALL),
    ]
    return build(story, title=f"账户对账单 {account.number}")

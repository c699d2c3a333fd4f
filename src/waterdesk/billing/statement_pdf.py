"""The account statement (账户对账单) as a PDF: the customer's ledger with the running
balance, printed at the counter from the customer's page. Same look as the bill
(``billing.documents``), and like it printed in Chinese whatever the interface language."""

from io import BytesIO

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer

from waterdesk.billing.documents import _BODY, _SMALL, _SUBTITLE, _TITLE, _cells, _day, _grid, _yuan
from waterdesk.billing.selectors.ledger import account_balance, account_statement
from waterdesk.core.pdf import para
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account

STATEMENT_ROWS = 60  # the latest entries; their running balances count everything before


def account_statement_pdf(account: Account) -> bytes:
    rows = account_statement(account, limit=STATEMENT_ROWS)
    balance = account_balance(account)
    now = local(timezone.now())
    summary = _grid(
        [
            _cells(["户号", account.number, "户名", account.customer.name]),
            _cells(
                [
                    "用水地址",
                    account.premise.address,
                    "用水性质",
                    account.get_usage_category_display(),
                ]
            ),
            _cells(
                [
                    "当前余额",
                    f"欠费 {_yuan(balance)} 元"
                    if balance > 0
                    else f"预存 {_yuan(-balance)} 元"
                    if balance < 0
                    else "已结清",
                    "打印日期",
                    _day(now.date()),
                ]
            ),
        ],
        [24 * mm, 62 * mm, 24 * mm, 60 * mm],
    )
    ledger = [_cells(["记账日期", "类型", "摘要", "金额(元)", "余额(元)"])]
    for row in rows:
        entry = row.entry
        text = (
            f"水费账单 {entry.bill.number}"
            if entry.bill_id and entry.kind == "charge"
            else entry.description
        )
        ledger.append(
            _cells(
                [
                    _day(local(entry.posted_at).date()),
                    entry.get_kind_display(),
                    text,
                    _yuan(entry.amount),
                    _yuan(row.balance),
                ]
            )
        )
    if len(ledger) == 1:
        ledger.append(_cells(["—", "—", "暂无账务记录", "—", "—"]))
    table = _grid(ledger, [30 * mm, 20 * mm, 62 * mm, 29 * mm, 29 * mm], header=True)
    story = [
        para(settings.WATERDESK_COMPANY_NAME, _TITLE),
        Spacer(1, 2 * mm),
        para("账户对账单", _SUBTITLE),
        Spacer(1, 6 * mm),
        summary,
        Spacer(1, 5 * mm),
        table,
        Spacer(1, 4 * mm),
        para(
            "金额为正数表示应缴（欠费增加），负数表示缴费或冲减；余额为正数表示欠费，负数表示预存。",
            _SMALL,
        ),
        para(f"仅列最近 {STATEMENT_ROWS} 笔记录。" if len(rows) == STATEMENT_ROWS else "", _SMALL),
        Spacer(1, 6 * mm),
        para(f"打印时间：{now:%Y-%m-%d %H:%M}", _BODY),
    ]
    buffer = BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"账户对账单 {account.number}",
        author=settings.WATERDESK_COMPANY_NAME,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()

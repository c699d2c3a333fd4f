"""The written disconnection notice (停水通知书) as a PDF, printed by the collector from
the task that delivers it (issue 11 §2): the notice's number, the customer, the account and
the address, what is owed bill by bill, the notice period and the first day supply may be
suspended, how to pay, the legal basis, the promise to reconnect after payment and the
company's contacts.

Set like the billing documents (``core.pdf``: the embedded font, the letterhead, the seal
area and the payment QR code when one is configured). A customer document: printed in
Chinese whatever the collector's interface language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone, translation
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.cases.models import Case
from waterdesk.collection.models import ActionOutcome, DisconnectionNotice
from waterdesk.collection.services.common import PAY_HINT
from waterdesk.collection.workflow import APPROVE_PERMISSION, RECONNECT_MILESTONE, WORK_PERMISSION
from waterdesk.collection.workflow import KIND as COLLECTION_KIND
from waterdesk.core.errors import NotPermitted
from waterdesk.core.pdf import (
    SMALL,
    build,
    cells,
    company_contact_line,
    grid,
    hotline_phrase,
    letterhead,
    para,
    payment_url,
    qr_and_seal,
)
from waterdesk.core.timeutil import local
from waterdesk.sla.models import SlaPolicy, SlaUnit

LEGAL_BASIS = (
    "依据《中华人民共和国民法典》第六百五十四条（第六百五十六条规定供用水合同参照适用）："
    "用户逾期不支付水费的，应当按照约定支付违约金；经催告在合理期限内仍不支付水费和违约金的，"
    "供水人可以按照国家规定的程序中止供水，并应当事先通知用户。"
)
DEFAULT_RECONNECT_HOURS = Decimal("24")


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _day(value: date | None) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


def case_notice(case: Case) -> DisconnectionNotice | None:
    """The case's latest written notice."""
    return (
        DisconnectionNotice.objects.filter(dunning_id=case.pk)
        .select_related("dunning__account__customer", "dunning__account__premise")
        .order_by("-pk")
        .first()
    )


def notice_may_print(*, user, case: Case) -> bool:
    """Collectors and their supervisors print the notice of a case that has one."""
    if case.kind != COLLECTION_KIND:
        return False
    permitted = user.has_perm(WORK_PERMISSION) or user.has_perm(APPROVE_PERMISSION)
    return permitted and case_notice(case) is not None


def notice_check_access(*, user, case: Case) -> None:
    if not notice_may_print(user=user, case=case):
        raise NotPermitted()


def reconnect_hours() -> Decimal:
    """The reconnection time limit in calendar hours (the SLA policy; 24 by default)."""
    policy = SlaPolicy.objects.filter(
        case_kind=COLLECTION_KIND,
        milestone=RECONNECT_MILESTONE,
        priority="normal",
        is_active=True,
        unit=SlaUnit.CALENDAR_HOURS,
    ).first()
    return policy.amount if policy is not None else DEFAULT_RECONNECT_HOURS


def _period_text(notice: DisconnectionNotice) -> tuple[str, str]:
    """The period sentence and the first day supply may be suspended."""
    days = notice.period_days
    if notice.delivered_at is not None and notice.ends_on is not None:
        delivered = _day(local(notice.delivered_at).date())
        return (
            f"本通知书已于 {delivered} 送达。请自送达之日起 {days} 日内缴清上列欠费；"
            f"期满仍未缴清的，本公司将自 {_day(notice.ends_on)} 起依法中止供水。",
            _day(notice.ends_on),
        )
    return (
        f"请自本通知书送达之日起 {days} 日内缴清上列欠费；期满仍未缴清的，"
        f"本公司将自送达之日起第 {days} 日后依法中止供水。",
        f"送达之日起 {days} 日",
    )


def disconnection_notice_pdf(case: Case) -> bytes:
    """The case's latest written notice."""
    notice = case_notice(case)
    if notice is None:
        raise NotPermitted()
    account = notice.dunning.account
    today = timezone.localdate()
    owed = account_fee_notice(account, as_of=today)
    overdue_items = [item for item in owed.items if item.due < today]
    overdue_total = sum((item.unpaid for item in overdue_items), Decimal("0.00"))
    period, first_day = _period_text(notice)
    summary = grid(
        [
            cells(["通知书编号", notice.number, "开具日期", _day(local(notice.issued_at).date())]),
            cells(["户名", account.customer.name, "户号", account.number]),
            cells(["用水地址", account.premise.address, "催缴编号", case.number]),
            cells(
                [
                    "欠费金额（元）",
                    _yuan(notice.amount),
                    "通知期",
                    f"{notice.period_days} 日",
                ]
            ),
            cells(["最早停水日期", first_day, "送达方式", _delivery(notice)]),
        ],
        [28 * mm, 62 * mm, 24 * mm, 56 * mm],
        label_columns=(0, 2),
    )
    rows = [cells(["账单号 / 项目", "计费期间", "未缴金额(元)", "缴费截止日", "逾期天数"])]
    for item in overdue_items:
        bill = item.bill
        period_text = f"{bill.period_start:%Y.%m.%d}–{bill.period_end:%Y.%m.%d}" if bill else "—"
        rows.append(
            cells(
                [
                    item.description,
                    period_text,
                    _yuan(item.unpaid),
                    f"{item.due:%Y-%m-%d}",
                    f"{(today - item.due).days} 天",
                ]
            )
        )
    if not overdue_items:
        rows.append(cells(["截至打印日，本户已无逾期欠费。", "", "", "", ""]))
    rows.append(cells([f"截至 {_day(today)} 逾期欠费合计", "", _yuan(overdue_total), "", ""]))
    debts = grid(rows, [46 * mm, 42 * mm, 28 * mm, 28 * mm, 26 * mm], header=True)
    limit = reconnect_hours()
    hours = int(limit) if limit == int(limit) else limit
    url = payment_url(
        account=account.number,
        amount=overdue_total,
        account_public_id=account.public_id,
    )
    story = [
        *letterhead("停水通知书"),
        para(f"尊敬的用户 {account.customer.name}："),
        Spacer(1, 2 * mm),
        para(
            f"经本公司多次催缴，您（单位）户号 {account.number} 的水费至今仍未缴清，欠费明细如下："
        ),
        Spacer(1, 3 * mm),
        summary,
        Spacer(1, 4 * mm),
        debts,
        Spacer(1, 4 * mm),
        para(period),
        Spacer(1, 2 * mm),
        para(f"缴费方式：{PAY_HINT}也可持本通知书到营业厅缴费，或拨打{hotline_phrase()}咨询。"),
        Spacer(1, 2 * mm),
        para(
            f"缴清欠费（或与本公司约定分期还款并缴纳首期）后，本公司将在 {hours} 小时内恢复供水。"
            "如对欠费有异议，请在通知期内联系本公司核实。"
        ),
        Spacer(1, 2 * mm),
        para(LEGAL_BASIS),
        Spacer(1, 2 * mm),
        para(company_contact_line() or f"联系方式：{hotline_phrase()}"),
        Spacer(1, 4 * mm),
        para("签收人：＿＿＿＿＿＿　　签收日期：＿＿＿＿年＿＿月＿＿日", SMALL),
        Spacer(1, 4 * mm),
        qr_and_seal(url, f"扫码缴费 {_yuan(overdue_total)} 元" if url else ""),
        Spacer(1, 2 * mm),
        para("已缴费用以本公司入账为准；如已缴清，请勿重复缴费。", SMALL),
    ]
    return build(story, title=f"停水通知书 {notice.number}")


def _delivery(notice: DisconnectionNotice) -> str:
    if notice.delivered_at is None:
        return "待送达"
    with translation.override("zh-hans"):  # the customer's language, not the collector's
        how = str(ActionOutcome(notice.delivery).label)
    return f"{how}（{_day(local(notice.delivered_at).date())}）"

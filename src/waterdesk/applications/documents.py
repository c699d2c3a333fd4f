"""Printable documents of the application services: the intake receipt (受理回执) of a new
connection, an ownership transfer or a usage change.

Set in the embedded font with the company's letterhead and seal area (``core.pdf``). The
receipt tells the customer how to follow the case: at the counter, on the hotline, and —
when the site's address is configured — on the public look-up page (case number and phone),
with a QR code that opens it with the case number filled in.
"""

from django.utils import timezone, translation
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from waterdesk.applications.models import ApplicationKind
from waterdesk.applications.selectors import (
    case_open_material_notice,
    change_materials_missing,
    change_materials_received,
    new_connection_materials_missing,
    new_connection_materials_received,
)
from waterdesk.cases.models import Case
from waterdesk.core.pdf import (
    SMALL,
    build,
    grid,
    hotline_phrase,
    letterhead,
    para,
    public_lookup_url,
    qr_and_seal,
)
from waterdesk.core.timeutil import local
from waterdesk.customers.models import PersonalField
from waterdesk.customers.privacy import mask

CONTACT_PHONE = PersonalField.CONTACT_PHONE


def _fmt(value) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _kind_rows(case: Case) -> list[list[str]]:
    """What the application asks for, per kind (customer-facing: Chinese)."""
    if case.kind == ApplicationKind.OWNERSHIP_TRANSFER:
        detail = case.ownership_transfer
        return [
            ["户号", detail.account.number],
            ["原户主", detail.previous_customer.name],
            ["新户主", detail.new_customer.name],
        ]
    if case.kind == ApplicationKind.USAGE_CHANGE:
        detail = case.usage_change
        requested = detail.get_requested_usage_display()
        if detail.requested_tariff is not None:
            requested = f"{requested}（{detail.requested_tariff.name}）"
        return [
            ["户号", detail.account.number],
            ["原用水性质", str(detail.get_previous_usage_display())],
            ["申请变更为", str(requested)],
        ]
    return []


def receipt_pdf(case: Case) -> bytes:
    """The receipt, in Chinese whatever the clerk's screen language (it is the customer's)."""
    with translation.override("zh-hans"):
        return _receipt_pdf(case)


def _receipt_pdf(case: Case) -> bytes:
    clock = case.clocks.filter(milestone="complete").first()
    if clock is None:
        expected = "—"
    elif clock.state == "paused":
        expected = "材料补齐之日起计算"
    else:
        expected = local(clock.due_at).strftime("%Y年%m月%d日")
    if case.kind == ApplicationKind.NEW_CONNECTION:
        missing_names = [m.name for m in new_connection_materials_missing(case)]
        received_names = [m.name for m in new_connection_materials_received(case)]
    else:
        missing_names = [item.name for item in change_materials_missing(case)]
        received_names = [m.name for m in change_materials_received(case)]
    rows = [
        ["受理编号", case.number],
        ["业务类型", case.get_kind_display()],
        ["申请人", case.customer.name if case.customer else case.contact_name],
        # The receipt leaves the building with the customer: the phone is printed masked.
        ["联系人 / 电话", f"{case.contact_name} / {mask(CONTACT_PHONE, case.contact_phone)}"],
        ["用水地址", case.premise.address if case.premise else "—"],
        ["受理渠道", case.get_channel_display()],
        ["受理时间", _fmt(case.opened_at)],
        [
            "受理人",
            (case.opened_by.get_full_name() or case.opened_by.get_username())
            if case.opened_by
            else "—",
        ],
        *_kind_rows(case),
        ["已收材料", "、".join(received_names) or "—"],
        ["需补交材料", "、".join(missing_names) or "无"],
        ["预计办结日期", expected],
    ]
    if case.is_green:
        rows.append(["绿色通道", case.green_channel_reason or "是"])
    table = grid(
        [[para(label), para(value)] for label, value in rows],
        [38 * mm, 122 * mm],
    )
    lookup = public_lookup_url()
    where = f"营业厅、{hotline_phrase()}"
    if lookup:
        where += f"或网上查询（{lookup}，输入受理编号和联系电话）"
    story = [
        *letterhead("业务受理回执"),
        table,
        Spacer(1, 6 * mm),
        para(
            f"请妥善保管本回执，凭受理编号可在{where}查询办理进度。"
            "办理时限按工作日计算，等待客户补交材料的时间不计入办理时限。"
        ),
    ]
    notice = case_open_material_notice(case)
    if notice is not None:
        deadline = notice.deadline.strftime("%Y年%m月%d日")
        story += [
            Spacer(1, 4 * mm),
            para(f"一次性告知：请于 {deadline} 前补交上述材料，逾期申请将自动撤回。"),
        ]
    story += [
        Spacer(1, 6 * mm),
        qr_and_seal(public_lookup_url(case.number), "扫码查询办理进度"),
        Spacer(1, 4 * mm),
        para(f"打印时间：{_fmt(timezone.now())}", SMALL),
    ]
    return build(story, title=f"受理回执 {case.number}")

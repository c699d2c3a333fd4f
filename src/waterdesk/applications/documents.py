"""Printable documents of the application services: the intake receipt (受理回执) of a new
connection, an ownership transfer or a usage change.

ReportLab with its built-in CID font STSong-Light renders Chinese without any system
library or font file, so a fresh install prints receipts out of the box.
"""

from io import BytesIO

from django.conf import settings
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from waterdesk.applications.models import ApplicationKind
from waterdesk.applications.selectors import (
    case_open_material_notice,
    change_materials_missing,
    change_materials_received,
    new_connection_materials_missing,
    new_connection_materials_received,
)
from waterdesk.cases.models import Case
from waterdesk.core.pdf import para
from waterdesk.core.timeutil import local
from waterdesk.customers.models import PersonalField
from waterdesk.customers.privacy import mask

CONTACT_PHONE = PersonalField.CONTACT_PHONE
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1)
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=9, leading=13, textColor=colors.grey)


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
    table = Table(
        [[para(label, _BODY), para(value, _BODY)] for label, value in rows],
        colWidths=[38 * mm, 122 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef3f8")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story = [
        para(settings.WATERDESK_COMPANY_NAME, _TITLE),
        Spacer(1, 4 * mm),
        para("业务受理回执", _TITLE),
        Spacer(1, 8 * mm),
        table,
        Spacer(1, 8 * mm),
        para(
            "请妥善保管本回执，凭受理编号可在营业厅、服务热线或网上营业厅查询办理进度。"
            "办理时限按工作日计算，等待客户补交材料的时间不计入办理时限。",
            _BODY,
        ),
    ]
    notice = case_open_material_notice(case)
    if notice is not None:
        deadline = notice.deadline.strftime("%Y年%m月%d日")
        story += [
            Spacer(1, 4 * mm),
            para(f"一次性告知：请于 {deadline} 前补交上述材料，逾期申请将自动撤回。", _BODY),
        ]
    story += [Spacer(1, 10 * mm), para(f"打印时间：{_fmt(timezone.now())}", _SMALL)]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"受理回执 {case.number}",
        author=settings.WATERDESK_COMPANY_NAME,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    document.build(story)
    return buffer.getvalue()


detail_materials = (
    new_connection_materials_received  # TODO(me): drop once workbench imports the selector
)

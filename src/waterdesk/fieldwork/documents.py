"""The printed work order (工单, e.g. 维修单) as a PDF, with the customer's signature.

Set like the other documents (``core.pdf``): the company's letterhead and the title the
order's purpose gives (``Purpose.sheet_title``), the order and its case, where and for
whom, the crew, the times of every move, what was found and planned, the estimate and when
the customer accepted it (for a purpose whose crew diagnoses), the extensions, the
materials, the result and what the purpose records at finish, and the customer's
signature as drawn on the screen with the signer's name and time — or why there is none.
The customer keeps a copy: their phone number is printed masked. A customer document,
printed in Chinese whatever the crew's interface language.
"""

from __future__ import annotations

from io import BytesIO

from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, Spacer, Table, TableStyle

from waterdesk.core.masking import mask_mobile
from waterdesk.core.pdf import BODY, SMALL, build, cells, grid, hotline_phrase, letterhead, para
from waterdesk.core.timeutil import local, local_text
from waterdesk.fieldwork.models import WorkOrder, WorkOrderStatus
from waterdesk.fieldwork.purposes import Purpose, purpose_get

WIDE = [30 * mm, 140 * mm]
PAIRS = [28 * mm, 57 * mm, 28 * mm, 57 * mm]
SIGNATURE_BOX = (70 * mm, 28 * mm)  # the largest the drawn signature is printed


def _time(value) -> str:
    return f"{local(value):%Y-%m-%d %H:%M}" if value else "—"


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _or_dash(text) -> str:
    return str(text) if text not in (None, "") else "—"


def _estimate(order: WorkOrder) -> str:
    if order.estimate_minutes is None:
        return "—"
    return f"{order.estimate_minutes} 分钟，{order.estimate_cost:,.2f} 元"


def _summary(order: WorkOrder) -> Table:
    crew = order.crew.name + (f"（{order.crew.phone}）" if order.crew.phone else "")
    contact = " ".join(
        part for part in (order.contact_name, mask_mobile(order.contact_phone)) if part
    )
    window = (
        f"{_time(order.window_start)} 至 {_time(order.window_end)}"
        if order.window_start and order.window_end
        else "—"
    )
    rows = [
        cells(["工单号", order.number, "业务编号", order.case.number]),
        cells(["状态", order.get_status_display(), "紧急程度", "紧急" if order.urgent else "一般"]),
        cells(["地址", order.address, "联系人", _or_dash(contact)]),
        cells(["维修班组", crew, "预约时间", window]),
    ]
    return grid(rows, PAIRS, label_columns=(0, 2))


def _times(order: WorkOrder) -> Table:
    arrived = _time(order.arrived_at)
    if order.arrived_latitude is not None and order.arrived_longitude is not None:
        arrived += f"（{order.arrived_latitude}, {order.arrived_longitude}）"
    rows = [
        cells(["派单时间", _time(order.assigned_at), "接单时间", _time(order.accepted_at)]),
        cells(["出发时间", _time(order.en_route_at), "到达时间", arrived]),
        cells(["完工时间", _time(order.work_done_at), "签字时间", _time(order.signed_at)]),
    ]
    return grid(rows, PAIRS, label_columns=(0, 2))


def _work(order: WorkOrder, purpose: Purpose) -> Table:
    rows = [cells(["工作内容", order.description])]
    if purpose.diagnosis_required:
        rows += [
            cells(["故障诊断", _or_dash(order.diagnosis)]),
            cells(["维修方案", _or_dash(order.plan)]),
            cells(["预计用时和费用", _estimate(order)]),
            cells(["客户确认时间", _time(order.estimate_accepted_at)]),
        ]
    return grid(rows, WIDE)


def _extensions(order: WorkOrder) -> list[Flowable]:
    extensions = list(order.events.filter(action="extend").order_by("at", "pk"))
    if not extensions:
        return []
    rows = [cells(["记录时间", "延期原因", "新的预计完成时间", "主要部件"])]
    for event in extensions:
        data = event.data or {}
        rows.append(
            cells(
                [
                    _time(event.at),
                    event.note,
                    local_text(data.get("expected_done_at", "")),
                    _yes_no(bool(data.get("major_part"))),
                ]
            )
        )
    table = grid(rows, [32 * mm, 76 * mm, 38 * mm, 24 * mm], header=True)
    return [para("延期记录", BODY), Spacer(1, 1.5 * mm), table, Spacer(1, 4 * mm)]


def _materials(order: WorkOrder) -> list[Flowable]:
    rows = [cells(["物料名称", "规格", "数量", "单位"])]
    for material in order.materials.order_by("recorded_at", "pk"):
        rows.append(
            cells(
                [material.name, _or_dash(material.specification), material.quantity, material.unit]
            )
        )
    if len(rows) == 1:
        rows.append(cells(["未使用物料", "", "", ""]))
    table = grid(rows, [70 * mm, 50 * mm, 25 * mm, 25 * mm], header=True)
    return [para("使用物料", BODY), Spacer(1, 1.5 * mm), table, Spacer(1, 4 * mm)]


def _result(order: WorkOrder, purpose: Purpose) -> Table:
    rows = [
        cells(["处理结果", _or_dash(order.result)]),
        *(cells([label, value]) for label, value in purpose.finish_rows(order.finish_details)),
        cells(
            [
                "现场",
                f"已清理现场：{_yes_no(order.site_cleaned)}　　"
                f"已演示使用：{_yes_no(order.use_demonstrated)}",
            ]
        ),
    ]
    if order.status == WorkOrderStatus.NOT_COMPLETED:
        rows.append(cells(["未能完成原因", order.not_completed_reason]))
    return grid(rows, WIDE)


def _signature_image(png: bytes) -> Image:
    width, height = ImageReader(BytesIO(png)).getSize()
    scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)
    # mask="auto": the canvas's transparent background stays white paper.
    return Image(BytesIO(png), width=width * scale, height=height * scale, mask="auto")


def _signature(order: WorkOrder) -> Table:
    """The customer's confirmation: the drawn signature, who signed and when; or why
    nobody signed; or an empty box while the order is not signed."""
    if order.signature:
        drawn: Flowable = _signature_image(bytes(order.signature))
        caption = f"签字人：{order.signer_name}　　签字时间：{_time(order.signed_at)}"
    elif order.no_signature_reason:
        drawn = para(f"客户未签字。原因：{order.no_signature_reason}", BODY)
        caption = f"记录时间：{_time(order.closed_at)}"
    else:
        drawn = Spacer(1, SIGNATURE_BOX[1])
        caption = "客户签字：　　　　　　　　日期：　　　年　　月　　日"
    table = Table(
        [[para("客户确认", BODY), drawn], ["", para(caption, BODY)]],
        colWidths=WIDE,
        rowHeights=[SIGNATURE_BOX[1] + 4 * mm, None],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("SPAN", (0, 0), (0, 1)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef3f8")),
            ]
        )
    )
    return table


def work_order_sheet_pdf(order: WorkOrder) -> bytes:
    """The work order as printed for the customer and the files: see the module."""
    with translation.override("zh-hans"):
        return _sheet(order)


def _sheet(order: WorkOrder) -> bytes:
    purpose = purpose_get(order.purpose)
    title = str(purpose.sheet_title)
    story: list[Flowable] = [
        *letterhead(title),
        _summary(order),
        Spacer(1, 4 * mm),
        _times(order),
        Spacer(1, 4 * mm),
        _work(order, purpose),
        Spacer(1, 4 * mm),
        *_extensions(order),
        *_materials(order),
        _result(order, purpose),
        Spacer(1, 5 * mm),
        _signature(order),
        Spacer(1, 4 * mm),
        para(
            f"客户签字即确认以上工作已完成、费用已知悉。如有疑问，请拨打{hotline_phrase()}。",
            SMALL,
        ),
    ]
    return build(story, title=f"{title} {order.number}")

"""The printed work order (PDF): the purpose's title, the order and its case, where and for
whom (the phone masked), the crew, the times, the work and the estimate, the extensions,
the materials, the result and the customer's drawn signature — or why there is none; and
who may download it."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.fieldwork_support import (
    MORNING,
    SHEET_TITLE,
    an_order,
    at,
    crew_with_member,
    dispatcher,
    east,
    heard,
    pdf_text,
    walked,
)
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.documents import work_order_sheet_pdf

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "east", "heard"]


def images(content: bytes) -> list:
    return [image for page in PdfReader(io.BytesIO(content)).pages for image in page.images]


@pytest.fixture
def signed(dispatcher, clerk, heard, east):
    crew, member = east
    with at(0):
        order = an_order(dispatcher, crew, clerk, urgent=True)
    with at(5):
        order = walked(member, order, to="arrived")
        fw.work_order_extend(
            actor=member,
            order=order,
            reason="需更换表前总阀",
            expected_done_at=MORNING + dt.timedelta(hours=3),
            major_part=True,
        )
    with at(50):
        return walked(member, order, to="signed_off")


def test_the_sheet_of_a_signed_order_carries_everything_and_the_signature(signed):
    content = work_order_sheet_pdf(signed)
    text = pdf_text(content)
    assert content.startswith(b"%PDF-")
    assert b"/Subtype /Image" in content
    assert [(image.image.format, image.image.size) for image in images(content)] == [
        ("PNG", (1, 1))
    ]
    for expected in [
        SHEET_TITLE,
        signed.number,
        signed.case.number,
        "解放路1号",
        "张三139****9000",  # the customer's phone, masked
        "east班（0571-88000000）",
        "紧急",
        "派单时间2026-03-0209:00",
        "接单时间2026-03-0209:05",
        "到达时间2026-03-0209:05",
        "完工时间2026-03-0209:50",
        "签字时间2026-03-0209:50",
        "阀门老化渗漏",
        "更换闸阀",
        "40分钟，85.00元",
        "客户确认时间2026-03-0209:50",
        "需更换表前总阀2026-03-0212:00是",
        "闸阀DN201.00个",
        "已更换闸阀，试水正常",
        "已清理现场：是",
        "已演示使用：是",
        "签字人：张三",
    ]:
        assert expected in text, expected
    assert "13900139000" not in text


def test_the_sheet_without_a_signature_says_why(dispatcher, clerk, heard, east):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="work_done", estimate=False)
    unsigned = work_order_sheet_pdf(order)
    assert images(unsigned) == []
    assert "客户签字：" in pdf_text(unsigned)
    order = fw.work_order_sign_off(
        actor=member, order=order, no_signature_reason="客户行动不便，口头确认"
    )
    content = work_order_sheet_pdf(order)
    text = pdf_text(content)
    assert images(content) == []
    assert "客户未签字。原因：客户行动不便，口头确认" in text
    assert "预计用时和费用—" in text


def test_the_sheet_is_for_the_crew_the_dispatchers_and_the_supervisors(
    client, signed, dispatcher, supervisor, clerk
):
    url = reverse("fieldwork:sheet", args=[signed.public_id])
    _other, stranger = crew_with_member("west", "crew2", mobile="13800138001")
    member = signed.crew.members.get().user
    for user in (member, dispatcher, supervisor):
        client.force_login(user)
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
        assert response.content.startswith(b"%PDF-")
        assert f"work-order-{signed.number}.pdf" in response["Content-Disposition"]
    for user in (stranger, clerk):
        client.force_login(user)
        assert client.get(url).status_code == 403


def test_the_sheet_is_printed_in_chinese_whatever_the_interface_language(client, signed):
    client.cookies.load({"django_language": "en"})
    client.force_login(signed.crew.members.get().user)
    text = pdf_text(client.get(reverse("fieldwork:sheet", args=[signed.public_id])).content)
    assert "已签字确认" in text and "Signed" not in text

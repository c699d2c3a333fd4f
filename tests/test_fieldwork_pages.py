"""The crew's phone pages and the dispatcher's crews page: who may open them, every step
posted through the order page changing what the services record, and every refusal shown
on the page with the input kept and nothing changed."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from tests.factories import UserFactory
from tests.fieldwork_support import (
    CASE_FACTS,
    MORNING,
    an_order,
    at,
    crew_with_member,
    dispatcher,
    east,
    heard,
    offered,
    photo_upload,
    png_data_url,
    state,
    step,
    tiny_png,
    walked,
)
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import PersonalDataAccess
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import DutyShift, Vehicle

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "east", "heard"]


def order_url(order, name: str = "fieldwork:order") -> str:
    return reverse(name, args=[order.public_id])


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def west(db):
    return crew_with_member("west", "crew2", mobile="13800138001")


# --- my orders -----------------------------------------------------------------------------


def test_my_orders_lists_the_crews_open_orders_urgent_first(
    client, dispatcher, clerk, heard, east, west
):
    crew, member = east
    with at(0):
        general = an_order(dispatcher, crew, clerk, address="人民路5号")
    with at(5):
        urgent = an_order(dispatcher, crew, clerk, urgent=True, address="解放路1号")
        an_order(dispatcher, west[0], clerk, address="西湖路9号")  # another crew's
        done = an_order(dispatcher, crew, clerk, address="中山路3号")
    walked(member, done, to="signed_off")
    client.force_login(member)
    response = client.get(reverse("fieldwork:my_orders"))
    page = text_of(response)
    assert response.status_code == 200
    assert [row["order"].number for row in response.context["rows"]] == [
        urgent.number,
        general.number,
    ]
    assert "西湖路9号" not in page and "中山路3号" not in page
    # The crew calls the customer from the list: the full number, as a tel: link, logged.
    assert 'href="tel:13900139000"' in page
    assert PersonalDataAccess.objects.filter(
        user=member, field="contact_phone", case_number=urgent.case.number
    ).exists()
    assert f'href="{order_url(urgent)}"' in page


def test_a_crew_member_in_no_crew_is_told_what_to_do(client, db):
    loose = UserFactory(username="loose", role=Role.CREW_MEMBER)
    client.force_login(loose)
    response = client.get(reverse("fieldwork:my_orders"))
    assert response.status_code == 200
    assert "请联系调度员把您加入班组" in text_of(response)


def test_my_orders_is_for_crew_members_only(client, dispatcher, clerk, supervisor):
    for user in (dispatcher, clerk, supervisor):
        client.force_login(user)
        assert client.get(reverse("fieldwork:my_orders")).status_code == 403
    client.logout()
    response = client.get(reverse("fieldwork:my_orders"))
    assert (response.status_code, response.url.startswith("/login/")) == (302, True)


def test_a_crew_member_lands_on_my_orders_and_sees_no_desk_links(client, dispatcher, east):
    _crew, member = east
    client.force_login(member)
    assert client.get(reverse("workbench:home")).url == reverse("fieldwork:my_orders")
    page = text_of(client.get(reverse("fieldwork:my_orders")))
    assert f'href="{reverse("fieldwork:my_orders")}"' in page
    assert f'href="{reverse("workbench:queue")}"' not in page
    assert f'href="{reverse("fieldwork:crews")}"' not in page
    client.force_login(dispatcher)
    page = text_of(client.get(reverse("fieldwork:crews")))
    assert f'href="{reverse("fieldwork:crews")}"' in page
    assert f'href="{reverse("fieldwork:my_orders")}"' not in page


# --- the order page ------------------------------------------------------------------------


def test_the_order_page_shows_the_case_facts_the_timeline_and_the_first_steps(
    client, dispatcher, clerk, heard, east
):
    crew, member = east
    order = an_order(dispatcher, crew, clerk)
    client.force_login(member)
    response = client.get(order_url(order))
    page = text_of(response)
    assert response.status_code == 200
    for label, value in CASE_FACTS:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    assert offered(response) == ["accept", "contact"]
    assert [entry["label"] for entry in response.context["timeline"]] == ["派单"]
    assert 'href="tel:13900139000"' in page


def test_who_may_see_an_order(client, dispatcher, clerk, supervisor, heard, east, west):
    crew, _member = east
    _other, stranger = west
    order = an_order(dispatcher, crew, clerk)
    client.force_login(stranger)
    refused = client.get(order_url(order))
    assert refused.status_code == 403
    assert "该工单不属于您所在的班组" in text_of(refused)
    for reader in (dispatcher, supervisor):
        client.force_login(reader)
        response = client.get(order_url(order))
        page = text_of(response)
        # Read-only, and the customer's phone masked: calling is the crew's work.
        assert (response.status_code, offered(response)) == (200, [])
        assert "139****9000" in page and "tel:13900139000" not in page
    client.force_login(clerk)
    assert client.get(order_url(order)).status_code == 403
    missing = reverse("fieldwork:order", args=["6f1c1f3e-7d43-4a55-9c43-3d0c2f1f0a01"])
    client.force_login(dispatcher)
    assert client.get(missing).status_code == 404


def test_every_step_through_the_page(client, dispatcher, clerk, heard, east):
    crew, member = east
    with at(0):
        order = an_order(dispatcher, crew, clerk)
    client.force_login(member)
    with at(1):
        assert step(client, order, "accept").status_code == 302
        assert offered(client.get(order_url(order))) == ["contact", "set_off", "give_up"]
        booked = step(
            client,
            order,
            "contact",
            window_start="2026-03-02T09:30",
            window_end="2026-03-02T11:00",
            note="客户下午在家",
        )
        assert booked.status_code == 302
    with at(20):
        assert step(client, order, "set_off").status_code == 302
        assert offered(client.get(order_url(order))) == ["arrive", "photo", "give_up"]
    with at(40):
        arrived = step(client, order, "arrive", latitude="30.274100", longitude="120.155200")
        assert arrived.status_code == 302
        response = client.get(arrived.url)
        assert offered(response) == [
            "diagnose",
            "estimate",
            "material",
            "photo",
            "extend",
            "finish",
            "give_up",
        ]
        assert "已到达现场" in text_of(response)
        step(client, order, "diagnose", diagnosis="闸阀老化渗漏", plan="更换闸阀")
        step(client, order, "estimate", minutes="40", cost="85.00")
        response = client.get(order_url(order))
        assert "estimate_accept" in offered(response)
        assert "预计用时 <strong>40</strong> 分钟，费用 <strong>85.00</strong> 元" in text_of(
            response
        )
        assert step(client, order, "estimate_accept").status_code == 302
        step(client, order, "material", name="闸阀", specification="DN20", quantity="1", unit="个")
        step(client, order, "photo", photo=photo_upload(), caption="更换前")
        step(
            client,
            order,
            "extend",
            reason="需更换表前总阀",
            expected_done_at="2026-03-02T12:00",
            major_part="on",
        )
    with at(60):
        finished = step(
            client,
            order,
            "finish",
            result="已更换闸阀，试水正常",
            site_cleaned="on",
            use_demonstrated="on",
        )
        assert finished.status_code == 302
        assert offered(client.get(order_url(order))) == ["sign_off", "material", "photo", "give_up"]
        signed = step(client, order, "sign_off", signature=png_data_url(), signer_name="张三")
        assert signed.status_code == 302
        page = text_of(client.get(signed.url))
    order.refresh_from_db()
    assert (order.status, order.window_start, order.en_route_at, order.arrived_at) == (
        "signed_off",
        dt.datetime(2026, 3, 2, 9, 30, tzinfo=LOCAL_TZ),
        MORNING + dt.timedelta(minutes=20),
        MORNING + dt.timedelta(minutes=40),
    )
    assert (str(order.arrived_latitude), str(order.arrived_longitude)) == (
        "30.274100",
        "120.155200",
    )
    assert (order.diagnosis, order.plan, order.estimate_minutes, str(order.estimate_cost)) == (
        "闸阀老化渗漏",
        "更换闸阀",
        40,
        "85.00",
    )
    assert order.expected_done_at == dt.datetime(2026, 3, 2, 12, 0, tzinfo=LOCAL_TZ)
    assert (order.site_cleaned, order.use_demonstrated, order.signer_name) == (True, True, "张三")
    assert bytes(order.signature) == tiny_png()
    assert list(order.materials.values_list("name", "specification", "unit")) == [
        ("闸阀", "DN20", "个")
    ]
    assert order.photos.get().caption == "更换前"
    assert [action for action, _data in heard] == [
        "assign",
        "accept",
        "contact",
        "set_off",
        "arrive",
        "diagnose",
        "estimate",
        "estimate_accept",
        "material",
        "photo",
        "extend",
        "finish",
        "sign_off",
    ]
    # Signed off: the way forward is the sheet and the crew's list.
    assert f'href="{order_url(order, "fieldwork:sheet")}"' in page
    assert f'href="{reverse("fieldwork:my_orders")}"' in page
    assert "张三 已于 2026-03-02 10:00 签字确认" in page


def test_a_member_of_another_crew_is_refused_with_nothing_changed(
    client, dispatcher, clerk, heard, east, west
):
    crew, _member = east
    order = an_order(dispatcher, crew, clerk)
    before = state(order)
    client.force_login(west[1])
    response = step(client, order, "accept")
    assert response.status_code == 403
    assert "该工单不属于您所在的班组" in text_of(response)
    assert state(order) == before
    client.force_login(dispatcher)  # dispatchers dispatch; the crew works the order
    assert step(client, order, "accept").status_code == 403
    assert state(order) == before


def test_finishing_before_the_customer_accepted_the_estimate_is_refused(
    client, dispatcher, clerk, heard, east
):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="arrived")
    fw.work_order_estimate(actor=member, order=order, minutes=30, cost="60.00")
    before = state(order)
    client.force_login(member)
    response = step(client, order, "finish", result="已修好", site_cleaned="on")
    page = text_of(response)
    assert response.status_code == 409
    assert "客户尚未确认预计用时和费用" in page
    assert "已修好</textarea>" in page  # the input kept
    assert state(order) == before


def test_an_arrival_time_before_setting_off_is_refused(client, dispatcher, clerk, heard, east):
    crew, member = east
    with at(0):
        order = an_order(dispatcher, crew, clerk)
        fw.work_order_accept(actor=member, order=order)
    with at(10):
        fw.work_order_set_off(actor=member, order=order)
    before = state(order)
    client.force_login(member)
    with at(20):
        response = step(client, order, "arrive", at="2026-03-02T09:05")
    page = text_of(response)
    assert response.status_code == 400
    assert "到达时间不能早于 2026-03-02 09:10，请核对时间。" in page
    assert 'value="2026-03-02T09:05"' in page
    assert state(order) == before


def test_a_sign_off_without_signature_or_reason_is_refused(client, dispatcher, clerk, heard, east):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="work_done")
    before = state(order)
    client.force_login(member)
    response = step(client, order, "sign_off", signer_name="张三")
    page = text_of(response)
    assert response.status_code == 400
    assert "请客户在屏幕上签字确认；客户无法签字时，请填写原因。" in page
    assert 'value="张三"' in page
    assert state(order) == before
    # A signature without the signer's name: the drawing comes back to the pad.
    response = step(client, order, "sign_off", signature=png_data_url())
    assert response.status_code == 400
    assert "请填写签字人。" in text_of(response)
    assert png_data_url() in text_of(response)
    assert state(order) == before
    # Without a signature, the reason.
    response = step(client, order, "sign_off", no_signature_reason="客户外出，由邻居代为开门")
    order.refresh_from_db()
    assert (response.status_code, order.status, order.no_signature_reason) == (
        302,
        "signed_off",
        "客户外出，由邻居代为开门",
    )


def test_a_forged_signature_is_refused(client, dispatcher, clerk, heard, east):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="work_done")
    before = state(order)
    client.force_login(member)
    forged = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"  # a truncated PNG
    response = step(client, order, "sign_off", signature=forged, signer_name="张三")
    assert response.status_code == 400
    assert "签名图像无效，请重新签字。" in text_of(response)
    assert state(order) == before


def test_could_not_complete_needs_a_reason_and_closes_the_order(
    client, dispatcher, clerk, heard, east
):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="accepted")
    before = state(order)
    client.force_login(member)
    refused = step(client, order, "give_up", reason=" ")
    assert (refused.status_code, state(order)) == (400, before)
    assert "请填写未能完成原因。" in text_of(refused)
    done = step(client, order, "give_up", reason="客户不在家，无法入户")
    page = text_of(client.get(done.url))
    order.refresh_from_db()
    assert (order.status, order.not_completed_reason) == ("not_completed", "客户不在家，无法入户")
    assert "未能完成：客户不在家，无法入户" in page
    assert f'href="{reverse("fieldwork:my_orders")}"' in page


def test_a_step_the_status_does_not_allow_is_refused(client, dispatcher, clerk, heard, east):
    crew, member = east
    order = an_order(dispatcher, crew, clerk)
    before = state(order)
    client.force_login(member)
    response = step(client, order, "finish", result="已修好", site_cleaned="on")
    assert response.status_code == 409
    assert "工单当前状态为“已派单”，不能进行此操作。" in text_of(response)
    assert state(order) == before
    assert step(client, order, "cancel").status_code == 404  # the dispatcher's, not a step


# --- photos --------------------------------------------------------------------------------


def test_photos_are_served_only_to_who_may_see_the_order(
    client, dispatcher, clerk, heard, east, west
):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="en_route")
    photo = fw.work_order_photo_add(actor=member, order=order, upload=photo_upload())
    url = reverse("fieldwork:photo", args=[order.public_id, photo.pk])
    client.force_login(member)
    full = client.get(url)
    assert (full.status_code, full["Content-Type"], b"".join(full.streaming_content)) == (
        200,
        "image/png",
        tiny_png(),
    )
    thumb = client.get(url, {"size": "thumb"})
    assert (thumb["Content-Type"], Image.open(io.BytesIO(thumb.content)).format) == (
        "image/jpeg",
        "JPEG",
    )
    page = text_of(client.get(order_url(order)))
    assert f'src="{url}?size=thumb"' in page
    assert not re.search(r'src="/media/', page)
    client.force_login(west[1])
    assert client.get(url).status_code == 403
    client.force_login(dispatcher)
    assert client.get(url).status_code == 200
    other = reverse("fieldwork:photo", args=[order.public_id, photo.pk + 1])
    assert client.get(other).status_code == 404


def test_a_photo_that_is_not_an_image_is_refused(client, dispatcher, clerk, heard, east):
    crew, member = east
    order = walked(member, an_order(dispatcher, crew, clerk), to="arrived")
    client.force_login(member)
    upload = io.BytesIO(b"GIF89a not a photo")
    upload.name = "x.gif"
    response = step(client, order, "photo", photo=upload)
    assert response.status_code == 400
    assert "请上传 JPEG 或 PNG 照片。" in text_of(response)
    nothing = step(client, order, "photo", caption="忘了拍")
    assert nothing.status_code == 400
    assert "请选择或拍摄一张照片。" in text_of(nothing)
    assert 'value="忘了拍"' in text_of(nothing)
    assert order.photos.count() == 0


# --- the dispatcher's crews ------------------------------------------------------------------


def test_the_crews_page_shows_members_vehicles_duty_and_open_orders(
    client, dispatcher, clerk, supervisor, heard, east, west
):
    crew, member = east
    Vehicle.objects.create(plate="浙A12345", description="工程车", crew=crew)
    with at(0):
        order = an_order(dispatcher, crew, clerk, urgent=True)
        DutyShift.objects.create(
            crew=crew,
            starts_at=MORNING - dt.timedelta(hours=1),
            ends_at=MORNING + dt.timedelta(hours=11),
        )
        DutyShift.objects.create(
            crew=west[0],
            starts_at=MORNING + dt.timedelta(hours=11),
            ends_at=MORNING + dt.timedelta(hours=23),
        )
        client.force_login(dispatcher)
        response = client.get(reverse("fieldwork:crews"))
    page = text_of(response)
    rows = {row["crew"].code: row for row in response.context["rows"]}
    assert response.status_code == 200
    assert rows["east"]["current"] is not None and rows["west"]["current"] is None
    assert rows["west"]["next"].starts_at == MORNING + dt.timedelta(hours=11)
    assert "值班中，至 03-02 20:00" in page and "下次值班 03-02 20:00" in page
    assert "浙A12345" in page and member.first_name in page
    assert order.number in page and f'href="{order_url(order)}"' in page
    for user in (member, supervisor, clerk):
        client.force_login(user)
        assert client.get(reverse("fieldwork:crews")).status_code == 403

"""Helpers of the field-work tests: crews with members, a purpose that records what it
hears (and tells the crew two facts of its case), an order on a case, and an order walked
by its crew through the services to a status."""

import base64
import io
import struct
import zlib
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import CustomerFactory, UserFactory, registered_new_connection
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork import purposes
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import Crew, CrewMember, DutyShift, WorkOrder, WorkOrderEvent
from waterdesk.fieldwork.services import work_order_create

PURPOSE = "test_job"
SHEET_TITLE = "测试维修单"
# What the test purpose tells the crew about the case (Purpose.case_facts).
CASE_FACTS = [("故障类型", "阀门漏水"), ("报修渠道", "热线电话")]
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)


def at(minutes: int):
    """The clock pinned ``minutes`` after ``MORNING``."""
    return time_machine.travel(MORNING + timedelta(minutes=minutes), tick=False)


def tiny_png() -> bytes:
    """A valid 1×1 PNG (what a canvas's toDataURL gives, in small)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pdf_text(content: bytes) -> str:
    """The text of a printed sheet, without spaces (table cells wrap anywhere)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split())


def png_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(tiny_png()).decode()


def crew_with_member(code: str, username: str, *, mobile: str = "13800138000"):
    crew = Crew.objects.create(code=code, name=f"{code}班", phone="0571-88000000")
    user = UserFactory(username=username, role=Role.CREW_MEMBER)
    user.staff_profile.mobile = mobile
    user.staff_profile.save()
    CrewMember.objects.create(crew=crew, user=user, is_leader=True)
    return crew, user


@pytest.fixture
def heard():
    """A registered purpose for the tests; the list of (action, data) it was told."""
    told: list[tuple[str, dict]] = []

    def on_event(*, order, action, actor, at, data):
        told.append((action, data))

    purpose = purposes.Purpose(
        code=PURPOSE,
        label="测试工单",
        sheet_title=SHEET_TITLE,
        on_event=on_event,
        case_facts=lambda case: list(CASE_FACTS),
    )
    with purpose_registered(purpose):
        yield told


@contextmanager
def purpose_registered(purpose: purposes.Purpose):
    """``purpose`` registered while the block runs (a test's own purpose)."""
    purposes.purpose_register(purpose)
    try:
        yield purpose
    finally:
        purposes._PURPOSES.pop(purpose.code, None)


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", role=Role.DISPATCHER)


@pytest.fixture
def east(db):
    return crew_with_member("east", "crew1")


def step(client, order, action: str, **data):
    """``action`` posted on the order's page."""
    return client.post(reverse("fieldwork:order_step", args=[order.public_id, action]), data)


def offered(response) -> list[str]:
    """The steps the order page offers, in their order."""
    return [view.action for view in response.context["steps"]]


def state(order) -> tuple:
    """What a refused step must leave as it was."""
    order = WorkOrder.objects.get(pk=order.pk)
    return (
        order.status,
        order.en_route_at,
        order.arrived_at,
        order.work_done_at,
        order.signed_at,
        order.estimate_accepted_at,
        order.result,
        order.finish_details,
        WorkOrderEvent.objects.filter(order=order).count(),
    )


def an_order(dispatcher, crew, clerk, **fields):
    case = registered_new_connection(clerk, customer=CustomerFactory())
    values = {
        "purpose": PURPOSE,
        "crew": crew,
        "description": "水表前阀门漏水",
        "address": "解放路1号",
        "contact_name": "张三",
        "contact_phone": "13900139000",
    }
    values.update(fields)
    return work_order_create(actor=dispatcher, case=case, **values)


def photo_upload(name: str = "site.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


# The crew's way from assigned to signed off, one service call per status reached.
WALK = ("accepted", "en_route", "arrived", "work_done", "signed_off")


def walked(member, order: WorkOrder, *, to: str, estimate: bool = True) -> WorkOrder:
    """``order`` moved by ``member`` (of its crew) through the services until its status
    is ``to``: arrived with a diagnosis, work done with an accepted estimate and one
    material, signed off with the customer's drawn signature."""
    order = WorkOrder.objects.get(pk=order.pk)
    for status in WALK[WALK.index(order.status) + 1 if order.status in WALK else 0 :]:
        if status == "accepted":
            order = fw.work_order_accept(actor=member, order=order)
        elif status == "en_route":
            order = fw.work_order_set_off(actor=member, order=order)
        elif status == "arrived":
            order = fw.work_order_arrive(actor=member, order=order)
            order = fw.work_order_diagnose(
                actor=member, order=order, diagnosis="阀门老化渗漏", plan="更换闸阀"
            )
        elif status == "work_done":
            if estimate:
                fw.work_order_estimate(actor=member, order=order, minutes=40, cost="85.00")
                fw.work_order_estimate_accept(actor=member, order=order)
            fw.work_order_material_add(
                actor=member,
                order=order,
                name="闸阀",
                quantity="1",
                unit="个",
                specification="DN20",
            )
            order = fw.work_order_finish(
                actor=member,
                order=order,
                result="已更换闸阀，试水正常",
                site_cleaned=True,
                use_demonstrated=True,
            )
        elif status == "signed_off":
            order = fw.work_order_sign_off(
                actor=member, order=order, signature=png_data_url(), signer_name="张三"
            )
        if status == to:
            break
    order.refresh_from_db()
    assert order.status == to
    return order


def fieldwork_world(*, crew_member, dispatcher, case) -> dict:
    """For the role x URL matrix: ``crew_member``'s crew on call now with an order on
    ``case`` (of the ``heard`` purpose), en route with one photo; the URL kwargs by target."""
    crew = Crew.objects.create(code="matrix", name="矩阵班", phone="0571-88000001")
    CrewMember.objects.create(crew=crew, user=crew_member, is_leader=True)
    now = timezone.now()
    shift = DutyShift.objects.create(
        crew=crew, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=11)
    )
    order = work_order_create(
        actor=dispatcher,
        case=case,
        purpose=PURPOSE,
        crew=crew,
        description="水表前阀门漏水",
        address="城南区人民路8号",
        contact_name="王芳",
        contact_phone="13900139000",
    )
    order = walked(crew_member, order, to="en_route")
    photo = fw.work_order_photo_add(actor=crew_member, order=order, upload=photo_upload())
    return {
        "work_order": {"public_id": order.public_id},
        "work_order_give_up": {"public_id": order.public_id, "action": "give_up"},
        "work_order_photo": {"public_id": order.public_id, "photo_id": photo.pk},
        "shift": {"shift_id": shift.pk},
    }

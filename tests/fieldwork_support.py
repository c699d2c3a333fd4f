"""Helpers of the field-work tests: crews with members, a purpose that records what it
hears, and an order on a case."""

import base64
import struct
import zlib

import pytest

from tests.factories import CustomerFactory, UserFactory, registered_new_connection
from waterdesk.core.roles import Role
from waterdesk.fieldwork import purposes
from waterdesk.fieldwork.models import Crew, CrewMember
from waterdesk.fieldwork.services import work_order_create

PURPOSE = "test_job"


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
        code=PURPOSE, label="测试工单", sheet_title="测试工单", on_event=on_event
    )
    purposes._PURPOSES[PURPOSE] = purpose
    yield told
    purposes._PURPOSES.pop(PURPOSE, None)


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", role=Role.DISPATCHER)


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

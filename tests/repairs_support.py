"""Helpers of the repair tests: the hotline and dispatch roles, crews on call, reports
through the service, and a crew walking an order through the fieldwork services."""

from datetime import datetime, timedelta

import pytest
import time_machine

from tests.factories import UserFactory
from tests.fieldwork_support import crew_with_member, png_data_url
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import DutyShift, WorkOrder
from waterdesk.repairs.models import FaultType
from waterdesk.repairs.services.intake import repair_report

# A plain Tuesday morning, no holiday near (Asia/Shanghai).
TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=LOCAL_TZ)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


@pytest.fixture
def hotline(db):
    return UserFactory(username="hotline", role=Role.HOTLINE_AGENT)


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", role=Role.DISPATCHER)


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


def fault(code: str) -> FaultType:
    return FaultType.objects.get(code=code)


def on_call(code: str, username: str, *, starts_at: datetime, hours: int = 14, mobile: str):
    """A crew with one member on the roster from ``starts_at`` for ``hours``."""
    crew, member = crew_with_member(code, username, mobile=mobile)
    DutyShift.objects.create(
        crew=crew, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours)
    )
    return crew, member


def report(actor, *, fault_code: str = "leak", **fields) -> Case:
    """A report through ``repair_report`` (a leak at a typed address unless told)."""
    values = {
        "channel": "phone",
        "contact_name": "张三",
        "contact_phone": "13900139000",
        "address": "城北区解放路1号",
        "description": "水表前阀门漏水",
    }
    values.update(fields)
    return repair_report(actor=actor, fault_type=fault(fault_code), **values)


def the_order(case: Case) -> WorkOrder:
    return WorkOrder.objects.filter(case=case).order_by("-assigned_at", "-pk").first()


def walk_to_arrived(member, order: WorkOrder, traveller, *, set_off=5, arrive=30) -> WorkOrder:
    """The crew accepts at once, sets off ``set_off`` and arrives ``arrive`` minutes later."""
    fw.work_order_accept(actor=member, order=order)
    traveller.shift(timedelta(minutes=set_off))
    fw.work_order_set_off(actor=member, order=order)
    traveller.shift(timedelta(minutes=arrive))
    return fw.work_order_arrive(actor=member, order=order)


def walk_to_signed_off(member, order: WorkOrder, traveller, *, work_minutes=60) -> WorkOrder:
    """From arrived: diagnosis and plan, the work done, the customer signs."""
    fw.work_order_diagnose(actor=member, order=order, diagnosis="管道接口破裂", plan="更换管段")
    traveller.shift(timedelta(minutes=work_minutes))
    fw.work_order_finish(
        actor=member,
        order=order,
        result="已更换管段，恢复供水",
        site_cleaned=True,
        use_demonstrated=True,
    )
    return fw.work_order_sign_off(
        actor=member, order=order, signature=png_data_url(), signer_name="王一"
    )

"""Work orders: the crew's moves and steps, who may make them, and what a bad input
refuses with nothing changed."""

import datetime as dt

import pytest
import time_machine

from tests.fieldwork_support import (
    an_order,
    crew_with_member,
    dispatcher,
    heard,
    png_data_url,
    tiny_png,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import DutyShift, WorkOrder, WorkOrderEvent
from waterdesk.fieldwork.selectors import crew_on_duty
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "heard"]

MORNING = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)


def minutes(n):
    return MORNING + dt.timedelta(minutes=n)


def test_an_order_walks_from_assigned_to_signed_off(dispatcher, clerk, heard):
    crew, member = crew_with_member("east", "crew1")
    with time_machine.travel(MORNING, tick=False):
        order = an_order(dispatcher, crew, clerk, urgent=True)
    assert order.number == f"{order.case.number}-1"
    sent = Notification.objects.filter(template_key="fieldwork.assigned")
    assert sorted(sent.values_list("channel", "recipient_address")) == [
        ("email", "crew1@waterdesk.test"),
        ("sms", "13800138000"),
    ]
    assert "解放路1号" in sent.get(channel="sms").body and "紧急" in sent.get(channel="sms").body
    with time_machine.travel(minutes(2), tick=False):
        fw.work_order_accept(actor=member, order=order)
    with time_machine.travel(minutes(3), tick=False):
        fw.work_order_set_off(actor=member, order=order)
    with time_machine.travel(minutes(30), tick=False):
        order = fw.work_order_arrive(
            actor=member, order=order, latitude="30.274", longitude="120.155"
        )
        fw.work_order_diagnose(actor=member, order=order, diagnosis="阀门老化", plan="更换阀门")
        fw.work_order_estimate(actor=member, order=order, minutes=40, cost="85.00")
        with pytest.raises(IllegalTransition) as refused:
            fw.work_order_finish(
                actor=member, order=order, result="已更换", site_cleaned=True, use_demonstrated=True
            )
        assert refused.value.code == "estimate_not_accepted"
        fw.work_order_estimate_accept(actor=member, order=order)
        fw.work_order_material_add(
            actor=member, order=order, name="闸阀", quantity="1", unit="个", specification="DN20"
        )
    with time_machine.travel(minutes(70), tick=False):
        fw.work_order_finish(
            actor=member,
            order=order,
            result="已更换阀门，试水正常",
            site_cleaned=True,
            use_demonstrated=True,
        )
        with pytest.raises(InvalidInput) as refused:
            fw.work_order_sign_off(actor=member, order=order)
        assert refused.value.code == "signature_required"
        order = fw.work_order_sign_off(
            actor=member, order=order, signature=png_data_url(), signer_name="张三"
        )
    order.refresh_from_db()
    assert (order.status, order.closed_at, bytes(order.signature)) == (
        "signed_off",
        minutes(70),
        tiny_png(),
    )
    assert (order.accepted_at, order.en_route_at, order.arrived_at, order.work_done_at) == (
        minutes(2),
        minutes(3),
        minutes(30),
        minutes(70),
    )
    assert (str(order.arrived_latitude), str(order.estimate_cost)) == ("30.274000", "85.00")
    assert [action for action, _data in heard] == [
        "assign",
        "accept",
        "set_off",
        "arrive",
        "diagnose",
        "estimate",
        "estimate_accept",
        "material",
        "finish",
        "sign_off",
    ]
    assert list(WorkOrderEvent.objects.filter(order=order).values_list("action", flat=True)) == [
        action for action, _data in heard
    ]


def test_a_member_of_another_crew_may_not_touch_the_order(dispatcher, clerk, heard):
    crew, _member = crew_with_member("east", "crew1")
    _other, stranger = crew_with_member("west", "crew2", mobile="13800138001")
    order = an_order(dispatcher, crew, clerk)
    with pytest.raises(NotPermitted) as refused:
        fw.work_order_accept(actor=stranger, order=order)
    assert refused.value.code == "not_your_crew"
    order.refresh_from_db()
    assert (order.status, order.accepted_at) == ("assigned", None)
    assert [action for action, _data in heard] == ["assign"]


def test_an_arrival_before_setting_off_is_refused(dispatcher, clerk, heard):
    crew, member = crew_with_member("east", "crew1")
    with time_machine.travel(MORNING, tick=False):
        order = an_order(dispatcher, crew, clerk)
        fw.work_order_accept(actor=member, order=order)
    with time_machine.travel(minutes(10), tick=False):
        fw.work_order_set_off(actor=member, order=order)
    with time_machine.travel(minutes(20), tick=False), pytest.raises(InvalidInput) as refused:
        fw.work_order_arrive(actor=member, order=order, at=minutes(5))
    assert refused.value.code == "time_before_previous_step"
    order.refresh_from_db()
    assert (order.status, order.arrived_at) == ("en_route", None)


def test_giving_up_needs_a_reason_and_closes_the_order(dispatcher, clerk, heard):
    crew, member = crew_with_member("east", "crew1")
    order = an_order(dispatcher, crew, clerk)
    fw.work_order_accept(actor=member, order=order)
    with pytest.raises(InvalidInput):
        fw.work_order_give_up(actor=member, order=order, reason="  ")
    order = fw.work_order_give_up(actor=member, order=order, reason="客户不在家，无法入户")
    assert (order.status, order.not_completed_reason) == ("not_completed", "客户不在家，无法入户")
    assert order.closed_at is not None


def test_the_crew_on_call_comes_from_the_roster(db):
    day, _ = crew_with_member("day", "crew1")
    night, _ = crew_with_member("night", "crew2", mobile="13800138001")
    evening = dt.datetime(2026, 10, 1, 18, 0, tzinfo=LOCAL_TZ)
    DutyShift.objects.create(crew=day, starts_at=evening - dt.timedelta(hours=10), ends_at=evening)
    DutyShift.objects.create(
        crew=night, starts_at=evening, ends_at=evening + dt.timedelta(hours=14)
    )
    assert crew_on_duty(at=evening - dt.timedelta(minutes=1)) == day
    assert crew_on_duty(at=evening) == night
    assert crew_on_duty(at=evening + dt.timedelta(hours=3)) == night
    assert crew_on_duty(at=evening + dt.timedelta(hours=14)) is None
    assert WorkOrder.objects.count() == 0


def test_the_crews_email_names_the_case(dispatcher, clerk, heard):
    crew, _member = crew_with_member("east", "crew1")
    order = an_order(dispatcher, crew, clerk)
    mail = Notification.objects.get(template_key="fieldwork.assigned", channel="email")
    assert f"工单号：{order.number}（业务{order.case.number}）" in mail.body

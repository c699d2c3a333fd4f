"""A general repair dispatched by a dispatcher and its contact clock (calendar or working
hours, per the policy; shorter in the green channel), then what the crew's order does to
the case: the booked visit, a delay, giving up, a cancelled order — and the dispatcher's
recall and cancellation."""

from datetime import timedelta

import pytest

from tests.fieldwork_support import crew_with_member
from tests.repairs_support import (
    TUESDAY,
    dispatcher,
    hotline,
    local,
    report,
    the_order,
    tuesday,
    walk_to_arrived,
)
from waterdesk.cases.models import CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import RepairPolicy
from waterdesk.repairs.services.dispatch import repair_cancel, repair_dispatch, repair_recall
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "hotline", "tuesday"]


@pytest.fixture
def crew():
    return crew_with_member("east", "crew-east", mobile="13700000001")


def contact_clock(case):
    return SlaClock.objects.get(case=case, milestone="contact")


def test_a_dispatcher_sends_a_crew_and_the_crew_books_the_visit(hotline, dispatcher, crew, tuesday):
    crew, member = crew
    case = report(hotline, contact_phone="13900000001")
    tuesday.shift(timedelta(minutes=20))

    case = repair_dispatch(actor=dispatcher, case=case, crew=crew)

    order = the_order(case)
    assert (case.status, order.crew, order.created_by, order.urgent) == (
        "dispatched",
        crew,
        dispatcher,
        False,
    )
    assert order.description == "漏水：水表前阀门漏水"
    assert (order.contact_name, order.contact_phone) == ("张三", "13900000001")
    assert case.repair.dispatched_at == TUESDAY + timedelta(minutes=20)
    assert case.events.get(action="dispatch").data == {
        "crew": "east班",
        "crew_code": "east",
        "order": order.number,
    }
    clock = contact_clock(case)
    assert (clock.unit, clock.amount, clock.due_at) == (
        "calendar_hours",
        4,
        local(2026, 3, 10, 14, 20),
    )
    assert sorted(
        Notification.objects.filter(template_key="fieldwork.assigned").values_list(
            "channel", "recipient_address"
        )
    ) == [("email", "crew-east@waterdesk.test"), ("sms", "13700000001")]

    tuesday.shift(timedelta(hours=1))
    fw.work_order_contact(
        actor=member,
        order=order,
        window_start=local(2026, 3, 11, 9, 0),
        window_end=local(2026, 3, 11, 11, 0),
    )

    clock = contact_clock(case)
    assert (clock.state, clock.stopped_at) == ("met", local(2026, 3, 10, 11, 20))
    assert case.events.get(action="booked").data["window"] == "2026-03-11 09:00 至 11:00"
    booked = Notification.objects.get(template_key="repair.booked")
    assert (booked.recipient_address, booked.body) == (
        "13900000001",
        f"【城市水务】您的报修{case.number}（漏水）已预约上门维修，"
        "时间：2026-03-11 09:00 至 11:00，维修班组：east班。",
    )


@pytest.mark.parametrize(
    ("business_hours", "unit", "due"),
    [
        (False, "calendar_hours", local(2026, 3, 10, 20, 30)),
        # 16:30–17:30 today, then 08:30–11:30 tomorrow.
        (True, "working_hours", local(2026, 3, 11, 11, 30)),
    ],
)
def test_the_contact_limit_counts_calendar_or_working_hours_by_the_policy(
    hotline, dispatcher, crew, tuesday, business_hours, unit, due
):
    RepairPolicy.objects.update(contact_in_business_hours=business_hours)
    tuesday.move_to(local(2026, 3, 10, 16, 30))
    case = report(hotline)

    case = repair_dispatch(actor=dispatcher, case=case, crew=crew[0])

    clock = contact_clock(case)
    assert (clock.unit, clock.due_at) == (unit, due)


def test_the_green_channel_shortens_the_contact_limit(hotline, dispatcher, crew, tuesday):
    case = report(hotline, green_channel_reason="独居老人家中漏水")

    case = repair_dispatch(actor=dispatcher, case=case, crew=crew[0])

    assert contact_clock(case).due_at == TUESDAY + timedelta(hours=2)


def test_dispatch_is_refused_to_others_and_when_a_crew_is_out_already(
    hotline, dispatcher, crew, tuesday
):
    case = report(hotline)
    with pytest.raises(NotPermitted):
        repair_dispatch(actor=hotline, case=case, crew=crew[0])
    with pytest.raises(InvalidInput) as refused:
        repair_dispatch(
            actor=dispatcher, case=case, crew=crew[0], window_start=TUESDAY + timedelta(hours=1)
        )
    assert refused.value.code == "invalid_window"
    assert (WorkOrder.objects.count(), SlaClock.objects.count()) == (0, 0)

    repair_dispatch(actor=dispatcher, case=case, crew=crew[0])
    with pytest.raises(IllegalTransition):
        repair_dispatch(actor=dispatcher, case=case, crew=crew[0])
    assert WorkOrder.objects.count() == 1


def test_a_crew_that_gives_up_returns_the_repair_to_the_dispatchers(
    hotline, dispatcher, crew, tuesday
):
    crew, member = crew
    case = repair_dispatch(actor=dispatcher, case=report(hotline), crew=crew)
    order = walk_to_arrived(member, the_order(case), tuesday)
    case.refresh_from_db()
    assert case.status == "on_site"

    fw.work_order_give_up(actor=member, order=order, reason="需更换的阀门型号无库存")

    case.refresh_from_db()
    assert (case.status, case.repair.dispatched_at, case.repair.arrived_at) == (
        "awaiting_dispatch",
        None,
        None,
    )
    returned = case.events.get(action="return")
    assert (returned.actor, returned.from_status, returned.note) == (
        member,
        "on_site",
        "需更换的阀门型号无库存",
    )
    # Dispatched again: the second order of the case.
    other, _member = crew_with_member("west", "crew-west", mobile="13700000002")
    case = repair_dispatch(actor=dispatcher, case=case, crew=other)
    assert (case.status, the_order(case).number) == ("dispatched", f"{case.number}-2")


def test_an_order_cancelled_on_the_crew_pages_returns_the_repair(
    hotline, dispatcher, crew, tuesday
):
    case = repair_dispatch(actor=dispatcher, case=report(hotline), crew=crew[0])

    fw.work_order_cancel(actor=dispatcher, order=the_order(case), reason="派错班组")

    case.refresh_from_db()
    assert case.status == "awaiting_dispatch"
    returned = case.events.get(action="return")
    # The dispatcher's role has no crew move: the case's move is the system's.
    assert (returned.actor, returned.note) == (None, "工单已撤单：派错班组")


def test_the_dispatcher_recalls_a_crew_on_site(hotline, dispatcher, crew, tuesday):
    crew, member = crew
    case = repair_dispatch(actor=dispatcher, case=report(hotline), crew=crew)
    order = walk_to_arrived(member, the_order(case), tuesday)
    with pytest.raises(InvalidInput):
        repair_recall(actor=dispatcher, case=case, reason=" ")

    case = repair_recall(actor=dispatcher, case=case, reason="班组调往爆管现场")

    order.refresh_from_db()
    assert (case.status, order.status, order.not_completed_reason) == (
        "awaiting_dispatch",
        "not_completed",
        "调度调回：班组调往爆管现场",
    )
    assert list(
        case.events.filter(action__in=["recall", "return"]).values_list("action", "actor")
    ) == [("recall", dispatcher.pk)]


def test_the_dispatcher_cancels_a_false_report(hotline, dispatcher, crew, tuesday):
    case = repair_dispatch(actor=dispatcher, case=report(hotline), crew=crew[0])

    case = repair_cancel(actor=dispatcher, case=case, reason="客户已自行关闭阀门，无需维修")

    assert (case.status, the_order(case).status) == ("cancelled", "cancelled")
    assert case.closed_at == TUESDAY
    assert list(SlaClock.objects.filter(case=case).values_list("milestone", "state")) == [
        ("contact", "cancelled")
    ]
    assert not case.events.filter(action="return").exists()


def test_a_delay_is_told_to_every_caller(hotline, dispatcher, crew, tuesday):
    crew, member = crew
    case = report(hotline, address="城北区解放路3号", contact_phone="13900000001")
    tuesday.shift(timedelta(minutes=1))
    report(
        hotline,
        address="城北区解放路3号",
        contact_name="李四",
        contact_phone="13900000002",
        link_to=case,
    )
    case = repair_dispatch(actor=dispatcher, case=case, crew=crew)
    order = walk_to_arrived(member, the_order(case), tuesday)
    events_before = CaseEvent.objects.count()

    fw.work_order_extend(
        actor=member,
        order=order,
        reason="需更换主阀门，等待配件",
        expected_done_at=local(2026, 3, 10, 16, 0),
        major_part=True,
    )

    assert CaseEvent.objects.count() == events_before + 1
    delayed = case.events.get(action="delayed")
    assert (delayed.note, delayed.data) == (
        "需更换主阀门，等待配件",
        {"expected_done_at": "2026-03-10T16:00:00+08:00", "major_part": True},
    )
    assert sorted(
        Notification.objects.filter(template_key="repair.delayed").values_list(
            "recipient_address", "body"
        )
    ) == [
        (
            phone,
            f"【城市水务】您的报修{case.number}（漏水）需延长维修时间，原因：需更换主阀门，"
            "等待配件，预计完成时间：2026-03-10 16:00。给您带来不便，敬请谅解。",
        )
        for phone in ("13900000001", "13900000002")
    ]

"""Acceptance (issue 10): an urgent burst main reported by 5 callers on a public-holiday
night becomes one repair, dispatched at once to the crew on call; its dispatch and arrival
clocks run in calendar minutes (the holiday changes nothing); the crew walks the order
through the fieldwork services to the customer's signature; all 5 callers are told of the
completion."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from tests.factories import PremiseFactory, SupplyZoneFactory
from tests.repairs_support import (
    fault,
    hotline,
    local,
    on_call,
    the_order,
    walk_to_arrived,
    walk_to_signed_off,
)
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.fieldwork.models import WorkOrder, WorkOrderEvent
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import Repair, RepairContact
from waterdesk.repairs.services.intake import DuplicateSuspected, repair_report
from waterdesk.sla.models import CalendarDay, SlaClock

pytestmark = pytest.mark.django_db
__all__ = ["hotline"]

# National Day, 02:30 at night (Asia/Shanghai).
HOLIDAY_NIGHT = local(2026, 10, 1, 2, 30)

# name, phone, how the report reaches the same fault
CALLERS = [
    ("王一", "13900000001"),  # the first: at the premise, on file
    ("李二", "13900000002"),  # the same premise, the address typed differently
    ("张三", "13900000003"),  # 150 m away by the phone's location
    ("赵四", "13900000004"),  # the same address as the first, typed with spaces
    ("钱五", "13900000005"),  # another street of the same supply zone (a zone-wide fault)
]


def counts() -> tuple:
    return (
        Case.objects.count(),
        Repair.objects.count(),
        RepairContact.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
        WorkOrder.objects.count(),
    )


def test_an_urgent_burst_reported_by_five_callers_on_a_holiday_night(hotline):
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).kind == "holiday"
    zone = SupplyZoneFactory(code="east", name="城东片区")
    premise = PremiseFactory(
        address="城东区解放路100号",
        zone=zone,
        latitude=Decimal("30.274000"),
        longitude=Decimal("120.155000"),
    )
    other_street = PremiseFactory(address="城东区建国路8号", zone=zone)
    crew, member = on_call(
        "night", "crew-night", starts_at=local(2026, 9, 30, 18, 0), mobile="13700000001"
    )
    burst = fault("burst_main")

    with time_machine.travel(HOLIDAY_NIGHT, tick=False) as traveller:
        first = repair_report(
            actor=hotline,
            channel="phone",
            contact_name="王一",
            contact_phone="13900000001",
            address="",
            premise=premise,
            fault_type=burst,
            description="路面大量冒水，家里没水了",
        )

        # One repair, dispatched at once to the crew on call, by the system.
        assert first.status == "dispatched"
        order = the_order(first)
        assert (order.crew, order.created_by, order.urgent, order.assigned_at) == (
            crew,
            None,
            True,
            HOLIDAY_NIGHT,
        )
        assert order.address == "城东区解放路100号"
        dispatch_event = first.events.get(action="dispatch")
        assert (dispatch_event.actor, dispatch_event.at) == (None, HOLIDAY_NIGHT)
        assert first.repair.dispatched_at == HOLIDAY_NIGHT
        # Calendar minutes on a holiday night: +15 and +60.
        clocks = {c.milestone: c for c in SlaClock.objects.filter(case=first)}
        assert sorted(clocks) == ["arrive", "dispatch"]
        assert (clocks["dispatch"].unit, clocks["dispatch"].due_at) == (
            "calendar_hours",
            local(2026, 10, 1, 2, 45),
        )
        assert (clocks["arrive"].unit, clocks["arrive"].due_at) == (
            "calendar_hours",
            local(2026, 10, 1, 3, 30),
        )

        # Four more callers: each is first shown the open repair, nothing written, and
        # then joins it.
        reports = [
            {"address": "解放路100号（城东区）", "premise": premise},
            {
                "address": "解放路与中山路路口",
                "latitude": Decimal("30.275200"),
                "longitude": Decimal("120.155500"),
            },
            {"address": "城东区 解放路 100 号"},
            {"address": "", "premise": other_street},
        ]
        for (name, phone), place in zip(CALLERS[1:], reports, strict=True):
            traveller.shift(timedelta(minutes=1))
            before = counts()
            with pytest.raises(DuplicateSuspected) as refused:
                repair_report(
                    actor=hotline,
                    channel="phone",
                    contact_name=name,
                    contact_phone=phone,
                    fault_type=burst,
                    description="爆管，停水",
                    **place,
                )
            assert counts() == before
            candidates = refused.value.details["candidates"]
            assert [(c["number"], c["public_id"]) for c in candidates] == [
                (first.number, str(first.public_id))
            ]
            joined = repair_report(
                actor=hotline,
                channel="phone",
                contact_name=name,
                contact_phone=phone,
                fault_type=burst,
                description="爆管，停水",
                link_to=first,
                **place,
            )
            assert joined.pk == first.pk

        assert Case.objects.filter(kind="repair").count() == 1
        repair = Repair.objects.get(case=first)
        assert list(repair.contacts.values_list("name", "phone")) == CALLERS
        assert first.events.filter(action="contact_added").count() == 4
        assert WorkOrder.objects.filter(case=first).count() == 1

        # The crew walks the order: accepted at 02:35, set off at 02:40, on site at 03:20.
        traveller.move_to(local(2026, 10, 1, 2, 35))
        order = walk_to_arrived(member, order, traveller, set_off=5, arrive=40)
        first.refresh_from_db()
        assert first.status == "on_site"
        clocks = {c.milestone: c for c in SlaClock.objects.filter(case=first)}
        assert (clocks["dispatch"].state, clocks["dispatch"].stopped_at) == (
            "met",
            local(2026, 10, 1, 2, 40),
        )
        assert (clocks["arrive"].state, clocks["arrive"].stopped_at) == (
            "met",
            local(2026, 10, 1, 3, 20),
        )
        order = walk_to_signed_off(member, order, traveller, work_minutes=100)  # 05:00
        assert order.status == "signed_off"

    first.refresh_from_db()
    repair.refresh_from_db()
    assert first.status == "completed"
    assert (repair.completed_at, repair.completed_by_crew) == (local(2026, 10, 1, 5, 0), crew)
    assert list(WorkOrderEvent.objects.filter(order=order).values_list("action", flat=True)) == [
        "assign",
        "accept",
        "set_off",
        "arrive",
        "diagnose",
        "finish",
        "sign_off",
    ]
    assert list(
        first.events.exclude(action="contact_added").values_list("action", "to_status")
    ) == [
        ("open", "awaiting_dispatch"),
        ("dispatch", "dispatched"),
        ("set_off", ""),
        ("arrive", "on_site"),
        ("complete", "completed"),
    ]
    follow_up = SlaClock.objects.get(case=first, milestone="follow_up")
    assert (follow_up.state, follow_up.due_at) == ("running", local(2026, 10, 4, 5, 0))

    # All 5 callers: told at registration (at once: they just called) and on completion
    # (in the morning: 05:00 is in the quiet hours); the crew at dispatch.
    assert sorted(
        Notification.objects.filter(case=first).values_list(
            "template_key", "channel", "recipient_address", "next_attempt_at"
        )
    ) == sorted(
        [
            ("fieldwork.assigned", "email", "crew-night@waterdesk.test", HOLIDAY_NIGHT),
            ("fieldwork.assigned", "sms", "13700000001", HOLIDAY_NIGHT),
            *[
                ("repair.completed", "sms", phone, local(2026, 10, 1, 8, 0))
                for _name, phone in CALLERS
            ],
            ("repair.registered", "sms", "13900000001", HOLIDAY_NIGHT),
            *[
                ("repair.registered", "sms", phone, HOLIDAY_NIGHT + timedelta(minutes=n))
                for n, (_name, phone) in enumerate(CALLERS[1:], start=1)
            ],
        ]
    )
    completed = Notification.objects.get(
        template_key="repair.completed", recipient_address="13900000004"
    )
    assert completed.body == (
        "【城市水务】您反映的“爆管”（城东区解放路100号，受理编号"
        f"{first.number}）已于2026-10-01 05:00修复。感谢您的支持，我们将对维修情况进行回访。"
    )
    assert first.number.startswith("BX-20261001-")


def test_the_holiday_calendar_would_have_moved_a_working_hours_clock():
    """The control: on the same night a working-hours limit would not start before the
    first working morning after the National Day break — the repair's clocks do not wait."""
    from waterdesk.sla.calendar import load_calendar

    due = load_calendar().due_at(HOLIDAY_NIGHT, "working_hours", Decimal("1"))
    assert due.date() > date(2026, 10, 7)

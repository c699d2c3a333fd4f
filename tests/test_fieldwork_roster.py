"""The on-call roster: a dispatcher adds a crew's shift and removes one that has not started;
bad shifts (ending before they start, overlapping the crew's own, already over, too long)
and removing a started one are refused with nothing changed. The page shows the coming 14
days and the hours nobody is on call."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.fieldwork_support import crew_with_member, dispatcher
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.fieldwork.models import DutyShift
from waterdesk.fieldwork.selectors import crew_on_duty
from waterdesk.fieldwork.services_roster import duty_shift_add, duty_shift_remove

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher"]

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)


def hours(n: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=n)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def crews(db):
    east, east_member = crew_with_member("east", "crew1")
    west, _ = crew_with_member("west", "crew2", mobile="13800138001")
    return east, west, east_member


def shifts() -> list[tuple]:
    return list(
        DutyShift.objects.order_by("starts_at", "crew__code").values_list(
            "crew__code", "starts_at", "ends_at", "note"
        )
    )


# --- services ------------------------------------------------------------------------------


def test_a_shift_is_added_and_puts_the_crew_on_call(dispatcher, crews):
    east, _west, _ = crews
    shift = duty_shift_add(
        actor=dispatcher, crew=east, starts_at=hours(9), ends_at=hours(23), note="夜班"
    )
    assert shifts() == [("east", hours(9), hours(23), "夜班")]
    assert crew_on_duty(at=hours(10)) == east
    assert shift.history.get().history_user == dispatcher


@pytest.mark.parametrize(
    ("starts", "ends", "code", "message"),
    [
        (10, 10, "invalid_shift", "值班结束时间应晚于开始时间。"),
        (12, 10, "invalid_shift", "值班结束时间应晚于开始时间。"),
        (-20, -2, "shift_in_past", "该时段已经过去，不能再安排值班；请核对日期。"),
        (0, 24 * 7 + 1, "shift_too_long", "一次值班不能超过 7 天；更长的值班请分段安排。"),
    ],
)
def test_bad_shifts_are_refused(dispatcher, crews, starts, ends, code, message):
    east, _west, _ = crews
    with pytest.raises(InvalidInput) as refused:
        duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(starts), ends_at=hours(ends))
    assert (refused.value.code, str(refused.value.message)) == (code, message)
    assert shifts() == []


def test_a_crews_shifts_may_not_overlap_but_two_crews_may(dispatcher, crews):
    east, west, _ = crews
    duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(9), ends_at=hours(21))
    with pytest.raises(InvalidInput) as refused:
        duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(20), ends_at=hours(30))
    assert refused.value.code == "shift_overlaps"
    assert str(refused.value.message) == (
        "east班在 2026-03-02 18:00 至 2026-03-03 06:00 已有值班，时间不能重叠；"
        "请调整时间，或先删除原有的值班。"
    )
    assert shifts() == [("east", hours(9), hours(21), "")]
    # Back to back is not an overlap; another crew at the same time is a second crew on call.
    duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(21), ends_at=hours(33))
    duty_shift_add(actor=dispatcher, crew=west, starts_at=hours(20), ends_at=hours(30))
    assert [code for code, *_ in shifts()] == ["east", "west", "east"]


def test_only_dispatchers_keep_the_roster(dispatcher, crews, supervisor):
    east, _west, member = crews
    for user in (member, supervisor):
        with pytest.raises(NotPermitted):
            duty_shift_add(actor=user, crew=east, starts_at=hours(1), ends_at=hours(9))
    shift = duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(1), ends_at=hours(9))
    with pytest.raises(NotPermitted):
        duty_shift_remove(actor=member, shift=shift)
    assert len(shifts()) == 1


def test_a_shift_not_yet_started_is_removed_a_started_one_stays(dispatcher, crews):
    east, west, _ = crews
    running = DutyShift.objects.create(crew=west, starts_at=hours(-2), ends_at=hours(6))
    coming = duty_shift_add(actor=dispatcher, crew=east, starts_at=hours(6), ends_at=hours(18))
    duty_shift_remove(actor=dispatcher, shift=coming)
    assert shifts() == [("west", hours(-2), hours(6), "")]
    with pytest.raises(IllegalTransition) as refused:
        duty_shift_remove(actor=dispatcher, shift=running)
    assert refused.value.code == "shift_started"
    assert "该值班已于 2026-03-02 07:00 开始，不能删除" in str(refused.value.message)
    assert shifts() == [("west", hours(-2), hours(6), "")]


# --- the page --------------------------------------------------------------------------------


def test_the_roster_page_shows_the_coming_two_weeks_and_the_gaps(client, dispatcher, crews):
    east, west, _ = crews
    DutyShift.objects.create(crew=east, starts_at=hours(-3), ends_at=hours(9))
    DutyShift.objects.create(crew=west, starts_at=hours(12), ends_at=hours(24 * 14 + 12))
    DutyShift.objects.create(crew=east, starts_at=hours(24 * 15), ends_at=hours(24 * 15 + 8))
    client.force_login(dispatcher)
    response = client.get(reverse("fieldwork:roster"))
    page = response.content.decode()
    listed = [
        shift.crew.code for _day, day_shifts in response.context["days"] for shift in day_shifts
    ]
    assert (response.status_code, listed) == (200, ["east", "west"])
    assert response.context["gaps"] == [(hours(9), hours(12))]
    assert "2026-03-02 18:00 ～ 2026-03-02 21:00" in page
    # The running shift cannot be removed, the coming one can.
    assert page.count('action="/field/roster/') == 2  # the add form and one remove form


def test_a_shift_added_and_removed_through_the_page(client, dispatcher, crews):
    east, _west, _ = crews
    client.force_login(dispatcher)
    added = client.post(
        reverse("fieldwork:roster"),
        {
            "crew": east.pk,
            "starts_at": "2026-03-02T18:00",
            "ends_at": "2026-03-03T08:00",
            "note": "夜班",
        },
    )
    assert added.status_code == 302
    assert shifts() == [("east", hours(9), hours(23), "夜班")]
    page = client.get(added.url).content.decode()
    assert "已安排east班值班：2026-03-02 18:00 至 2026-03-03 08:00。" in page
    shift = DutyShift.objects.get()
    removed = client.post(reverse("fieldwork:roster_remove", args=[shift.pk]))
    assert (removed.status_code, shifts()) == (302, [])


def test_refusals_on_the_page_keep_the_input(client, dispatcher, crews):
    east, _west, _ = crews
    DutyShift.objects.create(crew=east, starts_at=hours(-1), ends_at=hours(11))
    client.force_login(dispatcher)
    overlapping = client.post(
        reverse("fieldwork:roster"),
        {"crew": east.pk, "starts_at": "2026-03-02T19:00", "ends_at": "2026-03-03T07:00"},
    )
    page = overlapping.content.decode()
    assert overlapping.status_code == 400
    assert "时间不能重叠" in page and 'value="2026-03-02T19:00"' in page
    backwards = client.post(
        reverse("fieldwork:roster"),
        {"crew": east.pk, "starts_at": "2026-03-03T08:00", "ends_at": "2026-03-03T07:00"},
    )
    assert backwards.status_code == 400
    assert "值班结束时间应晚于开始时间。" in backwards.content.decode()
    no_crew = client.post(reverse("fieldwork:roster"), {"starts_at": "2026-03-03T08:00"})
    assert "请选择在用的班组。" in no_crew.content.decode()
    started = client.post(reverse("fieldwork:roster_remove", args=[DutyShift.objects.get().pk]))
    assert started.status_code == 409
    assert "不能删除" in started.content.decode()
    assert len(shifts()) == 1


def test_the_roster_is_the_dispatchers(client, crews, supervisor, clerk):
    east, _west, member = crews
    shift = DutyShift.objects.create(crew=east, starts_at=hours(5), ends_at=hours(9))
    for user in (member, supervisor, clerk):
        client.force_login(user)
        assert client.get(reverse("fieldwork:roster")).status_code == 403
        assert client.post(reverse("fieldwork:roster_remove", args=[shift.pk])).status_code == 403
    assert len(shifts()) == 1

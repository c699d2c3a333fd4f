"""Valve commands: refused without approval (nothing changed), a second person approves,
the sandbox head-end confirms, the head-end's API confirmation is idempotent."""

from datetime import date

import pytest
from django.urls import reverse

from tests.amr_support import new_head_end, pinned, remote_meter
from tests.factories import UserFactory
from waterdesk.amr.models import ValveCommandEvent, ValveCommandState, ValveState
from waterdesk.amr.services import valves
from waterdesk.core.errors import IllegalTransition, NotPermitted
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 1)


@pytest.fixture
def people(db):
    return {
        "collector": UserFactory(username="collector", role=Role.COLLECTOR),
        "boss": UserFactory(username="boss", role=Role.COLLECTION_SUPERVISOR),
        "boss2": UserFactory(username="boss2", role=Role.COLLECTION_SUPERVISOR),
    }


def test_a_command_without_approval_is_not_sent_and_nothing_changes(people):
    head_end, _key = new_head_end()
    meter = remote_meter(head_end, "IMEI-V", valve=True)
    with pinned(DAY):
        command = valves.valve_command_request(
            actor=people["collector"], remote_meter=meter, action="close", reason="欠费"
        )
        with pytest.raises(IllegalTransition) as refused:
            valves.valve_command_send(command=command)
    assert refused.value.code == "not_approved"
    command.refresh_from_db()
    meter.refresh_from_db()
    assert (command.state, command.sent_at, meter.valve_state) == (
        ValveCommandState.REQUESTED,
        None,
        ValveState.UNKNOWN,
    )
    assert list(command.events.values_list("action", flat=True)) == ["requested"]


def test_the_requester_may_not_approve_and_a_second_person_does(
    people, django_capture_on_commit_callbacks
):
    head_end, _key = new_head_end()
    meter = remote_meter(head_end, "IMEI-V", valve=True)
    with pinned(DAY):
        command = valves.valve_command_request(
            actor=people["boss"], remote_meter=meter, action="close", reason="检修"
        )
        with pytest.raises(IllegalTransition) as refused:
            valves.valve_command_approve(actor=people["boss"], command=command)
        assert refused.value.code == "second_person_required"
        with pytest.raises(NotPermitted):
            valves.valve_command_approve(actor=people["collector"], command=command)
        command.refresh_from_db()
        assert command.state == ValveCommandState.REQUESTED
        with django_capture_on_commit_callbacks(execute=True):
            valves.valve_command_approve(actor=people["boss2"], command=command)
    command.refresh_from_db()
    meter.refresh_from_db()
    assert command.state == ValveCommandState.CONFIRMED
    assert command.approved_by == people["boss2"]
    assert command.confirmation_id.startswith("SBX-")
    assert meter.valve_state == ValveState.CLOSED
    assert list(command.events.values_list("action", flat=True)) == [
        "requested",
        "approved",
        "sent",
        "confirmed",
    ]


def test_a_meter_without_a_valve_gets_no_command(people):
    head_end, _key = new_head_end()
    meter = remote_meter(head_end, "IMEI-N")
    with pytest.raises(IllegalTransition) as refused:
        valves.valve_command_request(
            actor=people["collector"], remote_meter=meter, action="close", reason="欠费"
        )
    assert refused.value.code == "no_valve"
    assert not ValveCommandEvent.objects.exists()


def test_the_head_end_confirms_through_the_api_idempotently(
    client, people, django_capture_on_commit_callbacks
):
    head_end, key = new_head_end()
    meter = remote_meter(head_end, "IMEI-V-ASYNC", valve=True)
    with pinned(DAY):
        command = valves.valve_command_request(
            actor=people["collector"], remote_meter=meter, action="close", reason="欠费"
        )
        with django_capture_on_commit_callbacks(execute=True):
            valves.valve_command_approve(actor=people["boss"], command=command)
        command.refresh_from_db()
        assert command.state == ValveCommandState.SENT
        url = reverse("api:amr-valve-confirm", kwargs={"public_id": command.public_id})

        def confirm(confirmation_id):
            return client.post(
                url,
                {"confirmation_id": confirmation_id},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {key}",
            )

        first = confirm("HE-778")
        repeat = confirm("HE-778")
        other = confirm("HE-999")
    assert (first.status_code, repeat.status_code, other.status_code) == (200, 200, 409)
    assert first.json()["state"] == repeat.json()["state"] == "confirmed"
    command.refresh_from_db()
    meter.refresh_from_db()
    assert (command.confirmation_id, meter.valve_state) == ("HE-778", ValveState.CLOSED)
    assert command.events.filter(action="confirmed").count() == 1

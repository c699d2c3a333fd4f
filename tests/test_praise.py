"""Praise (表扬): recorded from the desk, the API and any channel, acknowledged (passed to
the praised department, the customer thanked) or withdrawn; counted per department and
staff member."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.clients import client_for
from tests.factories import DepartmentFactory, UserFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import Praise
from waterdesk.complaints.services.praise import (
    praise_acknowledge,
    praise_register,
    praise_withdraw,
)
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.notify.models import Notification
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime.fromisoformat("2026-12-07T10:00:00+08:00")


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def repair_crew_department():
    return DepartmentFactory(code="repair", name="维修部")


@pytest.fixture
def handler():
    return UserFactory(username="handler", role=Role.COMPLAINT_HANDLER)


@pytest.fixture
def fitter(repair_crew_department):
    return UserFactory(
        username="fitter", first_name="师傅", last_name="刘", department=repair_crew_department
    )


def _praise(actor, **changes):
    fields = {
        "channel": "phone",
        "contact_name": "陈女士",
        "contact_phone": "13800138002",
        "matter": "刘师傅冒雨抢修，两小时恢复供水，态度很好。",
    }
    fields.update(changes)
    return praise_register(actor=actor, **fields)


def test_the_desk_records_a_praise(clerk, fitter, repair_crew_department):
    client = Client()
    client.force_login(clerk)
    assert client.get(reverse("workbench:intake_praise")).status_code == 200

    response = client.post(
        reverse("workbench:intake_praise"),
        {
            "channel": "phone",
            "contact_name": "陈女士",
            "contact_phone": "13800138002",
            "email": "",
            "matter": "刘师傅冒雨抢修。",
            "staff_praised": fitter.pk,
            "department_praised": "",
            "team_name": "城北抢修一班",
        },
    )

    case = Case.objects.get(kind="praise")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert case.number.startswith("BY-")
    assert case.status == "registered"
    praise = case.praise
    assert praise.staff_praised == fitter
    assert praise.department_praised == repair_crew_department  # the staff member's
    assert praise.team_name == "城北抢修一班"
    clock = SlaClock.objects.get(case=case)
    assert clock.milestone == "acknowledge"
    # Three working days from Monday 10:00.
    assert clock.due_at == dt.datetime.fromisoformat("2026-12-10T17:30:00+08:00")


def test_the_desk_form_shows_refusals(clerk):
    client = Client()
    client.force_login(clerk)
    response = client.post(
        reverse("workbench:intake_praise"),
        {"channel": "phone", "contact_name": "陈女士", "contact_phone": "123", "matter": "好"},
    )
    assert response.status_code == 400
    assert "contact_phone" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_the_api_records_a_praise(db, repair_crew_department):
    hotline = UserFactory(role=Role.HOTLINE_AGENT)
    response = client_for(hotline).post(
        "/api/praise/",
        {
            "channel": "phone",
            "contact_name": "陈女士",
            "contact_phone": "13800138002",
            "matter": "客服热线耐心解答。",
            "department_praised": "repair",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "praise"
    assert body["praise"]["department_praised"] == {"code": "repair", "name": "维修部"}
    assert Praise.objects.get().department_praised == repair_crew_department


def test_acknowledging_passes_it_on_and_thanks_the_customer(
    clerk, handler, fitter, repair_crew_department, django_capture_on_commit_callbacks
):
    case = _praise(clerk, staff_praised=fitter)

    case = praise_acknowledge(actor=handler, case=case, note="已转维修部表彰")

    case.refresh_from_db()
    assert case.status == "acknowledged"
    assert case.closed_at is not None
    praise = case.praise
    assert praise.forwarded_to == repair_crew_department
    assert praise.acknowledged_by == handler
    assert praise.acknowledge_note == "已转维修部表彰"
    event = CaseEvent.objects.get(case=case, action="acknowledge")
    assert event.data == {"department": "维修部"}
    thanks = Notification.objects.get(case=case)
    assert thanks.channel == "sms"
    assert "刘" in thanks.body and case.number in thanks.body
    clock = SlaClock.objects.get(case=case, milestone="acknowledge")
    assert clock.stopped_at is not None


def test_an_email_praise_is_thanked_by_email(clerk, handler):
    case = _praise(clerk, channel="email", contact_phone="", email="chen@example.cn")
    praise_acknowledge(actor=handler, case=case)
    thanks = Notification.objects.get(case=case)
    assert (thanks.channel, thanks.recipient_address) == ("email", "chen@example.cn")


def test_only_the_handler_or_a_supervisor_acknowledges(clerk, supervisor, handler):
    case = _praise(clerk)
    events = CaseEvent.objects.count()
    with pytest.raises(NotPermitted):
        praise_acknowledge(actor=clerk, case=case)
    case.refresh_from_db()
    assert case.status == "registered"
    assert CaseEvent.objects.count() == events
    assert Notification.objects.count() == 0
    praise_acknowledge(actor=supervisor, case=case)
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_a_praise_recorded_in_error_is_withdrawn(clerk, handler):
    case = _praise(clerk)
    with pytest.raises(InvalidInput):
        praise_withdraw(actor=handler, case=case, reason=" ")
    case = praise_withdraw(actor=handler, case=case, reason="误登记")
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert Notification.objects.count() == 0
    assert SlaClock.objects.get(case=case).state == "cancelled"


def test_intake_needs_the_permission(db):
    with pytest.raises(NotPermitted):
        _praise(UserFactory(role=Role.BILLING_CLERK))
    assert Case.objects.count() == 0


def test_the_case_page_shows_the_praise(clerk, supervisor, fitter):
    case = _praise(clerk, staff_praised=fitter, team_name="抢修一班")
    client = Client()
    client.force_login(supervisor)
    response = client.get(reverse("workbench:case", args=[case.public_id]))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="praise-praised"' in content
    assert "抢修一班" in content


def test_praise_counts_per_department_and_staff(clerk, fitter, repair_crew_department):
    _praise(clerk, staff_praised=fitter)
    _praise(clerk, department_praised=repair_crew_department)
    _praise(clerk, team_name="客服中心")
    assert Praise.objects.filter(department_praised=repair_crew_department).count() == 2
    assert Praise.objects.filter(staff_praised=fitter).count() == 1

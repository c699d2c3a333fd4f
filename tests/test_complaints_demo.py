"""The demo's complaints (``waterdesk.demo.complaints.seed_complaints``) on a small world:
one in each state, reached through the services, each with the records of its state."""

from datetime import datetime

import pytest
import time_machine

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from waterdesk.complaints.models import Complaint
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.demo.complaints import seed_complaints

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 15, 0, tzinfo=LOCAL_TZ)  # a Thursday


@pytest.fixture
def staff():
    repair = DepartmentFactory(code="repair", name="供水抢修中心")
    business = DepartmentFactory(code="business", name="营业部")
    supervision = DepartmentFactory(code="supervision", name="服务监督科")
    return {
        "clerk1": UserFactory(username="clerk1", role=Role.INTAKE_CLERK, department=business),
        "clerk2": UserFactory(username="clerk2", role=Role.INTAKE_CLERK, department=business),
        "hotline1": UserFactory(username="hotline1", role=Role.HOTLINE_AGENT, department=repair),
        "crew1": UserFactory(username="crew1", role=Role.CREW_MEMBER, department=repair),
        "complaint1": UserFactory(
            username="complaint1", role=Role.COMPLAINT_HANDLER, department=supervision
        ),
        "responder1": UserFactory(
            username="responder1", role=Role.DEPARTMENT_RESPONDER, department=repair
        ),
        "responder2": UserFactory(
            username="responder2", role=Role.DEPARTMENT_RESPONDER, department=business
        ),
        "supervisor1": UserFactory(
            username="supervisor1", role=Role.SUPERVISOR, department=supervision
        ),
    }


def test_the_demo_complaints_are_in_every_state(staff):
    for index in range(3):
        CustomerFactory(name=f"客户{index}", mobile=f"1370013700{index}")
    with time_machine.travel(NOW, tick=False):
        cases = seed_complaints(staff=staff, now=NOW)
    statuses = {name: case.status for name, case in cases.items()}
    assert statuses == {
        "closed": "closed",
        "resolving": "resolving",
        "escalated": "investigating",
        "awaiting_response": "awaiting_response",
        "investigating": "investigating",
        "withdrawn": "withdrawn",
        "city_hotline": "registered",
        "registered": "registered",
    }
    closed = Complaint.objects.get(case=cases["closed"])
    assert closed.lessons.startswith("账务系统变更后") and closed.follow_up_satisfaction == 5
    assert cases["closed"].department.code == "business"
    escalated = Complaint.objects.get(case=cases["escalated"])
    assert (escalated.round, escalated.escalation_level) == (2, 1)
    resolving = Complaint.objects.get(case=cases["resolving"])
    assert [m.is_done for m in resolving.measures.all()] == [False]
    investigating = Complaint.objects.get(case=cases["investigating"])
    assert investigating.rounds.get().interviews.count() == 2
    city = Complaint.objects.get(case=cases["city_hotline"])
    assert city.city_reference == "12345-20260312-0088" and city.city_deadline is not None
    assert cases["city_hotline"].opened_by is None
    assert list(cases["closed"].events.order_by("at", "pk").values_list("action", flat=True)) == [
        "open",
        "acknowledge",
        "report",
        "add_measure",
        "reply",
        "satisfied",
        "measure_done",
        "follow_up",
        "close",
    ]

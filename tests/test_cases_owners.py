"""Owners and workloads: claiming from the team queue, reassignment with a reason (one case
or several at once, all or none), the supervisor's workload page and status filters that
keep each kind's statuses apart."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.clients import KeyedAPIClient
from tests.factories import DepartmentFactory, UserFactory, registered_new_connection
from tests.test_applications_transfer import make_account, register_transfer
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.cases.selectors import case_assignees
from waterdesk.cases.services import case_assign, case_claim, cases_assign_bulk
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
WEDNESDAY_3PM = datetime(2026, 3, 11, 15, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return DepartmentFactory(code="desk", name="营业厅")


@pytest.fixture
def clerk(desk):
    return UserFactory(
        username="clerk", first_name="王", last_name="芳", role=Role.INTAKE_CLERK, department=desk
    )


@pytest.fixture
def clerk2(desk):
    return UserFactory(
        username="clerk2", first_name="李", last_name="娜", role=Role.INTAKE_CLERK, department=desk
    )


@pytest.fixture
def case(clerk):
    with time_machine.travel(MONDAY, tick=False):
        return registered_new_connection(clerk)


def owner_state(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.assignee_id, case.version, case.events.count())


# --- claim ----------------------------------------------------------------------------


def test_a_clerk_claims_an_unowned_case_and_it_is_recorded(case, clerk):
    case = case_claim(case=case, actor=clerk)
    assert case.assignee == clerk
    event = case.events.get(action="claim")
    assert (event.actor, event.data) == (
        clerk,
        {"from": None, "to": "clerk", "from_name": None, "to_name": "王 芳"},
    )


def test_a_case_owned_by_a_colleague_cannot_be_claimed(case, clerk, clerk2):
    case_claim(case=case, actor=clerk)
    before = owner_state(case)
    with pytest.raises(IllegalTransition) as refused:
        case_claim(case=case, actor=clerk2)
    assert refused.value.code == "already_claimed"
    assert str(refused.value.message) == "该工单已由王 芳领取；如需转给您，请联系主管改派。"
    assert owner_state(case) == before


def test_only_someone_who_can_act_now_may_claim(case, surveyor):
    before = owner_state(case)
    with pytest.raises(NotPermitted):
        case_claim(case=case, actor=surveyor)  # the case waits for a clerk, not a survey
    assert owner_state(case) == before


# --- reassign -------------------------------------------------------------------------


def test_reassignment_needs_the_permission_a_reason_and_an_eligible_person(
    case, clerk, clerk2, surveyor, supervisor
):
    case_claim(case=case, actor=clerk)
    before = owner_state(case)
    with pytest.raises(NotPermitted):
        case_assign(case=case, assignee=clerk2, actor=clerk, reason="人手调整")
    with pytest.raises(InvalidInput) as no_reason:
        case_assign(case=case, assignee=clerk2, actor=supervisor, reason="  ")
    with pytest.raises(InvalidInput) as wrong_person:
        case_assign(case=case, assignee=surveyor, actor=supervisor, reason="人手调整")
    assert (no_reason.value.code, no_reason.value.field) == ("reason_required", "reason")
    assert (wrong_person.value.code, wrong_person.value.field) == (
        "assignee_not_eligible",
        "assignee",
    )
    assert str(wrong_person.value.message) == (
        f"{surveyor.get_full_name()} 的岗位不能办理工单 {case.number} 的当前环节，请选择其他人员。"
    )
    assert owner_state(case) == before

    case = case_assign(case=case, assignee=clerk2, actor=supervisor, reason="原经办人休假")
    assert case.assignee == clerk2
    event = case.events.get(action="reassign")
    assert (event.actor, event.note, event.data) == (
        supervisor,
        "原经办人休假",
        {"from": "clerk", "to": "clerk2", "from_name": "王 芳", "to_name": "李 娜"},
    )


def test_assignees_are_the_people_who_can_act_on_the_current_step(case, clerk, clerk2, surveyor):
    assert list(case_assignees(case)) == [clerk2, clerk]  # by name: 李 before 王
    case.closed_at = MONDAY
    assert list(case_assignees(case)) == []


def test_bulk_reassignment_is_all_or_none(clerk, clerk2, supervisor, billing_clerk):
    with time_machine.travel(MONDAY, tick=False):
        first = registered_new_connection(clerk)
        second = registered_new_connection(clerk)
        account = make_account()
        transfer = register_transfer(clerk, account)
    for item in (first, second, transfer):
        case_claim(case=item, actor=clerk)
    before = [owner_state(item) for item in (first, second, transfer)]

    # The billing clerk cannot work new connections: nothing moves, the case is named.
    with pytest.raises(InvalidInput) as refused:
        cases_assign_bulk(
            cases=[first, second], assignee=billing_clerk, actor=supervisor, reason="休假"
        )
    assert first.number in str(refused.value.message)
    assert [owner_state(item) for item in (first, second, transfer)] == before

    done = cases_assign_bulk(
        cases=[second, first, transfer], assignee=clerk2, actor=supervisor, reason="休假"
    )
    assert sorted(c.number for c in done) == sorted([first.number, second.number, transfer.number])
    assert {c.assignee_id for c in Case.objects.all()} == {clerk2.pk}
    assert CaseEvent.objects.filter(action="reassign", note="休假").count() == 3


def test_bulk_reassignment_refuses_an_empty_selection(supervisor, clerk2):
    with pytest.raises(InvalidInput) as refused:
        cases_assign_bulk(cases=[], assignee=clerk2, actor=supervisor, reason="休假")
    assert refused.value.code == "no_cases_selected"


# --- pages ----------------------------------------------------------------------------


def test_claim_from_the_team_queue_moves_the_case_to_mine(client, case, clerk):
    client.force_login(clerk)
    response = client.get(reverse("workbench:queue"))
    assert (
        [r.case for r in response.context["mine"]],
        [r.case for r in response.context["team"]],
    ) == (
        [],
        [case],
    )
    html = response.content.decode()
    assert reverse("workbench:claim", args=[case.public_id]) in html

    response = client.post(reverse("workbench:claim", args=[case.public_id]), {"next": "queue"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:queue")
    response = client.get(reverse("workbench:queue"))
    assert ([r.case for r in response.context["mine"]], response.context["team"]) == ([case], [])
    assert f"已领取工单 {case.number}。" in response.content.decode()


def test_claim_refused_on_the_page_says_who_owns_it(client, case, clerk, clerk2):
    case_claim(case=case, actor=clerk)
    client.force_login(clerk2)
    response = client.post(reverse("workbench:claim", args=[case.public_id]), follow=True)
    assert "该工单已由王 芳领取；如需转给您，请联系主管改派。" in response.content.decode()
    case.refresh_from_db()
    assert case.assignee == clerk


def test_the_case_page_offers_claim_and_shows_the_owner_by_name(client, case, clerk, clerk2):
    client.force_login(clerk2)
    url = reverse("workbench:case", args=[case.public_id])
    assert client.get(url).context["may_claim"] is True
    case_claim(case=case, actor=clerk)
    response = client.get(url)
    assert response.context["may_claim"] is False
    assert response.context["assign_form"] is None  # a clerk does not reassign
    assert "<dd>王 芳</dd>" in response.content.decode()


def test_reassign_on_the_case_page_needs_a_reason(client, case, clerk, clerk2, supervisor):
    client.force_login(supervisor)
    url = reverse("workbench:assign", args=[case.public_id])
    response = client.post(url, {"assign-assignee": clerk2.pk, "assign-reason": ""})
    assert response.status_code == 400
    assert response.context["assign_form"].errors == {"reason": ["该字段是必填项。"]}
    case.refresh_from_db()
    assert case.assignee is None

    response = client.post(url, {"assign-assignee": clerk2.pk, "assign-reason": "就近办理"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == clerk2
    assert CaseEvent.objects.get(case=case, action="reassign").note == "就近办理"
    timeline = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert "— → 李 娜" in timeline
    assert "就近办理" in timeline


def test_the_supervisor_lands_on_the_workload(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("workbench:home"))
    assert response["Location"] == reverse("workbench:workload")


def test_workload_counts_per_person_and_unowned_per_team(client, clerk, clerk2, supervisor, desk):
    with time_machine.travel(MONDAY, tick=False):
        overdue = registered_new_connection(clerk)  # due Tuesday 17:30
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        due_today = registered_new_connection(clerk)  # due Wednesday 17:30, 83 % used
    with time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=SHANGHAI), tick=False):
        unowned = registered_new_connection(clerk)  # due Thursday
    case_claim(case=overdue, actor=clerk)
    case_claim(case=due_today, actor=clerk2)

    client.force_login(supervisor)
    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        response = client.get(reverse("workbench:workload"))
    people = {
        (row.label, row.department): (row.open, row.due_today, row.at_risk, row.overdue)
        for row in response.context["people"]
    }
    assert people[("王 芳", "营业厅")] == (1, 0, 0, 1)
    assert people[("李 娜", "营业厅")] == (1, 1, 1, 0)
    unowned_rows = [row for row in response.context["people"] if not row.is_person]
    assert [(row.department, row.open) for row in unowned_rows] == [(unowned.department.name, 1)]
    assert response.context["counts"] == {"total": 3, "at_risk": 1, "overdue": 1}

    with time_machine.travel(WEDNESDAY_3PM, tick=False):
        mine = client.get(reverse("workbench:workload"), {"owner": "clerk"})
        nobody = client.get(reverse("workbench:workload"), {"owner": "-"})
        team = client.get(reverse("workbench:workload"), {"owner": unowned_rows[0].owner})
        other_team = DepartmentFactory(code="works", name="工程部")
        elsewhere = client.get(reverse("workbench:workload"), {"owner": f"-{other_team.pk}"})
    assert unowned_rows[0].owner == f"-{unowned.department_id}"
    assert [row.case for row in mine.context["rows"]] == [overdue]
    assert [row.case for row in nobody.context["rows"]] == [unowned]
    assert [row.case for row in team.context["rows"]] == [unowned]
    assert elsewhere.context["rows"] == []  # another team has nothing unclaimed


def test_bulk_reassign_from_the_workload_page(client, clerk, clerk2, supervisor):
    with time_machine.travel(MONDAY, tick=False):
        first = registered_new_connection(clerk)
        second = registered_new_connection(clerk)
    client.force_login(supervisor)
    url = reverse("workbench:workload_assign")
    refused = client.post(
        url,
        {
            "cases": [str(first.public_id)],
            "bulk-assignee": clerk2.pk,
            "bulk-reason": "",
            "owner": "",
        },
    )
    assert refused.status_code == 400
    assert refused.context["checked"] == {str(first.public_id)}
    assert Case.objects.filter(assignee__isnull=False).count() == 0

    response = client.post(
        url,
        {
            "cases": [str(first.public_id), str(second.public_id)],
            "bulk-assignee": clerk2.pk,
            "bulk-reason": "王芳请假",
            "owner": "-",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:workload") + "?owner=-"
    assert set(Case.objects.values_list("assignee__username", flat=True)) == {"clerk2"}


# --- status filters -------------------------------------------------------------------


def test_status_filters_keep_each_kinds_statuses_apart(client, clerk, supervisor):
    with time_machine.travel(MONDAY, tick=False):
        connection = registered_new_connection(clerk)
        transfer = register_transfer(clerk, make_account())
    assert (connection.status, transfer.status) == ("registered", "registered")
    client.force_login(supervisor)
    response = client.get(
        reverse("workbench:supervisor"), {"status": "ownership_transfer:registered"}
    )
    assert [row.case for row in response.context["rows"]] == [transfer]
    assert [(r["value"], r["label"], r["count"]) for r in response.context["status_counts"]] == [
        ("new_connection:registered", "待派勘查", 1),
        ("ownership_transfer:registered", "待核验材料", 1),
    ]
    groups = dict(response.context["form"].fields["status"].choices[1:])
    assert ("new_connection:registered", "待派勘查") in groups["新装开户"]


# --- API ------------------------------------------------------------------------------


def test_api_claim_and_reassign(case, clerk, clerk2, supervisor):
    api = KeyedAPIClient()
    api.force_authenticate(clerk)
    url = reverse("api:case-claim", args=[case.public_id])
    response = api.post(url, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["username"] == "clerk"
    again = api.post(url, format="json")  # a retry changes nothing
    assert again.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="claim").count() == 1

    api.force_authenticate(clerk2)
    refused = api.post(url, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "already_claimed")

    api.force_authenticate(supervisor)
    assign = reverse("api:case-assign", args=[case.public_id])
    blank = api.post(assign, {"assignee": "clerk2", "reason": ""}, format="json")
    assert (blank.status_code, blank.json()["code"]) == (400, "reason_required")
    too_long = api.post(assign, {"assignee": "clerk2", "reason": "休" * 201}, format="json")
    assert (too_long.status_code, too_long.json()["code"]) == (400, "reason_too_long")
    padded = "休" * 200 + "   "  # measured after cleaning, like the page
    unknown = api.post(assign, {"assignee": "nobody", "reason": "休假"}, format="json")
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["assignee"])
    done = api.post(assign, {"assignee": "clerk2", "reason": padded}, format="json")
    assert done.status_code == 200
    assert done.json()["assignee"]["username"] == "clerk2"
    case.refresh_from_db()
    assert case.assignee == clerk2
    assert CaseEvent.objects.get(case=case, action="reassign").note == "休" * 200

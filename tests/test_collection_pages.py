"""The collector's pages: the task list by area, one task with its outcome form, the
instalment plan and the written disconnection notice as a PDF — who may open them, what
they show, the outcome and the plan recorded through the services, and every refusal shown
on its field with the input kept and nothing recorded."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.collection_ladder_support import (
    DEBT,
    DUE,
    People,
    case_of,
    nightly,
    open_task,
    pinned,
    record,
    visit_photo,
)
from tests.collection_support import charge
from tests.factories import (
    AccountFactory,
    DepartmentFactory,
    PremiseFactory,
    SupplyZoneFactory,
    UserFactory,
)
from waterdesk.cases.models import CaseEvent
from waterdesk.cases.services import case_claim
from waterdesk.collection.models import (
    ActionStatus,
    CollectionAction,
    CollectionPolicy,
    InstalmentPlan,
    StepKind,
)
from waterdesk.core.roles import Role
from waterdesk.customers.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

CALL_DAY = date(2026, 11, 4)  # the call tasks start (due 11-07)
LATER = date(2026, 11, 8)  # north's visit is coming, south's call overdue


class World:
    """Two accounts in arrears in two areas, the collectors in the collection department."""

    def __init__(self):
        CollectionPolicy.objects.update(department=DepartmentFactory())
        self.people = People()
        self.north = AccountFactory(premise=PremiseFactory(address="城北区解放路1号"))
        self.north.customer.mobile = "13900139001"
        self.north.customer.save()
        south = SupplyZoneFactory(code="south", name="城南片区")
        self.south = AccountFactory(
            premise=PremiseFactory(address="城南区建设路8号", district="城南区", zone=south)
        )
        self.south.customer.mobile = "13900139002"
        self.south.customer.save()
        for account in (self.north, self.south):
            charge(account, DEBT, due=DUE)
        nightly(date(2026, 11, 2))
        nightly(CALL_DAY)


@pytest.fixture
def world():
    return World()


def tasks_url(**query) -> str:
    url = reverse("workbench:collection_tasks")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def task_url(task) -> str:
    return reverse("workbench:collection_task", args=[task.pk])


def text_of(response) -> str:
    return response.content.decode()


def card_of(response, task) -> str:
    match = re.search(
        rf'<li class="order-card[^"]*" data-task="{task.pk}">(.*?)</li>', text_of(response), re.S
    )
    assert match, f"no card for task {task.pk}"
    return re.sub(r"\s+", " ", match.group(1))


def logged_in(client, user):
    client.force_login(user)
    return client


# --- who may open the pages ---------------------------------------------------------------


def test_only_collection_staff_open_the_collector_pages(client, world):
    task = open_task(world.south)
    urls = [
        tasks_url(),
        task_url(task),
        reverse("workbench:collection_plan", args=[case_of(world.south).public_id]),
    ]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    logged_in(client, UserFactory(username="hall", role=Role.SUPERVISOR))  # reads every case
    for url in urls:
        assert client.get(url).status_code == 403
    logged_in(client, UserFactory(username="billing", role=Role.BILLING_CLERK))
    for url in urls:
        assert client.get(url).status_code == 403
    with pinned(CALL_DAY, 11):
        logged_in(client, world.people.collector)
        for url in urls:
            assert client.get(url).status_code == 200
    # A collector of another department does not see the department's tasks.
    stranger = UserFactory(
        username="collector2",
        role=Role.COLLECTOR,
        department=DepartmentFactory(code="far", name="远郊营业所"),
    )
    logged_in(client, stranger)
    assert client.get(task_url(task)).status_code == 404
    with pinned(CALL_DAY, 11):
        assert 'id="no-tasks"' in text_of(client.get(tasks_url()))


def test_a_collector_lands_on_the_task_list(client, world):
    logged_in(client, world.people.collector)
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:collection_tasks")


# --- the task list ------------------------------------------------------------------------


def test_the_list_shows_todays_work_by_area_overdue_first_with_the_phone(client, world):
    record(world.people.collector, world.north, CALL_DAY, "no_answer")
    nightly(date(2026, 11, 7))  # north climbs to the visit, due 11-12
    south_call, north_visit = open_task(world.south), open_task(world.north)
    assert (south_call.kind, north_visit.kind) == (StepKind.CALL, StepKind.VISIT)
    logged_in(client, world.people.collector)
    with pinned(LATER, 9):
        response = client.get(tasks_url())
    assert response.status_code == 200
    tasks = response.context["tasks"]
    assert [(g.zone.code, [c.task.pk for c in g.cards]) for g in tasks.due] == [
        ("south", [south_call.pk])
    ]
    assert [(g.zone.code, [c.task.pk for c in g.cards]) for g in tasks.coming] == [
        ("north", [north_visit.pk])
    ]
    south = card_of(response, south_call)
    assert "已逾期" in south and "电话催缴" in south and "期限 11-07" in south
    assert "城南区建设路8号" in south and world.south.customer.name in south
    assert f"户号 {world.south.number}" in south and "城南区" in south
    assert "逾期欠费 1500.00 元" in south
    assert '<a class="call" href="tel:13900139002">拨打 13900139002</a>' in south
    north = card_of(response, north_visit)
    assert "已逾期" not in north and "上门催缴" in north and "期限 11-12" in north
    assert "tel:13900139001" in north
    # Every full display is logged with the work that needs it.
    logged = PersonalDataAccess.objects.filter(user=world.people.collector).order_by("pk")
    assert [(row.customer_id, row.field, row.reason) for row in logged] == [
        (world.south.customer_id, "mobile", f"催收任务 {case_of(world.south).number}"),
        (world.north.customer_id, "mobile", f"催收任务 {case_of(world.north).number}"),
    ]
    # One area only.
    with pinned(LATER, 9):
        only_north = client.get(tasks_url(scope="all", zone="north")).context["tasks"]
    assert (only_north.due, [g.zone.code for g in only_north.coming]) == ([], ["north"])


def test_mine_shows_the_cases_the_collector_owns(client, world):
    collector = world.people.collector
    logged_in(client, collector)
    with pinned(CALL_DAY, 11):
        assert client.get(tasks_url()).context["chosen"].scope == "all"  # nothing owned yet
        case_claim(case=case_of(world.north), actor=collector)
        response = client.get(tasks_url())
    assert response.context["chosen"].scope == "mine"
    assert [c.task.pk for g in response.context["tasks"].coming for c in g.cards] == [
        open_task(world.north).pk
    ]
    with pinned(CALL_DAY, 11):
        every = client.get(tasks_url(scope="all")).context["tasks"]
    assert sorted(g.zone.code for g in every.coming) == ["north", "south"]


def test_a_supervisor_without_the_task_sees_the_phone_masked_on_a_done_task(client, world):
    done = record(world.people.collector, world.north, CALL_DAY, "no_answer")
    logged_in(client, world.people.supervisor)
    with pinned(CALL_DAY, 12):
        response = client.get(task_url(done))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "tel:" not in text_of(response) and "139****9001" in text_of(response)
    assert 'id="task-done"' in text_of(response) and "无人接听" in text_of(response)


# --- one task and its outcome -------------------------------------------------------------


def test_a_call_promised_is_recorded_and_the_way_on_offered(client, world):
    task = open_task(world.north)
    logged_in(client, world.people.collector)
    with pinned(CALL_DAY, 11):
        page = client.get(task_url(task) + "?scope=all&zone=")
        assert page.status_code == 200
        assert [value for value, _label in page.context["form"].fields["outcome"].choices] == [
            "promised",
            "refused",
            "wrong_number",
            "no_answer",
        ]
        html = text_of(page)
        assert "data-promise" in html and 'name="photo"' not in html
        assert 'href="tel:13900139001"' in html
        assert 'id="notice-pdf"' not in html
        response = client.post(
            task_url(task) + "?scope=all&zone=",
            {"outcome": "promised", "promised_on": "2026-11-10", "promised_amount": "800"},
        )
    assert response.status_code == 302
    assert response["Location"] == task_url(task) + "?scope=all&zone="
    task.refresh_from_db()
    assert (task.status, task.outcome, task.promised_on, task.promised_amount) == (
        ActionStatus.DONE,
        "promised",
        date(2026, 11, 10),
        Decimal("800.00"),
    )
    assert task.done_by == world.people.collector
    with pinned(CALL_DAY, 11):
        done = client.get(response["Location"])
    html = text_of(done)
    assert "已记录：电话催缴，承诺缴费。" in html
    assert "已办理：承诺缴费" in html and "承诺 2026-11-10 缴费" in html
    assert done.context["form"] is None
    south = open_task(world.south)
    assert done.context["next_url"] == task_url(south) + "?scope=all&zone="
    assert done.context["list_url"] == tasks_url(scope="all", zone="")


def test_a_refused_outcome_keeps_the_input_and_records_nothing(client, world):
    task = open_task(world.north)
    events = CaseEvent.objects.count()
    logged_in(client, world.people.collector)
    with pinned(CALL_DAY, 11):
        # A promise too far ahead: the service's refusal on the date, the input kept.
        response = client.post(
            task_url(task),
            {"outcome": "promised", "promised_on": "2027-03-01", "note": "下月发工资后缴"},
        )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["promised_on"] == [
        "承诺缴费日应在今天到 30 天内；更长时间请与客户商定分期还款。"
    ]
    html = text_of(response)
    assert 'value="2027-03-01"' in html and "下月发工资后缴" in html
    assert 'value="promised" id="id_outcome_0" checked' in html or re.search(
        r'<input[^>]*value="promised"[^>]*checked', html
    )
    # No outcome chosen: refused by the form.
    with pinned(CALL_DAY, 11):
        blank = client.post(task_url(task), {"note": "再联系"})
    assert blank.status_code == 400 and "outcome" in blank.context["form"].errors
    task.refresh_from_db()
    assert (task.status, task.outcome, task.promised_on) == (ActionStatus.OPEN, "", None)
    assert CaseEvent.objects.count() == events


def test_a_visit_needs_its_photo(client, world):
    record(world.people.collector, world.north, CALL_DAY, "no_answer")
    nightly(date(2026, 11, 7))
    visit = open_task(world.north)
    logged_in(client, world.people.collector)
    with pinned(date(2026, 11, 8), 10):
        assert 'capture="environment"' in text_of(client.get(task_url(visit)))
        refused = client.post(task_url(visit), {"outcome": "not_home"})
        assert refused.status_code == 400
        assert refused.context["form"].errors["photo"] == [
            "请拍摄现场照片后再提交（上门催缴和张贴送达须留照片）。"
        ]
        visit.refresh_from_db()
        assert visit.status == ActionStatus.OPEN
        done = client.post(task_url(visit), {"outcome": "not_home", "photo": visit_photo()})
    assert done.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.outcome, visit.photo_content_type) == (
        ActionStatus.DONE,
        "not_home",
        "image/png",
    )


def test_a_task_recorded_meanwhile_is_refused_with_why(client, world):
    task = open_task(world.north)
    logged_in(client, world.people.collector)
    record(world.people.supervisor, world.north, CALL_DAY, "no_answer")
    with pinned(CALL_DAY, 12):
        response = client.post(task_url(task), {"outcome": "refused"})
    assert response.status_code == 409
    assert "该任务已办理或已取消，请刷新任务列表。" in text_of(response)
    task.refresh_from_db()
    assert (task.outcome, task.done_by) == ("no_answer", world.people.supervisor)


# --- the instalment plan ------------------------------------------------------------------


def plan_url(account, task=None) -> str:
    url = reverse("workbench:collection_plan", args=[case_of(account).public_id])
    return f"{url}?task={task.pk}" if task is not None else url


def test_a_plan_that_does_not_cover_the_debt_is_refused_and_nothing_written(client, world):
    task = open_task(world.north)
    logged_in(client, world.people.collector)
    with pinned(CALL_DAY, 11):
        page = client.get(plan_url(world.north, task))
        assert page.context["debt"].total == DEBT
        assert "全部欠费 1500.00 元" in text_of(page)
        schedule = "2026-11-08 500\n2026-12-08 500"
        response = client.post(
            plan_url(world.north, task), {"schedule": schedule, "note": "分两期"}
        )
    assert response.status_code == 400
    assert response.context["form"].errors["schedule"] == [
        "分期总额 1000.00 元少于欠费 1500.00 元：协议须覆盖全部欠费，请调整各期金额。"
    ]
    assert "2026-12-08 500" in text_of(response) and "分两期" in text_of(response)
    assert not InstalmentPlan.objects.exists()


def test_a_plan_covering_the_debt_is_agreed_and_leads_back_to_the_task(client, world):
    task = open_task(world.north)
    logged_in(client, world.people.collector)
    with pinned(CALL_DAY, 11):
        response = client.post(
            plan_url(world.north, task), {"schedule": "2026-11-08 500\n2026-12-08 1000"}
        )
    assert response.status_code == 302 and response["Location"] == task_url(task)
    plan = InstalmentPlan.objects.get()
    assert (plan.total, plan.debt, plan.agreed_by) == (DEBT, DEBT, world.people.collector)
    assert list(plan.items.values_list("due_on", "amount")) == [
        (date(2026, 11, 8), Decimal("500.00")),
        (date(2026, 12, 8), Decimal("1000.00")),
    ]


def test_the_case_page_links_to_the_plan_and_the_open_task(client, world):
    logged_in(client, world.people.collector)
    with pinned(CALL_DAY, 11):
        html = text_of(client.get(reverse("workbench:case", args=[case_of(world.north).public_id])))
    assert f'href="{plan_url(world.north)}"' in html
    assert f'href="{task_url(open_task(world.north))}"' in html


# --- the written notice -------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\n", "")  # lines wrap anywhere in Chinese text


def notice_task(world) -> CollectionAction:
    record(world.people.collector, world.north, CALL_DAY, "no_answer")
    nightly(date(2026, 11, 7))
    record(world.people.collector, world.north, date(2026, 11, 8), "refused", photo=visit_photo())
    nightly(date(2026, 11, 11))
    return open_task(world.north)


def test_the_notice_is_printed_from_its_task_as_a_pdf(client, world):
    task = notice_task(world)
    assert task.kind == StepKind.NOTICE
    notice = task.dunning.notices.get()
    logged_in(client, world.people.collector)
    with pinned(date(2026, 11, 11), 10):
        page = client.get(task_url(task))
        html = text_of(page)
        pdf_href = reverse(
            "workbench:document", args=[case_of(world.north).public_id, "disconnection-notice"]
        )
        assert f'href="{pdf_href}"' in html
        assert [v for v, _l in page.context["form"].fields["outcome"].choices] == [
            "delivered",
            "posted",
            "mailed",
        ]
        before = client.get(pdf_href)
    assert before.status_code == 200 and before["Content-Type"] == "application/pdf"
    assert before.content.startswith(b"%PDF-")
    text = pdf_text(before.content)
    for expected in (
        "停水通知书",
        notice.number,
        world.north.number,
        world.north.customer.name,
        "城北区解放路1号",
        "1,500.00",
        "送达之日起 7 日",
        "第六百五十四条",
    ):
        assert expected in text, expected
    assert re.search(r"24\s*小时内恢复供水", text)
    assert b"/FontFile2" in before.content  # the font is embedded
    # Delivered: the notice says from when supply may be suspended.
    record(world.people.collector, world.north, date(2026, 11, 11), "delivered")
    with pinned(date(2026, 11, 11), 12):
        logged_in(client, world.people.collector)  # a new session after the idle time
        after = pdf_text(client.get(pdf_href).content)
    assert "2026年11月18日" in after and "当面送达" in after


def test_the_notice_is_not_for_other_roles_or_cases_without_one(client, world):
    notice_task(world)
    pdf = reverse(
        "workbench:document", args=[case_of(world.north).public_id, "disconnection-notice"]
    )
    logged_in(client, UserFactory(username="hall", role=Role.SUPERVISOR))
    assert client.get(pdf).status_code == 403
    logged_in(client, world.people.collector)
    without = reverse(
        "workbench:document", args=[case_of(world.south).public_id, "disconnection-notice"]
    )
    assert client.get(without).status_code == 403

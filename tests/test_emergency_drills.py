"""Drills (R-E3): planned on a published plan at a level, held with the minutes each step
took against its target, evaluated, cancelled with a reason; improvement measures of
drills and post-incident reviews tracked to done on one page, overdue by the date in
Asia/Shanghai."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from waterdesk.cases.models import Case, Channel
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import (
    Drill,
    DrillStatus,
    DrillTiming,
    EmergencyPlan,
    Incident,
    IncidentReview,
    Measure,
)
from waterdesk.emergency.selectors_drills import measure_is_overdue, measures_open
from waterdesk.emergency.selectors_plans import plan_current_version
from waterdesk.emergency.services import drills as services
from waterdesk.emergency.services import plans as plan_services
from waterdesk.emergency.services.drills import TimingInput
from waterdesk.emergency.services.measures import measure_add

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.emergency_pages_urls")]

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL_TZ)
DRILL_AT = datetime(2026, 12, 10, 9, 30, tzinfo=LOCAL_TZ)


@pytest.fixture
def office(db):
    return UserFactory(username="office", first_name="应急办", role=Role.EMERGENCY_OFFICE)


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", first_name="调度", role=Role.DISPATCHER)


@pytest.fixture
def version():
    return plan_current_version(EmergencyPlan.objects.get(code="pipe_burst"))


@pytest.fixture
def planned(office, dispatcher, version):
    with time_machine.travel(NOON, tick=False):
        return services.drill_plan(
            actor=office,
            plan_version=version,
            level=3,
            scheduled_for=DRILL_AT,
            scenario="人民路 DN600 主干管爆裂，影响约 6000 户，其中一所医院。",
            participants=[dispatcher, office],
            other_participants="消防救援站、街道办",
        )


def _held(office, drill, observed=(10, 45, 50)):
    steps = services.drill_steps(drill)
    timings = [
        TimingInput(step=step, observed_minutes=minutes)
        for step, minutes in zip(steps, observed, strict=False)
    ]
    timings.append(TimingInput(label="媒体问询答复", target_minutes=60, observed_minutes=40))
    with time_machine.travel(DRILL_AT + timedelta(hours=4), tick=False):
        return services.drill_record_held(
            actor=office, drill=drill, held_at=DRILL_AT + timedelta(minutes=5), timings=timings
        )


def _snapshot() -> tuple:
    return (
        list(Drill.objects.order_by("pk").values_list("pk", "status", "held_at", "evaluation")),
        list(DrillTiming.objects.order_by("pk").values_list("pk", "observed_minutes")),
        list(Measure.objects.order_by("pk").values_list("pk", "done_at")),
    )


# --- planning ----------------------------------------------------------------------------


def test_a_drill_is_planned_on_the_published_plan(planned, office, dispatcher, version):
    assert (planned.status, planned.plan_version, planned.level, planned.scheduled_for) == (
        DrillStatus.PLANNED,
        version,
        3,
        DRILL_AT,
    )
    assert set(planned.participants.all()) == {office, dispatcher}
    assert planned.other_participants == "消防救援站、街道办"
    assert planned.created_by == office
    titles = [step.title for step in services.drill_steps(planned)]
    assert "设立临时供水点" in titles  # from level Ⅲ
    assert "向主管部门报告" not in titles  # from level Ⅱ only


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"scheduled_for": NOON - timedelta(minutes=1)}, "drill_time_past"),
        ({"level": 5}, "drill_level_missing"),
        ({"scenario": ""}, "required"),
        ({"participants": [], "other_participants": ""}, "drill_participants_required"),
        ({"superseded": True}, "drill_plan_not_published"),
    ],
)
def test_a_drill_with_bad_input_is_refused_and_nothing_written(office, version, change, code):
    if change.pop("superseded", False):
        draft = plan_services.plan_draft_start(actor=office, plan=version.plan, change_note="修订")
        plan_services.plan_publish(actor=office, version=draft)
        version.refresh_from_db()
    before = _snapshot()
    arguments = {
        "plan_version": version,
        "level": 4,
        "scheduled_for": DRILL_AT,
        "scenario": "演练",
        "participants": [office],
        **change,
    }
    with pytest.raises(InvalidInput) as refused:
        services.drill_plan(actor=office, **arguments)
    assert refused.value.code == code
    assert _snapshot() == before


@time_machine.travel(NOON, tick=False)
def test_only_who_runs_drills_plans_them(dispatcher, version):
    with pytest.raises(NotPermitted):
        services.drill_plan(
            actor=dispatcher,
            plan_version=version,
            level=4,
            scheduled_for=DRILL_AT,
            scenario="演练",
            participants=[dispatcher],
        )
    assert Drill.objects.count() == 0


# --- held, evaluated, cancelled ------------------------------------------------------------


def test_held_with_timings_against_the_targets(planned, office):
    drill = _held(office, planned)
    assert (drill.status, drill.held_at) == (DrillStatus.HELD, DRILL_AT + timedelta(minutes=5))
    rows = list(
        DrillTiming.objects.filter(drill=drill)
        .order_by("pk")
        .values_list("label", "target_minutes", "observed_minutes")
    )
    assert rows == [
        ("核实险情并上报值班主任", 15, 10),
        ("调派抢修班组", 30, 45),
        ("关阀隔离", 60, 50),
        ("媒体问询答复", 60, 40),
    ]
    met = [timing.met for timing in DrillTiming.objects.filter(drill=drill).order_by("pk")]
    assert met == [True, False, True, True]


def test_held_refusals_write_nothing(planned, office, dispatcher):
    before = _snapshot()
    with time_machine.travel(DRILL_AT + timedelta(hours=1), tick=False):
        with pytest.raises(InvalidInput) as refused:
            services.drill_record_held(
                actor=office,
                drill=planned,
                held_at=DRILL_AT,
                timings=[TimingInput(step=services.drill_steps(planned)[0], observed_minutes=None)],
            )
        assert refused.value.code == "drill_timings_required"
        with pytest.raises(InvalidInput) as refused:
            services.drill_record_held(
                actor=office,
                drill=planned,
                held_at=DRILL_AT + timedelta(hours=2),
                timings=[TimingInput(label="x", observed_minutes=5)],
            )
        assert refused.value.code == "drill_held_future"
        with pytest.raises(NotPermitted):
            services.drill_record_held(
                actor=dispatcher,
                drill=planned,
                held_at=DRILL_AT,
                timings=[TimingInput(label="x", observed_minutes=5)],
            )
    assert _snapshot() == before


def test_evaluated_then_no_more_changes(planned, office):
    drill = _held(office, planned)
    with pytest.raises(InvalidInput) as refused:
        services.drill_cancel(actor=office, drill=drill, reason="天气")
    assert "请填写演练评估" in str(refused.value.message)
    with time_machine.travel(DRILL_AT + timedelta(days=1), tick=False):
        drill = services.drill_evaluate(
            actor=office, drill=drill, evaluation="调派环节超时 15 分钟，需优化夜间调度流程。"
        )
    assert (drill.status, drill.evaluated_by, drill.evaluated_at) == (
        DrillStatus.EVALUATED,
        office,
        DRILL_AT + timedelta(days=1),
    )
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.drill_evaluate(actor=office, drill=drill, evaluation="再评")
    assert refused.value.code == "drill_status"
    assert _snapshot() == before


def test_a_planned_drill_is_cancelled_with_its_reason(planned, office):
    with time_machine.travel(NOON, tick=False):
        drill = services.drill_cancel(actor=office, drill=planned, reason="暴雨红色预警，改期")
    assert (drill.status, drill.cancel_reason, drill.cancelled_by, drill.cancelled_at) == (
        DrillStatus.CANCELLED,
        "暴雨红色预警，改期",
        office,
        NOON,
    )
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.drill_cancel(actor=office, drill=drill, reason="再次取消")
    assert "重新安排" in str(refused.value.message)
    with pytest.raises(InvalidInput):
        services.drill_cancel(actor=office, drill=Drill.objects.get(pk=drill.pk), reason="")
    assert _snapshot() == before


# --- measures -----------------------------------------------------------------------------


def test_measures_only_after_the_drill_was_held(planned, office, dispatcher):
    with time_machine.travel(NOON, tick=False), pytest.raises(InvalidInput) as refused:
        services.drill_measure_add(
            actor=office,
            drill=planned,
            description="x",
            owner=dispatcher,
            deadline=date(2026, 12, 31),
        )
    assert refused.value.code == "drill_status"
    assert Measure.objects.count() == 0
    drill = _held(office, planned)
    with time_machine.travel(DRILL_AT + timedelta(days=1), tick=False):
        measure = services.drill_measure_add(
            actor=office,
            drill=drill,
            description="夜间调度增配一名调度员",
            owner=dispatcher,
            deadline=date(2026, 12, 31),
        )
        with pytest.raises(InvalidInput) as refused:
            services.drill_measure_add(
                actor=office,
                drill=drill,
                description="x",
                owner=dispatcher,
                deadline=date(2026, 12, 10),
            )
    assert refused.value.code == "deadline_past"
    assert list(measures_open()) == [measure]


def _review_measure(owner, deadline):
    case = Case.objects.create(
        number="YJ-T-1",
        kind="incident",
        channel=Channel.PHONE,
        contact_name="应急办",
        contact_phone="",
        status="closed",
        opened_at=NOON,
    )
    incident = Incident.objects.create(
        case=case,
        incident_type="pipe_burst",
        level=3,
        source="dispatcher",
        title="人民路爆管",
        description="DN600 爆裂",
        public_summary="人民路停水",
        started_at=NOON,
    )
    review = IncidentReview.objects.create(incident=incident, causes="管材老化", written_by=owner)
    return measure_add(
        review=review, description="更换人民路老旧管段", owner=owner, deadline=deadline
    )


def test_overdue_is_by_the_date_in_shanghai(planned, office, dispatcher):
    drill = _held(office, planned)
    with time_machine.travel(NOON, tick=False):
        measure = measure_add(
            drill=drill, description="x", owner=dispatcher, deadline=date(2026, 12, 2)
        )
    # 00:30 on 3 December in Shanghai is still 2 December in UTC.
    with time_machine.travel(datetime(2026, 12, 3, 0, 30, tzinfo=LOCAL_TZ), tick=False):
        assert measure_is_overdue(measure) is True
    with time_machine.travel(datetime(2026, 12, 2, 23, 59, tzinfo=LOCAL_TZ), tick=False):
        assert measure_is_overdue(measure) is False


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_measures_page_lists_reviews_and_drills_overdue_highlighted(
    planned, office, dispatcher
):
    drill = _held(office, planned)
    with time_machine.travel(NOON, tick=False):
        late = measure_add(
            drill=drill, description="补充夜间值班表", owner=dispatcher, deadline=date(2026, 12, 5)
        )
        review = _review_measure(office, date(2027, 1, 31))
        done = measure_add(
            drill=drill, description="已办事项", owner=dispatcher, deadline=date(2026, 12, 31)
        )
    Measure.objects.filter(pk=done.pk).update(done_at=NOON)
    with time_machine.travel(datetime(2026, 12, 20, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        response = _client(office).get(reverse("workbench:emergency_measures"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-measure="{late.pk}" class="overdue"' in html
    assert f'data-measure="{review.pk}" class=""' in html
    assert f'data-measure="{done.pk}"' not in html
    assert reverse("workbench:case", args=[review.review.incident.case.public_id]) in html
    assert reverse("workbench:emergency_drill", args=[drill.pk]) in html
    assert "其中逾期 1 项" in html


def test_the_owner_marks_a_measure_done(planned, office):
    owner = UserFactory(username="owner", role=Role.INTAKE_CLERK)  # no emergency permission
    drill = _held(office, planned)
    with time_machine.travel(NOON, tick=False):
        measure = measure_add(
            drill=drill, description="补充夜间值班表", owner=owner, deadline=date(2026, 12, 31)
        )
    client = _client(owner)
    url = reverse("workbench:emergency_measure_done", args=[measure.pk])
    assert client.get(reverse("workbench:emergency_measures")).status_code == 200
    response = client.post(url, {"note": ""})
    assert response.status_code == 400
    assert "请填写完成情况后再办结。" in response.content.decode()
    measure.refresh_from_db()
    assert measure.done_at is None
    with time_machine.travel(datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL_TZ), tick=False):
        response = _client(owner).post(url, {"note": "值班表已更新并下发"})
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.done_at, measure.done_note) == (
        datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL_TZ),
        "值班表已更新并下发",
    )


def test_others_may_not_mark_a_measure_done(planned, office, dispatcher):
    drill = _held(office, planned)
    with time_machine.travel(NOON, tick=False):
        measure = measure_add(
            drill=drill, description="x", owner=office, deadline=date(2026, 12, 31)
        )
    url = reverse("workbench:emergency_measure_done", args=[measure.pk])
    # A dispatcher reads the measures but neither owns this one nor manages measures.
    assert _client(dispatcher).get(reverse("workbench:emergency_measures")).status_code == 200
    assert _client(dispatcher).post(url, {"note": "完成"}).status_code == 403
    assert _client(UserFactory(username="nobody")).post(url, {"note": "完成"}).status_code == 403
    measure.refresh_from_db()
    assert measure.done_at is None
    supervisor = UserFactory(username="sup", role=Role.SUPERVISOR)
    assert _client(supervisor).post(url, {"note": "完成", "back": "drill"}).status_code == 302
    measure.refresh_from_db()
    assert measure.done_note == "完成"


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR])
def test_readers_see_the_drills(role, planned, office):
    drill = _held(office, planned)
    client = _client(UserFactory(role=role))
    listing = client.get(reverse("workbench:emergency_drills"))
    assert listing.status_code == 200
    page = client.get(reverse("workbench:emergency_drill", args=[drill.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "超时 15 分钟" in html
    assert "按时 3 个，超时 1 个" in html
    assert 'id="held-form"' not in html


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, None])
def test_others_are_refused_the_drills(role, planned):
    client = _client(UserFactory(role=role) if role else UserFactory())
    assert client.get(reverse("workbench:emergency_drills")).status_code == 403
    assert client.get(reverse("workbench:emergency_drill", args=[planned.pk])).status_code == 403
    assert client.get(reverse("workbench:emergency_measures")).status_code == 403


def test_upcoming_drills_come_first(office, version, planned):
    with time_machine.travel(NOON, tick=False):
        later = services.drill_plan(
            actor=office,
            plan_version=version,
            level=4,
            scheduled_for=DRILL_AT + timedelta(days=30),
            scenario="夜间爆管",
            participants=[office],
        )
        sooner = services.drill_plan(
            actor=office,
            plan_version=version,
            level=4,
            scheduled_for=DRILL_AT - timedelta(days=3),
            scenario="停电",
            participants=[office],
        )
        services.drill_cancel(actor=office, drill=planned, reason="改期")
        html = _client(office).get(reverse("workbench:emergency_drills")).content.decode()
    upcoming = html.index('id="drills-upcoming"')
    past = html.index('id="drills-past"')
    assert (
        upcoming
        < html.index(f'data-drill="{sooner.pk}"')
        < html.index(f'data-drill="{later.pk}"')
        < past
        < html.index(f'data-drill="{planned.pk}"')
    )


def test_the_office_runs_a_drill_on_the_pages(office, dispatcher, version):
    with time_machine.travel(NOON, tick=False):
        client = _client(office)
        assert client.get(reverse("workbench:emergency_drill_new")).status_code == 200
        response = client.post(
            reverse("workbench:emergency_drill_new"),
            {
                "plan_version": version.pk,
                "level": "4",
                "scheduled_for": "2026-12-10T09:30",
                "scenario": "城北片区 DN300 爆管",
                "participants": [dispatcher.pk],
            },
        )
    drill = Drill.objects.get()
    assert response["Location"] == reverse("workbench:emergency_drill", args=[drill.pk])
    steps = services.drill_steps(drill)
    with time_machine.travel(DRILL_AT + timedelta(hours=3), tick=False):
        client = _client(office)
        page = client.get(reverse("workbench:emergency_drill", args=[drill.pk]))
        assert 'id="held-form"' in page.content.decode()
        held = reverse("workbench:emergency_drill_step", args=[drill.pk, "held"])
        response = client.post(
            held,
            {
                "held_at": "2026-12-10T09:35",
                f"observed_{steps[0].pk}": "12",
                f"observed_{steps[1].pk}": "40",
                "extra_label_0": "启用备用水源",
                "extra_observed_0": "",
            },
        )
        assert response.status_code == 400  # an extra row named but without its minutes
        assert Drill.objects.get().status == DrillStatus.PLANNED
        response = client.post(
            held,
            {
                "held_at": "2026-12-10T09:35",
                f"observed_{steps[0].pk}": "12",
                f"observed_{steps[1].pk}": "40",
            },
        )
        assert response.status_code == 302
        drill.refresh_from_db()
        assert drill.held_at == datetime(2026, 12, 10, 9, 35, tzinfo=LOCAL_TZ)
        assert drill.timings.count() == 2
        step = reverse("workbench:emergency_drill_step", args=[drill.pk, "evaluate"])
        assert client.post(step, {"evaluation": ""}).status_code == 400
        assert client.post(step, {"evaluation": "调派超时"}).status_code == 302
        step = reverse("workbench:emergency_drill_step", args=[drill.pk, "measure"])
        response = client.post(
            step,
            {"description": "优化调度流程", "owner": dispatcher.pk, "deadline": "2026-12-31"},
        )
        assert response.status_code == 302
    assert Drill.objects.get().status == DrillStatus.EVALUATED
    assert Measure.objects.get().owner == dispatcher


def test_readers_may_not_run_drills(planned, dispatcher):
    client = _client(dispatcher)
    before = _snapshot()
    assert client.get(reverse("workbench:emergency_drill_new")).status_code == 403
    url = reverse("workbench:emergency_drill_step", args=[planned.pk, "cancel"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert _snapshot() == before

"""Emergency plans (R-E1): the default plans, versions (a revision is a draft copied from
the version in force; publishing supersedes it), only drafts editable, refusals that write
nothing, the permission, and the plan pages for readers and the emergency office."""

from datetime import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import (
    ContactTarget,
    EmergencyPlan,
    IncidentType,
    PlanContact,
    PlanLevel,
    PlanResource,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
    ResponseLevel,
)
from waterdesk.emergency.selectors_plans import plan_current_version, plan_steps_for_level
from waterdesk.emergency.services import plans as services

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.emergency_pages_urls")]

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def office(db):
    return UserFactory(username="office", first_name="应急办", role=Role.EMERGENCY_OFFICE)


@pytest.fixture
def hotline(db):
    return UserFactory(username="hotline", role=Role.HOTLINE_AGENT)


@pytest.fixture
def burst():
    return EmergencyPlan.objects.get(code="pipe_burst")


def _contents(version: PlanVersion) -> tuple:
    """What a version says, without its own ids."""
    return (
        list(
            version.levels.order_by("level").values_list(
                "level",
                "trigger_customers",
                "trigger_hours",
                "trigger_quality_failure",
                "trigger_note",
                "response_minutes",
            )
        ),
        list(
            version.contacts.order_by("-level", "pk").values_list(
                "level", "target", "role", "user", "duty"
            )
        ),
        list(
            version.steps.order_by("position").values_list(
                "position", "title", "level", "owner_role", "target_minutes"
            )
        ),
        list(
            version.resources.order_by("kind", "pk").values_list(
                "kind", "description", "quantity", "unit", "location", "contact"
            )
        ),
    )


def _snapshot() -> tuple:
    return (
        list(EmergencyPlan.objects.order_by("pk").values_list("pk", "code", "name")),
        list(PlanVersion.objects.order_by("pk").values_list("pk", "status", "change_note")),
        PlanLevel.objects.count(),
        list(PlanLevel.objects.order_by("pk").values_list("trigger_customers", "trigger_hours")),
        PlanContact.objects.count(),
        list(PlanStep.objects.order_by("pk").values_list("pk", "position", "title")),
        PlanResource.objects.count(),
    )


# --- the default plans -------------------------------------------------------------------


def test_each_incident_type_has_a_published_default_plan():
    plans = EmergencyPlan.objects.order_by("incident_type")
    assert sorted(plan.incident_type for plan in plans) == sorted(IncidentType.values)
    for plan in plans:
        current = plan_current_version(plan)
        assert current.number == 1
        assert current.status == PlanVersionStatus.PUBLISHED
        assert sorted(current.levels.values_list("level", flat=True)) == [1, 2, 3, 4]
        assert 6 <= current.steps.count() <= 10
        assert current.resources.filter(kind="tanker").exists()
        roles = set(current.contacts.exclude(role="").values_list("role", flat=True))
        assert roles <= set(Role.values)
        targets = set(current.contacts.values_list("target", flat=True))
        assert {ContactTarget.DUTY_MANAGER, ContactTarget.CREW_ON_CALL} <= targets
        owners = set(current.steps.exclude(owner_role="").values_list("owner_role", flat=True))
        assert owners <= set(Role.values)


def test_pipe_burst_triggers_and_pollution_quality_failure(burst):
    levels = {
        level.level: (level.trigger_customers, level.trigger_hours)
        for level in plan_current_version(burst).levels.all()
    }
    assert levels == {4: (500, 4), 3: (5000, 12), 2: (20000, 24), 1: (50000, 48)}
    pollution = plan_current_version(EmergencyPlan.objects.get(code="pollution"))
    assert pollution.levels.get(level=ResponseLevel.III).trigger_quality_failure is True
    assert pollution.levels.get(level=ResponseLevel.IV).trigger_quality_failure is False


def test_the_default_checklist_grows_with_the_level(burst):
    version = plan_current_version(burst)
    level_four = [step.title for step in plan_steps_for_level(version, ResponseLevel.IV)]
    level_two = [step.title for step in plan_steps_for_level(version, ResponseLevel.II)]
    assert level_four[0] == "核实险情并上报值班主任"
    assert "设立临时供水点" not in level_four
    assert "设立临时供水点" in level_two
    assert "向主管部门报告" in level_two
    assert level_two[-1] == "发布恢复通知"


def test_the_seed_keeps_plans_that_exist(burst):
    from importlib import import_module

    from django.apps import apps

    seed = import_module("waterdesk.emergency.migrations.0002_seed_default_plans").seed
    before = _snapshot()
    seed(apps, None)
    assert _snapshot() == before


# --- creating and revising ---------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_a_new_plan_starts_as_a_draft(office):
    plan = services.plan_create(
        actor=office,
        code="Burst-North",
        name="城北片区爆管专项预案",
        incident_type=IncidentType.PIPE_BURST,
    )
    draft = services.plan_draft(plan)
    assert (plan.code, plan.name, plan.incident_type) == (
        "burst-north",
        "城北片区爆管专项预案",
        "pipe_burst",
    )
    assert (draft.number, draft.status, draft.created_by, draft.change_note) == (
        1,
        PlanVersionStatus.DRAFT,
        office,
        "新编预案",
    )
    assert plan_current_version(plan) is None


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"code": "pipe_burst"}, "plan_code_taken"),
        ({"code": "城北"}, "plan_code_invalid"),
        ({"name": " "}, "required"),
        ({"incident_type": "meteor"}, "incident_type_required"),
    ],
)
def test_a_new_plan_with_bad_input_is_refused_and_nothing_written(office, fields, code):
    before = _snapshot()
    arguments = {"code": "north", "name": "城北预案", "incident_type": "pipe_burst", **fields}
    with pytest.raises(InvalidInput) as refused:
        services.plan_create(actor=office, **arguments)
    assert refused.value.code == code
    assert _snapshot() == before


def test_only_the_emergency_office_keeps_plans(hotline, burst):
    before = _snapshot()
    with pytest.raises(NotPermitted):
        services.plan_create(actor=hotline, code="x", name="x", incident_type="other")
    with pytest.raises(NotPermitted):
        services.plan_draft_start(actor=hotline, plan=burst, change_note="修订")
    with pytest.raises(NotPermitted):
        services.plan_step_add(actor=hotline, version=plan_current_version(burst), title="x")
    assert _snapshot() == before


@time_machine.travel(NOON, tick=False)
def test_a_revision_draft_copies_the_version_in_force(office, burst):
    current = plan_current_version(burst)
    draft = services.plan_draft_start(actor=office, plan=burst, change_note="调整响应时限")
    assert (draft.number, draft.status, draft.change_note, draft.created_by) == (
        2,
        PlanVersionStatus.DRAFT,
        "调整响应时限",
        office,
    )
    assert _contents(draft) == _contents(current)
    assert plan_current_version(burst) == current  # still in force until published


def test_a_second_draft_is_refused(office, burst):
    services.plan_draft_start(actor=office, plan=burst, change_note="第一次修订")
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_draft_start(actor=office, plan=burst, change_note="第二次修订")
    assert refused.value.code == "plan_draft_exists"
    assert "第 2 版" in str(refused.value.message)
    assert _snapshot() == before


def test_a_revision_needs_a_change_note(office, burst):
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_draft_start(actor=office, plan=burst, change_note="  ")
    assert refused.value.field == "change_note"
    assert _snapshot() == before


def test_a_published_version_is_not_editable(office, burst):
    current = plan_current_version(burst)
    step = current.steps.first()
    contact = current.contacts.first()
    resource = current.resources.first()
    before = _snapshot()
    refusals = [
        lambda: services.plan_level_save(
            actor=office, version=current, level=4, trigger_customers=100
        ),
        lambda: services.plan_level_remove(actor=office, version=current, level=4),
        lambda: services.plan_contact_add(
            actor=office, version=current, level=4, target="role", role="dispatcher"
        ),
        lambda: services.plan_contact_remove(actor=office, contact=contact),
        lambda: services.plan_step_add(actor=office, version=current, title="新步骤"),
        lambda: services.plan_step_update(actor=office, step=step, title="改名"),
        lambda: services.plan_step_move(actor=office, step=step, direction="down"),
        lambda: services.plan_step_remove(actor=office, step=step),
        lambda: services.plan_resource_add(
            actor=office, version=current, kind="tanker", description="送水车", quantity=1
        ),
        lambda: services.plan_resource_remove(actor=office, resource=resource),
        lambda: services.plan_publish(actor=office, version=current),
    ]
    for refusal in refusals:
        with pytest.raises(InvalidInput) as refused:
            refusal()
        assert refused.value.code == "plan_version_not_draft"
        assert str(refused.value.message) == "发布后的版本不能修改，请新建修订草稿。"
    assert _snapshot() == before


# --- editing a draft ---------------------------------------------------------------------


@pytest.fixture
def draft(office, burst):
    return services.plan_draft_start(actor=office, plan=burst, change_note="年度修订")


def test_levels_are_saved_by_level_with_at_least_one_trigger(office, draft):
    saved = services.plan_level_save(
        actor=office,
        version=draft,
        level=4,
        trigger_customers=800,
        trigger_hours=6,
        trigger_note="",
        response_minutes=20,
    )
    assert PlanLevel.objects.filter(version=draft).count() == 4
    assert (saved.level, saved.trigger_customers, saved.trigger_hours, saved.response_minutes) == (
        4,
        800,
        6,
        20,
    )
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_level_save(actor=office, version=draft, level=4, response_minutes=20)
    assert refused.value.code == "level_trigger_required"
    with pytest.raises(InvalidInput) as refused:
        services.plan_level_save(actor=office, version=draft, level=5, trigger_hours=1)
    assert refused.value.code == "level_invalid"
    assert _snapshot() == before
    services.plan_level_remove(actor=office, version=draft, level=1)
    assert sorted(draft.levels.values_list("level", flat=True)) == [2, 3, 4]


def test_contacts_by_role_roster_or_person(office, draft):
    person = UserFactory(username="zhang", role=Role.DUTY_MANAGER)
    count = draft.contacts.count()
    by_role = services.plan_contact_add(
        actor=office, version=draft, level=3, target="role", role="emergency_office", duty="协调"
    )
    on_duty = services.plan_contact_add(
        actor=office, version=draft, level=4, target="duty_manager", role="dispatcher"
    )
    named = services.plan_contact_add(
        actor=office, version=draft, level=1, target="person", user=person, duty="总指挥"
    )
    assert (by_role.role, on_duty.role, on_duty.user, named.user) == (
        "emergency_office",
        "",
        None,
        person,
    )
    assert draft.contacts.count() == count + 3
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_contact_add(actor=office, version=draft, level=3, target="role", role="")
    assert refused.value.code == "role_required"
    with pytest.raises(InvalidInput) as refused:
        services.plan_contact_add(actor=office, version=draft, level=3, target="role", role="ceo")
    assert refused.value.code == "role_invalid"
    with pytest.raises(InvalidInput) as refused:
        services.plan_contact_add(actor=office, version=draft, level=3, target="person")
    assert refused.value.code == "contact_user_required"
    assert _snapshot() == before
    services.plan_contact_remove(actor=office, contact=named)
    assert draft.contacts.count() == count + 2


def _titles(version) -> list[str]:
    return list(version.steps.order_by("position").values_list("title", flat=True))


def test_steps_are_added_at_the_end_moved_and_renumbered(office, draft):
    first, second = _titles(draft)[:2]
    added = services.plan_step_add(
        actor=office,
        version=draft,
        title="启动应急广播",
        level=3,
        owner_role="emergency_office",
        target_minutes=90,
    )
    assert added.position == 10
    assert (added.level, added.owner_role, added.target_minutes) == (3, "emergency_office", 90)
    services.plan_step_move(actor=office, step=added, direction="up")
    assert _titles(draft)[-2:] == ["启动应急广播", "发布恢复通知"]
    top = draft.steps.get(position=1)
    services.plan_step_move(actor=office, step=top, direction="down")
    assert _titles(draft)[:2] == [second, first]
    services.plan_step_remove(actor=office, step=draft.steps.get(position=1))
    assert list(draft.steps.order_by("position").values_list("position", flat=True)) == list(
        range(1, 10)
    )
    assert _titles(draft)[0] == first
    order = list(draft.steps.order_by("-position").values_list("pk", flat=True))
    services.plan_steps_reorder(actor=office, version=draft, order=order)
    assert _titles(draft)[0] == "发布恢复通知"


def test_step_refusals_write_nothing(office, draft):
    top = draft.steps.get(position=1)
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_step_move(actor=office, step=top, direction="up")
    assert refused.value.code == "step_move_edge"
    with pytest.raises(InvalidInput) as refused:
        services.plan_step_add(actor=office, version=draft, title="x", target_minutes=0)
    assert refused.value.code == "minutes_invalid"
    with pytest.raises(InvalidInput) as refused:
        services.plan_step_update(actor=office, step=top, title="x", owner_role="boss")
    assert refused.value.code == "role_invalid"
    with pytest.raises(InvalidInput) as refused:
        services.plan_steps_reorder(actor=office, version=draft, order=[top.pk])
    assert refused.value.code == "step_order_invalid"
    assert _snapshot() == before


def test_resources(office, draft):
    resource = services.plan_resource_add(
        actor=office,
        version=draft,
        kind="tanker",
        description="送水车（5 吨）",
        quantity=3,
        unit="辆",
        location="城北营业所",
        contact="李师傅 13900000000",
    )
    assert (resource.quantity, resource.unit) == (3, "辆")
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_resource_add(
            actor=office, version=draft, kind="tanker", description="送水车", quantity=0
        )
    assert refused.value.code == "number_invalid"
    assert _snapshot() == before
    services.plan_resource_remove(actor=office, resource=resource)
    assert not PlanResource.objects.filter(pk=resource.pk).exists()


# --- publishing ----------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_publishing_supersedes_the_version_in_force(office, burst, draft):
    first = plan_current_version(burst)
    services.plan_level_save(
        actor=office, version=draft, level=4, trigger_customers=300, response_minutes=30
    )
    published = services.plan_publish(actor=office, version=draft, change_note="户数门槛下调")
    first.refresh_from_db()
    assert (published.status, published.published_by, published.published_at) == (
        PlanVersionStatus.PUBLISHED,
        office,
        NOON,
    )
    assert published.change_note == "户数门槛下调"
    assert first.status == PlanVersionStatus.SUPERSEDED
    assert plan_current_version(burst) == published
    assert published.levels.get(level=4).trigger_customers == 300
    assert first.levels.get(level=4).trigger_customers == 500  # the old version unchanged
    assert [v.number for v in services.plan_versions(burst)] == [2, 1]
    assert services.plan_draft(burst) is None


def test_a_draft_without_levels_or_steps_is_not_published(office):
    plan = services.plan_create(actor=office, code="north", name="城北预案", incident_type="other")
    draft = services.plan_draft(plan)
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_publish(actor=office, version=draft)
    assert refused.value.code == "plan_no_levels"
    assert "请先添加至少一个响应级别" in str(refused.value.message)
    assert _snapshot() == before
    services.plan_level_save(actor=office, version=draft, level=4, trigger_hours=4)
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_publish(actor=office, version=draft)
    assert refused.value.code == "plan_no_steps"
    assert _snapshot() == before
    services.plan_step_add(actor=office, version=draft, title="核实情况")
    assert services.plan_publish(actor=office, version=draft).status == "published"


def test_a_revision_draft_may_be_discarded_but_not_the_first(office, burst, draft):
    services.plan_draft_discard(actor=office, version=draft)
    assert services.plan_draft(burst) is None
    assert plan_current_version(burst).number == 1
    plan = services.plan_create(actor=office, code="north", name="城北预案", incident_type="other")
    before = _snapshot()
    with pytest.raises(InvalidInput) as refused:
        services.plan_draft_discard(actor=office, version=services.plan_draft(plan))
    assert refused.value.code == "plan_first_draft"
    assert _snapshot() == before


# --- pages -------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.HOTLINE_AGENT, Role.DISPATCHER, Role.SUPERVISOR])
def test_readers_see_the_plans(role, burst):
    client = _client(UserFactory(role=role))
    listing = client.get(reverse("workbench:emergency_plans"))
    assert listing.status_code == 200
    assert "管道爆裂突发事件应急预案" in listing.content.decode()
    page = client.get(reverse("workbench:emergency_plan", args=[burst.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("核实险情并上报值班主任", "送水车（8 吨）", "当班值班主任", "调度员", "修订记录"):
        assert text in html


@pytest.mark.parametrize("role", [Role.INTAKE_CLERK, Role.METER_READER, None])
def test_others_are_refused_the_plans(role, burst):
    client = _client(UserFactory(role=role) if role else UserFactory())
    assert client.get(reverse("workbench:emergency_plans")).status_code == 403
    assert client.get(reverse("workbench:emergency_plan", args=[burst.pk])).status_code == 403


def test_anonymous_goes_to_the_login_page():
    response = Client().get(reverse("workbench:emergency_plans"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_readers_may_not_edit(hotline, burst, draft):
    client = _client(hotline)
    assert (
        "新建修订草稿"
        not in client.get(reverse("workbench:emergency_plan", args=[burst.pk])).content.decode()
    )
    before = _snapshot()
    url = reverse("workbench:emergency_plan_version_edit", args=[draft.pk, "step"])
    assert client.post(url, {"title": "x"}).status_code == 403
    assert (
        client.post(reverse("workbench:emergency_plan_draft_new", args=[burst.pk])).status_code
        == 403
    )
    assert _snapshot() == before


@time_machine.travel(NOON, tick=False)
def test_the_office_revises_and_publishes_on_the_pages(office, burst):
    client = _client(office)
    response = client.post(
        reverse("workbench:emergency_plan_draft_new", args=[burst.pk]),
        {"change_note": "演练后修订"},
    )
    draft = services.plan_draft(burst)
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:emergency_plan_version", args=[draft.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'id="draft-edit"' in page.content.decode()
    edit = lambda name: reverse("workbench:emergency_plan_version_edit", args=[draft.pk, name])  # noqa: E731
    assert (
        client.post(
            edit("step"),
            {
                "title": "启动应急广播",
                "level": "3",
                "owner_role": "emergency_office",
                "target_minutes": "90",
            },
        ).status_code
        == 302
    )
    step = draft.steps.get(title="启动应急广播")
    assert client.post(edit("step_move"), {"item": step.pk, "direction": "up"}).status_code == 302
    assert step.position - 1 == draft.steps.get(title="启动应急广播").position
    assert (
        client.post(
            edit("level"),
            {"level": "4", "trigger_customers": "300", "response_minutes": "25"},
        ).status_code
        == 302
    )
    assert client.post(edit("publish"), {"change_note": "演练后修订"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == PlanVersionStatus.PUBLISHED
    assert plan_current_version(burst).levels.get(level=4).trigger_customers == 300
    old = burst.versions.get(number=1)
    page = client.get(reverse("workbench:emergency_plan_version", args=[old.pk]))
    assert page.status_code == 200
    assert "已废止的历史版本" in page.content.decode()
    assert 'id="draft-edit"' not in page.content.decode()


def test_a_refused_edit_stays_on_the_page_with_the_reason(office):
    plan = services.plan_create(actor=office, code="north", name="城北预案", incident_type="other")
    draft = services.plan_draft(plan)
    client = _client(office)
    before = _snapshot()
    response = client.post(
        reverse("workbench:emergency_plan_version_edit", args=[draft.pk, "publish"]),
        {"change_note": "首次发布"},
    )
    assert response.status_code == 400
    assert "请先添加至少一个响应级别" in response.content.decode()
    response = client.post(
        reverse("workbench:emergency_plan_version_edit", args=[draft.pk, "level"]),
        {"level": "4", "response_minutes": "30"},
    )
    assert response.status_code == 400
    assert "请至少填写一项启动条件" in response.content.decode()
    assert _snapshot() == before


def test_editing_a_published_version_on_the_page_is_refused(office, burst):
    current = plan_current_version(burst)
    before = _snapshot()
    response = _client(office).post(
        reverse("workbench:emergency_plan_version_edit", args=[current.pk, "step"]),
        {"title": "新步骤"},
    )
    assert response.status_code == 400
    assert "发布后的版本不能修改，请新建修订草稿。" in response.content.decode()
    assert _snapshot() == before


def test_a_new_plan_on_the_page(office):
    client = _client(office)
    assert client.get(reverse("workbench:emergency_plan_new")).status_code == 200
    response = client.post(
        reverse("workbench:emergency_plan_new"),
        {"code": "north", "name": "城北预案", "incident_type": "other"},
    )
    plan = EmergencyPlan.objects.get(code="north")
    assert response["Location"] == reverse(
        "workbench:emergency_plan_version", args=[services.plan_draft(plan).pk]
    )
    listing = client.get(reverse("workbench:emergency_plans")).content.decode()
    assert "第 1 版草稿待发布" in listing


# --- admin ---------------------------------------------------------------------------------


def test_the_admin_pages_open_and_published_versions_are_read_only(office, burst, draft):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = _client(admin_user)
    for model in (
        "emergencyplan",
        "planversion",
        "dutyshift",
        "outagepolicy",
        "incident",
        "plannedoutage",
        "noticeround",
        "drill",
        "measure",
    ):
        response = client.get(reverse(f"admin:emergency_{model}_changelist"))
        assert response.status_code == 200, model
    assert (
        client.get(reverse("admin:emergency_emergencyplan_change", args=[burst.pk])).status_code
        == 200
    )
    published = plan_current_version(burst)
    page = client.get(reverse("admin:emergency_planversion_change", args=[published.pk]))
    assert page.status_code == 200
    assert 'name="steps-0-title"' not in page.content.decode()
    page = client.get(reverse("admin:emergency_planversion_change", args=[draft.pk]))
    assert 'name="steps-0-title"' in page.content.decode()


def test_a_second_draft_on_the_page_says_why(office, burst, draft):
    response = _client(office).post(
        reverse("workbench:emergency_plan_draft_new", args=[burst.pk]), {"change_note": "再修订"}
    )
    assert response.status_code == 400
    assert "该预案已有修订草稿（第 2 版）" in response.content.decode()
    assert burst.versions.count() == 2

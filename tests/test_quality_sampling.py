"""Sampling points, plans and the sampler's work (R-Q2): a point's type decides whether it
needs a plant or a supply zone; a plan names indicators of the edition in force, at least
one point type and a frequency; the sampler takes only scheduled samples, never in the
future, and the sample is judged by the edition in force that day; the manager cancels with
a reason and adds ad-hoc samples. Refusals write nothing. The pages for each role."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.quality_support import quality_world
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import (
    Disinfection,
    Frequency,
    PointType,
    Sample,
    SampleReason,
    SampleStatus,
    SamplingPlan,
    SamplingPoint,
)
from waterdesk.quality.services import sampling as services
from waterdesk.quality.services.schedule import samples_schedule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(db):
    return quality_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- points ---------------------------------------------------------------------------------


def _point(world, **change):
    values = {
        "code": "west-net-1",
        "name": "西区管网",
        "point_type": PointType.NETWORK,
        "location": "西环路 8 号",
        "zone": world.zone,
        "disinfection": Disinfection.CHLORINE,
        **change,
    }
    return services.point_create(actor=world.manager, **values)


def test_a_point_is_created_and_scheduled(world):
    point = _point(world)
    assert (point.point_type, point.zone, point.is_active) == ("network", world.zone, True)
    assert point.history.get().history_user == world.manager
    samples_schedule(TODAY)
    assert Sample.objects.filter(point=point, plan__code="network-twice-monthly").count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"point_type": PointType.PLANT_OUTLET, "plant": None}, "point_plant_required"),
        ({"zone": None}, "point_zone_required"),
        ({"point_type": PointType.TAP, "zone": None}, "point_zone_required"),
        ({"point_type": PointType.SECONDARY, "zone": None}, "point_zone_required"),
        ({"code": "east-net-1"}, "point_code_taken"),
        ({"name": " "}, "required"),
        ({"location": ""}, "required"),
        ({"point_type": "river"}, "point_bad_type"),
        ({"disinfection": "uv"}, "point_bad_disinfection"),
        ({"latitude": "30.1"}, "point_coordinates"),
    ],
)
def test_a_bad_point_is_refused(world, change, code):
    before = SamplingPoint.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _point(world, **change)
    assert refused.value.code == code
    assert SamplingPoint.objects.count() == before


def test_a_source_point_needs_neither_plant_nor_zone(world):
    point = _point(world, code="west-src", point_type=PointType.SOURCE, zone=None)
    assert point.plant is None and point.zone is None


def test_only_the_quality_manager_keeps_points(world):
    with pytest.raises(NotPermitted):
        services.point_create(
            actor=world.sampler,
            code="x",
            name="x",
            point_type=PointType.SOURCE,
            location="x",
        )
    with pytest.raises(NotPermitted):
        services.point_update(actor=world.analyst, point=world.tap, is_active=False)
    assert SamplingPoint.objects.filter(is_active=True).count() == 4


def test_a_point_is_deactivated_not_deleted(world):
    services.point_update(actor=world.manager, point=world.tap, is_active=False)
    world.tap.refresh_from_db()
    assert world.tap.is_active is False
    samples_schedule(TODAY)
    assert not Sample.objects.filter(point=world.tap).exists()
    with pytest.raises(InvalidInput) as refused:
        services.point_update(actor=world.manager, point=world.network, zone=None)
    assert refused.value.code == "point_zone_required"
    world.network.refresh_from_db()
    assert world.network.zone == world.zone
    changed = services.point_update(
        actor=world.manager, point=world.outlet, disinfection=Disinfection.CHLORAMINE
    )
    assert changed.disinfection == "chloramine"


# --- plans ----------------------------------------------------------------------------------


def _plan(world, **change):
    values = {
        "code": "tap-weekly",
        "name": "末梢水每周",
        "indicator_codes": ["turbidity", "free_chlorine_tap", "total_chlorine_tap"],
        "frequency": Frequency.WEEKLY,
        "point_types": [PointType.TAP],
        **change,
    }
    return services.plan_create(actor=world.manager, **values)


def test_a_plan_schedules_what_applies_at_its_points(world):
    plan = _plan(world)
    assert samples_schedule(TODAY) == 6
    sample = Sample.objects.get(plan=plan)
    assert sample.point == world.tap
    assert sample.indicator_codes == ["turbidity", "free_chlorine_tap"]
    assert (sample.due_date, sample.due_by) == (date(2026, 11, 30), date(2026, 12, 6))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"indicator_codes": ["turbidity", "unobtainium"]}, "plan_unknown_indicator"),
        ({"indicator_codes": []}, "plan_no_indicators"),
        ({"point_types": []}, "plan_no_point_types"),
        ({"point_types": ["lake"]}, "plan_bad_point_type"),
        ({"frequency": "hourly"}, "plan_bad_frequency"),
        ({"code": "outlet-daily"}, "plan_code_taken"),
        ({"name": ""}, "required"),
    ],
)
def test_a_bad_plan_is_refused(world, change, code):
    before = SamplingPlan.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _plan(world, **change)
    assert refused.value.code == code
    assert SamplingPlan.objects.count() == before


def test_a_plan_is_changed_and_deactivated(world):
    plan = SamplingPlan.objects.get(code="network-twice-monthly")
    with pytest.raises(NotPermitted):
        services.plan_deactivate(actor=world.sampler, plan=plan)
    services.plan_update(
        actor=world.manager,
        plan=plan,
        name="管网水每周",
        indicator_codes=["turbidity"],
        frequency=Frequency.WEEKLY,
        point_types=[PointType.NETWORK],
    )
    plan.refresh_from_db()
    assert (plan.frequency, plan.point_types, plan.indicator_codes) == (
        "weekly",
        ["network"],
        ["turbidity"],
    )
    services.plan_deactivate(actor=world.manager, plan=plan)
    with pytest.raises(IllegalTransition):
        services.plan_deactivate(actor=world.manager, plan=plan)
    samples_schedule(TODAY)
    assert not Sample.objects.filter(plan=plan).exists()


# --- samples --------------------------------------------------------------------------------


@pytest.fixture
def scheduled(world):
    samples_schedule(TODAY)
    return Sample.objects.get(plan__code="outlet-daily")


def test_the_sampler_takes_a_scheduled_sample(world, scheduled):
    taken = services.sample_take(
        actor=world.sampler, sample=scheduled, algal_bloom=True, note="水色正常"
    )
    assert (taken.status, taken.taken_at, taken.taken_by) == ("taken", NOW, world.sampler)
    assert (taken.algal_bloom, taken.edition, taken.note) == (True, world.edition, "水色正常")
    earlier = Sample.objects.get(plan__code="network-twice-monthly", point=world.tap)
    at = NOW - timedelta(hours=2)
    assert services.sample_take(actor=world.manager, sample=earlier, taken_at=at).taken_at == at


def test_sample_take_refusals_write_nothing(world, scheduled):
    with pytest.raises(NotPermitted):
        services.sample_take(actor=world.analyst, sample=scheduled)
    with pytest.raises(InvalidInput) as refused:
        services.sample_take(
            actor=world.sampler, sample=scheduled, taken_at=NOW + timedelta(minutes=5)
        )
    assert refused.value.code == "sample_future"
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.taken_at, scheduled.edition) == ("scheduled", None, None)
    services.sample_take(actor=world.sampler, sample=scheduled)
    with pytest.raises(IllegalTransition) as again:
        services.sample_take(actor=world.sampler, sample=scheduled)
    assert again.value.code == "sample_not_scheduled"


def test_the_manager_cancels_with_a_reason(world, scheduled):
    with pytest.raises(NotPermitted):
        services.sample_cancel(actor=world.sampler, sample=scheduled, reason="停水")
    with pytest.raises(InvalidInput):
        services.sample_cancel(actor=world.manager, sample=scheduled, reason="  ")
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled"
    cancelled = services.sample_cancel(actor=world.manager, sample=scheduled, reason="水厂检修停产")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "水厂检修停产")
    with pytest.raises(IllegalTransition):
        services.sample_take(actor=world.sampler, sample=cancelled)


def test_an_ad_hoc_sample(world):
    sample = services.sample_add(
        actor=world.manager,
        point=world.tap,
        codes=["turbidity", "free_chlorine_outlet", "free_chlorine_tap"],
        note="用户反映水黄",
    )
    assert (sample.reason, sample.due_date, sample.due_by, sample.plan) == (
        SampleReason.AD_HOC,
        TODAY,
        TODAY,
        None,
    )
    assert sample.indicator_codes == ["turbidity", "free_chlorine_tap"]
    assert sample.number.startswith("QS-20261202-")
    for codes, code in (
        (["free_chlorine_outlet"], "sample_no_indicators"),
        (["nothing"], "sample_unknown_indicator"),
        ([], "sample_no_indicators"),
    ):
        with pytest.raises(InvalidInput) as refused:
            services.sample_add(actor=world.manager, point=world.tap, codes=codes)
        assert refused.value.code == code
    with pytest.raises(NotPermitted):
        services.sample_add(actor=world.sampler, point=world.tap, codes=["turbidity"])
    assert Sample.objects.count() == 1


# --- pages ----------------------------------------------------------------------------------


def test_the_overview(world, scheduled):
    Sample.objects.filter(pk=scheduled.pk).update(
        due_date=date(2026, 12, 1), due_by=date(2026, 12, 1)
    )
    page = _client(world.manager).get(reverse("workbench:quality_overview"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "逾期未采 1 个" in text and scheduled.number in text
    assert "今日应采 4 个水样（3 个采样点）" in text
    for name in ("quality_samples", "quality_catalogue", "quality_points", "quality_plans"):
        assert reverse(f"workbench:{name}") in text
    supervisor = UserFactory(username="super", role=Role.SUPERVISOR)
    assert _client(supervisor).get(reverse("workbench:quality_overview")).status_code == 200
    outsider = UserFactory(username="outsider")
    assert _client(outsider).get(reverse("workbench:quality_overview")).status_code == 403
    assert Client().get(reverse("workbench:quality_overview")).status_code == 302


def test_the_overview_shows_the_panels_other_parts_add(world, monkeypatch):
    from waterdesk.quality import views_sampling

    panel = views_sampling.OverviewPanel(
        template="quality/overview/nav.html", context=lambda request: {"n": 1}
    )
    monkeypatch.setattr(views_sampling, "OVERVIEW_PANELS", [])
    views_sampling.overview_panel_register(panel)
    page = _client(world.manager).get(reverse("workbench:quality_overview"))
    assert page.content.decode().count('id="quality-nav"') == 2


def test_the_days_samples_and_taking_one(world, scheduled):
    url = reverse("workbench:quality_samples")
    page = _client(world.sampler).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    take = reverse("workbench:quality_sample_take", args=[scheduled.number])
    assert take in text
    assert reverse("workbench:quality_sample_cancel", args=[scheduled.number]) not in text
    assert 'id="sample-add"' not in text
    # Another day: the schedule without the sampler's buttons.
    other = _client(world.sampler).get(url + "?day=2026-12-01").content.decode()
    assert take not in other and "?day=2026-11-30" in other and "?day=2026-12-02" in other
    done = _client(world.sampler).post(take, {"note": "已采"})
    assert done.status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.taken_by) == (SampleStatus.TAKEN, world.sampler)
    again = _client(world.sampler).post(take, {}, follow=True)
    assert "只有待采样的水样可以执行此操作" in again.content.decode()
    assert _client(world.analyst).post(take, {}).status_code == 403


def test_cancel_and_add_on_the_samples_page(world, scheduled):
    cancel = reverse("workbench:quality_sample_cancel", args=[scheduled.number])
    assert _client(world.sampler).post(cancel, {"reason": "x"}).status_code == 403
    assert _client(world.manager).post(cancel, {"reason": "停产"}).status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.status == SampleStatus.CANCELLED
    add = reverse("workbench:quality_sample_add")
    refused = _client(world.manager).post(add, {"point": world.tap.pk, "codes": ["ozone_outlet"]})
    assert refused.status_code == 400
    assert "所选指标都不适用于该采样点" in refused.content.decode()
    done = _client(world.manager).post(add, {"point": world.tap.pk, "codes": ["turbidity"]})
    assert done.status_code == 302
    assert Sample.objects.filter(reason=SampleReason.AD_HOC, point=world.tap).count() == 1
    assert _client(world.sampler).post(add, {"point": world.tap.pk}).status_code == 403


def test_the_points_pages(world):
    assert _client(world.sampler).get(reverse("workbench:quality_points")).status_code == 200
    new = reverse("workbench:quality_point_new")
    assert _client(world.sampler).get(new).status_code == 403
    assert _client(world.manager).get(new).status_code == 200
    data = {
        "code": "east-out-2",
        "name": "二号出厂水",
        "point_type": "plant_outlet",
        "location": "二号清水池",
        "disinfection": "chlorine",
    }
    refused = _client(world.manager).post(new, data)
    assert refused.status_code == 400
    assert "出厂水采样点须选择所属水厂" in refused.content.decode()
    assert _client(world.manager).post(new, {**data, "plant": world.plant.pk}).status_code == 302
    edit = reverse("workbench:quality_point_edit", args=[world.tap.pk])
    assert _client(world.sampler).get(edit).status_code == 403
    assert _client(world.manager).get(edit).status_code == 200
    data = {
        "name": world.tap.name,
        "point_type": "tap",
        "location": world.tap.location,
        "zone": world.zone.pk,
        "disinfection": "chloramine",
    }
    assert _client(world.manager).post(edit, data).status_code == 302  # unticked: inactive
    world.tap.refresh_from_db()
    assert (world.tap.disinfection, world.tap.is_active) == ("chloramine", False)


def test_the_plans_pages(world):
    page = _client(world.analyst).get(reverse("workbench:quality_plans"))
    assert page.status_code == 200 and "出厂水每日 9 项" in page.content.decode()
    new = reverse("workbench:quality_plan_new")
    assert _client(world.analyst).get(new).status_code == 403
    assert _client(world.manager).get(new).status_code == 200
    data = {"code": "src-monthly", "name": "水源每月", "frequency": "monthly"}
    refused = _client(world.manager).post(new, {**data, "indicator_codes": ["turbidity"]})
    assert refused.status_code == 400
    created = _client(world.manager).post(
        new, {**data, "indicator_codes": ["turbidity"], "point_types": ["tap"]}
    )
    assert created.status_code == 302
    plan = SamplingPlan.objects.get(code="src-monthly")
    edit = reverse("workbench:quality_plan_edit", args=[plan.pk])
    assert _client(world.manager).get(edit).status_code == 200
    changed = _client(world.manager).post(
        edit,
        {
            "name": "末梢每月",
            "frequency": "monthly",
            "indicator_codes": ["turbidity", "color"],
            "point_types": ["tap"],
            "is_active": "on",
        },
    )
    assert changed.status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.indicator_codes, plan.is_active) == (
        "末梢每月",
        ["turbidity", "color"],
        True,
    )


def test_administrators_keep_plants_and_points_in_the_admin(world, administrator):
    administrator.is_staff = True
    administrator.save()
    client = _client(administrator)
    for name in ("samplingpoint", "plant", "qualitypolicy"):
        assert client.get(reverse(f"admin:quality_{name}_changelist")).status_code == 200
    add = reverse("admin:quality_samplingpoint_add")
    refused = client.post(
        add,
        {
            "code": "adm-out",
            "name": "出厂",
            "point_type": "plant_outlet",
            "location": "清水池",
            "disinfection": "chlorine",
            "is_active": "on",
        },
    )
    assert refused.status_code == 200
    assert "出厂水采样点须选择所属水厂" in refused.content.decode()
    assert not SamplingPoint.objects.filter(code="adm-out").exists()
    delete = reverse("admin:quality_samplingpoint_delete", args=[world.tap.pk])
    assert client.get(delete).status_code == 403

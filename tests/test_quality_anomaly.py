"""The anomaly response (R-Q4): a failing plant-outlet sample walked to closure — the anomaly
and the pollution incident opened, round-1 samples at the outlet and every point of the zone,
one notice per customer of the zone; a second failure joins; closing refused until three
passing rounds (a failing round resets the streak), then allowed; the estimate and the
treatment adjustments through the incident."""

from datetime import timedelta

import pytest
import time_machine

from tests.quality_anomaly_support import T0, anomaly_world, confirm
from tests.quality_support import sample_taken
from waterdesk.cases.models import CaseEvent
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.emergency.models import Incident, NoticeRound
from waterdesk.notify.models import Notification
from waterdesk.quality.models import (
    Anomaly,
    Sample,
    SampleReason,
    SampleStatus,
    SamplingPlan,
    TreatmentAdjustment,
)
from waterdesk.quality.services import anomalies as services
from waterdesk.quality.services.schedule import samples_schedule

pytestmark = pytest.mark.django_db


def _sms(notice: NoticeRound) -> list[int]:
    return sorted(
        Notification.objects.filter(batch_key=notice.batch_key, channel="sms").values_list(
            "customer_id", flat=True
        )
    )


def _round(anomaly: Anomaly, number: int) -> list[Sample]:
    return list(anomaly.samples.filter(round_number=number).order_by("point__code"))


def _snapshot(anomaly: Anomaly) -> tuple:
    anomaly.refresh_from_db()
    return (
        anomaly.status,
        anomaly.pass_streak,
        anomaly.follow_up,
        Sample.objects.filter(status=SampleStatus.CANCELLED).count(),
        SamplingPlan.objects.filter(anomaly=anomaly, is_active=True).count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def _pass_round(world, anomaly, number, day):
    with time_machine.travel(day, tick=False):
        for sample in _round(anomaly, number):
            confirm(sample, world=world.quality)
    anomaly.refresh_from_db()


def test_an_anomaly_walked_to_closure(django_capture_on_commit_callbacks):
    world = anomaly_world()
    q = world.quality

    # --- a failing outlet sample opens the anomaly and the pollution incident ----------
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        failing = sample_taken(q.outlet, ["turbidity", "free_chlorine_outlet"])
        confirm(failing, world=q, fail={"turbidity": "3.2"})
    anomaly = Anomaly.objects.get()
    assert anomaly.number == "QA-20261202-0001"
    assert (anomaly.point, anomaly.zone, anomaly.sample, anomaly.pass_streak) == (
        q.outlet,
        q.zone,
        failing,
        0,
    )
    assert anomaly.passes_required == 3
    assert [(row["code"], row["raw"], row["limit"]) for row in anomaly.failures] == [
        ("turbidity", "3.2", "≤ 1")
    ]
    incident = Incident.objects.get()
    assert anomaly.incident == incident.case
    assert (incident.incident_type, incident.level, incident.source) == (
        "pollution",
        3,
        "quality_lab",
    )
    assert incident.plan_version == world.plan
    assert incident.source_reference == "quality:east-out"
    assert incident.expected_restoration_at == T0 + timedelta(hours=24)
    assert incident.started_at == failing.taken_at
    assert "浑浊度 3.2 NTU（限值 ≤ 1）" in incident.description
    assert incident.case.opened_by == q.analyst2
    assert list(incident.case.affected_zones.values_list("zone", flat=True)) == [q.zone.pk]

    # One notice per customer of the zone, none outside.
    first = NoticeRound.objects.get(case=incident.case)
    assert (first.kind, first.customers) == ("announcement", 3)
    assert _sms(first) == world.inside
    assert "请暂停饮用自来水" in first.message

    # Round 1 at once: the outlet and every judged point of the zone (not the source).
    round1 = _round(anomaly, 1)
    assert [sample.point for sample in round1] == [q.network, q.outlet, q.tap]
    assert all(
        (s.reason, s.due_date, s.status) == (SampleReason.FOLLOW_UP, T0.date(), "scheduled")
        for s in round1
    )
    outlet_sample = next(s for s in round1 if s.point == q.outlet)
    tap_sample = next(s for s in round1 if s.point == q.tap)
    assert "turbidity" in outlet_sample.indicator_codes
    assert "free_chlorine_outlet" in outlet_sample.indicator_codes
    assert "free_chlorine_tap" in tap_sample.indicator_codes
    assert "free_chlorine_outlet" not in tap_sample.indicator_codes
    plans = SamplingPlan.objects.filter(anomaly=anomaly)
    assert sorted(plans.values_list("point__code", "frequency", "is_active")) == [
        ("east-net-1", "daily", True),
        ("east-out", "daily", True),
        ("east-tap-1", "daily", True),
    ]
    # The hourly schedule adds no second sample to a plan's day.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        samples_schedule()
    assert anomaly.samples.count() == 3

    # --- a second failure at the outlet joins: no second anomaly nor incident ----------
    with (
        time_machine.travel(T0 + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = sample_taken(q.outlet, ["turbidity"])
        confirm(again, world=q, fail={"turbidity": "2.0"})
    assert Anomaly.objects.count() == 1 and Incident.objects.count() == 1
    anomaly.refresh_from_db()
    assert [row["sample"] for row in anomaly.failures] == [failing.number, again.number]
    assert NoticeRound.objects.filter(case=incident.case).count() == 1

    # --- two passing rounds; closing refused, nothing written ---------------------------
    _pass_round(world, anomaly, 1, T0 + timedelta(hours=6))
    assert anomaly.pass_streak == 1
    assert [s.due_date for s in _round(anomaly, 2)] == [T0.date() + timedelta(days=1)] * 3
    _pass_round(world, anomaly, 2, T0 + timedelta(days=1))
    assert anomaly.pass_streak == 2
    before = _snapshot(anomaly)
    with (
        time_machine.travel(T0 + timedelta(days=1, hours=1), tick=False),
        pytest.raises(InvalidInput) as refused,
    ):
        services.anomaly_close(actor=q.manager, anomaly=anomaly, follow_up="已恢复")
    assert refused.value.code == "passes_missing"
    assert "还需连续合格 1 轮" in str(refused.value.message)
    assert _snapshot(anomaly) == before

    # --- a failing round resets the streak ----------------------------------------------
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        network3, outlet3, tap3 = _round(anomaly, 3)
        confirm(network3, world=q)
        confirm(tap3, world=q, fail={"turbidity": "1.4"})
        anomaly.refresh_from_db()
        assert anomaly.pass_streak == 0
        assert not _round(anomaly, 4)  # the round is not complete yet
        confirm(outlet3, world=q)
    anomaly.refresh_from_db()
    assert anomaly.pass_streak == 0
    assert len(_round(anomaly, 4)) == 3
    assert Anomaly.objects.count() == 1 and Incident.objects.count() == 1

    # --- a new estimate: a notice round through the incident ----------------------------
    with (
        time_machine.travel(T0 + timedelta(days=2, hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.anomaly_estimate_update(
            actor=q.manager,
            anomaly=anomaly,
            expected_restoration_at=T0 + timedelta(days=5),
            note="管网冲洗中",
        )
    update = NoticeRound.objects.get(case=incident.case, number=2)
    assert (update.kind, update.customers) == ("update", 3)
    assert _sms(update) == world.inside
    incident.refresh_from_db()
    assert incident.expected_restoration_at == T0 + timedelta(days=5)

    # --- a treatment adjustment, on the incident's timeline -----------------------------
    with time_machine.travel(T0 + timedelta(days=2, hours=2), tick=False):
        services.anomaly_adjustment_record(
            actor=q.manager, anomaly=anomaly, description="加大混凝剂投加量，延长沉淀时间"
        )
    assert TreatmentAdjustment.objects.get().recorded_by == q.manager
    event = CaseEvent.objects.get(case=incident.case, action="quality_treatment")
    assert (event.note, event.data, event.actor) == (
        "加大混凝剂投加量，延长沉淀时间",
        {"anomaly": anomaly.number},
        q.manager,
    )

    # --- three passing rounds: close allowed --------------------------------------------
    for number, days in ((4, 3), (5, 4), (6, 5)):
        _pass_round(world, anomaly, number, T0 + timedelta(days=days))
    assert anomaly.pass_streak == 3
    assert not _round(anomaly, 7)
    # An extra sample the schedule made, not taken yet: cancelled on closing.
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        samples_schedule()
    extra = anomaly.samples.filter(reason=SampleReason.EXTRA)
    assert extra.count() == 3
    with (
        time_machine.travel(T0 + timedelta(days=6, hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        with pytest.raises(InvalidInput) as empty:
            services.anomaly_close(actor=q.manager, anomaly=anomaly, follow_up=" ")
        assert empty.value.code == "required"
        closed = services.anomaly_close(
            actor=q.manager, anomaly=anomaly, follow_up="沉淀池排泥后出厂水浑浊度稳定在 0.3 NTU。"
        )
    assert closed.incident_restored is True
    anomaly.refresh_from_db()
    assert (anomaly.status, anomaly.closed_by) == ("closed", q.manager)
    assert anomaly.closed_at == T0 + timedelta(days=6, hours=1)
    assert not SamplingPlan.objects.filter(anomaly=anomaly, is_active=True).exists()
    assert set(extra.values_list("status", flat=True)) == {SampleStatus.CANCELLED}
    incident.case.refresh_from_db()
    assert incident.case.status == "restored"
    restoration = NoticeRound.objects.get(case=incident.case, kind="restoration")
    assert _sms(restoration) == world.inside
    # The closed anomaly's plans make no more samples.
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        samples_schedule()
    assert not anomaly.samples.filter(due_date=T0.date() + timedelta(days=7)).exists()


def test_a_passing_sample_or_source_water_opens_nothing(django_capture_on_commit_callbacks):
    world = anomaly_world()
    q = world.quality
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        confirm(sample_taken(q.network, ["turbidity"]), world=q)
        confirm(sample_taken(q.source, ["turbidity"]), world=q, fail={"turbidity": "9"})
    assert not Anomaly.objects.exists() and not Incident.objects.exists()


def test_a_network_failure_raises_its_zone_and_the_incident_is_left_when_refused(
    django_capture_on_commit_callbacks,
):
    world = anomaly_world()
    q = world.quality
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        confirm(sample_taken(q.network, ["turbidity"]), world=q, fail={"turbidity": "2"})
    anomaly = Anomaly.objects.get()
    # The outlet is not in the zone: the network and the tap.
    assert [s.point for s in _round(anomaly, 1)] == [q.network, q.tap]
    # A failure at the tap, a point the anomaly's sampling covers, joins it.
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        confirm(sample_taken(q.tap, ["turbidity"]), world=q, fail={"turbidity": "2"})
    assert Anomaly.objects.count() == 1 and Incident.objects.count() == 1
    # The passing rounds, then the incident is no longer active: the closing
    # leaves it to the emergency office.
    for number in (1, 2, 3):
        _pass_round(world, anomaly, number, T0 + timedelta(days=number - 1, hours=3))
    assert anomaly.pass_streak == 3
    anomaly.incident.status = "restored"
    anomaly.incident.save(update_fields=["status"])
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        closed = services.anomaly_close(actor=q.manager, anomaly=anomaly, follow_up="已恢复")
    assert closed.incident_restored is False
    assert Anomaly.objects.get().status == "closed"


def test_only_the_manager_acts(django_capture_on_commit_callbacks):
    world = anomaly_world()
    q = world.quality
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        confirm(sample_taken(q.network, ["turbidity"]), world=q, fail={"turbidity": "2"})
    anomaly = Anomaly.objects.get()
    with time_machine.travel(T0, tick=False), pytest.raises(NotPermitted):
        services.anomaly_adjustment_record(actor=q.analyst, anomaly=anomaly, description="x")
    assert not TreatmentAdjustment.objects.exists()

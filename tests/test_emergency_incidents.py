"""Incidents (突发事件, R-E2): an incident over a zone walked from activation to review and
close — the plan's checklist as tasks, the people of the level alerted, exactly one notice
per affected customer per round (sensitive customers queued first), escalation, the water
points, the restoration — and the refusals, each writing nothing."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.clients import KeyedAPIClient
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    SupplyZoneFactory,
    UserFactory,
)
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import SensitiveCategory
from waterdesk.emergency import hooks
from waterdesk.emergency.models import (
    ContactTarget,
    DutyShift,
    EmergencyPlan,
    Incident,
    IncidentReview,
    IncidentTask,
    IncidentType,
    Measure,
    NoticeRound,
    PlanContact,
    PlanLevel,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
    WaterPoint,
)
from waterdesk.emergency.services import incident_handling as handling
from waterdesk.emergency.services import incident_review as review
from waterdesk.emergency.services.incident_open import incident_open
from waterdesk.notify.models import Notification
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL_TZ)

# The seeded templates with a context each (tests/test_notify_templates.py): the customer
# notices go on every channel a customer may choose, the staff alert by SMS and e-mail.
TEMPLATE_CONTEXTS = {
    "emergency.incident_notice": {
        "stage": "停水通知",
        "title": "解放路DN600主管爆管",
        "summary": "解放路一主管爆裂，正在抢修。",
        "area": "城北片区",
        "water_points": "人民广场（送水车，8:00-20:00）",
        "expected_restoration": "12月2日 18:00",
    },
    "emergency.incident_restored": {
        "title": "解放路DN600主管爆管",
        "area": "城北片区",
        "restored_at": "12月2日 17:40",
        "summary": "管道已修复。",
    },
    "emergency.incident_cancelled": {
        "title": "解放路DN600主管爆管",
        "area": "城北片区",
        "summary": "经核实为误报。",
    },
    "emergency.incident_alert": {
        "case_number": "YJ-20261202-0001",
        "level": "Ⅲ级（较大）",
        "incident_type": "管道爆裂",
        "title": "解放路DN600主管爆管",
        "area": "城北片区",
        "customers": "1200",
    },
}
TEMPLATE_CHANNELS = {
    "emergency.incident_notice": ("sms", "email", "wechat"),
    "emergency.incident_restored": ("sms", "email", "wechat"),
    "emergency.incident_cancelled": ("sms", "email", "wechat"),
    "emergency.incident_alert": ("sms", "email"),
}


def _staff(username: str, role: str, mobile: str):
    user = UserFactory(username=username, role=role)
    user.staff_profile.mobile = mobile
    user.staff_profile.save()
    return user


@pytest.fixture
def people():
    office = _staff("em-office", Role.EMERGENCY_OFFICE, "13900000001")
    duty = _staff("em-duty", Role.DUTY_MANAGER, "13900000002")
    chief = _staff("em-chief", Role.SUPERVISOR, "13900000003")
    DutyShift.objects.create(
        user=duty, starts_at=T0 - timedelta(hours=8), ends_at=T0 + timedelta(hours=16)
    )
    return {"office": office, "duty": duty, "chief": chief}


@pytest.fixture
def plan(people):
    """The pipe-burst plan in force: a step for every level, one from level Ⅳ, one from
    level Ⅱ; the emergency office and the duty manager called from level Ⅳ, the general
    manager (a named person) from level Ⅱ."""
    emergency_plan = EmergencyPlan.objects.create(
        code="pipe-burst", name="供水管道爆管应急预案", incident_type=IncidentType.PIPE_BURST
    )
    version = PlanVersion.objects.create(
        plan=emergency_plan, number=1, status=PlanVersionStatus.PUBLISHED, published_at=T0
    )
    for level in (1, 2, 3, 4):
        PlanLevel.objects.create(version=version, level=level)
    PlanStep.objects.create(
        version=version,
        position=1,
        title="核实险情并启动响应",
        owner_role=Role.DUTY_MANAGER,
        target_minutes=15,
    )
    PlanStep.objects.create(
        version=version,
        position=2,
        title="关阀隔离爆管段",
        level=4,
        owner_role=Role.DISPATCHER,
        target_minutes=60,
    )
    PlanStep.objects.create(
        version=version,
        position=3,
        title="调派送水车、设立临时供水点",
        level=2,
        owner_role=Role.EMERGENCY_OFFICE,
        target_minutes=120,
    )
    PlanContact.objects.create(
        version=version, level=4, target=ContactTarget.ROLE, role=Role.EMERGENCY_OFFICE
    )
    PlanContact.objects.create(version=version, level=4, target=ContactTarget.DUTY_MANAGER)
    PlanContact.objects.create(
        version=version, level=2, target=ContactTarget.PERSON, user=people["chief"]
    )
    return version


@pytest.fixture
def zone():
    """The northern zone: a hospital, a school, a registered vulnerable household and three
    ordinary customers (one with two accounts); one customer in the east, outside."""
    north = SupplyZoneFactory(code="north", name="城北片区")
    east = SupplyZoneFactory(code="east", name="城东片区")

    def account(zone_, **customer):
        premise = PremiseFactory(zone=zone_, street="解放路", district="城北区")
        return AccountFactory(premise=premise, customer=CustomerFactory(**customer))

    plain = [account(north) for _ in range(3)]
    AccountFactory(customer=plain[0].customer, premise=PremiseFactory(zone=north))
    hospital = account(north, kind="organisation", sensitive_category=SensitiveCategory.HOSPITAL)
    school = account(north, kind="organisation", sensitive_category=SensitiveCategory.SCHOOL)
    vulnerable = account(north, is_vulnerable=True)
    outside = account(east)
    return {
        "north": north,
        "east": east,
        "sensitive": [hospital.customer_id, school.customer_id, vulnerable.customer_id],
        "plain": [a.customer_id for a in plain],
        "outside": outside.customer_id,
    }


def _open(actor, zone, **overrides):
    fields = {
        "actor": actor,
        "incident_type": IncidentType.PIPE_BURST,
        "level": 3,
        "source": "dispatcher",
        "title": "解放路DN600主管爆管",
        "description": "解放路与人民路交叉口DN600主管爆裂，路面大面积积水。",
        "public_summary": "解放路供水主管爆裂，正在紧急抢修。",
        "started_at": T0 - timedelta(minutes=20),
        "zones": [zone["north"]],
        "expected_restoration_at": T0 + timedelta(hours=6),
    }
    return incident_open(**{**fields, **overrides})


def _sms_of(notice: NoticeRound) -> list[Notification]:
    return list(
        Notification.objects.filter(batch_key=notice.batch_key, channel="sms").order_by("pk")
    )


def _snapshot(case: Case) -> tuple:
    """Everything a move writes: a refusal must leave it as it was."""
    incident = Incident.objects.get(case=case)
    return (
        Case.objects.filter(pk=case.pk).values_list("status", "version").get(),
        CaseEvent.objects.filter(case=case).count(),
        Notification.objects.count(),
        NoticeRound.objects.filter(case=case).count(),
        list(WaterPoint.objects.filter(case=case).values_list("pk", "closed_at")),
        list(IncidentTask.objects.filter(incident=incident).values_list("pk", "done_at")),
        (incident.level, incident.expected_restoration_at, incident.restored_at),
        list(case.affected_zones.values_list("zone_id", flat=True)),
        IncidentReview.objects.count(),
    )


def _refused(case: Case, code: str, service, **kwargs) -> None:
    before = _snapshot(case)
    with pytest.raises(InvalidInput) as refused:
        service(case=case, **kwargs)
    assert refused.value.code == code
    assert _snapshot(case) == before


def test_an_incident_walked_from_activation_to_review_and_close(
    people, plan, zone, monkeypatch, django_capture_on_commit_callbacks
):
    office, duty, chief = people["office"], people["duty"], people["chief"]
    everyone = [*zone["sensitive"], *zone["plain"]]
    restored_heard = []
    monkeypatch.setitem(
        hooks._RESTORED, "test", lambda **kwargs: restored_heard.append(kwargs["at"])
    )

    # --- activation -------------------------------------------------------------------
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = _open(duty, zone)
    incident = Incident.objects.get(case=case)
    assert case.number.startswith("YJ-20261202-")
    assert (case.kind, case.status, case.customer, case.opened_by) == (
        "incident",
        "active",
        None,
        duty,
    )
    assert case.department == duty.staff_profile.department
    assert incident.plan_version == plan
    # The level Ⅲ checklist: the step of every level and the one from level Ⅳ.
    assert list(incident.tasks.values_list("position", "title", "owner_role", "due_at")) == [
        (1, "核实险情并启动响应", Role.DUTY_MANAGER, T0 + timedelta(minutes=15)),
        (2, "关阀隔离爆管段", Role.DISPATCHER, T0 + timedelta(minutes=60)),
    ]
    # The level's people alerted at once, urgent: the office by role, the duty manager on
    # the roster; the general manager (level Ⅱ) not yet.
    alerts = Notification.objects.filter(template_key="emergency.incident_alert", channel="sms")
    assert sorted(alerts.values_list("recipient_address", flat=True)) == [
        "13900000001",
        "13900000002",
    ]
    assert all(alert.is_urgent for alert in alerts)
    assert "Ⅲ级" in alerts.first().body and case.number in alerts.first().body

    # The first notice: every customer of the zone once, sensitive first, not the east.
    first = NoticeRound.objects.get(case=case)
    assert (first.number, first.kind, first.customers, first.sensitive_customers) == (
        1,
        "announcement",
        6,
        3,
    )
    sms = _sms_of(first)
    assert [row.customer_id for row in sms] == everyone
    assert all(row.is_urgent and row.status == "sent" for row in sms)
    assert first.message == (
        "【城市水务】停水通知：解放路DN600主管爆管。解放路供水主管爆裂，正在紧急抢修。"
        "影响范围：城北片区。预计12月2日 15:00恢复供水。请提前储水，给您带来不便敬请谅解。"
    )

    # --- refusals while active: nothing written --------------------------------------
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        _refused(
            case,
            "expected_restoration_past",
            handling.incident_update,
            actor=duty,
            expected_restoration_at=T0,
        )
        _refused(
            case,
            "area_no_customers",
            handling.incident_area,
            actor=duty,
            streets=[("城东区", "无此路")],
        )
        _refused(case, "tasks_open", review.incident_close, actor=office)

    # --- escalation to level Ⅱ: its further step and person -------------------------
    escalated_at = T0 + timedelta(minutes=30)
    with (
        time_machine.travel(escalated_at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handling.incident_escalate(actor=duty, case=case, level=2, reason="影响范围扩大")
    incident.refresh_from_db()
    assert incident.level == 2
    third = incident.tasks.get(position=3)
    assert (third.title, third.due_at) == (
        "调派送水车、设立临时供水点",
        escalated_at + timedelta(hours=2),
    )
    assert incident.tasks.count() == 3
    assert sorted(alerts.values_list("recipient_address", flat=True)) == [
        "13900000001",
        "13900000002",
        "13900000003",
    ]
    escalation = CaseEvent.objects.get(case=case, action="incident_escalate")
    assert (escalation.data["from"], escalation.data["to"], escalation.note) == (
        3,
        2,
        "影响范围扩大",
    )

    # --- a new estimate: round 2 to everyone ----------------------------------------
    with (
        time_machine.travel(T0 + timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handling.incident_update(
            actor=duty,
            case=case,
            expected_restoration_at=T0 + timedelta(hours=8),
            note="抢修难度较大，恢复时间推迟。",
        )
    update = NoticeRound.objects.get(case=case, number=2)
    assert (update.kind, update.customers) == ("update", 6)
    assert [row.customer_id for row in _sms_of(update)] == everyone
    assert "预计12月2日 17:00恢复供水" in update.message
    assert "抢修难度较大" in update.message

    # --- a water point: round 3 tells where to get water ------------------------------
    with (
        time_machine.travel(T0 + timedelta(minutes=90), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handling.incident_water_point_add(
            actor=office,
            case=case,
            address="人民广场东门",
            opening_hours="8:00-22:00",
            supplies="送水车",
        )
    points = NoticeRound.objects.get(case=case, number=3)
    assert [row.customer_id for row in _sms_of(points)] == everyone
    assert "临时供水点：人民广场东门（送水车，8:00-22:00）" in points.message

    # --- the checklist: done one by one; closing before the restoration is refused ----
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        for task in incident.tasks.order_by("position"):
            handling.incident_task_done(actor=office, case=case, task=task, note="已落实")
        _refused(
            case,
            "task_done_already",
            handling.incident_task_done,
            actor=office,
            task=incident.tasks.first(),
        )
        _refused(case, "restoration_required", review.incident_close, actor=office)
    assert incident.tasks.filter(done_at__isnull=True).count() == 0

    # --- restoration: round 4, the points closed, the listeners heard ----------------
    restored_at = T0 + timedelta(hours=7, minutes=40)
    with (
        time_machine.travel(T0 + timedelta(hours=8), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = handling.incident_restore(
            actor=duty, case=case, restored_at=restored_at, note="管道已修复，水质检测合格。"
        )
    assert case.status == "restored"
    restoration = NoticeRound.objects.get(case=case, number=4)
    assert restoration.kind == "restoration"
    assert [row.customer_id for row in _sms_of(restoration)] == everyone
    assert "已于12月2日 16:40恢复供水" in restoration.message
    assert WaterPoint.objects.get(case=case).closed_at == T0 + timedelta(hours=8)
    assert restored_heard == [restored_at]
    assert SlaClock.objects.get(case=case, milestone="review").state == "running"

    # Exactly one SMS per affected customer per round; nobody outside the area.
    for notice in NoticeRound.objects.filter(case=case):
        customers = [row.customer_id for row in _sms_of(notice)]
        assert sorted(customers) == sorted(everyone), notice.number
    assert not Notification.objects.filter(customer_id=zone["outside"]).exists()
    assert (
        Notification.objects.filter(case=case, channel="sms", customer__isnull=False).count() == 24
    )

    # --- review and close -----------------------------------------------------------
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _refused(case, "review_required", review.incident_close, actor=office)
        review.incident_review(
            actor=office,
            case=case,
            causes="管道老化，夜间压力波动。",
            went_well="重点用户首轮全部通知到位。",
            went_badly="送水车调派用时超出预案时限。",
            measures=[
                {
                    "description": "更新解放路段老旧管道",
                    "owner": chief,
                    "deadline": date(2027, 3, 31),
                }
            ],
        )
        case = review.incident_close(actor=office, case=case, note="复盘完成")
    assert case.status == "closed" and case.closed_at is not None
    assert Measure.objects.get(review__incident=incident).description == "更新解放路段老旧管道"
    assert SlaClock.objects.get(case=case, milestone="review").state == "met"
    assert list(
        CaseEvent.objects.filter(case=case).order_by("at", "pk").values_list("action", flat=True)
    ) == [
        "open",
        "incident_escalate",
        "incident_update",
        "incident_water_point_add",
        "incident_task_done",
        "incident_task_done",
        "incident_task_done",
        "incident_restore",
        "incident_review",
        "incident_close",
    ]
    opened = CaseEvent.objects.get(case=case, action="open")
    assert (opened.data["level"], opened.data["customers"], opened.data["sensitive"]) == (3, 6, 3)


@time_machine.travel(T0, tick=False)
def test_opening_refuses_a_bad_area_or_time_and_writes_nothing(people, plan, zone):
    duty = people["duty"]
    before = (Case.objects.count(), Notification.objects.count(), CaseEvent.objects.count())
    cases = [
        ({"zones": [], "streets": [("城东区", "无此路")]}, "area_no_customers"),
        ({"zones": []}, "area_required"),
        ({"expected_restoration_at": T0 - timedelta(minutes=1)}, "expected_restoration_past"),
        ({"started_at": T0 + timedelta(minutes=5)}, "time_in_future"),
        ({"level": 7}, "invalid_level"),
    ]
    for overrides, code in cases:
        with pytest.raises(InvalidInput) as refused:
            _open(duty, zone, **overrides)
        assert refused.value.code == code
    assert (Case.objects.count(), Notification.objects.count(), CaseEvent.objects.count()) == before
    with pytest.raises(NotPermitted):
        _open(UserFactory(role=Role.METER_READER), zone)


@time_machine.travel(T0, tick=False)
def test_the_same_source_reference_joins_the_active_incident(people, plan, zone):
    lab = people["office"]
    first = _open(lab, zone, source="quality_lab", source_reference="WQ-20261202-07")
    rounds = NoticeRound.objects.count()
    again = _open(lab, zone, source="quality_lab", source_reference="WQ-20261202-07")
    assert again == first
    assert (Case.objects.filter(kind="incident").count(), NoticeRound.objects.count()) == (
        1,
        rounds,
    )


@time_machine.travel(T0, tick=False)
def test_a_false_alarm_is_cancelled_with_a_notice_to_those_told(
    people, plan, zone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = _open(people["duty"], zone)
        case = handling.incident_cancel(actor=people["duty"], case=case, reason="经核实为误报")
    assert case.status == "cancelled"
    cancellation = NoticeRound.objects.get(case=case, number=2)
    assert cancellation.kind == "cancellation"
    assert len(_sms_of(cancellation)) == 6
    assert "原通知撤销" in cancellation.message


@time_machine.travel(T0, tick=False)
def test_the_pages_and_the_api(people, plan, zone, client, django_capture_on_commit_callbacks):
    office = people["office"]
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("workbench:incident_new"),
            {
                "incident_type": "pipe_burst",
                "level": "3",
                "source": "supervisor",
                "title": "解放路主管爆管",
                "description": "主管爆裂",
                "public_summary": "解放路供水主管爆裂，正在抢修。",
                "started_at": "2026-12-02T08:40",
                "expected_restoration_at": "2026-12-02T18:00",
                "zones": [str(zone["north"].pk)],
                "water_point_address": "人民广场",
                "water_point_hours": "8:00-20:00",
                "water_point_supplies": "桶装水",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(kind="incident")
    assert response["Location"] == reverse("workbench:case", args=[case.public_id])
    assert WaterPoint.objects.get(case=case).address == "人民广场"
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "核实险情并启动响应" in text and "人民广场" in text and 'id="incident-notices"' in text
    board = client.get(reverse("workbench:emergency_board"))
    assert board.status_code == 200 and case.number in board.content.decode()
    # The emergency office lands on the board.
    assert client.get(reverse("workbench:home"))["Location"] == reverse("workbench:emergency_board")

    # An area without customers on the page: the form again, with the reason.
    west = SupplyZoneFactory(code="west", name="城西片区")  # no premise yet
    refused = client.post(
        reverse("workbench:incident_new"),
        {
            "incident_type": "pipe_burst",
            "level": "3",
            "source": "supervisor",
            "title": "误选",
            "description": "误选",
            "public_summary": "误选",
            "started_at": "2026-12-02T08:40",
            "zones": [str(west.pk)],
        },
    )
    assert refused.status_code == 400
    assert "所选范围内没有用水客户" in refused.content.decode()

    api = KeyedAPIClient()
    api.force_authenticate(office)
    answer = api.post(
        reverse("api:case-action-incident_update", args=[case.public_id]),
        {"expected_restoration_at": "2026-12-02T08:00:00+08:00"},
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["code"] == "expected_restoration_past"
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            reverse("api:incident"),
            {
                "incident_type": "pollution",
                "level": 4,
                "source": "quality_lab",
                "title": "城北水厂出厂水浊度超标",
                "description": "出厂水浊度1.5NTU",
                "public_summary": "城北水厂出厂水浊度超标，请暂停饮用。",
                "started_at": "2026-12-02T08:30:00+08:00",
                "zones": ["north"],
                "source_reference": "WQ-1",
            },
            format="json",
        )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["incident"]["notice_rounds"][0]["customers"] == 6

    # The checklist ticked off inline, the restoration confirmed on the page: the review's
    # form is offered next.
    for task in IncidentTask.objects.filter(incident__case=case):
        done = client.post(
            reverse("workbench:case_action", args=[case.public_id, "incident_task_done"]),
            {"incident_task_done-task": task.pk},
        )
        assert done.status_code == 302
    assert not IncidentTask.objects.filter(incident__case=case, done_at=None).exists()
    with django_capture_on_commit_callbacks(execute=True):
        restored = client.post(
            reverse("workbench:case_action", args=[case.public_id, "incident_restore"]),
            {"incident_restore-restored_at": "2026-12-02T08:55", "incident_restore-note": "已修复"},
        )
    assert restored.status_code == 302
    text = client.get(restored["Location"]).content.decode()
    assert 'name="incident_review-causes"' in text and 'id="incident-restored"' in text


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_the_incident_templates_use_every_variable(key):
    from django.template import Context, Engine

    from waterdesk.notify.models import NotificationTemplate

    context = TEMPLATE_CONTEXTS[key]
    templates = NotificationTemplate.objects.filter(key=key)
    assert sorted(templates.values_list("channel", flat=True)) == sorted(TEMPLATE_CHANNELS[key])
    for template in templates:
        source = template.subject + "\n" + template.body
        text = Engine.get_default().from_string(source).render(Context(context, autoescape=False))
        for name, value in context.items():
            assert value in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
        else:
            assert template.subject

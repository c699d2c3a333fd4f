"""Planned outages (计划停水): announced at least 24 hours ahead (OutagePolicy), refused inside
that window unless a duty manager approves an emergency reason, reminded once before the
start, overruns told with the new time, restoration and cancellation told; exactly one
message per affected customer and channel per round. Time is pinned everywhere."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.template import Context, Engine
from django.test import Client
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
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import NoticeRound, OutagePolicy, PlannedOutage, WaterPoint
from waterdesk.emergency.services import outages as services
from waterdesk.emergency.tasks import outage_reminders
from waterdesk.notify.models import Notification, NotificationTemplate
from waterdesk.sla.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.emergency_outages_urls")]

# A Wednesday morning, outside the SMS quiet hours.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
WORKS = "解放路DN300供水管道改造"

# The notices' templates with a realistic context (tests/test_notify_templates.py): every
# key on SMS, e-mail and WeChat (the customers' chosen channels), except the duty managers'
# alert (SMS and e-mail).
TEMPLATE_CONTEXTS = {
    "emergency.outage_notice": {
        "works": WORKS,
        "starts_at": "12月3日 09:00",
        "ends_at": "12月3日 18:00",
        "area": "城北片区、城东区人民路",
        "water_points": "人民广场（送水车，8:00-20:00）",
    },
    "emergency.outage_reminder": {
        "works": WORKS,
        "starts_at": "12月3日 09:00",
        "ends_at": "12月3日 18:00",
        "area": "城北片区",
        "water_points": "人民广场（送水车，8:00-20:00）",
    },
    "emergency.outage_overrun": {
        "works": WORKS,
        "ends_at": "12月3日 22:00",
        "reason": "管道接口渗漏",
        "area": "城北片区",
        "water_points": "人民广场（送水车，8:00-20:00）",
    },
    "emergency.outage_restored": {
        "works": WORKS,
        "restored_at": "12月3日 17:40",
        "area": "城北片区、城东区人民路",
    },
    "emergency.outage_cancelled": {
        "works": WORKS,
        "starts_at": "12月3日 09:00",
        "reason": "施工计划调整",
        "area": "城北片区",
    },
}
STAFF_TEMPLATE_CONTEXTS = {
    "emergency.outage_approval": {
        "case_number": "JH-20261202-0001",
        "works": WORKS,
        "starts_at": "12月3日 09:00",
        "customers": "1250",
        "reason": "主管道渗漏须尽快更换",
    },
}


def render(source: str, context: dict) -> str:
    return Engine.get_default().from_string(source).render(Context(context, autoescape=False))


@pytest.mark.parametrize("key", sorted({**TEMPLATE_CONTEXTS, **STAFF_TEMPLATE_CONTEXTS}))
def test_every_notice_is_seeded_and_filled_in(key):
    context = {**TEMPLATE_CONTEXTS, **STAFF_TEMPLATE_CONTEXTS}[key]
    templates = NotificationTemplate.objects.filter(key=key)
    channels = ["email", "sms", "wechat"] if key in TEMPLATE_CONTEXTS else ["email", "sms"]
    assert sorted(templates.values_list("channel", flat=True)) == channels
    for template in templates:
        text = render(template.subject + "\n" + template.body, context)
        for name, value in context.items():
            assert value in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140, len(text.strip())
        else:
            assert template.subject


def test_without_water_points_the_notice_does_not_mention_them():
    sms = NotificationTemplate.objects.get(key="emergency.outage_notice", channel="sms")
    text = render(sms.body, {**TEMPLATE_CONTEXTS["emergency.outage_notice"], "water_points": ""})
    assert "临时供水点" not in text


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(db):
    return {
        "office": UserFactory(username="ops", role=Role.EMERGENCY_OFFICE),
        "duty": UserFactory(username="duty", role=Role.DUTY_MANAGER),
        "hotline": UserFactory(username="agent", role=Role.HOTLINE_AGENT),
    }


@pytest.fixture
def area(db):
    """Three customers in the northern zone (one a hospital), one outside it."""
    north = SupplyZoneFactory(code="north", name="城北片区")
    east = SupplyZoneFactory(code="east", name="城东片区")
    inside = [
        AccountFactory(premise=PremiseFactory(zone=north), customer=CustomerFactory(**fields))
        for fields in ({"sensitive_category": "hospital"}, {}, {"notice_channels": ["sms"]})
    ]
    outside = AccountFactory(premise=PremiseFactory(zone=east, district="城东区"))
    return {"north": north, "east": east, "inside": inside, "outside": outside}


def schedule(actor, area, *, hours: float = 25, length: float = 9, **fields):
    starts_at = NOW + timedelta(hours=hours)
    arguments = {
        "works": WORKS,
        "public_summary": "解放路供水管道改造，城北片区停水。",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=length),
        "zones": [area["north"]],
        "water_points": [
            {"address": "人民广场", "opening_hours": "8:00-20:00", "supplies": "送水车"}
        ],
        **fields,
    }
    return services.outage_schedule(actor=actor, **arguments)


def sms_of(case, template: str) -> list[Notification]:
    return list(
        Notification.objects.filter(case=case, template_key=template, channel="sms").order_by("pk")
    )


def customers_of(notifications) -> list[int]:
    return sorted(notification.customer_id for notification in notifications)


def inside_ids(area) -> list[int]:
    return sorted(account.customer_id for account in area["inside"])


def nothing_written():
    assert not Case.objects.filter(kind="outage").exists()
    assert not PlannedOutage.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not NoticeRound.objects.exists()
    assert not WaterPoint.objects.exists()
    assert not Notification.objects.exists()


# --- the notice window ------------------------------------------------------------------


def test_the_policy_is_seeded():
    policy = OutagePolicy.objects.get()
    assert (policy.notice_hours, policy.reminder_hours) == (24, 2)


def test_25_hours_ahead_is_announced_with_one_sms_per_affected_customer(
    pinned, people, area, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = schedule(people["office"], area, hours=25)

    outage = case.outage
    assert case.number.startswith("JH-20261202-")
    assert case.status == "announced"
    assert (outage.announced_at, outage.reminded_at, outage.approved_by) == (NOW, None, None)
    notice = NoticeRound.objects.get(case=case)
    assert (notice.number, notice.kind, notice.customers, notice.sensitive_customers) == (
        1,
        "announcement",
        3,
        1,
    )
    sms = sms_of(case, "emergency.outage_notice")
    assert customers_of(sms) == inside_ids(area)
    # The hospital first; every message the same words, sent at once (10:00).
    assert sms[0].customer_id == area["inside"][0].customer_id
    assert {message.body for message in sms} == {notice.message}
    assert notice.message == (
        "【城市水务】停水通知：因解放路DN300供水管道改造，12月3日 11:00至12月3日 20:00"
        "城北片区停止供水，请提前储水。临时供水点：人民广场（送水车，8:00-20:00）。"
        "如有疑问请致电供水服务热线。"
    )
    assert {message.status for message in sms} == {"sent"}
    assert not Notification.objects.filter(customer=area["outside"].customer).exists()
    # The customers who chose e-mail too get it on that channel as well (each once).
    emails = Notification.objects.filter(case=case, channel="email")
    assert customers_of(emails) == sorted(inside_ids(area)[:2])
    assert list(case.events.values_list("action", "to_status")) == [("open", "announced")]
    assert not SlaClock.objects.filter(case=case).exists()


def test_23_hours_ahead_without_a_reason_is_refused_and_nothing_written(pinned, people, area):
    with pytest.raises(InvalidInput) as refused:
        schedule(people["office"], area, hours=23)

    assert refused.value.code == "short_notice"
    assert refused.value.field == "starts_at"
    assert "24 小时" in str(refused.value.message)
    assert "12月3日 10:00" in str(refused.value.message)  # the earliest start without approval
    assert "值班主任" in str(refused.value.message)
    nothing_written()


def test_23_hours_ahead_with_a_reason_waits_for_a_duty_manager_then_is_announced(
    pinned, people, area, django_capture_on_commit_callbacks, settings
):
    settings.WATERDESK_EMAIL_ENABLED = True
    reason = "主管道渗漏，须尽快更换"
    with django_capture_on_commit_callbacks(execute=True):
        case = schedule(people["office"], area, hours=23, short_notice_reason=reason)

    assert case.status == "awaiting_approval"
    assert case.outage.short_notice_reason == reason
    assert case.outage.announced_at is None
    # No customer is told; the duty manager is (by e-mail: no mobile on the profile).
    assert not Notification.objects.filter(customer__isnull=False).exists()
    alert = Notification.objects.get(template_key="emergency.outage_approval")
    assert alert.recipient_user == people["duty"]
    assert alert.is_urgent
    assert reason in alert.body and "3户" in alert.body
    assert SlaClock.objects.get(case=case, milestone="approve").stopped_at is None

    # The emergency office may not approve; nor may the duty manager approve their own.
    with pytest.raises(NotPermitted):
        services.outage_approve(actor=people["office"], case=case)
    assert not services.outage_may_approve(case, people["office"])
    assert services.outage_may_approve(case, people["duty"])

    with django_capture_on_commit_callbacks(execute=True):
        case = services.outage_approve(actor=people["duty"], case=case, note="同意")

    outage = PlannedOutage.objects.get(case=case)
    assert case.status == "announced"
    assert (outage.approved_by, outage.approved_at, outage.announced_at) == (
        people["duty"],
        NOW,
        NOW,
    )
    assert customers_of(sms_of(case, "emergency.outage_notice")) == inside_ids(area)
    assert SlaClock.objects.get(case=case, milestone="approve").stopped_at == NOW
    event = case.events.get(action="outage_approve")
    assert (event.note, event.data["customers"], event.data["round"]) == ("同意", 3, 1)


def test_a_duty_manager_does_not_approve_the_outage_they_scheduled(pinned, people, area):
    case = schedule(people["duty"], area, hours=5, short_notice_reason="抢修后须停水复核")
    assert not services.outage_may_approve(case, people["duty"])
    with pytest.raises(NotPermitted) as refused:
        services.outage_approve(actor=people["duty"], case=case)
    assert refused.value.code == "own_outage"
    assert Case.objects.get(pk=case.pk).status == "awaiting_approval"


def test_an_approval_after_the_start_is_refused(pinned, people, area):
    case = schedule(people["office"], area, hours=2, short_notice_reason="紧急抢修")
    pinned.shift(timedelta(hours=3))
    with pytest.raises(InvalidInput) as refused:
        services.outage_approve(actor=people["duty"], case=case)
    assert refused.value.code == "outage_start_passed"
    assert Case.objects.get(pk=case.pk).status == "awaiting_approval"
    assert not NoticeRound.objects.exists()


def test_a_refused_outage_ends_without_any_customer_told(pinned, people, area):
    case = schedule(people["office"], area, hours=10, short_notice_reason="施工队只在明天有空")
    case = services.outage_refuse(actor=people["duty"], case=case, reason="理由不属紧急情况")
    assert case.status == "refused"
    assert case.closed_at == NOW
    assert not Notification.objects.filter(customer__isnull=False).exists()
    assert SlaClock.objects.get(case=case).state == "cancelled"


# --- before the start: the reminder -----------------------------------------------------


def test_the_reminder_goes_once_even_when_the_task_runs_twice(
    pinned, people, area, django_capture_on_commit_callbacks
):
    case = schedule(people["office"], area, hours=25)
    pinned.move_to(NOW + timedelta(hours=22))  # three hours before: not yet
    assert outage_reminders() == []

    pinned.move_to(NOW + timedelta(hours=23, minutes=5))  # 1 h 55 min before the start
    with django_capture_on_commit_callbacks(execute=True):
        assert outage_reminders() == [case.number]
        assert outage_reminders() == []

    reminders = sms_of(case, "emergency.outage_reminder")
    assert customers_of(reminders) == inside_ids(area)
    assert "12月3日 11:00起停水" in reminders[0].body
    outage = PlannedOutage.objects.get(case=case)
    assert outage.reminded_at == NOW + timedelta(hours=23, minutes=5)
    assert list(NoticeRound.objects.filter(case=case).values_list("kind", flat=True)) == [
        "announcement",
        "reminder",
    ]
    assert case.events.filter(action="outage_remind").count() == 1


def test_an_outage_announced_inside_the_reminder_time_is_not_reminded_again(pinned, people, area):
    case = schedule(people["office"], area, hours=1.5, short_notice_reason="爆管抢修须关阀")
    services.outage_approve(actor=people["duty"], case=case)
    assert PlannedOutage.objects.get(case=case).reminded_at == NOW
    pinned.shift(timedelta(minutes=10))
    assert outage_reminders() == []
    assert not sms_of(case, "emergency.outage_reminder")


# --- after the start: overrun, restoration; before it: cancellation ---------------------


def test_an_overrun_tells_each_customer_once_the_new_time(
    pinned, people, area, django_capture_on_commit_callbacks
):
    case = schedule(people["office"], area, hours=25, length=9)  # 11:00 to 20:00 tomorrow
    pinned.move_to(NOW + timedelta(hours=30))
    new_end = NOW + timedelta(hours=37)  # 23:00
    with django_capture_on_commit_callbacks(execute=True):
        case = services.outage_overrun(
            actor=people["office"], case=case, ends_at=new_end, reason="管道接口渗漏"
        )

    outage = PlannedOutage.objects.get(case=case)
    assert case.status == "announced"
    assert (outage.ends_at, outage.planned_ends_at) == (new_end, NOW + timedelta(hours=34))
    overrun = sms_of(case, "emergency.outage_overrun")
    assert customers_of(overrun) == inside_ids(area)
    assert all(message.is_urgent for message in overrun)
    assert "推迟至12月3日 23:00" in overrun[0].body
    assert "管道接口渗漏" in overrun[0].body
    notice = NoticeRound.objects.get(case=case, kind="overrun")
    assert notice.expected_restoration_at == new_end
    event = case.events.get(action="outage_overrun")
    assert (event.data["from"], event.data["to"]) == ("12月3日 20:00", "12月3日 23:00")

    with pytest.raises(InvalidInput) as not_later:
        services.outage_overrun(
            actor=people["office"], case=case, ends_at=new_end, reason="再次延长"
        )
    assert not_later.value.code == "overrun_not_later"
    with pytest.raises(InvalidInput) as past:
        services.outage_overrun(
            actor=people["office"], case=case, ends_at=NOW + timedelta(hours=29), reason="x"
        )
    assert past.value.code == "expected_restoration_past"
    assert NoticeRound.objects.filter(case=case).count() == 2


def test_the_restoration_is_told_and_closes_the_case(
    pinned, people, area, django_capture_on_commit_callbacks
):
    case = schedule(people["office"], area, hours=25)
    pinned.move_to(NOW + timedelta(hours=33))
    with pytest.raises(InvalidInput) as early:
        services.outage_restore(
            actor=people["office"], case=case, restored_at=NOW + timedelta(hours=24)
        )
    assert early.value.code == "restored_before_start"
    with pytest.raises(InvalidInput) as future:
        services.outage_restore(
            actor=people["office"], case=case, restored_at=NOW + timedelta(hours=34)
        )
    assert future.value.code == "restored_in_future"

    restored_at = NOW + timedelta(hours=32, minutes=40)
    with django_capture_on_commit_callbacks(execute=True):
        case = services.outage_restore(actor=people["office"], case=case, restored_at=restored_at)

    assert case.status == "restored"
    assert case.closed_at == NOW + timedelta(hours=33)
    assert PlannedOutage.objects.get(case=case).restored_at == restored_at
    restoration = sms_of(case, "emergency.outage_restored")
    assert customers_of(restoration) == inside_ids(area)
    assert "已于12月3日 18:40恢复供水" in restoration[0].body
    assert WaterPoint.objects.get(case=case).closed_at == restored_at
    with pytest.raises(IllegalTransition):
        services.outage_cancel(actor=people["office"], case=case, reason="x")


def test_a_cancellation_is_told_only_when_the_outage_had_been_announced(
    pinned, people, area, django_capture_on_commit_callbacks
):
    announced = schedule(people["office"], area, hours=25)
    waiting = schedule(people["office"], area, hours=5, short_notice_reason="紧急换阀")
    with django_capture_on_commit_callbacks(execute=True):
        announced = services.outage_cancel(
            actor=people["office"], case=announced, reason="施工计划调整"
        )
        waiting = services.outage_cancel(actor=people["office"], case=waiting, reason="改为夜间")

    assert (announced.status, waiting.status) == ("cancelled", "cancelled")
    cancelled = sms_of(announced, "emergency.outage_cancelled")
    assert customers_of(cancelled) == inside_ids(area)
    assert "原定12月3日 11:00起城北片区的停水" in cancelled[0].body
    assert not NoticeRound.objects.filter(case=waiting).exists()
    assert not WaterPoint.objects.filter(closed_at__isnull=True).exists()


def test_an_outage_under_way_is_not_cancelled(pinned, people, area):
    case = schedule(people["office"], area, hours=25)
    pinned.move_to(NOW + timedelta(hours=26))
    with pytest.raises(InvalidInput) as refused:
        services.outage_cancel(actor=people["office"], case=case, reason="x")
    assert refused.value.code == "outage_started"
    assert Case.objects.get(pk=case.pk).status == "announced"


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"hours": 25, "length": -1}, "end_before_start", "ends_at"),
        ({"hours": 25, "length": 0}, "end_before_start", "ends_at"),
        ({"hours": -1}, "start_in_past", "starts_at"),
        ({"hours": 25, "zones": []}, "area_required", "zones"),
        ({"hours": 25, "works": " "}, "required", "works"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(pinned, people, area, fields, code, field):
    with pytest.raises(InvalidInput) as refused:
        schedule(people["office"], area, **fields)
    assert (refused.value.code, refused.value.field) == (code, field)
    nothing_written()


def test_an_area_without_customers_is_refused(pinned, people, area):
    empty = SupplyZoneFactory(code="west", name="城西片区")
    with pytest.raises(InvalidInput) as refused:
        schedule(people["office"], area, zones=[empty], streets=[("城东区", "无此路")])
    assert refused.value.code == "area_no_customers"
    nothing_written()


def test_who_may_schedule(pinned, people, area):
    with pytest.raises(NotPermitted):
        schedule(people["hotline"], area)
    nothing_written()


# --- pages and API ----------------------------------------------------------------------


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(area, *, hours: float, **fields) -> dict:
    starts_at = NOW + timedelta(hours=hours)
    return {
        "works": WORKS,
        "public_summary": "城北片区停水",
        "starts_at": f"{starts_at:%Y-%m-%dT%H:%M}",
        "ends_at": f"{starts_at + timedelta(hours=8):%Y-%m-%dT%H:%M}",
        "zones": [area["north"].pk],
        "water_points": "人民广场｜8:00-20:00｜送水车",
        **fields,
    }


def test_the_scheduling_page_announces_or_refuses_with_the_reason(pinned, people, area):
    client = _login(people["office"])
    page = client.get(reverse("workbench:outage_new"))
    assert page.status_code == 200
    assert "12月3日 10:00" in page.content.decode()  # the earliest start without approval

    refused = client.post(reverse("workbench:outage_new"), _form(area, hours=23))
    assert refused.status_code == 400
    assert "经值班主任批准" in refused.content.decode()
    nothing_written()

    done = client.post(reverse("workbench:outage_new"), _form(area, hours=25), follow=True)
    case = Case.objects.get(kind="outage")
    assert done.redirect_chain[-1][0] == reverse("workbench:case", args=[case.public_id])
    text = done.content.decode()
    assert case.number in text and "停水通知已发送" in text
    assert "城北片区" in text and "人民广场（送水车，8:00-20:00）" in text
    assert 'id="action-outage_overrun"' in text and 'id="action-outage_cancel"' in text
    assert WaterPoint.objects.get(case=case).supplies == "送水车"


def test_the_list_highlights_what_waits_for_the_duty_manager(pinned, people, area):
    waiting = schedule(people["office"], area, hours=5, short_notice_reason="紧急换阀")
    announced = schedule(people["office"], area, hours=30)

    page = _login(people["duty"]).get(reverse("workbench:outages"))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="outages-awaiting-alert"' in text
    assert text.index(waiting.number) < text.index(announced.number)
    assert "3 户（重点 1）" in text

    office_page = _login(people["office"]).get(reverse("workbench:outages")).content.decode()
    assert 'id="outages-awaiting-alert"' not in office_page
    assert _login(people["hotline"]).get(reverse("workbench:outages")).status_code == 403


def test_the_duty_manager_approves_on_the_case_page(pinned, people, area):
    case = schedule(people["office"], area, hours=5, short_notice_reason="紧急换阀")
    client = _login(people["duty"])
    page = client.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert 'id="action-outage_approve"' in page and "尚未通知任何客户" in page
    office_page = _login(people["office"]).get(reverse("workbench:case", args=[case.public_id]))
    assert 'id="action-outage_approve"' not in office_page.content.decode()

    response = client.post(
        reverse("workbench:case_action", args=[case.public_id, "outage_approve"]),
        {"outage_approve-note": "同意"},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "announced"
    assert NoticeRound.objects.get(case=case).customers == 3


def test_the_api_schedules_and_overruns(pinned, people, area):
    client = KeyedAPIClient()
    client.force_authenticate(people["office"])
    starts_at = NOW + timedelta(hours=25)
    answer = client.post(
        reverse("api:outage"),
        {
            "works": WORKS,
            "public_summary": "城北片区停水",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=8)).isoformat(),
            "zones": ["north"],
            "streets": [{"district": "城东区", "street": "人民路"}],
            "water_points": [
                {"address": "人民广场", "opening_hours": "8:00-20:00", "supplies": "送水车"}
            ],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "announced"
    assert body["outage"]["area"]["customers"] == 3
    assert body["outage"]["notice_rounds"][0]["kind"] == "announcement"

    refused = client.post(
        reverse("api:outage"),
        {
            "works": WORKS,
            "public_summary": "x",
            "starts_at": (NOW + timedelta(hours=23)).isoformat(),
            "ends_at": (NOW + timedelta(hours=30)).isoformat(),
            "zones": ["north"],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "short_notice"

    pinned.move_to(NOW + timedelta(hours=26))
    moved = client.post(
        reverse("api:case-action-outage_overrun", args=[body["public_id"]]),
        {"ends_at": (starts_at + timedelta(hours=10)).isoformat(), "reason": "管道接口渗漏"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["outage"]["notice_rounds"][-1]["kind"] == "overrun"


def test_the_announcement_waits_for_the_morning_an_overrun_does_not(
    people, area, django_capture_on_commit_callbacks
):
    evening = datetime(2026, 12, 2, 22, 0, tzinfo=LOCAL_TZ)
    with time_machine.travel(evening, tick=False) as traveller:
        starts_at = evening + timedelta(hours=30)
        case = services.outage_schedule(
            actor=people["office"],
            works=WORKS,
            public_summary="城北片区停水",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=6),
            zones=[area["north"]],
        )
        announcement = sms_of(case, "emergency.outage_notice")
        morning = datetime(2026, 12, 3, 8, 0, tzinfo=LOCAL_TZ)
        assert {(m.is_urgent, m.next_attempt_at, m.status) for m in announcement} == {
            (False, morning, "pending")
        }

        traveller.move_to(datetime(2026, 12, 4, 2, 0, tzinfo=LOCAL_TZ))  # under way, at night
        with django_capture_on_commit_callbacks(execute=True):
            services.outage_overrun(
                actor=people["office"],
                case=case,
                ends_at=starts_at + timedelta(hours=10),
                reason="抢修遇到障碍",
            )
        overrun = sms_of(case, "emergency.outage_overrun")
        assert {(m.is_urgent, m.status) for m in overrun} == {(True, "sent")}

"""The seeded repair notices: on which channels, every one rendered with what the services
give it (nothing left unfilled, SMS short enough and signed), and the registration's
wording for an urgent and a general repair."""

import pytest
from django.template import Context, Engine

from waterdesk.notify.models import NotificationTemplate

pytestmark = pytest.mark.django_db

BASE = {
    "case_number": "BX-20261001-0001",
    "fault": "水质浑浊/发黄",
    "address": "城东区解放路与中山路交叉口东北角100号",
    "urgency": "一般",
    "next_step": "维修人员将尽快与您联系并预约上门时间",
}
# key -> the context the services give it (``repairs.services``), and the values every
# channel must show.
TEMPLATE_CONTEXTS = {
    "repair.registered": (BASE, ["case_number", "fault", "next_step"]),
    "repair.booked": (
        {**BASE, "window": "2026-10-02 09:00 至 11:00", "crew": "城东抢修一班"},
        ["case_number", "fault", "window", "crew"],
    ),
    "repair.delayed": (
        {**BASE, "reason": "需更换主阀门，等待配件送达现场", "eta": "2026-10-02 16:00"},
        ["case_number", "fault", "reason", "eta"],
    ),
    "repair.completed": (
        {**BASE, "completed_at": "2026-10-01 05:00", "result": "已更换管段"},
        ["case_number", "fault", "address", "completed_at"],
    ),
    "repair.quality_alert": (
        {**BASE, "description": "自来水发黄，有铁锈味，已持续两小时"},
        ["case_number", "fault", "address", "description"],
    ),
    "repair.no_crew": (
        {**BASE, "reported_at": "2026-10-01 02:30"},
        ["case_number", "fault", "address", "reported_at"],
    ),
    # A report linked to an incident (services.incident), and the incident's restoration.
    "repair.linked": (
        {
            **BASE,
            "incident_number": "YJ-20261001-0001",
            "expected_restoration": "10月1日 18:00",
            "water_points": "人民广场（送水车，8:00-20:00）；城北小学（桶装水，全天）",
        },
        ["case_number", "fault", "incident_number", "expected_restoration", "water_points"],
    ),
    "repair.incident_restored": (
        {**BASE, "incident_number": "YJ-20261001-0001", "restored_at": "10月1日 17:30"},
        ["case_number", "fault", "incident_number", "restored_at"],
    ),
}
# Told to staff (SMS and e-mail); the others reach callers on WeChat too.
STAFF_NOTICES = frozenset({"repair.quality_alert", "repair.no_crew"})


def channels_of(key: str) -> list[str]:
    return ["email", "sms"] if key in STAFF_NOTICES else ["email", "sms", "wechat"]


def render(source: str, context: dict) -> str:
    return Engine.get_default().from_string(source).render(Context(context, autoescape=False))


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_every_notice_is_seeded_and_filled_in(key):
    context, shown = TEMPLATE_CONTEXTS[key]
    templates = NotificationTemplate.objects.filter(key=key)
    assert sorted(templates.values_list("channel", flat=True)) == channels_of(key)
    for template in templates:
        text = render(template.subject + "\n" + template.body, context)
        for name in shown:
            assert context[name] in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140, len(text.strip())
        else:
            assert template.subject


def test_the_registration_says_what_happens_next():
    sms = NotificationTemplate.objects.get(key="repair.registered", channel="sms")
    urgent = {**BASE, "fault": "爆管", "urgency": "紧急", "next_step": "抢修人员将立即出发赶赴现场"}
    assert render(sms.body, urgent) == (
        "【城市水务】您反映的“爆管”（城东区解放路与中山路交叉口东北角100号）已受理，"
        "受理编号BX-20261001-0001，抢修人员将立即出发赶赴现场。如有疑问请致电客服热线。"
    )

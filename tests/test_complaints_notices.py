"""The notices of complaints, praise and whistleblower reports: seeded for SMS and e-mail,
every variable rendered, nothing left over, the SMS short and signed."""

import re

import pytest
from django.template import Context, Engine

from waterdesk.notify.models import NotificationTemplate

pytestmark = pytest.mark.django_db

TEMPLATE_CONTEXTS = {
    "complaint.registered": {
        "case_number": "TS-1",
        "category": "水费账单",
        "due_at": "2026-03-09 17:30",
    },
    "complaint.replied": {
        "case_number": "TS-1",
        "category": "水费账单",
        "round": "2",
        "reply": "已退还多收水费。",
        "full_reply": "经核实多收水费 12.50 元，已退还至账户。",
        "basis": "《供水服务规范》第三条。",
    },
    "complaint.escalated": {
        "case_number": "TS-1",
        "category": "水费账单",
        "level": "部门负责人",
        "round": "3",
        "reason": "投诉人对两轮答复仍不满意",
    },
    "praise.thanked": {"case_number": "BY-1", "praised": "抢修一班"},
    "report.received": {"case_number": "JB-1"},
    "report.feedback": {"case_number": "JB-1", "feedback": "经调查，举报部分属实，已作处理。"},
}


def _render(template: NotificationTemplate, context: dict) -> str:
    source = template.subject + "\n" + template.body
    return Engine.get_default().from_string(source).render(Context(context, autoescape=False))


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_the_notices_are_seeded_on_both_channels_and_use_every_variable(key):
    context = TEMPLATE_CONTEXTS[key]
    templates = list(NotificationTemplate.objects.filter(key=key))
    assert sorted(template.channel for template in templates) == ["email", "sms"]
    used = set()
    for template in templates:
        names = set(re.findall(r"{{\s*(\w+)\s*}}", template.subject + template.body))
        assert names <= set(context), (key, template.channel, names - set(context))
        used |= names
        text = _render(template, context)
        assert "{" not in text
        for name in names:
            assert context[name] in text, (key, template.channel, name)
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140
    assert used == set(context), (key, set(context) - used)

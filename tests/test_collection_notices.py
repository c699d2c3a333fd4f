"""The seeded collection notices: on which channels, every one rendered with what the
services give it (nothing left unfilled, SMS short enough and signed)."""

import pytest

from tests.test_repairs_notices import render
from waterdesk.notify.models import NotificationTemplate

pytestmark = pytest.mark.django_db

# key -> the context the services give it (``collection.services``: ``tell_customer`` adds
# the account), and the values every channel must show.
TEMPLATE_CONTEXTS = {
    "collection.reminder": (
        {
            "account": "1000000042",
            "amount": "1500.00",
            "oldest_due": "2026-08-01",
            "pay_hint": "可通过微信、支付宝、网上营业厅或营业厅缴费。",
        },
        ["account", "amount", "oldest_due", "pay_hint"],
    ),
    "collection.notice": (
        {
            "account": "1000000042",
            "amount": "1500.00",
            "notice_number": "CJ-20261102-0001-T1",
            "period_days": 7,
        },
        ["account", "amount", "notice_number"],
    ),
    "collection.reconnection": (
        {"account": "1000000042", "due_at": "2026-11-20 15:00", "crew": "抢修一班"},
        ["account", "due_at", "crew"],
    ),
    "collection.reconnected": ({"account": "1000000042"}, ["account"]),
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_CONTEXTS))
def test_every_notice_is_seeded_and_filled_in(key):
    context, shown = TEMPLATE_CONTEXTS[key]
    templates = NotificationTemplate.objects.filter(key=key)
    assert sorted(templates.values_list("channel", flat=True)) == ["email", "sms", "wechat"]
    for template in templates:
        text = render(template.subject + "\n" + template.body, context)
        for name in shown:
            assert str(context[name]) in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140, len(text.strip())
        else:
            assert template.subject

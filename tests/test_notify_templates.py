"""The seeded Chinese templates: every key on SMS and e-mail, every variable filled in."""

import pytest
from django.template import Context, Engine

from waterdesk.notify.models import NotificationTemplate

CONTEXTS = {
    "new_connection.registered": {
        "case_number": "XZ-1",
        "customer_name": "张三",
        "expected_completion": "3月16日",
    },
    "new_connection.materials_missing": {
        "case_number": "XZ-1",
        "missing": ["身份证复印件", "房产证明"],
        "deadline": "3月9日",
    },
    "new_connection.materials_complete": {"case_number": "XZ-1", "expected_completion": "3月16日"},
    "new_connection.survey_booked": {
        "case_number": "XZ-1",
        "survey_time": "3月3日 09:00-11:00",
        "surveyor_name": "刘工",
        "preparation": "房产证原件",
    },
    "new_connection.approved": {"case_number": "XZ-1"},
    "new_connection.rejected": {"case_number": "XZ-1", "reason": "不在供水范围"},
    "new_connection.fee_assessed": {
        "case_number": "XZ-1",
        "amount": "1280.00",
        "due_date": "3月20日",
        "payment_methods": "营业厅",
    },
    "new_connection.paid": {"case_number": "XZ-1", "amount": "1280.00", "receipt_number": "R-9"},
    "new_connection.meter_installed": {
        "case_number": "XZ-1",
        "meter_serial": "WM00000001",
        "initial_reading": "0.00",
    },
    "new_connection.water_on": {"case_number": "XZ-1", "account_number": "1000000001"},
    "new_connection.withdrawn": {"case_number": "XZ-1", "reason": "逾期未补齐材料"},
    "sla.at_risk": {"case_number": "XZ-1", "milestone": "联系客户", "due_at": "3月3日 17:30"},
    "sla.breached": {"case_number": "XZ-1", "milestone": "联系客户", "due_at": "3月3日 17:30"},
    # To every member of the crew (the e-mail names the case too: case_number).
    "fieldwork.assigned": {
        "order_number": "BX-20260302-0001-1",
        "urgent": "紧急",
        "address": "解放路1号",
        "contact_name": "张三",
        "contact_phone": "13900139000",
        "description": "水表前阀门漏水",
    },
    "privacy.lookup_alert": {
        "staff": "surveyor2",
        "staff_name": "赵磊",
        "hour": "2026-12-01 15:00",
        "threshold": "120",
    },
}


def render(source: str, context: dict) -> str:
    return Engine.get_default().from_string(source).render(Context(context, autoescape=False))


def test_every_key_is_seeded_for_sms_and_email(db):
    # The transfer and usage-change templates are checked with their own contexts there.
    from tests.test_applications_transfer import TEMPLATE_CONTEXTS as CHANGE_CONTEXTS
    from tests.test_collection_notices import TEMPLATE_CONTEXTS as COLLECTION_CONTEXTS
    from tests.test_complaints_notices import TEMPLATE_CONTEXTS as COMPLAINT_CONTEXTS
    from tests.test_emergency_incidents import TEMPLATE_CHANNELS as INCIDENT_CHANNELS
    from tests.test_emergency_outages import STAFF_TEMPLATE_CONTEXTS as OUTAGE_STAFF_CONTEXTS
    from tests.test_emergency_outages import TEMPLATE_CONTEXTS as OUTAGE_CONTEXTS
    from tests.test_inquiries import TEMPLATE_CONTEXTS as INQUIRY_CONTEXTS
    from tests.test_payments_notices import TEMPLATE_CONTEXTS as PAYMENT_CONTEXTS
    from tests.test_repairs_notices import TEMPLATE_CONTEXTS as REPAIR_CONTEXTS
    from tests.test_repairs_notices import channels_of as repair_channels
    from tests.test_surveys_sending import TEMPLATE_CONTEXTS as SURVEY_CONTEXTS

    seeded = set(NotificationTemplate.objects.values_list("key", "channel"))
    keys = set(CONTEXTS) | set(CHANGE_CONTEXTS) | set(INQUIRY_CONTEXTS) | set(COMPLAINT_CONTEXTS)
    keys |= set(OUTAGE_STAFF_CONTEXTS)  # the duty managers' alert
    # Payment and collection notices go on WeChat too (the customer's chosen channels), and
    # so do the notices to a repair's callers (tests/test_repairs_notices.py).
    customer_chosen = set(PAYMENT_CONTEXTS) | set(COLLECTION_CONTEXTS)
    # An incident's notices go on every channel a customer may choose, its staff alert by
    # SMS and e-mail (tests/test_emergency_incidents.py).
    incident = {(key, channel) for key, chans in INCIDENT_CHANNELS.items() for channel in chans}
    assert incident <= seeded
    seeded -= incident
    customer_chosen |= set(OUTAGE_CONTEXTS)  # planned outages' notices
    assert seeded == {(key, channel) for key in keys for channel in ("sms", "email")} | {
        (key, channel) for key in customer_chosen for channel in ("sms", "email", "wechat")
    } | {(key, channel) for key in REPAIR_CONTEXTS for channel in repair_channels(key)} | {
        (key, "sms")
        for key in SURVEY_CONTEXTS  # a survey's link goes by SMS only
    } | {
        # The invoice link and the low prepaid balance go on the customer's chosen channels
        # (tests/test_invoicing_flow.py, tests/test_prepayment_settlement.py).
        (key, channel)
        for key in ("invoice.issued", "billing.prepaid_low")
        for channel in ("sms", "email", "wechat")
    }


@pytest.mark.parametrize("key", sorted(CONTEXTS))
def test_template_uses_every_variable_of_its_context(db, key):
    context = CONTEXTS[key]
    for template in NotificationTemplate.objects.filter(key=key):
        text = render(template.subject + "\n" + template.body, context)
        for name, value in context.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                assert item in text, (key, template.channel, name)
        assert "{" not in text
        if template.channel == "sms":
            assert template.subject == ""
            assert text.strip().startswith("【城市水务】")
            assert len(text.strip()) <= 140
        else:
            assert template.subject


def test_materials_missing_lists_everything_at_once(db):
    context = CONTEXTS["new_connection.materials_missing"]
    sms = NotificationTemplate.objects.get(key="new_connection.materials_missing", channel="sms")
    assert render(sms.body, context) == (
        "【城市水务】您的报装申请（XZ-1）尚缺以下材料：身份证复印件、房产证明。"
        "请于3月9日前一次补齐，逾期未补齐申请将被撤回。"
    )
    email = NotificationTemplate.objects.get(
        key="new_connection.materials_missing", channel="email"
    )
    assert render(email.body, context).startswith(
        "您好：\n\n您的用水报装申请（受理编号XZ-1）尚缺以下材料，现一次性告知：\n"
        "1. 身份证复印件\n2. 房产证明\n\n请于3月9日前一次补齐。"
    )


def test_templates_keep_history(db):
    template = NotificationTemplate.objects.get(key="new_connection.approved", channel="sms")
    template.body = "【城市水务】您的申请{{ case_number }}已通过。"
    template.save()
    assert [h.history_type for h in template.history.order_by("history_date")] == ["~"]

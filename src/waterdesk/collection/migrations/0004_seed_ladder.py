"""Seed the ladders of the three default strategies, the collection policy (defaults), the
reconnection time limit and the Chinese notices of collection. Only creates what is
missing: the administrators' edits are kept.

- gentle (提醒): a reminder;
- standard (催缴): a reminder, a call 3 days later, a visit 7 days after the call;
- intensive (重点催缴): a reminder, a call 2 days later, a visit 3 days after it, the
  written disconnection notice 3 days after the visit, and the disconnection order once
  the notice period (7 days from delivery) has run.

Reconnection: within 24 calendar hours of the payment (``sla.SlaPolicy`` of kind
``collection``, milestone ``reconnect``; the green channel 12 hours)."""

from decimal import Decimal

from django.db import migrations

# strategy -> [(kind, wait days, due days)]
LADDERS = {
    "gentle": [("reminder", 0, 1)],
    "standard": [("reminder", 0, 1), ("call", 3, 3), ("visit", 7, 5)],
    "intensive": [
        ("reminder", 0, 1),
        ("call", 2, 3),
        ("visit", 3, 5),
        ("notice", 3, 5),
        ("disconnection", 0, 1),
    ],
}

POLICIES = [("reconnect", "normal", Decimal("24")), ("reconnect", "green", Decimal("12"))]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

TEMPLATES = {
    "collection.reminder": (
        "欠费友情提醒（发给客户）：account, amount, oldest_due, pay_hint",
        {
            "sms": (
                "",
                SIGNATURE + "尊敬的客户，您的户号{{ account }}尚有逾期水费{{ amount }}元"
                "（最早到期日{{ oldest_due }}），请及时缴纳。{{ pay_hint }}",
            ),
            "wechat": (
                "水费欠费提醒",
                "您的户号{{ account }}尚有逾期水费{{ amount }}元（最早到期日{{ oldest_due }}），"
                "请及时缴纳。{{ pay_hint }}",
            ),
            "email": (
                "水费欠费提醒（户号{{ account }}）",
                "尊敬的客户：\n\n您的户号{{ account }}尚有逾期水费{{ amount }}元，"
                "最早到期日{{ oldest_due }}，请及时缴纳。\n{{ pay_hint }}" + EMAIL_FOOTER,
            ),
        },
    ),
    "collection.notice": (
        "停水通知书已开具（发给客户）：account, amount, notice_number, period_days",
        {
            "sms": (
                "",
                SIGNATURE + "尊敬的客户，您的户号{{ account }}欠缴水费{{ amount }}元，"
                "经多次催缴仍未缴纳。我司已开具停水通知书{{ notice_number }}，"
                "送达后{{ period_days }}日内仍未缴清的，将依法暂停供水。缴清后24小时内恢复供水。",
            ),
            "wechat": (
                "停水通知",
                "您的户号{{ account }}欠缴水费{{ amount }}元。停水通知书{{ notice_number }}"
                "送达后{{ period_days }}日内仍未缴清的，将暂停供水；缴清后24小时内恢复供水。",
            ),
        },
    ),
    "collection.reconnection": (
        "缴费后安排复水（发给客户）：account, due_at, crew",
        {
            "sms": (
                "",
                SIGNATURE + "您的户号{{ account }}欠费已缴清，我们已安排{{ crew }}恢复供水，"
                "最迟{{ due_at }}前完成。感谢您的配合。",
            ),
            "wechat": (
                "恢复供水通知",
                "您的户号{{ account }}欠费已缴清，已安排{{ crew }}恢复供水，最迟{{ due_at }}前完成。",
            ),
        },
    ),
    "collection.reconnected": (
        "已恢复供水（发给客户）：account",
        {
            "sms": ("", SIGNATURE + "您的户号{{ account }}已恢复供水。感谢您的配合。"),
            "wechat": ("恢复供水完成", "您的户号{{ account }}已恢复供水。"),
        },
    ),
}


def seed(apps, schema_editor):
    Strategy = apps.get_model("collection", "CollectionStrategy")
    LadderStep = apps.get_model("collection", "LadderStep")
    CollectionPolicy = apps.get_model("collection", "CollectionPolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for code, steps in LADDERS.items():
        strategy = Strategy.objects.filter(code=code).first()
        if strategy is None:
            continue
        for kind, wait_days, due_days in steps:
            LadderStep.objects.get_or_create(
                strategy=strategy,
                kind=kind,
                defaults={"wait_days": wait_days, "due_days": due_days},
            )
    if not CollectionPolicy.objects.exists():
        CollectionPolicy.objects.create()
    for milestone, priority, amount in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind="collection",
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": "calendar_hours"},
        )
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=list(TEMPLATES)).delete()
    SlaPolicy.objects.filter(case_kind="collection", clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collection", "0003_ladder"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

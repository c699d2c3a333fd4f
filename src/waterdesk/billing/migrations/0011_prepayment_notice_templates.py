"""The prepayment policy's row (the defaults, edited in the admin) and the low prepaid
balance notice (预存余额不足提醒) on SMS, e-mail and WeChat. Only creates what is missing."""

from django.db import migrations

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# key -> description, {channel: (subject, body)}
TEMPLATES = {
    "billing.prepaid_low": (
        "预存余额低于提醒线（发给客户）：account, balance, threshold, bill_number, settled",
        {
            "sms": (
                "",
                SIGNATURE + "您的户号{{ account }}本期账单{{ bill_number }}已用预存抵扣"
                "{{ settled }}元，预存余额{{ balance }}元，已低于{{ threshold }}元，"
                "请及时到营业厅或线上缴费预存。",
            ),
            "email": (
                "预存余额不足提醒（户号{{ account }}）",
                "尊敬的客户：\n\n您的户号{{ account }}本期账单{{ bill_number }}已用预存抵扣"
                "{{ settled }}元，预存余额为{{ balance }}元，已低于{{ threshold }}元。"
                "为免产生欠费，请及时缴费预存。" + EMAIL_FOOTER,
            ),
            "wechat": (
                "预存余额不足提醒",
                "户号{{ account }}：账单{{ bill_number }}已用预存抵扣{{ settled }}元，"
                "预存余额{{ balance }}元，低于{{ threshold }}元，请及时缴费预存。",
            ),
        },
    ),
}


def seed_templates(apps, schema_editor):
    apps.get_model("billing", "PrepaymentPolicy").objects.get_or_create(pk=1)
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed_templates(apps, schema_editor):
    apps.get_model("notify", "NotificationTemplate").objects.filter(key__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_prepayment_policy"),
        ("notify", "0005_notification_batch_key"),
    ]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]

from django.db import migrations

SIGNATURE = "【城市水务】"

# key -> description, {channel: (subject, body)}
TEMPLATES = {
    "fieldwork.assigned": (
        "派单通知（发给班组成员）：order_number, urgent, address, contact_name, contact_phone, "
        "description, case_number",
        {
            "sms": (
                "",
                SIGNATURE + "【{{ urgent }}】工单{{ order_number }}：{{ address }}，"
                "{{ description }}。联系人{{ contact_name }} {{ contact_phone }}。请在工单页接单。",
            ),
            "email": (
                "【{{ urgent }}】新工单 {{ order_number }}：{{ address }}",
                "工单号：{{ order_number }}（业务{{ case_number }}）\n紧急程度：{{ urgent }}\n"
                "地址：{{ address }}\n联系人：{{ contact_name }} {{ contact_phone }}\n"
                "工作内容：{{ description }}\n\n请尽快在工单页面接单。",
            ),
        },
    ),
}


def seed_templates(apps, schema_editor):
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
        ("fieldwork", "0001_initial"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed_templates, unseed_templates)]

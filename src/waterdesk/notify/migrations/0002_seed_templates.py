"""Seed the platform's Chinese message templates (SLA warnings); each case kind seeds its own
notices in its app. Administrators edit them afterwards in the admin;
this migration only creates what is missing and never overwrites an edit."""

from django.db import migrations

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "sla.at_risk",
        "时限预警（员工）：case_number, milestone, due_at",
        SIGNATURE + "时限预警：工单{{ case_number }}的“{{ milestone }}”将于{{ due_at }}到期，"
        "请及时处理。",
        "时限预警：工单{{ case_number }}“{{ milestone }}”即将到期",
        "工单{{ case_number }}的“{{ milestone }}”环节将于{{ due_at }}到期，请及时处理。",
    ),
    (
        "sla.breached",
        "超时（员工）：case_number, milestone, due_at",
        SIGNATURE + "超时提醒：工单{{ case_number }}的“{{ milestone }}”已于{{ due_at }}超时，"
        "请立即处理。",
        "超时提醒：工单{{ case_number }}“{{ milestone }}”已超时",
        "工单{{ case_number }}的“{{ milestone }}”环节已于{{ due_at }}超时，请立即处理。",
    ),
]


def seed_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for key, description, sms_body, email_subject, email_body in TEMPLATES:
        NotificationTemplate.objects.get_or_create(
            key=key, channel="sms", defaults={"body": sms_body, "description": description}
        )
        NotificationTemplate.objects.get_or_create(
            key=key,
            channel="email",
            defaults={
                "subject": email_subject,
                "body": email_body + EMAIL_FOOTER,
                "description": description,
            },
        )


def remove_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(seed_templates, remove_templates)]

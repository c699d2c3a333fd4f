"""Seed the notices of the complaint workflow: the reply to the complainant (SMS, e-mail)
and the escalation shown to the supervisors. Only creates what is missing."""

from django.db import migrations

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "complaint.replied",
        "投诉答复：case_number, category, round, reply（短信截短）, full_reply, basis",
        SIGNATURE + "您的投诉（受理编号{{ case_number }}）处理结果：{{ reply }}"
        "如对处理结果不满意，请来电告知。",
        "您的投诉处理结果（{{ case_number }}）",
        "您好：\n\n您关于“{{ category }}”的投诉（受理编号{{ case_number }}）"
        "第{{ round }}轮处理结果如下。\n\n处理结果：\n{{ full_reply }}\n\n处理依据：\n{{ basis }}"
        "\n\n如对处理结果不满意，请来电或回复告知，我们将进一步处理。",
    ),
    (
        "complaint.escalated",
        "投诉升级督办（发给服务监督员）：case_number, category, round, level, reason",
        SIGNATURE + "投诉{{ case_number }}（{{ category }}）已升级至{{ level }}，"
        "当前第{{ round }}轮，请督办。",
        "投诉升级督办：{{ case_number }}",
        "投诉{{ case_number }}（{{ category }}）已升级至{{ level }}，当前第{{ round }}轮。"
        "\n\n原因：{{ reason }}\n\n请登录系统督办。",
    ),
]


def seed(apps, schema_editor):
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


def unseed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_seed")]

    operations = [migrations.RunPython(seed, unseed)]

"""Seed the inquiry categories, the answer time limit (1 working day; each category may set
its own) and the Chinese notices of an inquiry. Only creates what is missing: the
administrators' edits are kept.

The categories start without an answering department (the intake clerk's department
answers) because departments are the utility's own data; administrators set them."""

from decimal import Decimal

from django.db import migrations

# code, name, position
CATEGORIES = [
    ("billing", "账单缴费", 10),
    ("connection", "用水报装", 20),
    ("water_quality", "水质", 30),
    ("outage", "停水", 40),
    ("other", "其他", 90),
]

# case_kind, milestone, priority, amount, unit
POLICIES = [("inquiry", "answer", "normal", Decimal("1"), "working_days")]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "inquiry.registered",
        "咨询已受理、限时答复：case_number, category, due_at",
        SIGNATURE + "您关于“{{ category }}”的咨询已受理，受理编号{{ case_number }}，"
        "我们将于{{ due_at }}前答复您。",
        "您的咨询已受理（{{ case_number }}）",
        "您好：\n\n您关于“{{ category }}”的咨询已受理。\n受理编号：{{ case_number }}\n"
        "我们将于{{ due_at }}前答复您。",
    ),
    (
        "inquiry.answered",
        "咨询答复：case_number, category, question, answer",
        SIGNATURE + "您关于“{{ category }}”的咨询（{{ case_number }}）答复如下：{{ answer }}"
        "如有疑问请致电客服热线或到营业厅咨询。",
        "您的咨询已答复（{{ case_number }}）",
        "您好：\n\n您关于“{{ category }}”的咨询（受理编号{{ case_number }}）答复如下。\n\n"
        "您的问题：\n{{ question }}\n\n答复：\n{{ answer }}\n\n"
        "如有疑问，请致电客服热线或到营业厅咨询。",
    ),
]


def seed(apps, schema_editor):
    InquiryCategory = apps.get_model("inquiries", "InquiryCategory")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for code, name, position in CATEGORIES:
        InquiryCategory.objects.get_or_create(
            code=code, defaults={"name": name, "position": position, "reply_days": 1}
        )
    for case_kind, milestone, priority, amount, unit in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind=case_kind,
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": unit},
        )
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
    InquiryCategory = apps.get_model("inquiries", "InquiryCategory")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()
    InquiryCategory.objects.filter(
        code__in=[row[0] for row in CATEGORIES], inquiries__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inquiries", "0001_initial"),
        ("sla", "0004_policies_transfer_usage_change"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

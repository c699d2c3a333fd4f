"""Seed the complaint categories, the policy (acknowledge in 1 working day, reply in 5, two
rounds before escalation, follow-up in 3), the SLA policies and the Chinese notices. Only
creates what is missing: the administrators' edits are kept.

The categories start without a responsible department (the intake's department handles
them) because departments are the utility's own data; administrators set them."""

from decimal import Decimal

from django.db import migrations

# code, name, position
CATEGORIES = [
    ("service_attitude", "服务态度", 10),
    ("billing", "水费账单", 20),
    ("meter", "水表抄表", 30),
    ("water_quality", "水质", 40),
    ("supply", "停水水压", 50),
    ("repair", "维修服务", 60),
    ("connection", "报装办理", 70),
    ("construction", "施工影响", 80),
    ("other", "其他", 90),
]

# case_kind, milestone, priority, amount, unit
POLICIES = [
    ("complaint", "acknowledge", "normal", Decimal("1"), "working_days"),
    ("complaint", "reply", "normal", Decimal("5"), "working_days"),
    ("complaint", "follow_up", "normal", Decimal("3"), "working_days"),
]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "complaint.registered",
        "投诉已受理、限时答复：case_number, category, due_at",
        SIGNATURE + "您关于“{{ category }}”的投诉已受理，受理编号{{ case_number }}，"
        "我们将于{{ due_at }}前答复您。",
        "您的投诉已受理（{{ case_number }}）",
        "您好：\n\n您关于“{{ category }}”的投诉已受理。\n受理编号：{{ case_number }}\n"
        "我们将调查核实，并于{{ due_at }}前答复您。",
    ),
]


def seed(apps, schema_editor):
    ComplaintCategory = apps.get_model("complaints", "ComplaintCategory")
    ComplaintPolicy = apps.get_model("complaints", "ComplaintPolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for code, name, position in CATEGORIES:
        ComplaintCategory.objects.get_or_create(
            code=code, defaults={"name": name, "position": position}
        )
    if not ComplaintPolicy.objects.exists():
        ComplaintPolicy.objects.create()
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
    ComplaintCategory = apps.get_model("complaints", "ComplaintCategory")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()
    ComplaintCategory.objects.filter(
        code__in=[row[0] for row in CATEGORIES], complaints__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

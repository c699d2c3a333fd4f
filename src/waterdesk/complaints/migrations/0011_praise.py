"""The praise kind (表扬): its detail table, the SLA policy of its acknowledgement (3 working
days) and the thanks sent to the customer (SMS and e-mail)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# case_kind, milestone, priority, amount, unit
POLICIES = [("praise", "acknowledge", "normal", Decimal("3"), "working_days")]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "praise.thanked",
        "表扬已转达、感谢客户：case_number, praised",
        SIGNATURE + "感谢您对{{ praised }}的表扬（{{ case_number }}），我们已转达，"
        "将继续努力为您做好服务。",
        "感谢您的表扬（{{ case_number }}）",
        "您好：\n\n感谢您对{{ praised }}的表扬（受理编号{{ case_number }}）。\n"
        "您的表扬已转达相关部门和员工，我们将继续努力为您做好服务。",
    ),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
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
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0010_complaint_mail"),
        ("core", "0002_idempotency_record"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Praise",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="praise",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("matter", models.TextField(max_length=4000, verbose_name="表扬事项")),
                (
                    "team_name",
                    models.CharField(blank=True, max_length=100, verbose_name="被表扬班组"),
                ),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="联系邮箱")),
                (
                    "acknowledged_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="转达时间"),
                ),
                (
                    "acknowledge_note",
                    models.TextField(blank=True, max_length=2000, verbose_name="转达说明"),
                ),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="转达人",
                    ),
                ),
                (
                    "department_praised",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="praises",
                        to="core.department",
                        verbose_name="被表扬部门",
                    ),
                ),
                (
                    "forwarded_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.department",
                        verbose_name="转达部门",
                    ),
                ),
                (
                    "staff_praised",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="praises",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="被表扬员工",
                    ),
                ),
            ],
            options={
                "verbose_name": "表扬",
                "verbose_name_plural": "表扬",
                "permissions": [
                    ("intake_praise", "可登记表扬"),
                    ("acknowledge_praise", "可转达表扬并致谢"),
                ],
            },
        ),
        migrations.RunPython(seed, unseed),
    ]

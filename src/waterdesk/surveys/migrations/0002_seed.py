"""Seed the survey policies of the kinds registered so far (repairs and complaints every
closure, inquiries one in five, the applications one in two, collection none), the SLA
policy of the follow-up (resolve within 2 working days) and the SMS invitations. Only
creates what is missing: the administrators' edits are kept."""

from decimal import Decimal

from django.db import migrations

# case_kind, enabled, sample percent, the closing statuses that count
POLICIES = [
    ("repair", True, 100, ["closed"]),
    ("complaint", True, 100, ["closed"]),
    ("inquiry", True, 20, ["answered"]),
    ("new_connection", True, 50, ["completed"]),
    ("ownership_transfer", True, 50, ["completed"]),
    ("usage_change", True, 50, ["completed"]),
    ("collection", False, 0, ["settled"]),
]

SIGNATURE = "【城市水务】"

# key, description, SMS body (the invitations go by SMS only: the link is the survey)
TEMPLATES = [
    (
        "survey.invite",
        "办结工单满意度调查：case_number, kind, link, expires_on",
        SIGNATURE + "您的{{ kind }}业务{{ case_number }}已办结，请评价我们的服务："
        "{{ link }} ，{{ expires_on }}前有效。",
    ),
    (
        "survey.periodic",
        "定期满意度调查：link, expires_on",
        SIGNATURE + "诚邀您评价我们近期的供水服务：{{ link }} ，{{ expires_on }}前有效。",
    ),
]


def seed(apps, schema_editor):
    SurveyPolicy = apps.get_model("surveys", "SurveyPolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for case_kind, enabled, percent, statuses in POLICIES:
        SurveyPolicy.objects.get_or_create(
            case_kind=case_kind,
            defaults={
                "is_enabled": enabled,
                "sample_percent": percent,
                "counted_statuses": statuses,
            },
        )
    SlaPolicy.objects.get_or_create(
        case_kind="feedback",
        milestone="resolve",
        priority="normal",
        defaults={"amount": Decimal("2"), "unit": "working_days"},
    )
    for key, description, sms_body in TEMPLATES:
        NotificationTemplate.objects.get_or_create(
            key=key, channel="sms", defaults={"body": sms_body, "description": description}
        )


def unseed(apps, schema_editor):
    SurveyPolicy = apps.get_model("surveys", "SurveyPolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()
    SlaPolicy.objects.filter(
        case_kind="feedback", milestone="resolve", priority="normal", clocks__isnull=True
    ).delete()
    SurveyPolicy.objects.filter(case_kind__in=[row[0] for row in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

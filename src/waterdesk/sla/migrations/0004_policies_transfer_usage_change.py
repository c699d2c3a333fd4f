"""Default time limits of the ownership transfer (3 working days) and the usage change
(5 working days); the green channel is shorter. Existing rows (admin edits) are kept."""

from decimal import Decimal

from django.db import migrations

POLICIES = [
    # case_kind, milestone, priority, amount, unit
    ("ownership_transfer", "complete", "normal", Decimal("3"), "working_days"),
    ("ownership_transfer", "complete", "green", Decimal("2"), "working_days"),
    ("usage_change", "complete", "normal", Decimal("5"), "working_days"),
    ("usage_change", "complete", "green", Decimal("3"), "working_days"),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for case_kind, milestone, priority, amount, unit in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind=case_kind,
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": unit},
        )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_case_kinds_transfer_usage_change")]

    operations = [migrations.RunPython(seed, unseed)]

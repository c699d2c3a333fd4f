"""Checklists of the ownership transfer and the usage change, and the transfer policy row.

Ownership transfer: the new owner's ID card and the property certificate (an organisation
also brings its business licence). Usage change: a business licence OR an approval of the
competent authority — the two share the alternative group ``usage_basis``, so either one
satisfies the checklist. Only creates what is missing; admin edits are kept.
"""

from django.db import migrations

MATERIALS = [
    ("authority_approval", "行业主管部门批复", "行业主管部门同意变更用水性质的批复或证明文件"),
]

# (case kind, material, customer kind or "" for both, position, alternative group)
REQUIREMENTS = [
    ("ownership_transfer", "id_card", "", 10, ""),
    ("ownership_transfer", "property_certificate", "", 20, ""),
    ("ownership_transfer", "business_licence", "organisation", 30, ""),
    ("usage_change", "business_licence", "", 10, "usage_basis"),
    ("usage_change", "authority_approval", "", 20, "usage_basis"),
]


def seed(apps, schema_editor):
    MaterialType = apps.get_model("applications", "MaterialType")
    MaterialRequirement = apps.get_model("applications", "MaterialRequirement")
    TransferPolicy = apps.get_model("applications", "TransferPolicy")
    for code, name, description in MATERIALS:
        MaterialType.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
    for case_kind, code, customer_kind, position, group in REQUIREMENTS:
        MaterialRequirement.objects.get_or_create(
            case_kind=case_kind,
            material=MaterialType.objects.get(code=code),
            customer_kind=customer_kind,
            defaults={"position": position, "alternative_group": group},
        )
    if not TransferPolicy.objects.exists():
        TransferPolicy.objects.create(require_settlement=True)


def unseed(apps, schema_editor):
    MaterialRequirement = apps.get_model("applications", "MaterialRequirement")
    MaterialRequirement.objects.filter(case_kind__in=["ownership_transfer", "usage_change"]).delete()


class Migration(migrations.Migration):
    dependencies = [("applications", "0005_transfer_usage_change")]

    operations = [migrations.RunPython(seed, unseed)]

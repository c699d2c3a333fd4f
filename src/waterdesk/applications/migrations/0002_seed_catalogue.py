"""Initial checklist, fee catalogue and policy for the new-connection service."""

from decimal import Decimal

from django.db import migrations

MATERIALS = [
    ("id_card", "身份证", "申请人有效身份证件原件及复印件"),
    ("property_certificate", "房产证明", "不动产权证书、购房合同或其他房屋权属证明"),
    ("business_licence", "营业执照", "单位营业执照或统一社会信用代码证书副本"),
    ("authorisation_letter", "授权委托书", "单位委托经办人办理的授权委托书及经办人身份证"),
    ("site_plan", "用水位置示意图", "标明用水地点和拟装表位置的示意图"),
]

# (material, customer_kind or "" for both, position)
REQUIREMENTS = [
    ("id_card", "", 10),
    ("property_certificate", "", 20),
    ("business_licence", "organisation", 30),
    ("authorisation_letter", "organisation", 40),
]

FEE_ITEMS = [
    ("meter_install_dn15_25", "水表安装（DN15–DN25）", "installation_work", "只", Decimal("180.00")),
    ("meter_install_dn40_100", "水表安装（DN40–DN100）", "installation_work", "只", Decimal("850.00")),
    ("service_pipe_laying", "接户管敷设", "installation_work", "米", Decimal("120.00")),
    ("road_restoration", "路面开挖及恢复", "installation_work", "平方米", Decimal("260.00")),
    ("meter_box", "表箱及配件", "materials", "套", Decimal("95.00")),
]


def seed(apps, schema_editor):
    MaterialType = apps.get_model("applications", "MaterialType")
    MaterialRequirement = apps.get_model("applications", "MaterialRequirement")
    FeeItem = apps.get_model("applications", "FeeItem")
    NewConnectionPolicy = apps.get_model("applications", "NewConnectionPolicy")
    for code, name, description in MATERIALS:
        MaterialType.objects.update_or_create(code=code, defaults={"name": name, "description": description})
    for code, customer_kind, position in REQUIREMENTS:
        MaterialRequirement.objects.update_or_create(
            case_kind="new_connection", material=MaterialType.objects.get(code=code),
            customer_kind=customer_kind, defaults={"position": position},
        )
    for code, name, kind, unit, price in FEE_ITEMS:
        FeeItem.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "unit": unit, "unit_price": price}
        )
    if not NewConnectionPolicy.objects.exists():
        NewConnectionPolicy.objects.create()


class Migration(migrations.Migration):
    dependencies = [("applications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

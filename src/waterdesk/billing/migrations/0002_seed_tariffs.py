"""Seed a default tariff per usage category, effective 2025-01-01.

Sample prices of a mid-sized Chinese city, to be replaced in the admin by the prices the
local price authority approved (add a version; never edit a billed one):

- 居民生活用水 (residential, default): annual tiers 0–180 / 180–260 / above 260 m³ for a
  household of 4; every person above 4 adds 45 m³ to the first tier bound and 65 m³ to the
  second (so the tier widths grow in proportion). Supply 2.10 / 3.80 / 8.90, water resource
  tax 0.30, sewage treatment 1.00 yuan/m³ → 3.40 / 5.10 / 10.20 yuan/m³, the guideline
  ratio 1 : 1.5 : 3.
- 非居民用水 (non-residential, default): flat supply 4.20 + water resource tax 0.50 +
  sewage 1.40 = 6.10 yuan/m³.
- 特种行业用水 (special industry — car washes, bath houses, …, default): flat supply 25.00 +
  water resource tax 1.00 + sewage 3.00 = 29.00 yuan/m³.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

EFFECTIVE_FROM = dt.date(2025, 1, 1)
NOTE = "示例价格：请按当地价格主管部门批复的价格新增版本。"

TARIFFS = [
    {
        "code": "residential",
        "name": "居民生活用水阶梯水价",
        "usage_category": "residential",
        "tier_basis": "annual",
        "tiers": [
            (1, Decimal("180"), Decimal("45")),
            (2, Decimal("260"), Decimal("65")),
            (3, None, Decimal("0")),
        ],
        "components": [
            ("water_supply", "供水价格", {1: "2.10", 2: "3.80", 3: "8.90"}),
            ("water_resource", "水资源税", "0.30"),
            ("sewage", "污水处理费", "1.00"),
        ],
    },
    {
        "code": "non-residential",
        "name": "非居民用水",
        "usage_category": "non_residential",
        "tier_basis": "none",
        "tiers": [],
        "components": [
            ("water_supply", "供水价格", "4.20"),
            ("water_resource", "水资源税", "0.50"),
            ("sewage", "污水处理费", "1.40"),
        ],
    },
    {
        "code": "special-industry",
        "name": "特种行业用水",
        "usage_category": "special",
        "tier_basis": "none",
        "tiers": [],
        "components": [
            ("water_supply", "供水价格", "25.00"),
            ("water_resource", "水资源税", "1.00"),
            ("sewage", "污水处理费", "3.00"),
        ],
    },
]


def seed(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    TariffVersion = apps.get_model("billing", "TariffVersion")
    TariffTier = apps.get_model("billing", "TariffTier")
    TariffComponent = apps.get_model("billing", "TariffComponent")
    TariffRate = apps.get_model("billing", "TariffRate")

    for spec in TARIFFS:
        if Tariff.objects.filter(code=spec["code"]).exists():
            continue
        has_default = Tariff.objects.filter(
            usage_category=spec["usage_category"], is_default=True
        ).exists()
        tariff = Tariff.objects.create(
            code=spec["code"],
            name=spec["name"],
            usage_category=spec["usage_category"],
            is_default=not has_default,
        )
        version = TariffVersion.objects.create(
            tariff=tariff,
            effective_from=EFFECTIVE_FROM,
            tier_basis=spec["tier_basis"],
            household_base_size=4,
            note=NOTE,
        )
        for index, upper_bound, extra_per_person in spec["tiers"]:
            TariffTier.objects.create(
                version=version,
                index=index,
                upper_bound=upper_bound,
                extra_per_person=extra_per_person,
            )
        for position, (kind, name, prices) in enumerate(spec["components"], start=1):
            component = TariffComponent.objects.create(
                version=version, kind=kind, name=name, position=position
            )
            if isinstance(prices, dict):
                for tier_index, price in prices.items():
                    TariffRate.objects.create(
                        component=component, tier_index=tier_index, price=Decimal(price)
                    )
            else:
                TariffRate.objects.create(component=component, price=Decimal(prices))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

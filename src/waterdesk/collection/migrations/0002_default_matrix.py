"""The default classification matrix: < 200 / 200–1,000 / ≥ 1,000 yuan × 1–30 / 31–90 /
> 90 days, into gentle reminders, standard collection and intensive collection."""

from decimal import Decimal

from django.db import migrations

AMOUNT_BANDS = [
    ("small", "200元以下", Decimal("0.00"), Decimal("200.00")),
    ("medium", "200–1000元", Decimal("200.00"), Decimal("1000.00")),
    ("large", "1000元以上", Decimal("1000.00"), None),
]
AGE_BANDS = [
    ("days_1_30", "逾期1–30天", 1, 30),
    ("days_31_90", "逾期31–90天", 31, 90),
    ("over_90", "逾期90天以上", 91, None),
]
STRATEGIES = [
    ("gentle", "提醒", "短信或微信友情提醒缴费。"),
    ("standard", "催缴", "提醒后电话催缴，记录承诺缴费日期。"),
    ("intensive", "重点催缴", "电话催缴并上门告知欠费后果，必要时进入停水通知程序。"),
]
# amount band -> strategy per age band (1–30, 31–90, > 90 days)
MATRIX = {
    "small": ("gentle", "gentle", "standard"),
    "medium": ("gentle", "standard", "intensive"),
    "large": ("standard", "intensive", "intensive"),
}


def seed(apps, schema_editor):
    AmountBand = apps.get_model("collection", "AmountBand")
    AgeBand = apps.get_model("collection", "AgeBand")
    Strategy = apps.get_model("collection", "CollectionStrategy")
    Rule = apps.get_model("collection", "ClassificationRule")
    amounts = {
        code: AmountBand.objects.get_or_create(
            code=code, defaults={"name": name, "lower": lower, "upper": upper}
        )[0]
        for code, name, lower, upper in AMOUNT_BANDS
    }
    ages = [
        AgeBand.objects.get_or_create(
            code=code, defaults={"name": name, "min_days": low, "max_days": high}
        )[0]
        for code, name, low, high in AGE_BANDS
    ]
    strategies = {
        code: Strategy.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )[0]
        for code, name, description in STRATEGIES
    }
    for amount_code, row in MATRIX.items():
        for age, strategy_code in zip(ages, row, strict=True):
            Rule.objects.get_or_create(
                amount_band=amounts[amount_code],
                age_band=age,
                defaults={"strategy": strategies[strategy_code]},
            )


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

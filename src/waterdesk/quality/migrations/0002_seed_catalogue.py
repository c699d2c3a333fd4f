"""Load GB 5749-2022 (``data/gb5749-2022-indicators.csv``) as the initial catalogue, and the
default sampling plans (editable afterwards)."""

from datetime import date

from django.db import migrations

from waterdesk.quality.services.catalogue_rows import INITIAL_EDITION, default_plans, initial_fields


def seed(apps, schema_editor):
    Edition = apps.get_model("quality", "Edition")
    Indicator = apps.get_model("quality", "Indicator")
    SamplingPlan = apps.get_model("quality", "SamplingPlan")
    if Edition.objects.filter(code=INITIAL_EDITION["code"]).exists():
        return
    fields = initial_fields()
    edition = Edition.objects.create(
        code=INITIAL_EDITION["code"],
        name=INITIAL_EDITION["name"],
        effective_from=date.fromisoformat(INITIAL_EDITION["effective_from"]),
        note="data/gb5749-2022-indicators.csv",
    )
    Indicator.objects.bulk_create(Indicator(edition=edition, **item) for item in fields)
    for plan in default_plans(fields):
        SamplingPlan.objects.get_or_create(code=plan["code"], defaults=plan)


def unseed(apps, schema_editor):
    apps.get_model("quality", "SamplingPlan").objects.filter(
        code__in=[plan["code"] for plan in default_plans(initial_fields())]
    ).delete()
    apps.get_model("quality", "Edition").objects.filter(code=INITIAL_EDITION["code"]).delete()


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

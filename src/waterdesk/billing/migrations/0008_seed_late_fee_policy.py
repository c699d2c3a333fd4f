# The default late-fee policy. The company's service policy (../shared/seed) gives no figure
# (R-C7: "per a configurable policy"), so the default is 0.05 % a day on the overdue
# principal from the day after the due date, capped at 30 % of the bill's principal; the
# billing office edits it in the admin.

import datetime
from decimal import Decimal

from django.db import migrations


def create_default_policy(apps, schema_editor):
    apps.get_model("billing", "LateFeePolicy").objects.get_or_create(
        effective_from=datetime.date(2000, 1, 1),
        defaults={
            "daily_rate": Decimal("0.0005"),
            "grace_days": 0,
            "cap_share": Decimal("0.30"),
            "is_active": True,
            "note": "默认规则：每日万分之五，缴费截止日次日起计，累计不超过账单本金的30%。",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_late_fees"),
    ]

    operations = [
        migrations.RunPython(create_default_policy, migrations.RunPython.noop),
    ]

"""Formerly the time limits of the ownership transfer and the usage change; they are seeded
by the kind's own app now (``applications`` 0008). Kept so that the migration graph of
existing installations stays the same."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_case_kinds_transfer_usage_change")]

    operations = []

"""Attachments are evidence: a public id for URLs, withdrawal (when, by whom, why) instead
of deletion, and cases, events and attachments protected from deletion."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    for attachment in Attachment.objects.filter(public_id__isnull=True).only("pk"):
        Attachment.objects.filter(pk=attachment.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_case_kinds_transfer_usage_change"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="case",
            options={
                "ordering": ["-opened_at", "-pk"],
                "permissions": [
                    ("register_case", "可受理登记工单"),
                    ("view_all_cases", "可查看全部工单"),
                    ("reassign_case", "可改派工单"),
                    ("withdraw_attachment", "可撤回附件"),
                ],
                "verbose_name": "工单",
                "verbose_name_plural": "工单",
            },
        ),
        # Existing rows get their own random id before the column becomes unique.
        migrations.AddField(
            model_name="attachment",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="attachment",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="attachment",
            name="withdrawal_reason",
            field=models.CharField(blank=True, max_length=500, verbose_name="撤回原因"),
        ),
        migrations.AddField(
            model_name="attachment",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="撤回时间"),
        ),
        migrations.AddField(
            model_name="attachment",
            name="withdrawn_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="撤回人",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attachments",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="cases.case",
            ),
        ),
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("withdrawal_reason", ""),
                        ("withdrawn_at__isnull", True),
                        ("withdrawn_by__isnull", True),
                    ),
                    models.Q(
                        ("withdrawn_at__isnull", False),
                        ("withdrawn_by__isnull", False),
                        models.Q(("withdrawal_reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="attachment_withdrawal_complete",
            ),
        ),
    ]

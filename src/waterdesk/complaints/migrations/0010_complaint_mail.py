import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_attachment_uploaded_by_optional"),
        ("complaints", "0003_templates_replied_escalated"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComplaintMail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "message_id",
                    models.CharField(max_length=255, unique=True, verbose_name="邮件标识"),
                ),
                ("received_at", models.DateTimeField(verbose_name="接收时间")),
                ("from_address", models.EmailField(max_length=254, verbose_name="发件人")),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="complaint_mails",
                        to="cases.case",
                    ),
                ),
            ],
            options={
                "verbose_name": "投诉邮件",
                "verbose_name_plural": "投诉邮件",
                "ordering": ["-received_at"],
            },
        ),
    ]

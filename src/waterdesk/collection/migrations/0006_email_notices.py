"""The collection notices by e-mail too (the customer's chosen channel): the disconnection
notice, the reconnection ordered and done. Only creates what is missing."""

from django.db import migrations

EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

TEMPLATES = {
    "collection.notice": (
        "停水通知（户号{{ account }}）",
        "尊敬的客户：\n\n您的户号{{ account }}欠缴水费{{ amount }}元，经多次催缴仍未缴纳。"
        "我司已开具停水通知书{{ notice_number }}，送达后{{ period_days }}日内仍未缴清的，"
        "将依法暂停供水。\n缴清欠费后24小时内恢复供水。" + EMAIL_FOOTER,
    ),
    "collection.reconnection": (
        "恢复供水安排（户号{{ account }}）",
        "尊敬的客户：\n\n您的户号{{ account }}欠费已缴清，我们已安排{{ crew }}恢复供水，"
        "最迟{{ due_at }}前完成。感谢您的配合。" + EMAIL_FOOTER,
    ),
    "collection.reconnected": (
        "已恢复供水（户号{{ account }}）",
        "尊敬的客户：\n\n您的户号{{ account }}已恢复供水。感谢您的配合。" + EMAIL_FOOTER,
    ),
}


def seed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for key, (subject, body) in TEMPLATES.items():
        NotificationTemplate.objects.get_or_create(
            key=key,
            channel="email",
            defaults={"subject": subject, "body": body, "description": key},
        )


def unseed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=list(TEMPLATES), channel="email").delete()


class Migration(migrations.Migration):
    dependencies = [("collection", "0005_ladder_run")]

    operations = [migrations.RunPython(seed, unseed)]

"""The supervisors' alert when a staff member's customer look-ups pass the hourly threshold.
Only creates what is missing; administrators' edits are kept."""

from django.db import migrations

KEY = "privacy.lookup_alert"
DESCRIPTION = "客户信息查询过量提醒（发给服务监督员）：staff, staff_name, hour, threshold"
SMS_BODY = (
    "【城市水务】员工{{ staff_name }}（{{ staff }}）在{{ hour }}时段查询客户信息已超过"
    "{{ threshold }}次，请核查。"
)
EMAIL_SUBJECT = "客户信息查询过量：{{ staff_name }}（{{ hour }}）"
EMAIL_BODY = (
    "员工{{ staff_name }}（登录名{{ staff }}）在{{ hour }}开始的一小时内查询客户信息已超过"
    "{{ threshold }}次。\n\n请在工作台“个人信息查看记录”中按该员工筛选，核查查询是否出于工作需要。"
    "\n\n（本邮件由系统自动发送，请勿直接回复。）"
)


def seed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.get_or_create(
        key=KEY, channel="sms", defaults={"body": SMS_BODY, "description": DESCRIPTION}
    )
    NotificationTemplate.objects.get_or_create(
        key=KEY,
        channel="email",
        defaults={"subject": EMAIL_SUBJECT, "body": EMAIL_BODY, "description": DESCRIPTION},
    )


def unseed(apps, schema_editor):
    apps.get_model("notify", "NotificationTemplate").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0003_templates_transfer_usage_change")]

    operations = [migrations.RunPython(seed, unseed)]

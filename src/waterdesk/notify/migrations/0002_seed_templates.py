"""Seed the Chinese message templates. Administrators edit them afterwards in the admin;
this migration only creates what is missing and never overwrites an edit."""

from django.db import migrations

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# (key, description, SMS body, e-mail subject, e-mail body)
TEMPLATES = [
    (
        "new_connection.registered",
        "报装受理：case_number, customer_name, expected_completion",
        SIGNATURE + "{{ customer_name }}您好，您的用水报装申请已受理，受理编号{{ case_number }}，"
        "预计{{ expected_completion }}前办结。",
        "用水报装申请已受理（{{ case_number }}）",
        "{{ customer_name }}您好：\n\n您的用水报装申请已受理。\n受理编号：{{ case_number }}\n"
        "预计办结日期：{{ expected_completion }}\n\n请妥善保管受理回执，凭受理编号可查询办理进度。",
    ),
    (
        "new_connection.materials_missing",
        "一次性告知缺件：case_number, missing (材料名称列表), deadline",
        SIGNATURE + "您的报装申请（{{ case_number }}）尚缺以下材料：{{ missing|join:'、' }}。"
        "请于{{ deadline }}前一次补齐，逾期未补齐申请将被撤回。",
        "报装申请需补充材料（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）尚缺以下材料，现一次性告知：\n"
        "{% for item in missing %}{{ forloop.counter }}. {{ item }}\n{% endfor %}\n"
        "请于{{ deadline }}前一次补齐。补齐前办理时限暂停计算；逾期未补齐，申请将被撤回。",
    ),
    (
        "new_connection.materials_complete",
        "材料齐全：case_number, expected_completion",
        SIGNATURE + "您的报装申请（{{ case_number }}）材料已齐全，我们将尽快安排现场勘查，"
        "预计{{ expected_completion }}前办结。",
        "报装申请材料已齐全（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）材料已齐全，"
        "我们将尽快安排现场勘查。\n预计办结日期：{{ expected_completion }}",
    ),
    (
        "new_connection.survey_booked",
        "预约勘查：case_number, survey_time, surveyor_name, preparation",
        SIGNATURE + "您的报装申请（{{ case_number }}）已预约现场勘查：{{ survey_time }}，"
        "勘查员{{ surveyor_name }}。请提前准备：{{ preparation }}。",
        "现场勘查预约通知（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）已预约现场勘查。\n"
        "勘查时间：{{ survey_time }}\n勘查人员：{{ surveyor_name }}\n"
        "请提前准备：{{ preparation }}\n\n如需改约，请联系营业厅。",
    ),
    (
        "new_connection.approved",
        "审批通过：case_number",
        SIGNATURE + "您的报装申请（{{ case_number }}）已审批通过，我们将尽快核定安装工程费用并通知您。",
        "报装申请已审批通过（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）已审批通过。"
        "我们将尽快核定安装工程费用并通知您缴费。",
    ),
    (
        "new_connection.rejected",
        "不予批准：case_number, reason",
        SIGNATURE + "很抱歉，您的报装申请（{{ case_number }}）未予批准，原因：{{ reason }}。"
        "如有疑问请咨询营业厅。",
        "报装申请未予批准（{{ case_number }}）",
        "您好：\n\n很抱歉，您的用水报装申请（受理编号{{ case_number }}）未予批准。\n"
        "原因：{{ reason }}\n\n如有疑问，请咨询营业厅。",
    ),
    (
        "new_connection.fee_assessed",
        "费用核定：case_number, amount (元), due_date, payment_methods",
        SIGNATURE + "您的报装申请（{{ case_number }}）安装工程费用为{{ amount }}元，"
        "请于{{ due_date }}前缴纳。缴费方式：{{ payment_methods }}。",
        "安装工程费用缴费通知（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）安装工程费用已核定。\n"
        "金额：{{ amount }}元\n缴费期限：{{ due_date }}\n缴费方式：{{ payment_methods }}\n\n"
        "本费用仅为安装工程费用，不收取任何接入类费用。",
    ),
    (
        "new_connection.paid",
        "已缴费：case_number, amount, receipt_number",
        SIGNATURE + "已收到您的报装申请（{{ case_number }}）工程款{{ amount }}元，"
        "收据号{{ receipt_number }}。我们将尽快安排装表。",
        "缴费成功通知（{{ case_number }}）",
        "您好：\n\n已收到您的用水报装申请（受理编号{{ case_number }}）安装工程款。\n"
        "金额：{{ amount }}元\n收据号：{{ receipt_number }}\n\n我们将尽快安排装表。",
    ),
    (
        "new_connection.meter_installed",
        "装表完成：case_number, meter_serial, initial_reading",
        SIGNATURE + "您的报装申请（{{ case_number }}）已完成装表，表号{{ meter_serial }}，"
        "初始读数{{ initial_reading }}。",
        "水表安装完成（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）已完成水表安装。\n"
        "表号：{{ meter_serial }}\n初始读数：{{ initial_reading }}",
    ),
    (
        "new_connection.water_on",
        "通水办结：case_number, account_number",
        SIGNATURE + "您的报装申请（{{ case_number }}）已通水办结，户号{{ account_number }}，"
        "请凭户号缴纳水费。感谢您的支持！",
        "通水办结通知（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）已通水办结。\n"
        "户号：{{ account_number }}\n\n请凭户号查询和缴纳水费。感谢您的支持！",
    ),
    (
        "new_connection.withdrawn",
        "申请撤回：case_number, reason",
        SIGNATURE + "您的报装申请（{{ case_number }}）已撤回，原因：{{ reason }}。"
        "如仍需用水，请重新申请。",
        "报装申请已撤回（{{ case_number }}）",
        "您好：\n\n您的用水报装申请（受理编号{{ case_number }}）已撤回。\n原因：{{ reason }}\n\n"
        "如仍需办理，请重新提交申请。",
    ),
    (
        "sla.at_risk",
        "时限预警（员工）：case_number, milestone, due_at",
        SIGNATURE + "时限预警：工单{{ case_number }}的“{{ milestone }}”将于{{ due_at }}到期，"
        "请及时处理。",
        "时限预警：工单{{ case_number }}“{{ milestone }}”即将到期",
        "工单{{ case_number }}的“{{ milestone }}”环节将于{{ due_at }}到期，请及时处理。",
    ),
    (
        "sla.breached",
        "超时（员工）：case_number, milestone, due_at",
        SIGNATURE + "超时提醒：工单{{ case_number }}的“{{ milestone }}”已于{{ due_at }}超时，"
        "请立即处理。",
        "超时提醒：工单{{ case_number }}“{{ milestone }}”已超时",
        "工单{{ case_number }}的“{{ milestone }}”环节已于{{ due_at }}超时，请立即处理。",
    ),
]


def seed_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for key, description, sms_body, email_subject, email_body in TEMPLATES:
        NotificationTemplate.objects.get_or_create(
            key=key, channel="sms", defaults={"body": sms_body, "description": description}
        )
        NotificationTemplate.objects.get_or_create(
            key=key,
            channel="email",
            defaults={
                "subject": email_subject,
                "body": email_body + EMAIL_FOOTER,
                "description": description,
            },
        )


def remove_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=[row[0] for row in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_initial")]

    operations = [migrations.RunPython(seed_templates, remove_templates)]

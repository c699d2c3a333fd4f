"""The default SLA time limits and the Chinese message templates of this app's three kinds
(new connection, ownership transfer, usage change), seeded by the kinds' own app. Only what
is missing is created: administrators' edits are kept (installations that ran the older
``sla`` and ``notify`` seed migrations have every row already)."""

from decimal import Decimal

from django.db import migrations

POLICIES = [
    # case_kind, milestone, priority, amount, unit
    ("new_connection", "contact_customer", "normal", Decimal("1"), "working_days"),
    ("new_connection", "contact_customer", "green", Decimal("4"), "working_hours"),
    ("new_connection", "complete", "normal", Decimal("10"), "working_days"),
    ("new_connection", "complete", "green", Decimal("5"), "working_days"),
    ("ownership_transfer", "complete", "normal", Decimal("3"), "working_days"),
    ("ownership_transfer", "complete", "green", Decimal("2"), "working_days"),
    ("usage_change", "complete", "normal", Decimal("5"), "working_days"),
    ("usage_change", "complete", "green", Decimal("3"), "working_days"),
]

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
        "ownership_transfer.registered",
        "过户受理：case_number, customer_name, account_number, expected_completion",
        SIGNATURE + "{{ customer_name }}您好，户号{{ account_number }}的过户申请已受理，"
        "受理编号{{ case_number }}，预计{{ expected_completion }}前办结。",
        "水表过户申请已受理（{{ case_number }}）",
        "{{ customer_name }}您好：\n\n户号{{ account_number }}的水表过户申请已受理。\n"
        "受理编号：{{ case_number }}\n预计办结日期：{{ expected_completion }}\n\n"
        "我们将核验材料并安排过户抄表，原户主的水费将结算至过户抄表之日。",
    ),
    (
        "ownership_transfer.materials_missing",
        "过户一次性告知缺件：case_number, missing (材料名称列表), deadline",
        SIGNATURE + "您的过户申请（{{ case_number }}）尚缺以下材料：{{ missing|join:'、' }}。"
        "请于{{ deadline }}前一次补齐。",
        "过户申请需补充材料（{{ case_number }}）",
        "您好：\n\n您的水表过户申请（受理编号{{ case_number }}）尚缺以下材料，现一次性告知：\n"
        "{% for item in missing %}{{ forloop.counter }}. {{ item }}\n{% endfor %}\n"
        "请于{{ deadline }}前一次补齐。补齐前办理时限暂停计算。",
    ),
    (
        "ownership_transfer.materials_complete",
        "过户材料齐全：case_number, expected_completion",
        SIGNATURE + "您的过户申请（{{ case_number }}）材料已齐全，预计{{ expected_completion }}前办结。",
        "过户申请材料已齐全（{{ case_number }}）",
        "您好：\n\n您的水表过户申请（受理编号{{ case_number }}）材料已齐全。\n"
        "预计办结日期：{{ expected_completion }}",
    ),
    (
        "ownership_transfer.rejected",
        "过户不予办理：case_number, reason",
        SIGNATURE + "很抱歉，您的过户申请（{{ case_number }}）未能办理，原因：{{ reason }}。"
        "如有疑问请咨询营业厅。",
        "过户申请未能办理（{{ case_number }}）",
        "您好：\n\n很抱歉，您的水表过户申请（受理编号{{ case_number }}）未能办理。\n"
        "原因：{{ reason }}\n\n如有疑问，请咨询营业厅。",
    ),
    (
        "ownership_transfer.withdrawn",
        "过户撤回：case_number, reason",
        SIGNATURE + "您的过户申请（{{ case_number }}）已撤回，原因：{{ reason }}。",
        "过户申请已撤回（{{ case_number }}）",
        "您好：\n\n您的水表过户申请（受理编号{{ case_number }}）已撤回。\n原因：{{ reason }}",
    ),
    (
        "ownership_transfer.settlement_required",
        "过户待结清（致原户主）：case_number, account_number, bill_number, bill_amount, "
        "balance, payment_methods",
        SIGNATURE + "户号{{ account_number }}办理过户（{{ case_number }}），"
        "结清账单{{ bill_number }}金额{{ bill_amount }}元，"
        "账户尚欠{{ balance }}元，请结清后办理过户。缴费方式：{{ payment_methods }}。",
        "过户前请结清水费（{{ case_number }}）",
        "您好：\n\n户号{{ account_number }}正在办理水表过户（受理编号{{ case_number }}）。\n"
        "结清账单：{{ bill_number }}，金额{{ bill_amount }}元\n账户欠费合计：{{ balance }}元\n"
        "缴费方式：{{ payment_methods }}\n\n欠费结清后即可完成过户。",
    ),
    (
        "ownership_transfer.completed",
        "过户办结（致新户主）：case_number, customer_name, account_number, carried_balance",
        SIGNATURE + "{{ customer_name }}您好，户号{{ account_number }}已过户至您的名下"
        "（{{ case_number }}）。{% if carried_balance %}原户主欠费{{ carried_balance }}元已随账户结转。{% endif %}"
        "感谢您的支持！",
        "水表过户已办结（{{ case_number }}）",
        "{{ customer_name }}您好：\n\n户号{{ account_number }}已过户至您的名下"
        "（受理编号{{ case_number }}）。\n"
        "{% if carried_balance %}原户主欠费{{ carried_balance }}元已随账户结转，请一并缴纳。\n{% endif %}"
        "\n此后的水费账单将寄送给您。感谢您的支持！",
    ),
    (
        "ownership_transfer.completed_previous",
        "过户办结（致原户主）：case_number, customer_name, account_number, bill_number, bill_amount",
        SIGNATURE + "{{ customer_name }}您好，户号{{ account_number }}已办理过户（{{ case_number }}），"
        "您的结清账单{{ bill_number }}金额{{ bill_amount }}元。",
        "水表过户已办结（{{ case_number }}）",
        "{{ customer_name }}您好：\n\n户号{{ account_number }}已办理过户（受理编号{{ case_number }}）。\n"
        "您的结清账单：{{ bill_number }}，金额{{ bill_amount }}元。\n\n此后的用水费用不再由您承担。",
    ),
    (
        "usage_change.registered",
        "用水性质变更受理：case_number, customer_name, account_number, requested_usage, "
        "expected_completion",
        SIGNATURE + "{{ customer_name }}您好，户号{{ account_number }}变更为“{{ requested_usage }}”"
        "的申请已受理，受理编号{{ case_number }}，预计{{ expected_completion }}前办结。",
        "用水性质变更申请已受理（{{ case_number }}）",
        "{{ customer_name }}您好：\n\n户号{{ account_number }}的用水性质变更申请已受理。\n"
        "申请变更为：{{ requested_usage }}\n受理编号：{{ case_number }}\n"
        "预计办结日期：{{ expected_completion }}",
    ),
    (
        "usage_change.materials_missing",
        "变更一次性告知缺件：case_number, missing (材料名称列表), deadline",
        SIGNATURE + "您的用水性质变更申请（{{ case_number }}）尚缺以下材料：{{ missing|join:'、' }}。"
        "请于{{ deadline }}前一次补齐。",
        "用水性质变更申请需补充材料（{{ case_number }}）",
        "您好：\n\n您的用水性质变更申请（受理编号{{ case_number }}）尚缺以下材料，现一次性告知：\n"
        "{% for item in missing %}{{ forloop.counter }}. {{ item }}\n{% endfor %}\n"
        "请于{{ deadline }}前一次补齐。补齐前办理时限暂停计算。",
    ),
    (
        "usage_change.materials_complete",
        "变更材料齐全：case_number, expected_completion",
        SIGNATURE + "您的用水性质变更申请（{{ case_number }}）材料已齐全，"
        "预计{{ expected_completion }}前办结。",
        "用水性质变更申请材料已齐全（{{ case_number }}）",
        "您好：\n\n您的用水性质变更申请（受理编号{{ case_number }}）材料已齐全。\n"
        "预计办结日期：{{ expected_completion }}",
    ),
    (
        "usage_change.approved",
        "变更审批通过：case_number, usage, effective_date",
        SIGNATURE + "您的用水性质变更申请（{{ case_number }}）已批准，我们将于{{ effective_date }}"
        "上门抄表，抄表后的用水按“{{ usage }}”计价。",
        "用水性质变更已批准（{{ case_number }}）",
        "您好：\n\n您的用水性质变更申请（受理编号{{ case_number }}）已批准。\n"
        "变更后用水性质：{{ usage }}\n生效日期：{{ effective_date }}\n\n"
        "生效日我们将抄录水表读数：抄表前的用水按原水价结算，抄表后的用水按新水价计费。",
    ),
    (
        "usage_change.rejected",
        "变更不予办理：case_number, reason",
        SIGNATURE + "很抱歉，您的用水性质变更申请（{{ case_number }}）未予批准，原因：{{ reason }}。",
        "用水性质变更申请未予批准（{{ case_number }}）",
        "您好：\n\n很抱歉，您的用水性质变更申请（受理编号{{ case_number }}）未予批准。\n"
        "原因：{{ reason }}\n\n如有疑问，请咨询营业厅。",
    ),
    (
        "usage_change.withdrawn",
        "变更撤回：case_number, reason",
        SIGNATURE + "您的用水性质变更申请（{{ case_number }}）已撤回，原因：{{ reason }}。",
        "用水性质变更申请已撤回（{{ case_number }}）",
        "您好：\n\n您的用水性质变更申请（受理编号{{ case_number }}）已撤回。\n原因：{{ reason }}",
    ),
    (
        "usage_change.completed",
        "变更办结、告知新水价：case_number, account_number, usage, effective_date, "
        "price_summary, payment_methods",
        SIGNATURE + "户号{{ account_number }}已变更为“{{ usage }}”（{{ case_number }}），"
        "{{ effective_date }}变更抄表后的用水按新水价计费：{{ price_summary }}。"
        "缴费方式：{{ payment_methods }}。",
        "用水性质变更已办结，新水价告知（{{ case_number }}）",
        "您好：\n\n户号{{ account_number }}的用水性质变更已办结（受理编号{{ case_number }}）。\n"
        "变更后用水性质：{{ usage }}\n生效日期：{{ effective_date }}\n"
        "新水价：{{ price_summary }}\n\n生效日抄表前的用水已按原水价单独结算出账，"
        "抄表后的用水按新水价计费。\n缴费方式：{{ payment_methods }}",
    ),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for case_kind, milestone, priority, amount, unit in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind=case_kind,
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": unit},
        )
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


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_kind_from_registry"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

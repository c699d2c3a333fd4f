"""Planned outages: the notice rules (24 hours ahead, a reminder 2 hours before), the time a
duty manager has to decide on a short-notice outage, and the notices' wording."""

from decimal import Decimal

from django.db import migrations

# case_kind, milestone, priority, amount, unit
POLICIES = [
    ("outage", "approve", "normal", Decimal("2"), "calendar_hours"),
]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = (
    "\n\n如有疑问请致电供水服务热线。\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"
)
POINTS = "{% if water_points %}临时供水点：{{ water_points }}。{% endif %}"
ASK = "如有疑问请致电供水服务热线。"

# key: (description, {channel: (subject, body)}). To every affected customer on the
# channels they chose (SMS always): sms, email, wechat.
CUSTOMER_TEMPLATES = {
    "emergency.outage_notice": (
        "计划停水通知：works, starts_at, ends_at, area, water_points",
        {
            "sms": (
                "",
                SIGNATURE + "停水通知：因{{ works }}，{{ starts_at }}至{{ ends_at }}"
                "{{ area }}停止供水，请提前储水。" + POINTS + ASK,
            ),
            "wechat": (
                "计划停水通知",
                "因{{ works }}，{{ starts_at }}至{{ ends_at }}{{ area }}停止供水，"
                "请提前储水。" + POINTS + ASK,
            ),
            "email": (
                "计划停水通知：{{ starts_at }}至{{ ends_at }}",
                "尊敬的客户：\n\n因{{ works }}，{{ starts_at }}至{{ ends_at }}，{{ area }}"
                "将停止供水，请提前做好储水准备。\n" + POINTS + "\n给您带来不便，敬请谅解。",
            ),
        },
    ),
    "emergency.outage_reminder": (
        "停水前提醒：works, starts_at, ends_at, area, water_points",
        {
            "sms": (
                "",
                SIGNATURE + "停水提醒：{{ area }}将于{{ starts_at }}起停水（{{ works }}），"
                "预计{{ ends_at }}恢复供水，请及时储水。" + POINTS + ASK,
            ),
            "wechat": (
                "停水提醒",
                "{{ area }}将于{{ starts_at }}起停水（{{ works }}），预计{{ ends_at }}恢复供水，"
                "请及时储水。" + POINTS + ASK,
            ),
            "email": (
                "停水提醒：{{ starts_at }}起停水",
                "尊敬的客户：\n\n{{ area }}将于{{ starts_at }}起停止供水（{{ works }}），"
                "预计{{ ends_at }}恢复供水，请及时储水。\n" + POINTS,
            ),
        },
    ),
    "emergency.outage_overrun": (
        "停水延长：works, ends_at, reason, area, water_points",
        {
            "sms": (
                "",
                SIGNATURE + "延长停水通知：{{ area }}的{{ works }}未能按时完工（{{ reason }}），"
                "恢复供水时间推迟至{{ ends_at }}，敬请谅解。" + POINTS + ASK,
            ),
            "wechat": (
                "延长停水通知",
                "{{ area }}的{{ works }}未能按时完工（{{ reason }}），恢复供水时间推迟至"
                "{{ ends_at }}，敬请谅解。" + POINTS + ASK,
            ),
            "email": (
                "延长停水通知：预计{{ ends_at }}恢复供水",
                "尊敬的客户：\n\n{{ area }}的{{ works }}未能按时完工，原因：{{ reason }}。"
                "恢复供水时间推迟至{{ ends_at }}。\n" + POINTS + "\n给您带来不便，敬请谅解。",
            ),
        },
    ),
    "emergency.outage_restored": (
        "恢复供水：works, restored_at, area",
        {
            "sms": (
                "",
                SIGNATURE + "恢复供水通知：{{ area }}已于{{ restored_at }}恢复供水"
                "（{{ works }}已完工）。刚恢复时水质可能短暂浑浊，请放水片刻后使用。"
                "感谢您的理解与配合。",
            ),
            "wechat": (
                "恢复供水通知",
                "{{ area }}已于{{ restored_at }}恢复供水（{{ works }}已完工）。刚恢复时水质"
                "可能短暂浑浊，请放水片刻后使用。感谢您的理解与配合。",
            ),
            "email": (
                "恢复供水通知",
                "尊敬的客户：\n\n{{ area }}已于{{ restored_at }}恢复供水（{{ works }}已完工）。"
                "刚恢复供水时水质可能短暂浑浊，请放水片刻后再使用。\n\n感谢您的理解与配合。",
            ),
        },
    ),
    "emergency.outage_cancelled": (
        "取消停水：works, starts_at, reason, area",
        {
            "sms": (
                "",
                SIGNATURE + "取消停水通知：原定{{ starts_at }}起{{ area }}的停水"
                "（{{ works }}）已取消，供水正常。原因：{{ reason }}。" + ASK,
            ),
            "wechat": (
                "取消停水通知",
                "原定{{ starts_at }}起{{ area }}的停水（{{ works }}）已取消，供水正常。"
                "原因：{{ reason }}。" + ASK,
            ),
            "email": (
                "取消停水通知",
                "尊敬的客户：\n\n原定{{ starts_at }}起{{ area }}的停水（{{ works }}）已取消，"
                "供水正常。原因：{{ reason }}。\n\n给您带来不便，敬请谅解。",
            ),
        },
    ),
}

# To the duty managers (staff: SMS and e-mail).
STAFF_TEMPLATES = {
    "emergency.outage_approval": (
        "紧急停水待批准（发给值班主任）：case_number, works, starts_at, customers, reason",
        {
            "sms": (
                "",
                SIGNATURE + "紧急停水待批准：{{ case_number }}，{{ works }}，{{ starts_at }}起停水，"
                "影响{{ customers }}户。原因：{{ reason }}。请尽快登录系统审批。",
            ),
            "email": (
                "紧急停水待批准：{{ case_number }}",
                "值班主任：\n\n计划停水 {{ case_number }}（{{ works }}）拟于{{ starts_at }}开始，"
                "不足提前通知时限，影响{{ customers }}户。\n紧急原因：{{ reason }}\n\n"
                "请尽快登录系统批准或不予批准；批准后系统立即通知受影响客户。",
            ),
        },
    ),
}


def seed(apps, schema_editor):
    OutagePolicy = apps.get_model("emergency", "OutagePolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    if not OutagePolicy.objects.exists():
        OutagePolicy.objects.create(notice_hours=24, reminder_hours=2)
    for case_kind, milestone, priority, amount, unit in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind=case_kind,
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": unit},
        )
    for key, (description, channels) in {**CUSTOMER_TEMPLATES, **STAFF_TEMPLATES}.items():
        for channel, (subject, body) in channels.items():
            if channel == "email" and key in CUSTOMER_TEMPLATES:
                body += EMAIL_FOOTER
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    keys = [*CUSTOMER_TEMPLATES, *STAFF_TEMPLATES]
    NotificationTemplate.objects.filter(key__in=keys).delete()
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("emergency", "0010_incident_notices"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0005_notification_batch_key"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

"""Seed the fault catalogue, the repair policy (defaults), the repair time limits and the
Chinese notices of a repair. Only creates what is missing: the administrators' edits are
kept.

Time limits (``sla.SlaPolicy``, kind ``repair``; calendar hours: a repair's clock is the
calendar, not business hours):
- dispatch 0.25 h and arrival 1 h (urgent repairs, from the report);
- contact 4 h (general repairs, from dispatch) — the clock takes its hours, and whether
  working hours apply, from the ``RepairPolicy``;
- follow-up 72 h (from completion) — the clock takes the policy's ``follow_up_days``;
- the green channel (priority "green"): arrival 45 min, contact 2 h, follow-up 24 h.

The policy names no departments: departments are the utility's own data (administrators
set the repair department and the water-quality department)."""

from decimal import Decimal

from django.db import migrations

# code, name, default urgency, zone-wide, informs quality, position
FAULT_TYPES = [
    ("burst_main", "爆管", "urgent", True, False, 10),
    ("leak", "漏水", "general", False, False, 20),
    ("no_water", "停水/无水", "urgent", True, False, 30),
    ("low_pressure", "水压低", "general", True, False, 40),
    ("meter_fault", "水表故障", "general", False, False, 50),
    ("discoloured_water", "水质浑浊/发黄", "general", True, True, 60),
    ("other", "其他", "general", False, False, 90),
]

# milestone, priority, amount (calendar hours)
POLICIES = [
    ("dispatch", "normal", Decimal("0.25")),
    ("arrive", "normal", Decimal("1.00")),
    ("contact", "normal", Decimal("4")),
    ("follow_up", "normal", Decimal("72")),
    ("arrive", "green", Decimal("0.75")),
    ("contact", "green", Decimal("2")),
    ("follow_up", "green", Decimal("24")),
]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"
STAFF_FOOTER = "\n\n（本邮件由系统自动发送。）"

# key -> description, {channel: (subject, body)}
TEMPLATES = {
    "repair.registered": (
        "报修已受理（发给来电人）：case_number, fault, address, urgency, next_step",
        {
            "sms": (
                "",
                SIGNATURE + "您反映的“{{ fault }}”（{{ address }}）已受理，受理编号{{ case_number }}，"
                "{{ next_step }}。如有疑问请致电客服热线。",
            ),
            "email": (
                "您的报修已受理（{{ case_number }}）",
                "您好：\n\n您反映的“{{ fault }}”已受理。\n受理编号：{{ case_number }}\n"
                "故障地址：{{ address }}\n\n{{ next_step }}。" + EMAIL_FOOTER,
            ),
            "wechat": (
                "报修受理通知",
                "您反映的“{{ fault }}”（{{ address }}）已受理，受理编号{{ case_number }}，"
                "{{ next_step }}。",
            ),
        },
    ),
    "repair.booked": (
        "已预约上门（发给每位来电人）：case_number, fault, address, window, crew",
        {
            "sms": (
                "",
                SIGNATURE + "您的报修{{ case_number }}（{{ fault }}）已预约上门维修，"
                "时间：{{ window }}，维修班组：{{ crew }}。",
            ),
            "email": (
                "维修上门时间（{{ case_number }}）",
                "您好：\n\n您的报修{{ case_number }}（{{ fault }}，{{ address }}）已预约上门维修。\n"
                "上门时间：{{ window }}\n维修班组：{{ crew }}" + EMAIL_FOOTER,
            ),
            "wechat": (
                "维修预约通知",
                "您的报修{{ case_number }}（{{ fault }}）已预约上门，时间：{{ window }}，"
                "维修班组：{{ crew }}。",
            ),
        },
    ),
    "repair.delayed": (
        "维修延期或更换主要部件（发给每位来电人）：case_number, fault, address, reason, eta",
        {
            "sms": (
                "",
                SIGNATURE + "您的报修{{ case_number }}（{{ fault }}）需延长维修时间，"
                "原因：{{ reason }}，预计完成时间：{{ eta }}。给您带来不便，敬请谅解。",
            ),
            "email": (
                "维修时间调整（{{ case_number }}）",
                "您好：\n\n您的报修{{ case_number }}（{{ fault }}，{{ address }}）需延长维修时间。\n"
                "原因：{{ reason }}\n预计完成时间：{{ eta }}\n\n给您带来不便，敬请谅解。"
                + EMAIL_FOOTER,
            ),
            "wechat": (
                "维修时间调整通知",
                "您的报修{{ case_number }}（{{ fault }}）需延长维修时间，原因：{{ reason }}，"
                "预计完成时间：{{ eta }}。",
            ),
        },
    ),
    "repair.completed": (
        "维修完工（发给每位来电人）：case_number, fault, address, completed_at, result",
        {
            "sms": (
                "",
                SIGNATURE + "您反映的“{{ fault }}”（{{ address }}，受理编号{{ case_number }}）"
                "已于{{ completed_at }}修复。感谢您的支持，我们将对维修情况进行回访。",
            ),
            "email": (
                "维修已完工（{{ case_number }}）",
                "您好：\n\n您反映的“{{ fault }}”（{{ address }}）已于{{ completed_at }}修复。\n"
                "受理编号：{{ case_number }}\n\n感谢您的支持，我们将对维修情况进行回访。"
                + EMAIL_FOOTER,
            ),
            "wechat": (
                "维修完工通知",
                "您反映的“{{ fault }}”（{{ address }}，受理编号{{ case_number }}）已于"
                "{{ completed_at }}修复，我们将对维修情况进行回访。",
            ),
        },
    ),
    "repair.quality_alert": (
        "水质类报修（发给水质部门员工）：case_number, fault, address, urgency, description",
        {
            "sms": (
                "",
                SIGNATURE + "【水质报修】{{ case_number }}：{{ address }}，{{ fault }}，"
                "{{ description }}。请水质部门跟进。",
            ),
            "email": (
                "【水质报修】{{ case_number }}：{{ address }}",
                "受理编号：{{ case_number }}\n故障类型：{{ fault }}\n地址：{{ address }}\n"
                "情况：{{ description }}\n\n请水质部门跟进检测。" + STAFF_FOOTER,
            ),
        },
    ),
    "repair.no_crew": (
        "紧急报修无值班班组（发给调度员）：case_number, fault, address, reported_at",
        {
            "sms": (
                "",
                SIGNATURE + "【紧急报修待派】{{ case_number }}：{{ address }}，{{ fault }}，"
                "报修时间{{ reported_at }}。当前无值班班组，请立即派单。",
            ),
            "email": (
                "【紧急报修待派】{{ case_number }}：{{ address }}",
                "受理编号：{{ case_number }}\n故障类型：{{ fault }}\n地址：{{ address }}\n"
                "报修时间：{{ reported_at }}\n\n当前值班表上没有班组，请立即派单。"
                + STAFF_FOOTER,
            ),
        },
    ),
}


def seed(apps, schema_editor):
    FaultType = apps.get_model("repairs", "FaultType")
    RepairPolicy = apps.get_model("repairs", "RepairPolicy")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for code, name, urgency, zone_wide, informs_quality, position in FAULT_TYPES:
        FaultType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "default_urgency": urgency,
                "zone_wide": zone_wide,
                "informs_quality": informs_quality,
                "position": position,
            },
        )
    if not RepairPolicy.objects.exists():
        RepairPolicy.objects.create()
    for milestone, priority, amount in POLICIES:
        SlaPolicy.objects.get_or_create(
            case_kind="repair",
            milestone=milestone,
            priority=priority,
            defaults={"amount": amount, "unit": "calendar_hours"},
        )
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    FaultType = apps.get_model("repairs", "FaultType")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=list(TEMPLATES)).delete()
    for milestone, priority, _amount in POLICIES:
        SlaPolicy.objects.filter(
            case_kind="repair", milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()
    FaultType.objects.filter(
        code__in=[row[0] for row in FAULT_TYPES], repairs__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0001_initial"),
        ("sla", "0005_kind_from_registry"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

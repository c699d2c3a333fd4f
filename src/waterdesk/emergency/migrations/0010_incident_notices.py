"""Seed the incident's notices and the review's time limit. Only creates what is missing:
the administrators' edits are kept.

- ``emergency.incident_notice`` (to every affected customer, on SMS, WeChat and e-mail):
  the first notice and each update — what happened, the area, the water points, the
  expected restoration;
- ``emergency.incident_restored``: the supply is back;
- ``emergency.incident_cancelled``: a notice withdrawn (a false alarm);
- ``emergency.incident_alert`` (to staff, SMS and e-mail): the plan is activated at a level.

The post-incident review is due within 5 working days of the restoration (``sla.SlaPolicy``
of kind ``incident``, milestone ``review``)."""

from decimal import Decimal

from django.db import migrations

POLICIES = [("incident", "review", "normal", Decimal("5"), "working_days")]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

_POINTS = "{% if water_points %}临时供水点：{{ water_points }}。{% endif %}"
_ESTIMATE = (
    "{% if expected_restoration %}预计{{ expected_restoration }}恢复供水。"
    "{% else %}恢复时间另行通知。{% endif %}"
)

TEMPLATES = {
    "emergency.incident_notice": (
        "突发停水通知及进展（发给受影响客户）：stage, title, summary, area, water_points, "
        "expected_restoration",
        {
            "sms": (
                "",
                SIGNATURE + "{{ stage }}：{{ title }}。{{ summary }}影响范围：{{ area }}。"
                + _POINTS
                + _ESTIMATE
                + "请提前储水，给您带来不便敬请谅解。",
            ),
            "wechat": (
                "{{ stage }}：{{ title }}",
                "{{ summary }}\n影响范围：{{ area }}\n"
                + _POINTS
                + "\n"
                + _ESTIMATE
                + "\n给您带来不便，敬请谅解。",
            ),
            "email": (
                "{{ stage }}：{{ title }}",
                "尊敬的客户：\n\n{{ summary }}\n\n影响范围：{{ area }}\n"
                + _POINTS
                + "\n"
                + _ESTIMATE
                + "\n\n抢修期间请提前储水、节约用水。给您带来不便，敬请谅解。"
                + EMAIL_FOOTER,
            ),
        },
    ),
    "emergency.incident_restored": (
        "恢复供水通知（发给受影响客户）：title, area, restored_at, summary",
        {
            "sms": (
                "",
                SIGNATURE + "恢复供水：{{ title }}，{{ area }}已于{{ restored_at }}恢复供水。"
                "{{ summary }}如水质短时浑浊，请放水片刻后使用。感谢您的理解与支持。",
            ),
            "wechat": (
                "恢复供水：{{ title }}",
                "{{ area }}已于{{ restored_at }}恢复供水。{{ summary }}\n"
                "如水质短时浑浊，请放水片刻后使用。感谢您的理解与支持。",
            ),
            "email": (
                "恢复供水：{{ title }}",
                "尊敬的客户：\n\n{{ area }}已于{{ restored_at }}恢复供水。\n{{ summary }}\n\n"
                "如水质短时浑浊，请放水片刻后使用。感谢您的理解与支持。" + EMAIL_FOOTER,
            ),
        },
    ),
    "emergency.incident_cancelled": (
        "停水通知撤销（误报，发给已通知的客户）：title, area, summary",
        {
            "sms": (
                "",
                SIGNATURE + "更正：此前发布的“{{ title }}”（{{ area }}）经核实不影响供水，"
                "原通知撤销。{{ summary }}给您带来困扰，敬请谅解。",
            ),
            "wechat": (
                "停水通知撤销：{{ title }}",
                "此前发布的“{{ title }}”（{{ area }}）经核实不影响供水，原通知撤销。"
                "{{ summary }}给您带来困扰，敬请谅解。",
            ),
            "email": (
                "停水通知撤销：{{ title }}",
                "尊敬的客户：\n\n此前发布的“{{ title }}”（影响范围：{{ area }}）经核实不影响"
                "供水，原通知撤销。\n{{ summary }}\n\n给您带来困扰，敬请谅解。" + EMAIL_FOOTER,
            ),
        },
    ),
    "emergency.incident_alert": (
        "应急响应启动（发给预案所列人员）：case_number, level, incident_type, title, area, "
        "customers",
        {
            "sms": (
                "",
                SIGNATURE + "应急响应{{ level }}：{{ incident_type }}“{{ title }}”，"
                "影响{{ area }}约{{ customers }}户。请按预案立即到位。事件{{ case_number }}",
            ),
            "email": (
                "应急响应{{ level }}：{{ title }}（{{ case_number }}）",
                "应急预案已启动，请按预案职责立即到位处置。\n\n"
                "事件编号：{{ case_number }}\n响应级别：{{ level }}\n"
                "事件类型：{{ incident_type }}\n事件名称：{{ title }}\n"
                "影响范围：{{ area }}\n受影响客户：约{{ customers }}户" + EMAIL_FOOTER,
            ),
        },
    ),
}


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
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=list(TEMPLATES)).delete()
    for case_kind, milestone, priority, _amount, _unit in POLICIES:
        SlaPolicy.objects.filter(
            case_kind=case_kind, milestone=milestone, priority=priority, clocks__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("emergency", "0003_drill_cancellation"),
        ("notify", "0005_notification_batch_key"),
        ("sla", "0005_kind_from_registry"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

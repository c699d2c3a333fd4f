"""The fault types an incident explains (no water, low pressure, discoloured water, a
burst main: a report of one of them from inside an active incident's area is linked to the
incident, not dispatched again), and the Chinese notices of a linked repair to its callers:
linked (with the incident's expected restoration and water points) and restored. Only
creates or sets what is missing: the administrators' edits are kept."""

from django.db import migrations

EXPLAINED = ["burst_main", "no_water", "low_pressure", "discoloured_water"]

SIGNATURE = "【城市水务】"
EMAIL_FOOTER = "\n\n城市水务客户服务中心\n（本邮件由系统自动发送，请勿直接回复。）"

# key -> description, {channel: (subject, body)}
TEMPLATES = {
    "repair.linked": (
        "报修并入应急事件（发给来电人）：case_number, fault, address, incident_number, "
        "expected_restoration, water_points",
        {
            "sms": (
                "",
                SIGNATURE + "“{{ fault }}”报修已受理（{{ case_number }}），该处属应急事件"
                "{{ incident_number }}范围，正在抢修{% if expected_restoration %}，预计"
                "{{ expected_restoration }}恢复供水{% endif %}{% if water_points %}。临时供水点："
                "{{ water_points }}{% endif %}。恢复后将短信告知。",
            ),
            "email": (
                "您的报修已并入应急事件处置（{{ case_number }}）",
                "您好：\n\n您反映的“{{ fault }}”（{{ address }}）已受理，受理编号：{{ case_number }}。\n"
                "该地址位于应急事件 {{ incident_number }} 的影响范围内，我们正在全力抢修，"
                "不再另行派员上门。\n"
                "{% if expected_restoration %}预计恢复供水时间：{{ expected_restoration }}\n{% endif %}"
                "{% if water_points %}临时供水点：{{ water_points }}\n{% endif %}"
                "\n恢复供水后我们将另行通知您。" + EMAIL_FOOTER,
            ),
            "wechat": (
                "报修受理通知",
                "您反映的“{{ fault }}”（{{ address }}）已受理，受理编号{{ case_number }}。该地址位于"
                "应急事件{{ incident_number }}影响范围内，正在抢修"
                "{% if expected_restoration %}，预计{{ expected_restoration }}恢复供水{% endif %}"
                "{% if water_points %}。临时供水点：{{ water_points }}{% endif %}。",
            ),
        },
    ),
    "repair.incident_restored": (
        "应急事件恢复供水，并入的报修结案（发给每位来电人）：case_number, fault, address, "
        "incident_number, restored_at",
        {
            "sms": (
                "",
                SIGNATURE + "您反映的“{{ fault }}”（受理编号{{ case_number }}）：应急事件"
                "{{ incident_number }}已于{{ restored_at }}恢复供水。如仍有异常请致电客服热线。",
            ),
            "email": (
                "已恢复供水（{{ case_number }}）",
                "您好：\n\n您反映的“{{ fault }}”（{{ address }}，受理编号{{ case_number }}）"
                "所在的应急事件 {{ incident_number }} 已于{{ restored_at }}恢复供水，报修随之办结。\n"
                "如仍有停水、水压低或水质异常，请致电客服热线。" + EMAIL_FOOTER,
            ),
            "wechat": (
                "恢复供水通知",
                "您反映的“{{ fault }}”（{{ address }}，受理编号{{ case_number }}）：应急事件"
                "{{ incident_number }}已于{{ restored_at }}恢复供水。如仍有异常请致电客服热线。",
            ),
        },
    ),
}


def seed(apps, schema_editor):
    FaultType = apps.get_model("repairs", "FaultType")
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    FaultType.objects.filter(code__in=EXPLAINED).update(explained_by_incident=True)
    for key, (description, channels) in TEMPLATES.items():
        for channel, (subject, body) in channels.items():
            NotificationTemplate.objects.get_or_create(
                key=key,
                channel=channel,
                defaults={"subject": subject, "body": body, "description": description},
            )


def unseed(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    NotificationTemplate.objects.filter(key__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0004_incident_link"),
        ("notify", "0004_template_privacy_lookup_alert"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

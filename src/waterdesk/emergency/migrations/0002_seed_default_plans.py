"""Seed a default emergency plan for each incident type, published as version 1: response
levels Ⅰ–Ⅳ with their triggers, who is called from which level, the procedure as ordered
steps with owners and target times, and the resources.

Only a type without any plan gets one (the emergency office's own plans are kept), so the
migration runs on a database where plans exist; reversing it leaves the plans in place."""

from django.db import migrations
from django.utils import timezone

# level: (customers, hours, quality failure, note, response minutes)
LEVELS = {
    "pipe_burst": {
        4: (500, 4, False, "", 30),
        3: (5000, 12, False, "", 20),
        2: (20000, 24, False, "主干管爆裂影响水厂出水", 15),
        1: (50000, 48, False, "", 10),
    },
    "pollution": {
        4: (200, None, False, "客户集中反映水质异常（浑浊、异味），经现场初步核实", 30),
        3: (2000, None, True, "出厂水或管网水检测不合格", 20),
        2: (20000, 12, True, "水源地突发污染，水厂需减产或停产", 15),
        1: (50000, 24, True, "污染可能危及人身健康或造成大范围停水", 10),
    },
    "natural_disaster": {
        4: (1000, 6, False, "暴雨、台风等黄色预警", 30),
        3: (10000, 12, False, "暴雨、台风等橙色预警", 20),
        2: (30000, 24, False, "红色预警，或水厂、泵站受淹", 15),
        1: (80000, 48, False, "地震等造成主要供水设施损毁", 10),
    },
    "supply_shortage": {
        4: (2000, 6, False, "高峰时段管网压力低于服务标准", 30),
        3: (10000, 12, False, "水源来水不足，需分区轮流供水", 20),
        2: (30000, 24, False, "", 15),
        1: (80000, 72, False, "全市性减量供水", 10),
    },
    "other": {
        4: (500, 4, False, "供电中断、设备故障、网络安全事件等影响供水或客户服务", 30),
        3: (5000, 12, False, "", 20),
        2: (20000, 24, False, "", 15),
        1: (50000, 48, False, "", 10),
    },
}

# (from level, target, role, duty); target "role" names a core.roles.Role value.
CONTACTS = [
    (4, "duty_manager", "", "接报后统一指挥现场处置，决定是否升级响应"),
    (4, "crew_on_call", "", "赶赴现场关阀、抢修"),
    (4, "role", "dispatcher", "调度抢修力量和物资，跟踪处置进度"),
    (3, "role", "emergency_office", "协调资源，组织停水通知和临时供水，向主管部门报告"),
    (3, "role", "supervisor", "统一对外答复口径，督办客户诉求"),
    (2, "role", "duty_manager", "全体值班主任到岗，轮班指挥"),
]

# (title, from level or None for every level, owner role, target minutes)
STEPS = {
    "pipe_burst": [
        ("核实险情并上报值班主任", None, "dispatcher", 15),
        ("调派抢修班组", None, "dispatcher", 30),
        ("关阀隔离", None, "crew_member", 60),
        ("确定影响范围并通知客户（重点用户优先）", None, "duty_manager", 60),
        ("设立临时供水点", 3, "emergency_office", 120),
        ("向主管部门报告", 2, "emergency_office", 60),
        ("修复并冲洗消毒", None, "crew_member", 480),
        ("水质检测合格后恢复供水", None, "dispatcher", 600),
        ("发布恢复通知", None, "duty_manager", 630),
    ],
    "pollution": [
        ("核实水质异常情况并上报值班主任", None, "dispatcher", 15),
        ("采样复检并确定污染范围", None, "duty_manager", 60),
        ("通知受影响客户暂停饮用（重点用户优先）", None, "duty_manager", 45),
        ("关阀隔离受污染管段，暂停供水", 3, "crew_member", 60),
        ("设立临时供水点并调配送水车", 3, "emergency_office", 120),
        ("向卫生健康、生态环境等主管部门报告", 3, "emergency_office", 60),
        ("排放冲洗并消毒受污染管段", None, "crew_member", 480),
        ("连续检测合格后恢复供水", None, "duty_manager", 720),
        ("发布恢复供水和饮用通知", None, "duty_manager", 750),
    ],
    "natural_disaster": [
        ("接收灾害预警并通知值班主任", None, "dispatcher", 15),
        ("调派抢修班组和备勤队伍", None, "dispatcher", 30),
        ("巡查水厂、泵站和重点管段", None, "crew_member", 120),
        ("确定影响范围并通知客户（重点用户优先）", None, "duty_manager", 60),
        ("启动备用电源，保障泵站运行", 3, "crew_member", 90),
        ("设立临时供水点", 3, "emergency_office", 120),
        ("向主管部门报告灾情", 2, "emergency_office", 60),
        ("抢修受损设施并冲洗消毒", None, "crew_member", 720),
        ("水质检测合格后恢复供水", None, "dispatcher", 1440),
        ("发布恢复通知", None, "duty_manager", 1470),
    ],
    "supply_shortage": [
        ("核实供水缺口和受影响区域", None, "dispatcher", 30),
        ("调整水厂出水和管网调度", None, "dispatcher", 60),
        ("通知受影响客户节约用水（重点用户优先）", None, "duty_manager", 60),
        ("制定分区轮流供水方案", 3, "emergency_office", 120),
        ("设立临时供水点，优先保障医院、学校", 3, "emergency_office", 180),
        ("向主管部门报告并发布节水倡议", 2, "emergency_office", 120),
        ("恢复正常供水并发布通知", None, "duty_manager", None),
    ],
    "other": [
        ("核实情况并上报值班主任", None, "dispatcher", 15),
        ("调派相关班组处置", None, "dispatcher", 30),
        ("确定影响范围并通知客户（重点用户优先）", None, "duty_manager", 60),
        ("设立临时供水点（需停水时）", 3, "emergency_office", 120),
        ("向主管部门报告", 2, "emergency_office", 60),
        ("恢复正常后发布通知", None, "duty_manager", None),
    ],
}

# (kind, description, quantity, unit, location, contact)
RESOURCES = [
    ("tanker", "送水车（8 吨）", 6, "辆", "调度中心车队", "车队值班室"),
    ("bottled_water", "桶装水（18.9 升）", 2000, "桶", "应急物资仓库", "仓库值班室"),
    ("bottled_water", "瓶装水（550 毫升×24）", 500, "箱", "应急物资仓库", "仓库值班室"),
    ("standby_crew", "备勤抢修队伍", 4, "支", "各营业所抢修站", "调度中心"),
    ("equipment", "移动发电机（200 千瓦）", 2, "台", "应急物资仓库", "仓库值班室"),
    ("equipment", "排水泵", 6, "台", "应急物资仓库", "仓库值班室"),
]
EXTRA_RESOURCES = {
    "pollution": [
        ("equipment", "便携式水质检测仪", 4, "套", "水质检测中心", "检测中心值班室"),
    ],
    "natural_disaster": [
        ("equipment", "防汛沙袋", 1000, "袋", "应急物资仓库", "仓库值班室"),
    ],
}

PLANS = [
    ("pipe_burst", "管道爆裂突发事件应急预案"),
    ("pollution", "水质污染突发事件应急预案"),
    ("natural_disaster", "自然灾害供水应急预案"),
    ("supply_shortage", "供水不足应急预案"),
    ("other", "其他突发事件应急预案"),
]


def seed(apps, schema_editor):
    EmergencyPlan = apps.get_model("emergency", "EmergencyPlan")
    PlanVersion = apps.get_model("emergency", "PlanVersion")
    PlanLevel = apps.get_model("emergency", "PlanLevel")
    PlanContact = apps.get_model("emergency", "PlanContact")
    PlanStep = apps.get_model("emergency", "PlanStep")
    PlanResource = apps.get_model("emergency", "PlanResource")
    now = timezone.now()
    for incident_type, name in PLANS:
        if EmergencyPlan.objects.filter(incident_type=incident_type).exists():
            continue
        if EmergencyPlan.objects.filter(code=incident_type).exists():
            continue
        plan = EmergencyPlan.objects.create(
            code=incident_type, name=name, incident_type=incident_type, created_at=now
        )
        version = PlanVersion.objects.create(
            plan=plan,
            number=1,
            status="published",
            change_note="初始版本",
            created_at=now,
            published_at=now,
        )
        for level, (customers, hours, quality, note, minutes) in LEVELS[incident_type].items():
            PlanLevel.objects.create(
                version=version,
                level=level,
                trigger_customers=customers,
                trigger_hours=hours,
                trigger_quality_failure=quality,
                trigger_note=note,
                response_minutes=minutes,
            )
        for level, target, role, duty in CONTACTS:
            PlanContact.objects.create(
                version=version, level=level, target=target, role=role, duty=duty
            )
        for position, (title, level, owner_role, minutes) in enumerate(
            STEPS[incident_type], start=1
        ):
            PlanStep.objects.create(
                version=version,
                position=position,
                title=title,
                level=level,
                owner_role=owner_role,
                target_minutes=minutes,
            )
        for kind, description, quantity, unit, location, contact in (
            RESOURCES + EXTRA_RESOURCES.get(incident_type, [])
        ):
            PlanResource.objects.create(
                version=version,
                kind=kind,
                description=description,
                quantity=quantity,
                unit=unit,
                location=location,
                contact=contact,
            )


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The demo city: departments, staff in every role (password ``demo-pass-2026``), four supply
zones, 200 customers each with a premise, an account and an installed meter, and 30
new-connection cases spread over every status of the workflow — green-channel, at-risk and
overdue ones included. Every case reaches its status through the real services, called in
order by the role allowed to take each step; cases that must look old run their early steps
in the past under ``time_machine``. Then one SLA sweep marks the clocks at risk or breached,
and the personal-data access log gets a working day's entries.

Deterministic: ``random.Random(2026)`` for the city, its own generator for billing
(``waterdesk.demo.billing``); only the dates follow today's date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum.cn import ric, uscc

from waterdesk.applications import new_connection as applications
from waterdesk.applications.intake import applications_withdraw_stale
from waterdesk.applications.models import (
    ApplicationKind,
    NewConnection,
    NewConnectionPolicy,
    NewConnectionStatus,
)
from waterdesk.applications.selectors import materials_required
from waterdesk.cases.access import case_contact_phone_reveal
from waterdesk.cases.models import Case, Channel, Priority
from waterdesk.cases.services import case_assign, case_claim, case_workable_by
from waterdesk.core.models import Department, StaffProfile
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers import services as customers
from waterdesk.customers.models import (
    AccessChannel,
    Customer,
    CustomerKind,
    PersonalField,
    SupplyZone,
    UsageCategory,
)
from waterdesk.customers.privacy import (
    customer_lookup_count,
    customer_personal_data,
    personal_data_reveal,
)
from waterdesk.demo.amr import seed_amr
from waterdesk.demo.billing import BILLING_RANDOM_SEED, BillingOffice
from waterdesk.demo.clock import at
from waterdesk.demo.collection import seed_collection
from waterdesk.demo.complaints import seed_city_hotline_client, seed_complaints, seed_praise
from waterdesk.demo.emergency import seed_emergency
from waterdesk.demo.fieldwork import locate_premises, seed_crews
from waterdesk.demo.inquiries import seed_inquiries
from waterdesk.demo.invoicing import seed_invoicing
from waterdesk.demo.metering import seed_metering
from waterdesk.demo.payments_bank import seed_bank
from waterdesk.demo.payments_counter import seed_counter
from waterdesk.demo.payments_gateways import seed_gateways
from waterdesk.demo.payments_notices import seed_notices
from waterdesk.demo.prepayment import seed_prepayment
from waterdesk.demo.quality import seed_quality
from waterdesk.demo.repairs import seed_repairs
from waterdesk.demo.surveys import seed_surveys
from waterdesk.demo.whistleblower import seed_whistleblower
from waterdesk.sla import calendar as sla_calendar
from waterdesk.sla import services as sla
from waterdesk.sla.models import SlaPolicy

DEMO_PASSWORD = "demo-pass-2026"  # published with the demo logins
RANDOM_SEED = 2026
MARKER_USERNAME = "clerk1"  # its presence means the demo data is already loaded
CUSTOMER_COUNT = 200
ORGANISATION_COUNT = 16
VULNERABLE_PERSON_COUNT = 6

DEPARTMENTS = [
    ("business", "营业部"),
    ("engineering", "工程部"),
    ("supervision", "服务监督科"),
    ("it", "信息中心"),
    ("repair", "供水抢修中心"),
    ("emergency", "应急管理办公室"),
    ("quality", "水质检测中心"),
]


@dataclass(frozen=True)
class StaffMember:
    username: str
    role: str
    name: str
    department: str
    mobile: str
    is_superuser: bool = False


STAFF = [
    StaffMember("clerk1", Role.INTAKE_CLERK, "王丽", "business", "13905710101"),
    StaffMember("clerk2", Role.INTAKE_CLERK, "陈静", "business", "13905710102"),
    StaffMember("surveyor1", Role.SURVEYOR, "刘强", "engineering", "13905710201"),
    StaffMember("surveyor2", Role.SURVEYOR, "赵磊", "engineering", "13905710202"),
    StaffMember("reviewer1", Role.REVIEWER, "孙敏", "business", "13905710301"),
    StaffMember("approver1", Role.APPROVER, "周建国", "business", "13905710401"),
    StaffMember("supervisor1", Role.SUPERVISOR, "吴芳", "supervision", "13905710501"),
    StaffMember("reader1", Role.METER_READER, "钱卫东", "business", "13905710701"),
    StaffMember("reader2", Role.METER_READER, "冯志刚", "business", "13905710702"),
    StaffMember("billing1", Role.BILLING_CLERK, "何雪梅", "business", "13905710801"),
    StaffMember("cashier1", Role.CASHIER, "林晓", "business", "13905710901"),
    StaffMember("hotline1", Role.HOTLINE_AGENT, "杨柳", "repair", "13905711001"),
    StaffMember("dispatcher1", Role.DISPATCHER, "马骏", "repair", "13905711101"),
    StaffMember("crew1", Role.CREW_MEMBER, "韩涛", "repair", "13905711201"),
    StaffMember("crew2", Role.CREW_MEMBER, "唐亮", "repair", "13905711202"),
    StaffMember("crew3", Role.CREW_MEMBER, "许峰", "repair", "13905711203"),
    StaffMember("crew4", Role.CREW_MEMBER, "邓超", "repair", "13905711204"),
    StaffMember("collector1", Role.COLLECTOR, "蒋涛", "business", "13905711301"),
    StaffMember("collsup1", Role.COLLECTION_SUPERVISOR, "秦雅", "business", "13905711401"),
    StaffMember("complaint1", Role.COMPLAINT_HANDLER, "宋佳", "supervision", "13905711501"),
    StaffMember("responder1", Role.DEPARTMENT_RESPONDER, "曹毅", "repair", "13905711601"),
    StaffMember("responder2", Role.DEPARTMENT_RESPONDER, "彭慧", "business", "13905711602"),
    StaffMember("emergency1", Role.EMERGENCY_OFFICE, "高原", "emergency", "13905711701"),
    StaffMember("duty1", Role.DUTY_MANAGER, "罗振华", "emergency", "13905711801"),
    StaffMember("sampler1", Role.SAMPLER, "夏雨", "quality", "13905711901"),
    StaffMember("lab1", Role.LAB_ANALYST, "顾敏", "quality", "13905712001"),
    StaffMember("lab2", Role.LAB_ANALYST, "沈洁", "quality", "13905712002"),
    StaffMember("quality1", Role.QUALITY_MANAGER, "方正", "quality", "13905712101"),
    StaffMember("quality2", Role.QUALITY_MANAGER, "严明", "quality", "13905712102"),
    StaffMember("finance1", Role.FINANCE, "陆佳", "business", "13905712201"),
    StaffMember("admin", Role.ADMINISTRATOR, "郑宇", "it", "13905710601", is_superuser=True),
]


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    district: str
    roads: tuple[str, ...]


ZONES = [
    Zone("north", "城北片区", "城北区", ("解放路", "北山路", "文化路", "建设北路", "胜利路")),
    Zone("south", "城南片区", "城南区", ("人民路", "南湖路", "健康路", "和平路", "滨河路")),
    Zone("east", "城东片区", "城东区", ("东风路", "朝阳路", "新华路", "东湖路", "学府路")),
    Zone("devzone", "开发区片区", "经济开发区", ("科技大道", "创业路", "兴业路", "金桥路")),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏方白邹孟熊秦邱江薛段雷侯龙史陶贺顾毛郝龚邵钱"
)
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "玉兰",
    "红",
    "鹏",
    "海燕",
    "志强",
    "建国",
    "晓东",
    "思远",
    "子涵",
    "梓萱",
    "宇轩",
    "欣怡",
    "浩然",
    "雨桐",
    "国庆",
    "淑珍",
    "春梅",
    "德明",
    "永福",
    "丽娟",
    "晓燕",
    "俊杰",
    "佳怡",
    "志明",
    "玉珍",
)
# Region codes that stdnum accepts for every birth year used here (1940–2004).
RIC_REGIONS = ("330122", "330127", "110105", "110108", "310104", "310107", "340121", "360121")
MOBILE_PREFIXES = ("139", "138", "186", "135", "137", "150", "158", "188", "177", "133", "189")
COMPANY_STEMS = (
    "恒信",
    "金源",
    "华盛",
    "鑫达",
    "瑞丰",
    "永安",
    "宏达",
    "新城",
    "嘉禾",
    "博远",
    "康泰",
    "锦程",
    "天润",
    "聚福",
    "盛世",
    "明辉",
)
# (name pattern, usage category, meter DN, is_vulnerable); {stem} and {district} are filled in.
ORGANISATION_KINDS = (
    ("{stem}餐饮管理有限公司", UsageCategory.NON_RESIDENTIAL, 25, False),
    ("{stem}商贸有限公司", UsageCategory.NON_RESIDENTIAL, 25, False),
    ("{stem}物业服务有限公司", UsageCategory.NON_RESIDENTIAL, 40, False),
    ("{stem}酒店有限公司", UsageCategory.NON_RESIDENTIAL, 50, False),
    ("{district}{stem}小学", UsageCategory.NON_RESIDENTIAL, 40, False),
    ("{district}{stem}幼儿园", UsageCategory.NON_RESIDENTIAL, 25, False),
    ("{stem}洗车服务部", UsageCategory.SPECIAL, 25, False),
    ("{stem}洗浴中心", UsageCategory.SPECIAL, 40, False),
    ("{district}{stem}社区卫生服务中心", UsageCategory.NON_RESIDENTIAL, 40, True),
    ("{stem}颐养院", UsageCategory.NON_RESIDENTIAL, 40, True),
    ("{stem}精密机械有限公司", UsageCategory.NON_RESIDENTIAL, 50, False),
    ("{stem}食品有限公司", UsageCategory.NON_RESIDENTIAL, 50, False),
)


# --- the thirty new-connection cases ---------------------------------------------------

# Every step of the happy path, in order; a case walks a prefix of it.
STEPS = (
    "register",
    "supply_materials",
    "assign_survey",
    "book_survey",
    "submit_survey",
    "review_pass",
    "collective_review",
    "approve",
    "assess_fee",
    "record_payment",
    "install_meter",
    "open_account",
    "turn_water_on",
)
LAST_STEP = {
    NewConnectionStatus.MATERIALS_PENDING: "register",
    NewConnectionStatus.REGISTERED: "register",
    NewConnectionStatus.SURVEY_ASSIGNED: "assign_survey",
    NewConnectionStatus.SURVEY_BOOKED: "book_survey",
    NewConnectionStatus.SURVEYED: "submit_survey",
    NewConnectionStatus.REVIEWED: "review_pass",
    NewConnectionStatus.COLLECTIVE_REVIEWED: "collective_review",
    NewConnectionStatus.APPROVED: "approve",
    NewConnectionStatus.FEE_ASSESSED: "assess_fee",
    NewConnectionStatus.PAID: "record_payment",
    NewConnectionStatus.METER_INSTALLED: "install_meter",
    NewConnectionStatus.ACCOUNT_OPENED: "open_account",
    NewConnectionStatus.COMPLETED: "turn_water_on",
}
# Contacting the customer is quick work (milestone of one working day); these steps follow
# the previous one after this many working minutes whatever the case's pace.
QUICK_STEP_MINUTES = {"assign_survey": 40, "book_survey": 90}


@dataclass(frozen=True)
class CaseSpec:
    status: str
    # How long ago the case was opened, in working days (see ``timing``), and the working days
    # between two later steps (compressed when the steps would not fit before now).
    age: float = 1.0
    pace: float = 0.5
    # "fresh": opened ``age`` working days ago; "at_risk": opened so that the whole-flow
    # clock is about 90 % used; "stale": materials never arrived (withdrawn by the system).
    timing: str = "fresh"
    organisation: bool = False
    green: str = ""  # green-channel reason
    missing: tuple[str, ...] = ()  # materials not brought at intake
    supply_later: bool = False  # the missing materials arrive one step later
    major: bool = False
    estimated_amount: str = ""
    size_dn: int = 20
    end: str = ""  # "withdraw", "review_reject" or "approval_reject" after the walk
    channel: str = Channel.COUNTER

    def needs_collective_review(self, threshold: Decimal) -> bool:
        return self.major or Decimal(self.estimated_amount or "0") >= threshold


S = NewConnectionStatus
CASE_SPECS = (
    # The stale one goes first: the system withdrawal sweeps every stale case in the table.
    CaseSpec(S.WITHDRAWN, timing="stale", missing=("property_certificate",), channel=Channel.PHONE),
    CaseSpec(S.WITHDRAWN, age=4, end="withdraw"),
    CaseSpec(S.MATERIALS_PENDING, age=0.6, missing=("property_certificate",)),
    CaseSpec(
        S.MATERIALS_PENDING,
        age=2.2,
        organisation=True,
        size_dn=25,
        missing=("business_licence", "authorisation_letter"),
    ),
    CaseSpec(S.REGISTERED, age=0.15, green="独居老人，家中无自来水", channel=Channel.PHONE),
    CaseSpec(S.REGISTERED, age=3),  # overdue: nobody contacted the customer
    CaseSpec(S.SURVEY_ASSIGNED, age=0.3, channel=Channel.WEB),
    CaseSpec(S.SURVEY_ASSIGNED, age=2.5),  # overdue: the surveyor never called
    CaseSpec(
        S.SURVEY_BOOKED,
        age=0.9,
        pace=0.2,
        missing=("property_certificate",),
        supply_later=True,
        channel=Channel.WECHAT,
    ),
    CaseSpec(S.SURVEY_BOOKED, age=15, pace=0.3),  # overdue: the survey never happened
    CaseSpec(S.SURVEYED, timing="at_risk", pace=0.6, organisation=True, size_dn=25),
    CaseSpec(S.SURVEYED, age=2, pace=0.4),
    CaseSpec(
        S.REVIEWED,
        age=4,
        pace=0.6,
        organisation=True,
        major=True,
        size_dn=50,
        estimated_amount="42600.00",
    ),  # waits for the collective review
    CaseSpec(S.REVIEWED, timing="at_risk", pace=0.8),
    CaseSpec(
        S.COLLECTIVE_REVIEWED,
        age=6,
        pace=0.8,
        organisation=True,
        size_dn=100,
        estimated_amount="86500.00",
    ),
    CaseSpec(
        S.COLLECTIVE_REVIEWED,
        age=5,
        pace=0.7,
        organisation=True,
        major=True,
        size_dn=50,
        estimated_amount="23800.00",
    ),
    CaseSpec(S.APPROVED, age=12, pace=0.6),  # overdue: the fee was never assessed
    CaseSpec(S.APPROVED, age=4, pace=0.6, channel=Channel.WEB),
    CaseSpec(S.FEE_ASSESSED, age=5, pace=0.6),
    CaseSpec(S.FEE_ASSESSED, age=6, pace=0.7, organisation=True, size_dn=40),
    CaseSpec(
        S.PAID, age=2.5, pace=0.25, organisation=True, size_dn=40, green="医疗机构用水，优先办理"
    ),
    CaseSpec(S.PAID, age=6, pace=0.7),
    CaseSpec(S.METER_INSTALLED, age=7, pace=0.7),
    CaseSpec(S.METER_INSTALLED, timing="at_risk", pace=0.8),
    CaseSpec(S.ACCOUNT_OPENED, age=7, pace=0.65),
    CaseSpec(
        S.ACCOUNT_OPENED, age=3, pace=0.3, green="学校开学前急需用水", organisation=True, size_dn=40
    ),
    CaseSpec(S.COMPLETED, age=9, pace=0.6, missing=("id_card",), supply_later=True),
    CaseSpec(S.COMPLETED, age=25, pace=1.6, channel=Channel.CITY_HOTLINE),  # completed late
    CaseSpec(S.REJECTED, age=5, pace=0.7, end="review_reject"),
    CaseSpec(S.REJECTED, age=6, pace=0.7, end="approval_reject"),
)
del S

REVIEW_OPINIONS = (
    "材料齐全，勘查结论可行，同意办理。",
    "现场具备接水条件，同意进入审批。",
    "申请资料真实完整，建议批准。",
)
APPROVAL_OPINIONS = ("同意。", "同意办理，请工程部按期施工。", "同意，注意施工安全和路面恢复。")
REVIEW_REJECTION = "用水地址位于规划拆迁范围内，暂不具备供水条件。"
APPROVAL_REJECTION = "该地块市政管网尚未敷设到位，待管网工程完工后再行申请。"
WITHDRAW_REASON = "客户房屋已出售，申请撤回。"
PARTICIPANTS = "周建国（主持）、孙敏、刘强、吴芳、王丽"
SITE_CONDITIONS = (
    "市政管网位于道路东侧，距离约15米，水压正常。",
    "小区管网已敷设到楼前，表井位置充足。",
    "需横穿人行道开挖约8米，已与物业沟通。",
)
FACILITIES = (
    "楼内立管完好，表箱需新装。",
    "原有表井可用，需更换阀门。",
    "室内管道已预埋，无需改造。",
)
INSTALLATION_POSITIONS = ("楼道管井内", "单元门口表井", "院内东侧墙边", "地下室设备间")
NOTES_EXPLAINED = "已告知客户施工期间临时停水安排、表箱防冻及缴费方式。"


class DemoCity:
    """Builds the demo data; one instance per run, all randomness from ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.calendar = sla_calendar.load_calendar()
        self.day_minutes = sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds // 60
            for start, end in self.calendar.periods
        )
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = {member.mobile for member in STAFF}
        self.used_addresses: set[str] = set()
        self.meter_serial_counter = 0
        self.staff: dict[str, object] = {}
        self.zones: dict[str, SupplyZone] = {}

    def build(self) -> None:
        self._create_departments_and_staff()
        self._create_zones()
        established = self._create_customers()
        locate_premises()
        self.crews = seed_crews(staff=self.staff, now=self.now)
        # Billing before the cases: its runs then see only the accounts that existed on
        # their (past) days. It draws from its own generator, so the customers and cases
        # come out as without it (the case meters' serials move on by the exchanged one).
        office = BillingOffice(city=self, rng=random.Random(BILLING_RANDOM_SEED))
        office.build()
        seed_bank(billing_clerk=self.staff["billing1"], admin=self.staff["admin"], now=self.now)
        seed_counter(
            cashier=self.staff["cashier1"], supervisor=self.staff["supervisor1"], now=self.now
        )
        seed_gateways(billing_clerk=self.staff["billing1"], now=self.now)
        # After the payments: prepaid accounts settled by the last runs, a closing refund.
        self.prepayment = seed_prepayment(billing_clerk=self.staff["billing1"], now=self.now)
        self._create_cases(established)
        seed_inquiries(clerk=self.staff["clerk1"], now=self.now)
        seed_repairs(staff=self.staff, crews=self.crews, now=self.now)
        seed_notices(now=self.now)
        seed_collection(staff=self.staff, crews=self.crews, now=self.now)
        # After the collection ladder (its metering points are never billed, so never chased).
        self.metering = seed_metering(staff=self.staff, zones=self.zones, now=self.now)
        self.amr = seed_amr(staff=self.staff, now=self.now)
        self.complaints = seed_complaints(staff=self.staff, now=self.now)
        seed_praise(staff=self.staff, now=self.now)
        self.city_hotline_token = seed_city_hotline_client()
        self.reports = seed_whistleblower(staff=self.staff, now=self.now)
        # After the repairs (its incident is tonight's burst main), before the surveys.
        self.emergency = seed_emergency(staff=self.staff, zones=ZONES, now=self.now)
        # After the emergencies: the open water-quality anomaly takes a zone without one.
        self.quality = seed_quality(staff=self.staff, zones=self.zones, now=self.now)
        # After every payment above: invoices in each state, paid bills awaiting one.
        self.invoicing = seed_invoicing(staff=self.staff, now=self.now)
        # Last: the surveys of the cases closed above.
        self.surveys = seed_surveys(staff=self.staff, now=self.now)
        sla.clocks_sweep()
        self._create_owners()
        self._create_privacy_history()

    # --- owners ----------------------------------------------------------------------------

    def _create_owners(self) -> None:
        """Who owns what on a working day: each clerk has claimed some of the cases waiting
        for the counter, one was reassigned by the supervisor (a clerk off this afternoon),
        and the rest wait in the team queue."""
        clerks = [self.staff["clerk1"], self.staff["clerk2"]]
        waiting = [
            case
            for case in Case.objects.open()
            .filter(assignee__isnull=True)
            .order_by("opened_at", "pk")
            if case_workable_by(user=clerks[0], case=case)
        ]
        claimed = waiting[: len(waiting) // 2]
        for index, case in enumerate(claimed):
            with at(self.now - timedelta(minutes=90 - 7 * index)):
                case_claim(case=case, actor=clerks[index % 2])
        if claimed:
            with at(self.now - timedelta(minutes=25)):
                case_assign(
                    case=claimed[0],
                    assignee=clerks[1],
                    actor=self.staff["supervisor1"],
                    reason="王丽下午外出培训",
                )

    # --- personal data -------------------------------------------------------------------

    def _create_privacy_history(self) -> None:
        """The personal-data access log as a supervisor finds it on a working day: clerks
        whose open cases showed them full numbers, reveals with a reason by roles that see
        masked values, and one staff member whose look-ups passed the hourly threshold
        yesterday afternoon."""
        open_cases = list(
            Case.objects.open()
            .filter(kind=ApplicationKind.NEW_CONNECTION, customer__isnull=False)
            .select_related("customer", "opened_by")
            .order_by("-opened_at", "pk")[:6]
        )
        latest = self.now - timedelta(minutes=20)
        for index, case in enumerate(open_cases):
            with at(latest - timedelta(minutes=37 * index)):
                customer_personal_data(
                    user=case.opened_by,
                    customer=case.customer,
                    channel=AccessChannel.PAGE,
                    fields=(PersonalField.ID_NUMBER, PersonalField.MOBILE),
                )
        reveals = [
            ("reviewer1", PersonalField.CONTACT_PHONE, "电话约定补充勘查资料"),
            ("approver1", PersonalField.ID_NUMBER, "核对集体审议材料中的申请人身份"),
            ("supervisor1", PersonalField.MOBILE, "回访客户满意度"),
        ]
        for index, (username, field, reason) in enumerate(reveals):
            case = open_cases[index]
            with at(latest - timedelta(hours=2, minutes=11 * index)):
                if field == PersonalField.CONTACT_PHONE:
                    case_contact_phone_reveal(
                        actor=self.staff[username],
                        case=case,
                        reason=reason,
                        channel=AccessChannel.PAGE,
                    )
                else:
                    personal_data_reveal(
                        actor=self.staff[username],
                        customer=case.customer,
                        field=field,
                        reason=reason,
                        channel=AccessChannel.PAGE,
                    )
        # Yesterday 15:00–15:05: surveyor2 looked up customers one past the threshold.
        yesterday = local(self.now).date() - timedelta(days=1)
        start = datetime.combine(yesterday, day_time(15, 0), tzinfo=LOCAL_TZ)
        threshold = settings.WATERDESK_LOOKUP_ALERT_PER_HOUR
        per_minute = max(settings.WATERDESK_LOOKUPS_PER_MINUTE - 1, 1)
        for index in range(threshold + 1):
            moment = start + timedelta(minutes=index // per_minute, seconds=index % 60)
            with at(moment):
                customer_lookup_count(user=self.staff["surveyor2"], now=moment)

    # --- staff and zones ----------------------------------------------------------------

    def _create_departments_and_staff(self) -> None:
        departments = {
            code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in DEPARTMENTS
        }
        user_model = get_user_model()
        # One hash for the shared demo password: hashing it per user costs seconds.
        password = make_password(DEMO_PASSWORD)
        for member in STAFF:
            user = user_model.objects.create(
                username=member.username,
                first_name=member.name,
                password=password,
                email="",
                is_staff=member.is_superuser,
                is_superuser=member.is_superuser,
            )
            user.groups.add(Group.objects.get(name=member.role))
            StaffProfile.objects.create(
                user=user, department=departments[member.department], mobile=member.mobile
            )
            self.staff[member.username] = user

    def _create_zones(self) -> None:
        for zone in ZONES:
            self.zones[zone.code] = SupplyZone.objects.get_or_create(
                code=zone.code, defaults={"name": zone.name}
            )[0]

    # --- customers ----------------------------------------------------------------------

    def _create_customers(self) -> list[Customer]:
        """200 established customers, each with a premise, an account and a meter."""
        rng = self.rng
        clerk = self.staff["clerk1"]
        kinds = [CustomerKind.ORGANISATION] * ORGANISATION_COUNT + [CustomerKind.PERSON] * (
            CUSTOMER_COUNT - ORGANISATION_COUNT
        )
        rng.shuffle(kinds)
        vulnerable_people = set(
            rng.sample(
                [i for i, kind in enumerate(kinds) if kind == CustomerKind.PERSON],
                VULNERABLE_PERSON_COUNT,
            )
        )
        stems = list(COMPANY_STEMS)
        rng.shuffle(stems)
        created: list[Customer] = []
        organisations = 0
        for index, kind in enumerate(kinds):
            zone = rng.choice(ZONES)
            opened_at = self._past_moment(date(2008, 1, 1), date(2025, 12, 31))
            if kind == CustomerKind.PERSON:
                address = self.flat_address(zone)
                is_vulnerable = index in vulnerable_people
                household = 1 if is_vulnerable else rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
                usage = (
                    UsageCategory.RESIDENTIAL
                    if rng.random() < 0.95
                    else (UsageCategory.NON_RESIDENTIAL)
                )
                size_dn = 15 if rng.random() < 0.2 else 20
                customer = customers.customer_create(
                    actor=clerk,
                    kind=kind,
                    name=self.person_name(),
                    id_number=self.resident_id(),
                    mobile=self.mobile(),
                    email=self.email() if rng.random() < 0.15 else "",
                    contact_address=address,
                    is_vulnerable=is_vulnerable,
                )
            else:
                pattern, usage, size_dn, is_vulnerable = ORGANISATION_KINDS[
                    organisations % len(ORGANISATION_KINDS)
                ]
                address = self.street_address(zone)
                household = 1
                name = pattern.format(
                    stem=stems[organisations % len(stems)], district=zone.district
                )
                organisations += 1
                customer = customers.customer_create(
                    actor=clerk,
                    kind=kind,
                    name=name,
                    id_number=self._uscc(zone),
                    mobile=self.mobile(),
                    contact_address=address,
                    is_vulnerable=is_vulnerable,
                )
            premise = customers.premise_get_or_create(
                actor=clerk, address=address, zone=self.zones[zone.code], district=zone.district
            )
            account = customers.account_open(
                actor=clerk,
                customer=customer,
                premise=premise,
                usage_category=usage,
                household_size=household,
                opened_at=opened_at,
            )
            customers.meter_install(
                actor=clerk,
                meter_serial=self.meter_serial(local(opened_at).year),
                size_dn=size_dn,
                premise=premise,
                account=account,
                initial_reading=Decimal(rng.randint(0, 20)),
                installed_at=opened_at,
            )
            created.append(customer)
        return created

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def resident_id(self) -> str:
        rng = self.rng
        while True:
            birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 64))
            body = f"{rng.choice(RIC_REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used_ids and ric.is_valid(number):
                self.used_ids.add(number)
                return number

    def _uscc(self, zone: Zone) -> str:
        rng = self.rng
        while True:
            # 9 = enterprise registered by the market regulator, 1 = company; then the
            # administrative division and a nine-character organisation code.
            body = f"91{330100 + ZONES.index(zone) + 2}{rng.randrange(10**8, 10**9)}"
            number = body + uscc.calc_check_digit(body)
            if number not in self.used_ids and uscc.is_valid(number):
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def email(self) -> str:
        prefix = self.rng.choice(("wx", "hz", "lc", "zy", "qq"))
        return f"{prefix}{self.rng.randrange(10**6)}@example.com"

    def flat_address(self, zone: Zone) -> str:
        rng = self.rng
        while True:
            address = (
                f"{zone.district}{rng.choice(zone.roads)}{rng.randint(1, 300)}号"
                f"{rng.randint(1, 18)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
            if address not in self.used_addresses:
                self.used_addresses.add(address)
                return address

    def street_address(self, zone: Zone) -> str:
        while True:
            address = f"{zone.district}{self.rng.choice(zone.roads)}{self.rng.randint(1, 600)}号"
            if address not in self.used_addresses:
                self.used_addresses.add(address)
                return address

    def meter_serial(self, year: int) -> str:
        self.meter_serial_counter += 1
        return f"{year}{self.meter_serial_counter:06d}"

    def _past_moment(self, first: date, last: date) -> datetime:
        """A moment in business hours on a weekday between two dates."""
        day = first + timedelta(days=self.rng.randrange((last - first).days + 1))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(9, 16),
            self.rng.randrange(0, 60, 5),
            tzinfo=LOCAL_TZ,
        )

    # --- cases --------------------------------------------------------------------------

    def _create_cases(self, established: list[Customer]) -> None:
        rng = self.rng
        people = [c for c in established if c.kind == CustomerKind.PERSON and not c.is_vulnerable]
        organisations = [
            c for c in established if c.kind == CustomerKind.ORGANISATION and not c.is_vulnerable
        ]
        rng.shuffle(people)
        rng.shuffle(organisations)
        for index, spec in enumerate(CASE_SPECS):
            applicant = organisations.pop() if spec.organisation else people.pop()
            CaseWalk(city=self, spec=spec, applicant=applicant, index=index).run()

    def staff_pair(self, index: int) -> tuple[object, object]:
        """(clerk, surveyor) taking turns."""
        return (self.staff[f"clerk{index % 2 + 1}"], self.staff[f"surveyor{index % 2 + 1}"])

    # --- time ---------------------------------------------------------------------------

    def working_minutes_before(self, end: datetime, minutes: float) -> datetime:
        """The moment that lies ``minutes`` working minutes before ``end``."""
        remaining = timedelta(minutes=minutes)
        end = local(end)
        day = end.date()
        for _attempt in range(sla_calendar.MAX_SEARCH_DAYS):
            if self.calendar.is_working_day(day):
                for start_time, end_time in reversed(self.calendar.periods):
                    period_start = datetime.combine(day, start_time, tzinfo=LOCAL_TZ)
                    period_end = min(datetime.combine(day, end_time, tzinfo=LOCAL_TZ), end)
                    if period_end <= period_start:
                        continue
                    if remaining <= period_end - period_start:
                        return period_end - remaining
                    remaining -= period_end - period_start
            day -= timedelta(days=1)
        raise sla_calendar.CalendarError("no working time found; check the calendar")

    def opened_at_risk(self, *, target: float) -> datetime:
        """The opening moment that leaves the whole-flow clock of a normal case used up
        closest to ``target`` now, while at risk and not yet due. Which fractions are
        possible depends on the time of day, hence a search."""
        policy = SlaPolicy.objects.filter(
            case_kind=ApplicationKind.NEW_CONNECTION,
            milestone=applications.COMPLETE_MILESTONE,
            priority=Priority.NORMAL,
            is_active=True,
        ).first()
        unit = policy.unit if policy else sla_calendar.UNIT_WORKING_DAYS
        amount = policy.amount if policy else Decimal(10)
        lowest = float(policy.at_risk_ratio if policy else Decimal("0.80")) + 0.02
        per_unit = self.day_minutes if unit == sla_calendar.UNIT_WORKING_DAYS else 60
        best: tuple[float, datetime] | None = None
        age = float(amount) * per_unit * 0.6
        while age < float(amount) * per_unit:
            if unit == sla_calendar.UNIT_CALENDAR_HOURS:
                opened = self.now - timedelta(minutes=age)
            else:
                opened = self.working_minutes_before(self.now, age)
            due = self.calendar.due_at(opened, unit, amount)
            used = self.calendar.time_between(opened, self.now, unit) / (
                self.calendar.time_between(opened, due, unit)
            )
            fits = due > self.now and lowest <= used < 0.98
            if fits and (best is None or abs(used - target) < best[0]):
                best = (abs(used - target), opened)
            age += 10
        if best is None:
            raise sla_calendar.CalendarError("no opening time puts the case at risk")
        return best[1]


class CaseWalk:
    """One demo case: its opening moment, its steps, and who takes each of them."""

    def __init__(self, *, city: DemoCity, spec: CaseSpec, applicant: Customer, index: int):
        self.city = city
        self.spec = spec
        self.applicant = applicant
        self.index = index
        self.rng = city.rng
        self.clerk, self.surveyor = city.staff_pair(index)
        self.case: Case | None = None

    def run(self) -> None:
        if self.spec.timing == "stale":
            self._run_stale()
        else:
            steps = self._steps()
            moments = self._moments(steps)
            for position, step in enumerate(steps):
                following = moments[position + 1] if position + 1 < len(moments) else None
                with at(moments[position]):
                    getattr(self, f"_{step}")(moments[position], following)
        if self.case.status != self.spec.status:  # a mistake in CASE_SPECS, not bad input
            raise RuntimeError(
                f"demo case {self.case.number} ended {self.case.status}, "
                f"expected {self.spec.status}"
            )

    def _steps(self) -> list[str]:
        spec = self.spec
        if spec.end == "withdraw":
            last = "assign_survey"
        elif spec.end == "review_reject":
            last = "submit_survey"
        elif spec.end == "approval_reject":
            last = "review_pass"
        else:
            last = LAST_STEP[spec.status]
        threshold = NewConnectionPolicy.current().collective_review_threshold
        steps = []
        for step in STEPS:
            if step == "supply_materials" and not spec.supply_later:
                continue
            if step == "collective_review" and not spec.needs_collective_review(threshold):
                continue
            steps.append(step)
            if step == last:
                break
        if spec.end:
            steps.append(spec.end)
        return steps

    def _moments(self, steps: list[str]) -> list[datetime]:
        city, spec = self.city, self.spec
        if spec.timing == "at_risk":
            opened = city.opened_at_risk(target=self.rng.uniform(0.86, 0.93))
        else:
            # ±8 % so that the cases do not all open at the same time of day.
            age = spec.age * city.day_minutes * self.rng.uniform(0.92, 1.08)
            opened = city.working_minutes_before(city.now, age)
        gaps = [QUICK_STEP_MINUTES.get(step, spec.pace * city.day_minutes) for step in steps[1:]]
        # Leave at least ten working minutes before now; squeeze the steps if needed.
        available = city.calendar.working_minutes_between(opened, city.now) - 10
        if sum(gaps) > available:
            gaps = [gap * available / sum(gaps) for gap in gaps]
        moments = [opened]
        for gap in gaps:
            moments.append(city.calendar.add_working_minutes(moments[-1], round(gap)))
        return moments

    def _run_stale(self) -> None:
        """Materials never arrived: the hourly job withdraws the case after the deadline."""
        city = self.city
        wait_days = NewConnectionPolicy.current().materials_wait_days
        day = local(city.now).date() - timedelta(days=wait_days + 8)
        while not city.calendar.is_working_day(day):
            day -= timedelta(days=1)
        opened = datetime.combine(day, datetime.min.time(), tzinfo=LOCAL_TZ) + timedelta(
            hours=10, minutes=20
        )
        with at(opened):
            self._register(opened, None)
        deadline = self.case.material_notices.get().deadline
        sweep_at = datetime.combine(
            deadline + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ
        ) + timedelta(hours=9)
        with at(sweep_at):
            applications_withdraw_stale()
        self.case.refresh_from_db()

    # --- the steps, each one real service call by the role allowed to take it -----------

    def _register(self, moment: datetime, next_moment: datetime | None) -> None:
        spec, applicant, rng = self.spec, self.applicant, self.rng
        required = [
            m.code
            for m in materials_required(
                case_kind=ApplicationKind.NEW_CONNECTION, customer_kind=applicant.kind
            )
        ]
        zone = rng.choice(ZONES)
        if applicant.kind == CustomerKind.PERSON:
            address = self.city.flat_address(zone)
            contact_name, contact_phone = applicant.name, applicant.mobile
            usage, summary = UsageCategory.RESIDENTIAL, "新购商品房申请新装自来水"
        else:
            address = self.city.street_address(zone)
            contact_name = self.city.person_name()
            contact_phone = self.city.mobile()
            usage = (
                UsageCategory.SPECIAL if "洗" in applicant.name else UsageCategory.NON_RESIDENTIAL
            )
            summary = f"{applicant.name}新建营业场所申请用水"
        self.case = applications.new_connection_register(
            actor=self.clerk,
            channel=spec.channel,
            contact_name=contact_name,
            contact_phone=contact_phone,
            customer=applicant,
            premise_address=address,
            zone=self.city.zones[zone.code],
            district=zone.district,
            requested_usage=usage,
            requested_size_dn=spec.size_dn,
            household_size=rng.randint(1, 5),
            is_major=spec.major,
            materials_received=[code for code in required if code not in spec.missing],
            priority=Priority.GREEN if spec.green else Priority.NORMAL,
            green_channel_reason=spec.green,
            summary=summary,
        )

    def _supply_materials(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_supply_materials(
            actor=self.clerk,
            case=self.case,
            materials=list(self.spec.missing),
            note="客户到营业厅补交材料。",
        )

    def _assign_survey(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_assign_survey(
            actor=self.clerk, case=self.case, surveyor=self.surveyor
        )

    def _book_survey(self, moment: datetime, next_moment: datetime | None) -> None:
        # Booked for shortly before the visit that follows, or for the coming half day.
        if next_moment is not None:
            booked_for = max(moment + timedelta(minutes=5), next_moment - timedelta(minutes=30))
        else:
            booked_for = self.city.calendar.add_working_minutes(
                max(moment, self.city.now), self.city.day_minutes // 2
            )
        self.case = applications.new_connection_book_survey(
            actor=self.surveyor,
            case=self.case,
            booked_for=booked_for,
            preparation="请准备身份证件及房产证明原件，并确保现场有人。",
        )

    def _submit_survey(self, moment: datetime, next_moment: datetime | None) -> None:
        rng, detail = self.rng, self.case.new_connection
        amount = self.spec.estimated_amount or f"{rng.randint(6, 30) * 100}.00"
        self.case = applications.new_connection_submit_survey(
            actor=self.surveyor,
            case=self.case,
            installation_position=rng.choice(INSTALLATION_POSITIONS),
            surveyed_usage=detail.requested_usage,
            site_conditions=rng.choice(SITE_CONDITIONS),
            facilities=rng.choice(FACILITIES),
            notes_explained=NOTES_EXPLAINED,
            estimated_amount=amount,
        )

    def _review_pass(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_review_pass(
            actor=self.city.staff["reviewer1"],
            case=self.case,
            opinion=self.rng.choice(REVIEW_OPINIONS),
        )

    def _collective_review(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_collective_review_record(
            actor=self.city.staff["approver1"],
            case=self.case,
            meeting_date=local(moment).date(),
            participants=PARTICIPANTS,
            decision="approve",
            minutes="经集体审议，同意该项目接水，工程费用按核算结果收取。",
        )

    def _approve(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_approve(
            actor=self.city.staff["approver1"],
            case=self.case,
            opinion=self.rng.choice(APPROVAL_OPINIONS),
        )

    def _assess_fee(self, moment: datetime, next_moment: datetime | None) -> None:
        meter_item = (
            "meter_install_dn15_25" if self.spec.size_dn <= 25 else "meter_install_dn40_100"
        )
        lines = [
            (meter_item, "1"),
            ("service_pipe_laying", str(self.rng.randint(3, 25))),
            ("meter_box", "1"),
        ]
        if self.rng.random() < 0.4:
            lines.append(("road_restoration", str(self.rng.randint(2, 12))))
        self.case = applications.new_connection_assess_fee(
            actor=self.clerk, case=self.case, lines=lines
        )

    def _record_payment(self, moment: datetime, next_moment: datetime | None) -> None:
        detail = NewConnection.objects.get(case=self.case)
        self.case = applications.new_connection_record_payment(
            actor=self.clerk,
            case=self.case,
            amount=detail.fee_total,
            reference=f"SK{local(moment):%Y%m%d}{self.index:04d}",
        )

    def _install_meter(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_install_meter(
            actor=self.surveyor,
            case=self.case,
            meter_serial=self.city.meter_serial(local(moment).year),
            size_dn=self.spec.size_dn,
            initial_reading="0",
        )

    def _open_account(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_open_account(actor=self.clerk, case=self.case)

    def _turn_water_on(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_turn_water_on(
            actor=self.surveyor, case=self.case, note="已通水，水表运转正常。"
        )

    def _withdraw(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_withdraw(
            actor=self.clerk, case=self.case, reason=WITHDRAW_REASON
        )

    def _review_reject(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_review_reject(
            actor=self.city.staff["reviewer1"], case=self.case, opinion=REVIEW_REJECTION
        )

    def _approval_reject(self, moment: datetime, next_moment: datetime | None) -> None:
        self.case = applications.new_connection_approval_reject(
            actor=self.city.staff["approver1"], case=self.case, opinion=APPROVAL_REJECTION
        )


# --- the billing office ------------------------------------------------------------------

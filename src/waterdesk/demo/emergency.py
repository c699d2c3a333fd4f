"""Emergencies in the demo city, through the same services as the pages, each step at its
own moment (``demo.clock.at``):

- the streets of the premises and the sensitive customers (schools, the community health
  centres as hospitals, care homes, vulnerable people living alone);
- the duty manager's roster (``duty1`` on duty now);
- tonight's burst trunk main as an active level Ⅲ incident over a zone: the plan's
  checklist half done, a water point opened and the estimate moved (three notice rounds),
  a later "no water" call from the area linked to it instead of dispatched;
- an incident restored yesterday waiting for its review, and last month's typhoon closed
  with its review and measures (one done, one open, one overdue);
- planned outages in every state: announced for tomorrow, an urgent one waiting for the
  duty manager's approval, one under way that overran, one restored, one cancelled;
- a drill held and evaluated with its timings and measures, and one planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as day_time

from django.db.models import Count

from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Account, Customer, Premise, SensitiveCategory, SupplyZone
from waterdesk.customers.services import customer_update
from waterdesk.demo.clock import at
from waterdesk.emergency.models import (
    DutyShift,
    IncidentSource,
    IncidentTask,
    IncidentType,
    Measure,
    PlanVersion,
)
from waterdesk.emergency.selectors_plans import plans_in_force
from waterdesk.emergency.services import (
    drills,
    incident_handling,
    incident_open,
    incident_review,
    plans,
)
from waterdesk.emergency.services import outages as outage
from waterdesk.emergency.services.measures import measure_done
from waterdesk.repairs.models import FaultType, Repair
from waterdesk.repairs.services.intake import repair_report

SENSITIVE_NAMES = (
    ("社区卫生服务中心", SensitiveCategory.HOSPITAL),
    ("颐养院", SensitiveCategory.CARE_HOME),
    ("小学", SensitiveCategory.SCHOOL),
    ("幼儿园", SensitiveCategory.SCHOOL),
)


# Where the incidents and outages happen (beside tonight's burst main, found by its zone).
TYPHOON_ZONE = "devzone"
OUTAGE_DISTRICTS = ("城南区", "城东区")
# What the one ticking a task off notes, by a word of its title.
TASK_NOTES = (
    ("核实", "已电话报告值班主任。"),
    ("调派", "已调派抢修一班和备勤队伍。"),
    ("关阀", "已关闭上下游阀门。"),
    ("通知客户", "通知已发出，医院、学校、养老院已电话确认。"),
    ("临时供水点", "送水车已到位。"),
    ("报告", "已电话报告市水务局。"),
    ("冲洗", "冲洗消毒完成。"),
    ("检测合格", "余氯、浊度检测合格。"),
)


def _task_note(title: str) -> str:
    return next((note for word, note in TASK_NOTES if word in title), "")


def streets_record(zones) -> None:
    """Each premise's street, read off its address ("城东区东风路12号" → 东风路): one update
    per road (the premises' own service sets it one by one, seconds for the whole city)."""
    for zone in zones:
        for road in zone.roads:
            Premise.objects.filter(
                district=zone.district, address__startswith=f"{zone.district}{road}", street=""
            ).update(street=road)


def sensitive_customers_flag(*, actor) -> None:
    """Schools and kindergartens, the community health centres (as hospitals), the care
    homes and the vulnerable people living alone: told first when their water stops."""
    flagged = [
        (customer, category)
        for suffix, category in SENSITIVE_NAMES
        for customer in Customer.objects.filter(name__endswith=suffix).order_by("pk")
    ]
    flagged += [
        (customer, SensitiveCategory.VULNERABLE_HOUSEHOLD)
        for customer in Customer.objects.filter(kind="person", is_vulnerable=True).order_by("pk")
    ]
    for customer, category in flagged:
        customer_update(actor=actor, customer=customer, sensitive_category=category)


def duty_roster(*, staff: dict, now: datetime) -> None:
    """``duty1`` on duty from this morning 08:00 for 24 hours, and the two days after."""
    start = now.replace(hour=8, minute=0, second=0, microsecond=0)
    if start > now:
        start -= timedelta(days=1)
    for day in range(-1, 3):
        DutyShift.objects.create(
            user=staff["duty1"],
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day + 1),
        )


def _local_day_at(moment: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` local time, ``days`` days after ``moment``'s local date."""
    day = local(moment).date() + timedelta(days=days)
    return datetime.combine(day, day_time(hour, minute), tzinfo=LOCAL_TZ)


def _busiest_streets(*, exclude_district: str = "", count: int = 2) -> list[tuple[str, str]]:
    """The (district, street) pairs with the most premises with an account, busiest first."""
    rows = (
        Premise.objects.exclude(street="")
        .exclude(district=exclude_district)
        .filter(accounts__isnull=False)
        .values("district", "street")
        .annotate(premises=Count("pk", distinct=True))
        .order_by("-premises", "district", "street")
    )
    return [(row["district"], row["street"]) for row in rows[:count]]


def _same_district_streets(district: str, count: int) -> list[tuple[str, str]]:
    rows = (
        Premise.objects.filter(district=district, accounts__isnull=False)
        .exclude(street="")
        .values("street")
        .annotate(premises=Count("pk", distinct=True))
        .order_by("-premises", "street")
    )
    return [(district, row["street"]) for row in rows[:count]]


class EmergencyOffice:
    def __init__(self, *, staff: dict, zones, now: datetime) -> None:
        self.staff = staff
        self.zones = zones
        self.now = now
        self.outage_district = OUTAGE_DISTRICTS[0]
        self.office = staff["emergency1"]
        self.duty = staff["duty1"]
        self.dispatcher = staff["dispatcher1"]
        self.hotline = staff["hotline1"]

    # --- incidents ------------------------------------------------------------------------

    def _tasks_done(self, case, start: datetime, *, titled=(), step=10) -> None:
        """Tick the open tasks off (those whose title holds one of ``titled``, or all), one
        every ``step`` minutes from ``start``, by the emergency office or the duty manager."""
        tasks = [
            task
            for task in IncidentTask.objects.filter(incident__case=case, done_at__isnull=True)
            if not titled or any(word in task.title for word in titled)
        ]
        for index, task in enumerate(tasks):
            actor = self.office if task.owner_role == "emergency_office" else self.duty
            with at(start + timedelta(minutes=step * index)):
                incident_handling.incident_task_done(
                    actor=actor, case=case, task=task, note=_task_note(task.title)
                )

    def burst_main(self):
        """Tonight's burst main of the repairs demo: an active level Ⅲ incident over its
        zone, then a "no water" call from the zone linked to it."""
        now = self.now
        burst = (
            Repair.objects.filter(fault_type__code="burst_main", case__closed_at__isnull=True)
            .select_related("zone", "account__premise")
            .order_by("case__opened_at")
            .first()
        )
        premise = burst.account.premise  # the repairs demo reports it from an account
        zone = burst.zone or premise.zone
        self.outage_district = next(
            district
            for district in OUTAGE_DISTRICTS
            if not Premise.objects.filter(zone=zone, district=district).exists()
        )
        roads = next(z.roads for z in self.zones if z.district == premise.district)
        crossing = next(road for road in roads if road != premise.street)
        place = f"{premise.street}与{crossing}交叉口" if premise.street else crossing
        with at(now - timedelta(minutes=9)):
            case = incident_open.incident_open(
                actor=self.dispatcher,
                incident_type=IncidentType.PIPE_BURST,
                level=3,
                source=IncidentSource.DISPATCHER,
                title=f"{place}DN600供水主管爆裂",
                description=(
                    f"{place}DN600球墨铸铁主管爆裂，路面大面积积水，市民已来电三次"
                    f"（报修 {burst.case.number}）。已调派抢修班组赶赴现场关阀，{zone.name}将停水。"
                ),
                public_summary=(
                    f"{place}供水主管爆裂，正在紧急关阀抢修，{zone.name}停水，"
                    "请到临时供水点取水，恢复时间将另行通知。"
                ),
                started_at=burst.case.opened_at - timedelta(minutes=3),
                zones=[zone],
                expected_restoration_at=now + timedelta(hours=6),
            )
        self._tasks_done(
            case, now - timedelta(minutes=8), titled=("核实", "调派", "通知客户"), step=1
        )
        with at(now - timedelta(minutes=5)):
            incident_handling.incident_water_point_add(
                actor=self.office,
                case=case,
                address=f"{zone.name}文体中心广场（送水车）",
                opening_hours="全天24小时",
                supplies="送水车（8吨）2辆、桶装水",
                district=premise.district,
            )
        self._tasks_done(case, now - timedelta(minutes=4), titled=("临时供水点",))
        with at(now - timedelta(minutes=3)):
            incident_handling.incident_update(
                actor=self.duty,
                case=case,
                expected_restoration_at=now + timedelta(hours=8),
                note="关阀后开挖发现管道断裂长度约1.2米，需更换整节管道，预计恢复时间推迟两小时。",
            )
        # A resident of the zone calls: no water. Linked to the incident, not dispatched.
        account = (
            Account.objects.filter(premise__zone=zone, customer__kind="person")
            .exclude(pk=burst.account_id)
            .select_related("customer", "premise")
            .order_by("-pk")
            .first()
        )
        with at(now - timedelta(minutes=1)):
            linked = repair_report(
                actor=self.hotline,
                channel="phone",
                contact_name=account.customer.name,
                contact_phone=account.customer.mobile or "13905719997",
                address=account.premise.address,
                account=account,
                fault_type=FaultType.objects.get(code="no_water"),
                description="家里水龙头一点水都没有，请问什么时候来水？",
            )
        repair = Repair.objects.get(case=linked)
        if repair.incident_id != case.pk:  # a mistake in the demo, not bad input
            raise RuntimeError(f"demo repair {linked.number} was not linked to {case.number}")
        return case

    def restored_yesterday(self):
        """A branch main on one street, restored yesterday evening; the review is due."""
        start = _local_day_at(self.now, -1, 13, 40)
        district, street = _busiest_streets(count=1)[0]
        with at(start + timedelta(minutes=15)):
            case = incident_open.incident_open(
                actor=self.duty,
                incident_type=IncidentType.PIPE_BURST,
                level=4,
                source=IncidentSource.HOTLINE,
                title=f"{district}{street}DN200支管漏水抢修",
                description=f"{street}人行道下DN200支管接口漏水，需停水更换接口。",
                public_summary=f"{street}供水支管抢修，沿线停水，预计当晚恢复。",
                started_at=start,
                streets=[(district, street)],
                expected_restoration_at=start + timedelta(hours=6),
                channel="phone",
            )
        self._tasks_done(case, start + timedelta(minutes=25), step=35)
        with at(start + timedelta(hours=5, minutes=20)):
            incident_handling.incident_restore(
                actor=self.duty,
                case=case,
                restored_at=start + timedelta(hours=5, minutes=5),
                note="接口已更换，管道冲洗后水质检测合格，恢复供水。",
            )
        return case

    def typhoon(self):
        """Last month's typhoon: level Ⅲ over a zone, restored, reviewed, closed; its
        measures one done, one open, one overdue."""
        start = _local_day_at(self.now, -35, 2, 30)
        zone = SupplyZone.objects.get(code=TYPHOON_ZONE)
        with at(start + timedelta(minutes=20)):
            case = incident_open.incident_open(
                actor=self.duty,
                incident_type=IncidentType.NATURAL_DISASTER,
                level=3,
                source=IncidentSource.SUPERVISOR,
                title="台风“海葵”过境致开发区加压泵站停电",
                description="台风过境，开发区加压泵站外部供电中断，备用发电机未能及时启动，片区停水。",
                public_summary="受台风影响，开发区片区停水，正在抢修泵站供电，请到临时供水点取水。",
                started_at=start,
                zones=[zone],
                expected_restoration_at=start + timedelta(hours=10),
                water_points=[
                    {
                        "address": "经济开发区科技大道88号创业服务中心门口",
                        "opening_hours": "7:00-22:00",
                        "supplies": "送水车、瓶装水",
                        "district": "经济开发区",
                    }
                ],
            )
        self._tasks_done(case, start + timedelta(minutes=30), step=45)
        with at(start + timedelta(hours=9)):
            incident_handling.incident_restore(
                actor=self.duty,
                case=case,
                restored_at=start + timedelta(hours=8, minutes=40),
                note="泵站恢复市电供电，管网压力正常，恢复供水。",
            )
        reviewed = start + timedelta(days=5, hours=8)
        today = local(reviewed).date()
        with at(reviewed):
            incident_review.incident_review(
                actor=self.office,
                case=case,
                causes="台风导致泵站外部供电中断；备用发电机长期未试机，蓄电池亏电，未能自启动。",
                went_well="停水通知在40分钟内发出，重点用户优先；临时供水点设置及时。",
                went_badly="备用电源失效使停水延长约6小时；夜间送水车调度不足。",
                measures=[
                    {
                        "description": "全部泵站备用发电机每月试机一次并记录",
                        "owner": self.staff["dispatcher1"],
                        "deadline": today + timedelta(days=10),
                    },
                    {
                        "description": "与供电公司签订泵站双回路供电改造协议",
                        "owner": self.office,
                        "deadline": today + timedelta(days=25),
                    },
                    {
                        "description": "增配2辆夜间备勤送水车并纳入值班表",
                        "owner": self.duty,
                        "deadline": local(self.now).date() + timedelta(days=20),
                    },
                ],
            )
        # In the order given: done, now overdue (its deadline has passed), open.
        done = Measure.objects.filter(review__incident__case=case).order_by("pk").first()
        with at(reviewed + timedelta(days=6)):
            measure_done(
                measure=done, actor=self.staff["dispatcher1"], note="已制定试机制度，首次试机正常。"
            )
        with at(reviewed + timedelta(days=1)):
            incident_review.incident_close(actor=self.office, case=case, note="复盘完成，结案。")
        return case

    # --- planned outages -------------------------------------------------------------------

    def outages(self) -> dict:
        now = self.now
        made = {}
        # Announced for tomorrow 09:00–17:00 on two streets, scheduled yesterday afternoon.
        streets = _same_district_streets(self.outage_district, 2)
        with at(_local_day_at(now, -1, 15, 30)):
            made["announced"] = outage.outage_schedule(
                actor=self.office,
                works=f"{streets[0][1]}DN300阀门更换及管道碰口",
                public_summary=(
                    f"因{streets[0][1]}供水管道改造，{streets[0][1]}、{streets[1][1]}沿线"
                    "明天9:00至17:00停水，请提前储水。"
                ),
                starts_at=_local_day_at(now, 1, 9),
                ends_at=_local_day_at(now, 1, 17),
                streets=streets,
                water_points=[
                    {
                        "address": f"{self.outage_district}{streets[0][1]}社区服务中心门口",
                        "opening_hours": "8:30-17:30",
                        "supplies": "送水车、桶装水",
                        "district": self.outage_district,
                    }
                ],
            )
        # Short notice with an emergency reason: waiting for the duty manager's approval.
        soon = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)
        urgent_street = _busiest_streets(exclude_district=self.outage_district, count=1)
        with at(now - timedelta(minutes=20)):
            made["awaiting"] = outage.outage_schedule(
                actor=self.office,
                works=f"{urgent_street[0][1]}DN150阀门失灵紧急更换",
                public_summary=f"{urgent_street[0][1]}阀门紧急更换，沿线短时停水约3小时。",
                starts_at=soon,
                ends_at=soon + timedelta(hours=3),
                streets=urgent_street,
                short_notice_reason="阀门关闭不严并伴有渗漏，继续运行有爆管风险，须尽快更换。",
            )
        # Under way: announced two days ahead, reminded, and running late.
        started = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        zone_streets = _busiest_streets(exclude_district=self.outage_district, count=3)[1:2]
        with at(started - timedelta(days=2)):
            made["overrun"] = outage.outage_schedule(
                actor=self.office,
                works=f"{zone_streets[0][1]}新建管道与现状管道碰口",
                public_summary=f"{zone_streets[0][1]}管道碰口施工，沿线停水4小时。",
                starts_at=started,
                ends_at=started + timedelta(hours=4),
                streets=zone_streets,
            )
        with at(started - timedelta(hours=1, minutes=50)):
            outage.outage_remind(case=made["overrun"])
        with at(now - timedelta(minutes=25)):
            outage.outage_overrun(
                actor=self.office,
                case=made["overrun"],
                ends_at=started + timedelta(hours=6),
                reason="碰口处发现旧管道锈蚀严重，需多更换一节管道，恢复时间推迟两小时。",
            )
        # Restored last week.
        last_week = _local_day_at(now, -7, 9)
        restored_streets = _same_district_streets(self.outage_district, 3)[2:3] or streets[:1]
        with at(last_week - timedelta(days=3)):
            made["restored"] = outage.outage_schedule(
                actor=self.office,
                works=f"{restored_streets[0][1]}水表井改造",
                public_summary=f"{restored_streets[0][1]}水表井改造，沿线停水。",
                starts_at=last_week,
                ends_at=last_week + timedelta(hours=6),
                streets=restored_streets,
            )
        with at(last_week - timedelta(hours=1, minutes=55)):
            outage.outage_remind(case=made["restored"])
        with at(last_week + timedelta(hours=5, minutes=35)):
            outage.outage_restore(
                actor=self.office,
                case=made["restored"],
                restored_at=last_week + timedelta(hours=5, minutes=30),
                note="提前完工，冲洗合格后恢复供水。",
            )
        # Cancelled: the road works it went with were postponed.
        later = _local_day_at(now, 3, 22)
        with at(now - timedelta(days=3)):
            made["cancelled"] = outage.outage_schedule(
                actor=self.office,
                works=f"{streets[1][1]}夜间管道冲洗",
                public_summary=f"{streets[1][1]}夜间管道冲洗，22:00至次日5:00停水。",
                starts_at=later,
                ends_at=later + timedelta(hours=7),
                streets=streets[1:],
            )
        with at(now - timedelta(days=1, hours=2)):
            outage.outage_cancel(
                actor=self.office,
                case=made["cancelled"],
                reason="市政道路施工推迟，管道冲洗改期另行通知。",
            )
        return made

    # --- plans and drills ------------------------------------------------------------------

    def drills(self) -> dict:
        now = self.now
        version = plans_in_force(IncidentType.PIPE_BURST).first()
        participants = [self.duty, self.dispatcher, self.office, self.staff["crew1"]]
        held = _local_day_at(now, -33, 9, 30)
        with at(held - timedelta(days=14)):
            past = drills.drill_plan(
                actor=self.office,
                plan_version=version,
                level=3,
                scheduled_for=held,
                scenario="城北片区DN600主管爆管，影响约5000户，夜间发生。",
                participants=participants,
                other_participants="城北营业所、物资仓库",
            )
        late = {"调派抢修班组": 42, "设立临时供水点": 150}
        timings = [
            drills.TimingInput(
                step=step,
                observed_minutes=late.get(step.title, max((step.target_minutes or 30) - 5, 1)),
                note="送水车司机未按时到岗" if step.title == "设立临时供水点" else "",
            )
            for step in drills.drill_steps(past)
        ]
        timings.append(drills.TimingInput(label="重点用户电话确认", target_minutes=30,
                                          observed_minutes=25))  # fmt: skip
        with at(held + timedelta(hours=4)):
            drills.drill_record_held(actor=self.office, drill=past, held_at=held, timings=timings)
        with at(held + timedelta(days=1, hours=2)):
            drills.drill_evaluate(
                actor=self.office,
                drill=past,
                evaluation=(
                    "整体响应符合预案要求；调派抢修班组和设立临时供水点超时，"
                    "夜间车辆、司机备勤不足。"
                ),
            )
            today = local(held).date() + timedelta(days=1)
            crews_measure = drills.drill_measure_add(
                actor=self.office,
                drill=past,
                description="送水车司机纳入夜间备勤，15分钟内到岗",
                owner=self.duty,
                deadline=today + timedelta(days=14),
            )
            drills.drill_measure_add(
                actor=self.office,
                drill=past,
                description="修订抢修班组夜间集结流程并组织一次桌面推演",
                owner=self.dispatcher,
                deadline=local(now).date() + timedelta(days=15),
            )
        with at(held + timedelta(days=9)):
            measure_done(
                measure=crews_measure, actor=self.duty, note="已排入值班表，每晚1名司机备勤。"
            )
        with at(now - timedelta(days=2)):
            planned = drills.drill_plan(
                actor=self.office,
                plan_version=plans_in_force(IncidentType.POLLUTION).first(),
                level=3,
                scheduled_for=_local_day_at(now, 30, 14),
                scenario="水厂出厂水浊度超标，城南片区暂停饮用。",
                participants=participants,
                other_participants="水质检测中心、区卫生健康局",
            )
        return {"evaluated": past, "planned": planned}

    def plan_revision(self) -> PlanVersion:
        """After the typhoon: version 2 of the natural-disaster plan published, and
        version 3 drafted with one step more, not yet published."""
        plan = plans_in_force(IncidentType.NATURAL_DISASTER).first().plan
        with at(_local_day_at(self.now, -28, 10)):
            draft = plans.plan_draft_start(
                actor=self.office, plan=plan, change_note="台风“海葵”复盘：增加备用电源试机要求"
            )
            plans.plan_step_add(
                actor=self.office, version=draft, title="台风预警发布后试机泵站备用发电机",
                owner_role="crew_member", target_minutes=60,
            )  # fmt: skip
        with at(_local_day_at(self.now, -27, 16)):
            plans.plan_publish(actor=self.office, version=draft)
        with at(self.now - timedelta(days=1, hours=3)):
            draft = plans.plan_draft_start(
                actor=self.office, plan=plan, change_note="增加夜间送水车备勤要求（征求意见稿）"
            )
            plans.plan_step_add(
                actor=self.office, version=draft, title="通知夜间备勤送水车司机到岗",
                level=3, owner_role="dispatcher", target_minutes=30,
            )  # fmt: skip
        return draft


def seed_emergency(*, staff: dict, zones, now: datetime) -> dict:
    """The emergency demo; returns its main cases for the summary."""
    admin = staff["admin"]
    streets_record(zones)
    sensitive_customers_flag(actor=admin)
    duty_roster(staff=staff, now=now)
    office = EmergencyOffice(staff=staff, zones=zones, now=now)
    made = {
        "typhoon": office.typhoon(),
        "restored": office.restored_yesterday(),
        "active": office.burst_main(),
    }
    made.update(office.outages())
    made.update(office.drills())
    made["draft"] = office.plan_revision()
    return made

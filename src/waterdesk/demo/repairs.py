"""Repairs in the demo city, one in every state, through the same services as the pages:
an urgent burst main tonight reported by three callers and the on-call crew on its way; a
green-channel "no water" at a clinic on site; leaks waiting for a dispatcher, booked, and
completed waiting for the follow-up call; closed repairs with a happy and an unhappy
follow-up (referred); a repeat fault that marked the earlier repair failed; discoloured
water that told the water-quality team; and a cancelled false report."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timedelta

from PIL import Image, ImageDraw

from waterdesk.core.models import Department
from waterdesk.customers.models import Account
from waterdesk.demo.clock import at
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.repairs.models import FaultType, RepairPolicy
from waterdesk.repairs.services.dispatch import repair_cancel, repair_dispatch
from waterdesk.repairs.services.follow_up import repair_follow_up
from waterdesk.repairs.services.intake import repair_report


def _signature() -> str:
    """A signature drawn on a phone: a few strokes on a white 300×100 canvas (PNG)."""
    image = Image.new("RGB", (300, 100), "white")
    pen = ImageDraw.Draw(image)
    pen.line([(20, 70), (60, 30), (90, 75), (130, 25), (170, 70)], fill="black", width=3)
    pen.line([(190, 40), (270, 60)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _order(case) -> WorkOrder:
    return WorkOrder.objects.filter(case=case).order_by("-assigned_at", "-pk").first()


class RepairDesk:
    def __init__(self, *, staff: dict, crews: list, now: datetime) -> None:
        self.staff = staff
        self.crews = crews
        self.now = now
        self.hotline = staff["hotline1"]
        self.dispatcher = staff["dispatcher1"]
        self.members = {crew.pk: crew.members.first().user for crew in crews}
        self.accounts = list(
            Account.objects.filter(premise__latitude__isnull=False)
            .select_related("premise__zone", "customer")
            .order_by("pk")[:40]
        )
        self.faults = {fault.code: fault for fault in FaultType.objects.all()}

    def report(self, moment, index: int, fault: str, description: str, **fields):
        account = self.accounts[index]
        values = {
            "channel": "phone",
            "contact_name": account.customer.name,
            "contact_phone": account.customer.mobile or "13905719999",
            "address": account.premise.address,
            "account": account,
        }
        values.update(fields)
        with at(moment):
            return repair_report(
                actor=self.hotline,
                fault_type=self.faults[fault],
                description=description,
                **values,
            )

    def dispatch(self, case, moment, crew):
        with at(moment):
            return repair_dispatch(actor=self.dispatcher, case=case, crew=crew)

    def walk(self, case, start, *, to: str, minutes=(3, 10, 35, 95, 100)):
        """The order's crew walks it from assigned up to ``to`` (accept … sign_off)."""
        order = _order(case)
        member = self.members[order.crew_id]
        steps = ["accept", "set_off", "arrive", "finish", "sign_off"]
        for step, offset in zip(steps, minutes, strict=True):
            with at(start + timedelta(minutes=offset)):
                if step == "accept":
                    fw.work_order_accept(actor=member, order=order)
                elif step == "set_off":
                    fw.work_order_set_off(actor=member, order=order)
                elif step == "arrive":
                    fw.work_order_arrive(actor=member, order=order)
                    fw.work_order_diagnose(
                        actor=member, order=order, diagnosis="接头锈蚀渗漏", plan="更换接头与阀门"
                    )
                    fw.work_order_estimate(actor=member, order=order, minutes=50, cost="60.00")
                    fw.work_order_estimate_accept(actor=member, order=order)
                    fw.work_order_material_add(
                        actor=member, order=order, name="铜闸阀", quantity="1", unit="个",
                        specification="DN20",
                    )  # fmt: skip
                elif step == "finish":
                    fw.work_order_finish(
                        actor=member, order=order, result="已更换阀门，试水正常",
                        site_cleaned=True, use_demonstrated=True,
                    )  # fmt: skip
                else:
                    fw.work_order_sign_off(
                        actor=member, order=order, signature=_signature(), signer_name="客户本人"
                    )
            if step == to:
                return order
        return order

    def build(self) -> None:
        now, day = self.now, timedelta(days=1)
        crews = self.crews
        # Closed: completed a week ago, followed up happily; another followed up unhappily.
        happy = self.report(now - 9 * day, 0, "leak", "水表后管道漏水")
        self.dispatch(happy, now - 9 * day + timedelta(minutes=20), crews[0])
        self.walk(happy, now - 9 * day + timedelta(hours=2), to="sign_off")
        with at(now - 7 * day):
            repair_follow_up(actor=self.hotline, case=happy, outcome="reached", satisfaction=5,
                             comments="师傅很专业，现场清理干净")  # fmt: skip
        unhappy = self.report(now - 8 * day, 1, "meter_fault", "水表不走字")
        self.dispatch(unhappy, now - 8 * day + timedelta(hours=1), crews[1])
        self.walk(unhappy, now - 8 * day + timedelta(hours=3), to="sign_off")
        with at(now - 6 * day):
            repair_follow_up(actor=self.hotline, case=unhappy, outcome="reached", satisfaction=2,
                             comments="等了很久才上门，不满意")  # fmt: skip
        # A repeat: the same leak at the first premise again → the earlier repair failed.
        repeat = self.report(now - 2 * day, 0, "leak", "同一位置再次漏水")
        self.dispatch(repeat, now - 2 * day + timedelta(minutes=30), crews[1])
        self.walk(repeat, now - 2 * day + timedelta(hours=1), to="sign_off")
        # Completed yesterday, the follow-up call still to make.
        done = self.report(now - day, 2, "low_pressure", "早晚高峰水压低")
        self.dispatch(done, now - day + timedelta(minutes=15), crews[0])
        self.walk(done, now - day + timedelta(hours=2), to="sign_off")
        # A booked visit (general): the crew called and booked tomorrow morning.
        booked = self.report(now - timedelta(hours=5), 3, "leak", "厨房水龙头下方漏水")
        self.dispatch(booked, now - timedelta(hours=4), crews[0])
        order = _order(booked)
        with at(now - timedelta(hours=3)):
            fw.work_order_accept(actor=self.members[order.crew_id], order=order)
            start = (now + day).replace(hour=9, minute=0, second=0, microsecond=0)
            fw.work_order_contact(actor=self.members[order.crew_id], order=order,
                                  window_start=start, window_end=start + timedelta(hours=2),
                                  note="客户上午在家")  # fmt: skip
        # Waiting for a dispatcher (unassigned, general), and discoloured water.
        self.report(now - timedelta(hours=2), 4, "leak", "小区绿化带内有水冒出")
        self.report(now - timedelta(minutes=50), 5, "discoloured_water", "早上放水发黄，有铁锈味")
        # A false report, cancelled.
        false = self.report(now - timedelta(hours=6), 6, "other", "门口有积水")
        with at(now - timedelta(hours=5)):
            repair_cancel(actor=self.dispatcher, case=false, reason="雨水积水，非供水管道问题")
        # Green channel: no water at a clinic; the on-call crew is on site.
        clinic = self.report(
            now - timedelta(minutes=70), 7, "no_water", "诊所全部停水，影响诊疗",
            green_channel_reason="医疗机构停水",
        )  # fmt: skip
        if _order(clinic) is not None:
            self.walk(clinic, now - timedelta(minutes=70), to="arrive", minutes=(2, 5, 40, 0, 0))
        # Tonight's burst main: three callers, one repair, the crew on call on its way.
        burst = self.report(now - timedelta(minutes=12), 8, "burst_main", "路面冒水，水量很大")
        for index, minutes in ((9, 10), (10, 8)):
            neighbour = self.accounts[index]
            with at(now - timedelta(minutes=minutes)):
                repair_report(
                    actor=self.hotline,
                    channel="phone",
                    contact_name=neighbour.customer.name,
                    contact_phone=neighbour.customer.mobile or "13905719998",
                    address=self.accounts[8].premise.address,
                    fault_type=self.faults["burst_main"],
                    description="看到路面大量冒水",
                    link_to=burst,
                )
        if _order(burst) is not None:
            self.walk(burst, now - timedelta(minutes=12), to="set_off", minutes=(2, 6, 0, 0, 0))


def seed_repairs(*, staff: dict, crews: list, now: datetime) -> None:
    repair_department = Department.objects.get(code="repair")
    RepairPolicy.objects.create(
        department=repair_department,
        quality_department=Department.objects.get(code="engineering"),
    )
    RepairDesk(staff=staff, crews=crews, now=now).build()

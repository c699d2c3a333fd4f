"""The data of ``bench/repairs.py``: a city's premises, crews and roster, and two years of
repairs, written with ``COPY`` (see that file's docstring for the shape)."""

from __future__ import annotations

import io
import itertools
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from common import copy_rows, fast_load

SEED = 2026
BATCH = 100_000  # repairs per COPY round
LOCAL = ZoneInfo("Asia/Shanghai")

# The benchmark's catalogue when none is seeded: (code, name, default urgency, zone-wide,
# share of the reports in per cent).
FAULTS = [
    ("burst_main", "爆管", "urgent", True, 5),
    ("leak", "漏水", "general", False, 35),
    ("no_water", "停水/无水", "urgent", True, 15),
    ("low_pressure", "水压低", "general", True, 15),
    ("meter_fault", "水表故障", "general", False, 15),
    ("discoloured_water", "水质浑浊/发黄", "general", True, 5),
    ("other", "其他", "general", False, 10),
]
# Repair SLA policies (calendar hours), added when none is seeded.
POLICIES = {"dispatch": "0.25", "arrive": "1", "contact": "4", "follow_up": "72"}
DISTRICTS = ["城北区", "城南区", "东湖区", "西山区", "高新区", "经开区"]
STREETS = "解放 人民 中山 建设 和平 新华 胜利 文化 朝阳 光明 幸福 长江 滨江 花园 学府 凤凰"
STREET_KINDS = ["路", "街", "大道", "巷"]
ZONE_ROWS, ZONE_COLUMNS = 3, 4  # supply zones: a grid over the city
SOUTH, NORTH, WEST, EAST = 30.15, 30.40, 120.00, 120.35
CREWS, CREW_MEMBERS, ON_CALL = 40, 3, 6  # crews, members each, crews on call per shift
OPEN_SHARES = {"awaiting_dispatch": 15, "dispatched": 35, "on_site": 15, "completed": 35}
DUPLICATE_WINDOW = timedelta(hours=20)  # open repairs a duplicate report is sent for


# --- COPY -----------------------------------------------------------------------------


def text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Table:
    """Rows of one model for ``COPY``. The caller gives ``columns`` and writes each row's
    values in that order, already in COPY text; every other column gets its field's
    default, so that a field added later with a default does not break the load."""

    def __init__(self, model, columns: str):
        self.model = model
        given = columns.split()
        rest = [field for field in model._meta.concrete_fields if field.column not in given]
        tail = []
        for field in rest:
            if field.null:
                tail.append("\\N")
            elif field.has_default() and not callable(field.default):
                tail.append(text(field.get_default()))
            elif field.empty_strings_allowed and not field.has_default():
                tail.append("")
            else:
                sys.exit(f"bench/repairs.py cannot fill {model.__name__}.{field.name}")
        self.columns = ", ".join([*given, *(field.column for field in rest)])
        self.tail = "".join("\t" + value for value in tail) + "\n"
        self.buffer = io.StringIO()
        self.count = 0

    def add(self, row: str) -> None:
        self.buffer.write(row)
        self.buffer.write(self.tail)
        self.count += 1

    def flush(self, cursor) -> None:
        if self.buffer.tell():
            copy_rows(cursor, self.model._meta.db_table, self.columns, self.buffer.getvalue())
        self.buffer = io.StringIO()


def reset_sequences(cursor, *models) -> None:
    for model in models:
        table = model._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


# --- reference data -------------------------------------------------------------------


def number_prefix() -> str:
    """The repair kind's case-number prefix (its registration); ``BX`` before it exists."""
    from django.core.exceptions import ImproperlyConfigured

    from waterdesk.cases.kinds import kind_spec

    try:
        return kind_spec("repair").number_prefix
    except ImproperlyConfigured:
        return "BX"


def fault_catalogue() -> list[dict]:
    """The seeded fault types, or the benchmark's own; each with its share of reports."""
    from waterdesk.repairs.models import FaultType

    shares = {code: share for code, _name, _urgency, _zone_wide, share in FAULTS}
    if not FaultType.objects.exists():
        for position, (code, name, urgency, zone_wide, _share) in enumerate(FAULTS):
            FaultType.objects.create(
                code=code,
                name=name,
                default_urgency=urgency,
                zone_wide=zone_wide,
                informs_quality=code == "discoloured_water",
                position=position,
            )
    return [
        {
            "id": fault.pk,
            "code": fault.code,
            "urgency": fault.default_urgency,
            "zone_wide": fault.zone_wide,
            "share": shares.get(fault.code, 10),
        }
        for fault in FaultType.objects.filter(is_active=True).order_by("position", "code")
    ]


def sla_policies() -> dict[tuple[str, str], tuple[int, str]]:
    """(milestone, priority) -> (policy id, hours): the seeded repair policies, the missing
    ones added."""
    from waterdesk.sla.models import SlaPolicy, SlaUnit

    policies = {}
    for (milestone, hours), priority in itertools.product(POLICIES.items(), ("normal", "green")):
        policy, _created = SlaPolicy.objects.get_or_create(
            case_kind="repair",
            milestone=milestone,
            priority=priority,
            defaults={"amount": Decimal(hours), "unit": SlaUnit.CALENDAR_HOURS},
        )
        policies[milestone, priority] = (policy.pk, str(policy.amount))
    return policies


def staff(now: datetime) -> list[int]:
    """Crews with members and the roster around ``now``; the repair department with a
    dispatcher and a hotline agent (``bench-dispatcher``, ``bench-hotline`` with an API
    token). The crews' ids."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from waterdesk.core.models import Department, StaffProfile
    from waterdesk.core.roles import Role
    from waterdesk.fieldwork.models import Crew, CrewMember, DutyShift

    user_model = get_user_model()
    department, _created = Department.objects.get_or_create(
        code="repair", defaults={"name": "供水抢修中心"}
    )
    crews = Crew.objects.bulk_create(
        Crew(code=f"crew{index:02d}", name=f"抢修{index}班", phone=f"0571-8800{index:04d}")
        for index in range(1, CREWS + 1)
    )
    members = user_model.objects.bulk_create(
        user_model(username=f"crew{index:03d}", first_name=f"维修员{index}", password="!")
        for index in range(CREWS * CREW_MEMBERS)
    )
    Group.objects.get(name=Role.CREW_MEMBER).user_set.add(*members)
    CrewMember.objects.bulk_create(
        CrewMember(crew=crews[index // CREW_MEMBERS], user=user, is_leader=index % 3 == 0)
        for index, user in enumerate(members)
    )
    StaffProfile.objects.bulk_create(
        StaffProfile(user=user, department=department, mobile=f"1390000{index:04d}")
        for index, user in enumerate(members)
    )
    # Twelve-hour shifts from 08:00 thirty days ago to two days ahead.
    first = now.astimezone(LOCAL).replace(hour=8, minute=0, second=0, microsecond=0)
    first -= timedelta(days=30)
    DutyShift.objects.bulk_create(
        DutyShift(
            crew=crews[(number * ON_CALL + slot) % CREWS],
            starts_at=first + timedelta(hours=12 * number),
            ends_at=first + timedelta(hours=12 * (number + 1)),
        )
        for number in range(2 * 33)
        for slot in range(ON_CALL)
    )
    for username, role, name in (
        ("bench-dispatcher", Role.DISPATCHER, "调度员"),
        ("bench-hotline", Role.HOTLINE_AGENT, "坐席"),
    ):
        user = user_model.objects.create_user(username=username, first_name=name)
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, department=department)
    Token.objects.create(user=user_model.objects.get(username="bench-hotline"))
    _policy_departments(department)
    return [crew.pk for crew in crews]


QUALITY_STAFF = 4


def quality_team():
    """The water-quality department and its lab staff on duty, told of every report of
    discoloured water (``QUALITY_STAFF`` of them, as at a utility's lab). Idempotent: a
    database kept from before they existed gets them on ``--reuse``."""
    from django.contrib.auth import get_user_model

    from waterdesk.core.models import Department, StaffProfile

    quality, _created = Department.objects.get_or_create(
        code="quality", defaults={"name": "水质检测中心"}
    )
    for index in range(QUALITY_STAFF):
        user, created = get_user_model().objects.get_or_create(
            username=f"bench-lab{index}", defaults={"first_name": f"化验员{index}"}
        )
        if created:
            StaffProfile.objects.create(user=user, department=quality, mobile=f"1380000{index:04d}")
    return quality


def _policy_departments(department) -> None:
    """The repair policy's departments: the repair cases' (the benchmark's staff) and the
    water-quality team's."""
    from waterdesk.repairs.models import RepairPolicy

    if not RepairPolicy.objects.exists():
        RepairPolicy.objects.create()
    RepairPolicy.objects.update(department=department, quality_department=quality_team())


# --- repairs --------------------------------------------------------------------------


def premises_of_the_city(rng: random.Random, count: int, zones: list[int]) -> list[tuple]:
    """(id, public id, address, zone id, latitude, longitude) of ``count`` premises spread
    over the city; the zone is the grid cell."""
    streets = [f"{word}{kind}" for word in STREETS.split() for kind in STREET_KINDS]
    premises = []
    for index in range(1, count + 1):
        latitude, longitude = rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)
        row = min(int((latitude - SOUTH) / (NORTH - SOUTH) * ZONE_ROWS), ZONE_ROWS - 1)
        column = min(int((longitude - WEST) / (EAST - WEST) * ZONE_COLUMNS), ZONE_COLUMNS - 1)
        cell = row * ZONE_COLUMNS + column
        address = f"{DISTRICTS[cell % len(DISTRICTS)]}{rng.choice(streets)}{rng.randint(1, 399)}号"
        if rng.random() < 0.7:
            address += (
                f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 33)}"
                f"{rng.randint(1, 4):02d}室"
            )
        premises.append(
            (index, uuid.uuid4(), address, zones[cell], f"{latitude:.6f}", f"{longitude:.6f}")
        )
    return premises


class Loader:
    """Generates repairs (a case, its repair, its callers, its work order, its clocks) and
    ``COPY``s them in rounds."""

    def __init__(self, *, rng, premises, faults, policies, crews, prefix, now):
        from waterdesk.cases.models import Case
        from waterdesk.fieldwork.models import WorkOrder
        from waterdesk.repairs.models import Repair, RepairContact
        from waterdesk.sla.models import SlaClock

        self.rng, self.premises, self.faults = rng, premises, faults
        self.policies, self.crews, self.prefix, self.now = policies, crews, prefix, now
        self.fault_weights = list(itertools.accumulate(fault["share"] for fault in faults))
        self.case_id = self.contact_id = self.order_id = self.clock_id = 0
        self.sequences: dict[date, int] = {}  # case numbers per local day
        self.cases = Table(
            Case,
            "id public_id number kind channel contact_name contact_phone premise_id priority "
            "green_channel_reason status summary opened_at closed_at",
        )
        self.repairs = Table(
            Repair,
            "case_id fault_type_id urgency description address zone_id latitude longitude "
            "reported_at dispatched_at arrived_at completed_at completed_by_crew_id failed "
            "failed_by_id",
        )
        self.contacts = Table(RepairContact, "id repair_id name phone address channel reported_at")
        self.orders = Table(
            WorkOrder,
            "id public_id number case_id purpose crew_id status urgent address premise_id "
            "contact_name contact_phone description assigned_at accepted_at en_route_at "
            "arrived_at work_done_at closed_at site_cleaned use_demonstrated signer_name "
            "signed_at",
        )
        self.clocks = Table(
            SlaClock,
            "id case_id milestone policy_id unit amount started_at due_at state stopped_at is_late",
        )
        self.targets: list[dict] = []  # open repairs a duplicate report can be sent for

    def _number(self, at: datetime) -> str:
        day = at.astimezone(LOCAL).date()
        sequence = self.sequences[day] = self.sequences.get(day, 0) + 1
        return f"{self.prefix}-{day:%Y%m%d}-{sequence:04d}"

    def repair(self, reported: datetime, status: str) -> None:
        """One repair reported at ``reported``, now in ``status``."""
        rng = self.rng
        self.case_id += 1
        case_id = self.case_id
        fault = rng.choices(self.faults, cum_weights=self.fault_weights)[0]
        urgency = fault["urgency"]
        if urgency == "general" and rng.random() < 0.1:
            urgency = "urgent"  # the agent raised it
        green = rng.random() < 0.03
        premise_id, _public_id, address, zone, latitude, longitude = rng.choice(self.premises)
        number = self._number(reported)
        dispatched = arrived = completed = closed = crew = None
        if status not in ("cancelled", "awaiting_dispatch"):
            minutes = rng.uniform(3, 14) if urgency == "urgent" else rng.uniform(30, 240)
            dispatched = reported + timedelta(minutes=minutes)
            crew = rng.choice(self.crews)
        if status in ("on_site", "completed", "closed"):
            arrived = dispatched + timedelta(minutes=rng.uniform(15, 70))
        if status in ("completed", "closed"):
            completed = min(arrived + timedelta(minutes=rng.uniform(30, 240)), self.now)
        if status == "closed":
            closed = completed + timedelta(hours=rng.uniform(4, 70))
        if status == "cancelled":
            closed = reported + timedelta(minutes=rng.uniform(10, 120))
        # 3 % of the closed repairs failed: a later case (any, for the figures) repeated it.
        failed_by = case_id + 1 if status == "closed" and rng.random() < 0.03 else None
        name, phone = f"报修人{case_id % 9973}", f"139{case_id % 10**8:08d}"
        green_text = "green\t独居老人" if green else "normal\t"
        self.cases.add(
            f"{case_id}\t{uuid.uuid4()}\t{number}\trepair\tphone\t{name}\t{phone}\t{premise_id}\t"
            f"{green_text}\t{status}\t\t{reported.isoformat()}\t{text(closed)}"
        )
        self.repairs.add(
            f"{case_id}\t{fault['id']}\t{urgency}\t报修：{fault['code']}\t{address}\t{zone}\t"
            f"{latitude}\t{longitude}\t{reported.isoformat()}\t{text(dispatched)}\t"
            f"{text(arrived)}\t{text(completed)}\t{text(crew if completed else None)}\t"
            f"{text(failed_by is not None)}\t{text(failed_by)}"
        )
        callers = 1
        if status not in ("closed", "cancelled") and rng.random() < 0.33:
            callers = rng.randint(2, 5)
        for caller in range(callers):
            self.contact_id += 1
            at = reported + timedelta(minutes=7 * caller)
            who = name if caller == 0 else f"邻居{caller}"
            self.contacts.add(
                f"{self.contact_id}\t{case_id}\t{who}\t{phone}\t{address}\tphone\t{at.isoformat()}"
            )
        times = (dispatched, arrived, completed)
        if dispatched is not None:
            place = (address, premise_id, name, phone)
            self._order(case_id, number, status, urgency, crew, place, times)
        if status not in ("closed", "cancelled"):
            self._clocks(case_id, status, urgency, "green" if green else "normal", reported, times)
            if status != "completed" and reported > self.now - DUPLICATE_WINDOW:
                self.targets.append(
                    {"premise_id": premise_id, "fault": fault["code"], "case_id": case_id}
                )

    def _order(self, case_id, number, status, urgency, crew, place, times) -> None:
        address, premise_id, name, phone = place
        dispatched, arrived, completed = times
        self.order_id += 1
        if status in ("closed", "completed"):
            order_status = "signed_off"
        elif status == "on_site":
            order_status = "arrived"
        else:
            order_status = self.rng.choices(["assigned", "accepted", "en_route"], [3, 4, 3])[0]
        accepted = dispatched + timedelta(minutes=2) if order_status != "assigned" else None
        under_way = order_status not in ("assigned", "accepted")
        en_route = dispatched + timedelta(minutes=5) if under_way else None
        signed = min(completed + timedelta(minutes=5), self.now) if completed else None
        done = "t\tt" if signed else "f\tf"
        self.orders.add(
            f"{self.order_id}\t{uuid.uuid4()}\t{number}-1\t{case_id}\trepair\t{crew}\t"
            f"{order_status}\t{text(urgency == 'urgent')}\t{address}\t{premise_id}\t{name}\t"
            f"{phone}\t上门维修\t{dispatched.isoformat()}\t{text(accepted)}\t{text(en_route)}\t"
            f"{text(arrived)}\t{text(completed)}\t{text(signed)}\t{done}\t"
            f"{name if signed else ''}\t{text(signed)}"
        )

    def _clock(self, case_id, milestone, priority, started, stopped=None) -> None:
        """A running clock, or one stopped at ``stopped`` (met or breached)."""
        policy_id, hours = self.policies[milestone, priority]
        due = started + timedelta(hours=float(hours))
        state = "running" if stopped is None else "met" if stopped <= due else "breached"
        self.clock_id += 1
        self.clocks.add(
            f"{self.clock_id}\t{case_id}\t{milestone}\t{policy_id}\tcalendar_hours\t{hours}\t"
            f"{started.isoformat()}\t{due.isoformat()}\t{state}\t{text(stopped)}\t"
            f"{text(state == 'breached')}"
        )

    def _clocks(self, case_id, status, urgency, priority, reported, times) -> None:
        dispatched, arrived, completed = times
        if urgency == "urgent":
            if status == "awaiting_dispatch":
                self._clock(case_id, "dispatch", priority, reported)
                return
            self._clock(case_id, "dispatch", priority, reported, dispatched)
            self._clock(case_id, "arrive", priority, dispatched, arrived)
        elif status == "awaiting_dispatch" or (status == "dispatched" and self.rng.random() < 0.5):
            self._clock(case_id, "contact", priority, reported)
        else:
            self._clock(case_id, "contact", priority, reported, dispatched)
        if status == "completed":
            self._clock(case_id, "follow_up", priority, completed)

    def flush(self, cursor) -> None:
        for table in (self.cases, self.repairs, self.contacts, self.orders, self.clocks):
            table.flush(cursor)


def load(*, closed: int, open_: int, premises: int) -> list[dict]:
    """Load everything (one transaction); the open repairs a duplicate report can be sent
    for: (premise id, fault code, case id) of those not completed, of the last 20 hours."""
    from django.db import connection, transaction

    from waterdesk.cases.models import Case, CaseSequence
    from waterdesk.customers.models import Premise, SupplyZone
    from waterdesk.fieldwork.models import WorkOrder
    from waterdesk.repairs.models import RepairContact
    from waterdesk.sla.models import SlaClock

    rng = random.Random(SEED)
    now = datetime.now(UTC)
    started = time.perf_counter()
    zones = [
        SupplyZone.objects.get_or_create(
            code=f"zone{index:02d}", defaults={"name": f"第{index}供水片区"}
        )[0].pk
        for index in range(1, ZONE_ROWS * ZONE_COLUMNS + 1)
    ]
    city = premises_of_the_city(rng, premises, zones)
    loader = Loader(
        rng=rng,
        premises=city,
        faults=fault_catalogue(),
        policies=sla_policies(),
        crews=staff(now),
        prefix=number_prefix(),
        now=now,
    )
    first, recent = now - timedelta(days=730), now - timedelta(days=3)
    with transaction.atomic(), connection.cursor() as cursor:
        fast_load(cursor)
        places = Table(
            Premise, "id public_id address district zone_id latitude longitude created_at"
        )
        created = (now - timedelta(days=3 * 365)).isoformat()
        for index, public_id, address, zone, latitude, longitude in city:
            places.add(
                f"{index}\t{public_id}\t{address}\t{address[:3]}\t{zone}\t{latitude}\t"
                f"{longitude}\t{created}"
            )
        places.flush(cursor)
        for index in range(closed):
            # Evenly over two years ending three days ago, in the order they came in.
            reported = first + (recent - first) * ((index + rng.random()) / closed)
            loader.repair(reported, "cancelled" if rng.random() < 0.04 else "closed")
            if loader.case_id % BATCH == 0:
                loader.flush(cursor)
        statuses, weights = list(OPEN_SHARES), list(OPEN_SHARES.values())
        for reported in sorted(recent + (now - recent) * rng.random() for _ in range(open_)):
            status = rng.choices(statuses, weights)[0]
            if status == "completed" and reported > now - timedelta(hours=6):
                status = "on_site"  # not done that soon
            loader.repair(reported, status)
            if loader.case_id % BATCH == 0:
                loader.flush(cursor)
        loader.flush(cursor)
        sequences = Table(CaseSequence, "id prefix day last_value")
        for index, (day, last) in enumerate(sorted(loader.sequences.items()), start=1):
            sequences.add(f"{index}\t{loader.prefix}\t{day.isoformat()}\t{last}")
        sequences.flush(cursor)
        reset_sequences(cursor, Premise, Case, RepairContact, WorkOrder, SlaClock, CaseSequence)
    print(
        f"  loaded {premises} premises, {loader.case_id} repairs ({closed} closed or "
        f"cancelled, {open_} open), {loader.contacts.count} callers, "
        f"{loader.orders.count} work orders, {loader.clocks.count} SLA clocks in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return loader.targets


def refresh_kept() -> None:
    """``--reuse``: what a database kept by an earlier version of this loader lacks (the
    water-quality team)."""
    from waterdesk.core.models import Department

    _policy_departments(Department.objects.get(code="repair"))


def targets_of_kept() -> list[dict]:
    """``--reuse``: the open repairs a duplicate report can be sent for, from the database."""
    from waterdesk.repairs.models import Repair

    since = datetime.now(UTC) - DUPLICATE_WINDOW
    rows = Repair.objects.filter(
        case__status__in=["awaiting_dispatch", "dispatched", "on_site"], reported_at__gte=since
    ).values_list("case__premise_id", "fault_type__code", "case_id")
    return [
        {"premise_id": premise_id, "fault": fault, "case_id": case_id}
        for premise_id, fault, case_id in rows
    ]

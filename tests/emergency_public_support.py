"""A city with a burst main over a supply zone (two districts), a planned outage on one
street of a third district, and what the public page must not show (a restored incident,
a cancelled outage): rows made directly, as the incident and outage services would leave
them."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.factories import AccountFactory, CustomerFactory, PremiseFactory, SupplyZoneFactory
from waterdesk.cases.models import Case, Channel
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.emergency.models import (
    Incident,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    OutageStatus,
    PlannedOutage,
    ResponseLevel,
    WaterPoint,
)
from waterdesk.emergency.services.area import area_clean, area_record

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL_TZ)
# Customers' words that must never reach the public page.
PERSONAL = ("张卫东", "13800138001", "李秀英", "13900139002", "城东区人民路1号")


@dataclass
class PublicWorld:
    incident: Incident
    outage: PlannedOutage
    restored: Incident
    cancelled: PlannedOutage


def _case(kind: str, status: str) -> Case:
    return Case.objects.create(
        number=f"YJ-T-{Case.objects.count() + 1}",
        kind=kind,
        channel=Channel.PHONE,
        contact_name="应急办",
        contact_phone="0571-96390",
        status=status,
        opened_at=NOON - timedelta(hours=3),
    )


def _customer(zone, *, district: str, street: str, address: str = "", **customer):
    premise = PremiseFactory(
        zone=zone, district=district, street=street, address=address or f"{district}{street}"
    )
    return AccountFactory(premise=premise, customer=CustomerFactory(**customer))


def incident_open(
    *, title: str, area, status=IncidentStatus.ACTIVE, restoration=None, **fields
) -> Incident:
    case = _case("incident", status)
    area_record(case=case, area=area)
    return Incident.objects.create(
        case=case,
        incident_type=fields.pop("incident_type", IncidentType.PIPE_BURST),
        level=fields.pop("level", ResponseLevel.II),
        source=IncidentSource.DISPATCHER,
        title=title,
        description=fields.pop("description", "调度发现管网压力骤降，现场确认主管爆裂"),
        public_summary=fields.pop("public_summary", ""),
        started_at=NOON - timedelta(hours=2),
        activated_at=NOON - timedelta(hours=1, minutes=50),
        expected_restoration_at=restoration,
        **fields,
    )


def outage_announce(*, works: str, area, status=OutageStatus.ANNOUNCED, **fields) -> PlannedOutage:
    case = _case("outage", status)
    area_record(case=case, area=area)
    starts_at = fields.pop("starts_at", NOON + timedelta(days=1, hours=-4))
    ends_at = fields.pop("ends_at", starts_at + timedelta(hours=10))
    return PlannedOutage.objects.create(
        case=case,
        works=works,
        public_summary=fields.pop("public_summary", ""),
        starts_at=starts_at,
        ends_at=ends_at,
        planned_ends_at=ends_at,
        announced_at=NOON - timedelta(days=2),
        **fields,
    )


def public_world() -> PublicWorld:
    east = SupplyZoneFactory(code="east", name="城东片区")
    north = SupplyZoneFactory(code="north", name="城北片区")
    _customer(
        east,
        district="城东区",
        street="人民路",
        address="城东区人民路1号",
        name="张卫东",
        mobile="13800138001",
    )
    _customer(east, district="城南区", street="南湖路", name="李秀英", mobile="13900139002")
    _customer(north, district="城北区", street="解放路", sensitive_category="school")
    _customer(north, district="城北区", street="北京路")

    incident = incident_open(
        title="人民路DN600供水主管爆管",
        public_summary="人民路供水主管爆裂，城东片区停水抢修，请提前储水。",
        area=area_clean(zones=[east]),
        restoration=NOON + timedelta(hours=6),
    )
    WaterPoint.objects.create(
        case=incident.case,
        address="人民广场东侧",
        district="城东区",
        opening_hours="8:00-22:00",
        supplies="送水车",
    )
    WaterPoint.objects.create(
        case=incident.case,
        address="南湖公园北门",
        district="城南区",
        opening_hours="全天",
        supplies="桶装水",
        closed_at=NOON - timedelta(minutes=30),  # withdrawn: not shown
    )
    outage = outage_announce(
        works="解放路DN300管道改造",
        public_summary="解放路管道改造，停水期间请提前储水。",
        area=area_clean(streets=[("城北区", "解放路")]),
    )
    restored = incident_open(
        title="北京路阀门故障",
        area=area_clean(streets=[("城北区", "北京路")]),
        status=IncidentStatus.RESTORED,
        restoration=NOON - timedelta(hours=1),
    )
    cancelled = outage_announce(
        works="北京路水表更换",
        area=area_clean(streets=[("城北区", "北京路")]),
        status=OutageStatus.CANCELLED,
    )
    return PublicWorld(incident=incident, outage=outage, restored=restored, cancelled=cancelled)

"""Duplicate reports: which open repairs a new report is proposed to join (the same
premise, within the policy's distance, the same address as typed, the same supply zone for
zone-wide faults — of the same fault type, within the policy's window), what the refusal
carries, and the agent's two answers (link to one, or confirm a new fault)."""

import math
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import PremiseFactory, SupplyZoneFactory
from tests.repairs_support import dispatcher, hotline, report, tuesday
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import InvalidInput
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import RepairContact
from waterdesk.repairs.selectors.duplicates import EARTH_RADIUS_M, address_key
from waterdesk.repairs.services.dispatch import repair_cancel
from waterdesk.repairs.services.intake import DuplicateSuspected

pytestmark = pytest.mark.django_db
__all__ = ["dispatcher", "hotline", "tuesday"]

LAT, LON = Decimal("30.274000"), Decimal("120.155000")


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine), the reference the SQL test follows."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dlambda = math.radians(float(lon2) - float(lon1))
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def north(*, metres: float) -> Decimal:
    """The latitude ``metres`` north of ``LAT`` (1° ≈ 111.2 km on the haversine sphere)."""
    return (LAT + Decimal(metres / 111_195)).quantize(Decimal("0.000001"))


def proposed(actor, **fields) -> list[str]:
    """The numbers proposed for the report (nothing written), [] when none."""
    before = (Case.objects.count(), RepairContact.objects.count(), CaseEvent.objects.count())
    try:
        report(actor, **fields)
    except DuplicateSuspected as refused:
        assert (
            Case.objects.count(),
            RepairContact.objects.count(),
            CaseEvent.objects.count(),
        ) == before
        return [candidate["number"] for candidate in refused.details["candidates"]]
    return []


def test_the_address_key_and_the_distance():
    assert address_key("城北区 解放路１号（东门）") == address_key("城北区解放路1号东门")
    assert address_key("3-201室") != address_key("32-01室")
    assert round(distance_m(LAT, LON, north(metres=150), LON)) == 150


@pytest.mark.usefixtures("tuesday")
def test_a_report_within_the_distance_is_proposed_one_beyond_it_is_not(hotline):
    first = report(hotline, address="解放路口", latitude=LAT, longitude=LON)

    near = {"address": "中山路口", "latitude": north(metres=190), "longitude": LON}
    far = {"address": "中山路口", "latitude": north(metres=210), "longitude": LON}

    assert proposed(hotline, **near) == [first.number]
    # The bounding box finds it too, but the haversine distance says no.
    assert proposed(hotline, **far) == []


@pytest.mark.usefixtures("tuesday")
def test_the_same_premise_or_the_same_address_typed_otherwise_is_proposed(hotline):
    premise = PremiseFactory(address="城北区解放路5号")
    first = report(hotline, address="", premise=premise)
    typed = report(hotline, address="城北区和平路 3 号", confirm_new=True)

    assert proposed(hotline, address="解放路5号楼下", premise=premise) == [first.number]
    assert proposed(hotline, address="城北区和平路3号") == [typed.number]
    assert proposed(hotline, address="城北区和平路30号") == []


@pytest.mark.usefixtures("tuesday")
def test_zone_wide_faults_are_one_fault_in_a_supply_zone(hotline):
    east, west = SupplyZoneFactory(code="east"), SupplyZoneFactory(code="west")
    no_water = report(hotline, fault_code="no_water", address="", premise=PremiseFactory(zone=east))
    report(hotline, address="", premise=PremiseFactory(zone=east))  # a leak: not zone-wide

    # Another street of the zone: the no-water report is proposed, the leak is not.
    assert proposed(
        hotline, fault_code="no_water", address="", premise=PremiseFactory(zone=east)
    ) == [no_water.number]
    assert proposed(hotline, address="", premise=PremiseFactory(zone=east)) == []
    # An address not on file, with the zone the agent chose.
    assert proposed(hotline, fault_code="no_water", address="东湖小区", zone=east) == [
        no_water.number
    ]
    assert (
        proposed(hotline, fault_code="no_water", address="", premise=PremiseFactory(zone=west))
        == []
    )


def test_the_window_edge_and_another_fault_type(hotline, tuesday):
    first = report(hotline, address="城北区解放路7号")

    tuesday.shift(timedelta(hours=24))  # exactly the policy's 24 hours later
    assert proposed(hotline, address="城北区解放路7号") == [first.number]
    # Another fault at the same address is another repair.
    assert proposed(hotline, fault_code="meter_fault", address="城北区解放路7号") == []
    tuesday.shift(timedelta(minutes=1))
    assert proposed(hotline, address="城北区解放路7号") == []


@pytest.mark.usefixtures("tuesday")
def test_completed_and_cancelled_repairs_are_not_proposed(hotline, dispatcher):
    cancelled = report(hotline, address="城北区解放路8号")
    repair_cancel(actor=dispatcher, case=cancelled, reason="误报")

    assert proposed(hotline, address="城北区解放路8号") == []


@pytest.mark.usefixtures("tuesday")
def test_the_candidates_and_the_agents_two_answers(hotline, tuesday):
    first = report(hotline, address="城北区解放路9号", contact_phone="13900000001")

    with pytest.raises(DuplicateSuspected) as refused:
        report(hotline, address="城北区解放路9号", contact_name="李四", contact_phone="13900000002")

    assert refused.value.http_status == 409
    assert refused.value.as_dict()["details"] == {
        "candidates": [
            {
                "public_id": str(first.public_id),
                "number": first.number,
                "address": "城北区解放路9号",
                "reported_at": "2026-03-10T10:00:00+08:00",
                "contacts": 1,
            }
        ]
    }

    tuesday.shift(timedelta(minutes=5))
    joined = report(
        hotline,
        address="城北区解放路9号",
        contact_name="李四",
        contact_phone="13900000002",
        description="楼道里也在漏",
        link_to=first,
    )
    assert joined == first
    assert list(first.repair.contacts.values_list("name", "phone", "note")) == [
        ("张三", "13900000001", ""),
        ("李四", "13900000002", "楼道里也在漏"),
    ]
    added = first.events.get(action="contact_added")
    assert (added.actor, added.data) == (
        hotline,
        {"name": "李四", "phone": "139****0002", "channel": "phone", "address": "城北区解放路9号"},
    )
    assert list(
        Notification.objects.filter(case=first).values_list("template_key", "recipient_address")
    ) == [("repair.registered", "13900000002"), ("repair.registered", "13900000001")]

    new = report(hotline, address="城北区解放路9号", confirm_new=True)
    assert new != first and new.status == "awaiting_dispatch"


@pytest.mark.usefixtures("tuesday")
def test_a_report_cannot_join_a_closed_repair(hotline, dispatcher):
    first = report(hotline, address="城北区解放路10号")
    repair_cancel(actor=dispatcher, case=first, reason="客户已自行修复")
    before = RepairContact.objects.count()

    with pytest.raises(InvalidInput) as refused:
        report(hotline, address="城北区解放路10号", link_to=first)

    assert refused.value.code == "link_target_closed"
    assert RepairContact.objects.count() == before

"""What the hotline and the repairs see of incidents and planned outages.

A report of a fault an incident explains from inside an active incident's area is linked
to it, not dispatched (no crew, no clocks, not on the board), its caller told once of the
expected restoration and the water points; the restoration closes it and tells the
callers; a dispatcher can still send it on separately. Reports outside the area, of other
faults, or after the restoration go the usual way. The intake page and the customer's page
show the incidents and outages covering the caller's premises."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.emergency_hotline_support import active_incident, announced_outage
from tests.factories import AccountFactory, CustomerFactory, PremiseFactory, SupplyZoneFactory
from tests.repairs_support import TUESDAY, dispatcher, hotline, on_call, report, tuesday
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.emergency.hooks import incident_restored
from waterdesk.emergency.selectors_hotline import (
    active_incidents_covering,
    active_incidents_covering_any,
    outages_covering,
    outages_covering_any,
)
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import FaultType, Repair, RepairContact
from waterdesk.repairs.selectors.board import repair_board
from waterdesk.repairs.services.incident import repair_dispatch_separately
from waterdesk.sla.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]
__all__ = ["dispatcher", "hotline", "tuesday"]


@pytest.fixture
def north():
    return SupplyZoneFactory(code="north", name="城北片区")


@pytest.fixture
def east():
    return SupplyZoneFactory(code="east", name="城东片区")


@pytest.fixture
def inside(north):
    """A customer's account at a premise of the northern zone."""
    premise = PremiseFactory(zone=north, address="城北区解放路1号", street="解放路")
    return AccountFactory(premise=premise, customer=CustomerFactory(mobile="13900139001"))


@pytest.fixture
def outside(east):
    premise = PremiseFactory(zone=east, address="城东区人民路9号", street="人民路")
    return AccountFactory(premise=premise, customer=CustomerFactory(mobile="13900139002"))


@pytest.fixture
def incident(north, inside):
    return active_incident(at=TUESDAY - timedelta(hours=1), zones=[north])


@pytest.fixture
def crew():
    """A crew on call: an urgent report outside an incident goes to it at once."""
    crew, _member = on_call(
        "c1", "crew1", starts_at=TUESDAY - timedelta(hours=2), mobile="13700137000"
    )
    return crew


def notices(template: str, case: Case) -> list[Notification]:
    return list(Notification.objects.filter(template_key=template, case=case, channel="sms"))


# --- linked, not dispatched ---------------------------------------------------------------


def test_a_report_inside_an_active_incident_is_linked_not_dispatched(
    hotline, incident, inside, crew
):
    case = report(hotline, fault_code="no_water", account=inside, address="", description="停水")

    repair = Repair.objects.get(case=case)
    assert (case.status, repair.incident_id) == ("linked", incident.pk)
    assert (repair.dispatched_at, repair.arrived_at) == (None, None)
    assert not WorkOrder.objects.filter(case=case).exists()
    assert not SlaClock.objects.filter(case=case).exists()
    board = repair_board(now=TUESDAY)
    assert board.total == 0 and board.rows == []
    # The caller is told once, with the incident's news (SMS, by the phone they gave).
    [sms] = notices("repair.linked", case)
    assert sms.recipient_address == "13900139000"
    assert incident.number in sms.body
    assert "3月10日 15:00" in sms.body  # activated 1 h ago, expected in 6 h
    assert "人民广场" in sms.body
    assert not Notification.objects.filter(template_key="repair.registered").exists()
    # Both timelines say so.
    assert CaseEvent.objects.get(case=case, action="linked_to_incident").data["incident"] == (
        incident.number
    )
    linked = CaseEvent.objects.get(case=incident, action="repair_linked")
    assert linked.data["repair"] == case.number
    # The caller stays on the repair.
    assert list(RepairContact.objects.filter(repair=repair).values_list("phone", flat=True)) == [
        "13900139000"
    ]


def test_a_second_caller_inside_the_incident_is_linked_without_a_duplicate_check(
    hotline, incident, inside
):
    first = report(hotline, fault_code="low_pressure", account=inside, address="")
    second = report(
        hotline,
        fault_code="low_pressure",
        account=inside,
        address="",
        contact_name="李四",
        contact_phone="13900139005",
    )
    assert (first.status, second.status) == ("linked", "linked")
    assert CaseEvent.objects.filter(case=incident, action="repair_linked").count() == 2


def test_a_caller_joining_a_linked_repair_hears_of_the_incident(hotline, incident, inside):
    first = report(hotline, fault_code="no_water", account=inside, address="")
    joined = report(
        hotline,
        fault_code="no_water",
        account=inside,
        address="",
        contact_name="李四",
        contact_phone="13900139008",
        link_to=first,
    )
    assert joined == first
    [sms] = [
        notice
        for notice in notices("repair.linked", first)
        if notice.recipient_address == "13900139008"
    ]
    assert incident.number in sms.body
    assert not Notification.objects.filter(template_key="repair.registered").exists()


def test_a_report_placed_by_its_zone_only_is_linked_when_the_incident_names_the_zone(
    hotline, incident, north
):
    case = report(hotline, fault_code="no_water", zone=north, address="城北某小区门口")
    assert case.status == "linked"


def test_outside_the_area_or_another_fault_is_dispatched_as_before(
    hotline, incident, inside, outside, crew
):
    elsewhere = report(hotline, fault_code="no_water", account=outside, address="")
    assert elsewhere.status == "dispatched"  # urgent: to the crew on call
    assert Repair.objects.get(case=elsewhere).incident_id is None
    assert WorkOrder.objects.filter(case=elsewhere).count() == 1

    leak = report(hotline, fault_code="leak", account=inside, address="")
    assert leak.status == "awaiting_dispatch"
    assert Repair.objects.get(case=leak).incident_id is None
    assert notices("repair.registered", leak) and not notices("repair.linked", leak)
    assert not CaseEvent.objects.filter(case=incident, action="repair_linked").exists()


def test_a_report_after_the_restoration_is_dispatched_normally(hotline, north, inside, crew):
    restored = active_incident(at=TUESDAY - timedelta(hours=8), zones=[north], status="restored")
    case = report(hotline, fault_code="no_water", account=inside, address="")
    assert case.status == "dispatched"
    assert Repair.objects.get(case=case).incident_id is None
    assert SlaClock.objects.filter(case=case).count() == 2  # dispatch and arrival
    assert not CaseEvent.objects.filter(case=restored, action="repair_linked").exists()


def test_a_street_incident_links_only_the_street(hotline, north, inside, crew):
    other_street = AccountFactory(
        premise=PremiseFactory(zone=north, address="城北区和平路2号", street="和平路")
    )
    incident = active_incident(at=TUESDAY, streets=[("", "解放路")])
    assert report(hotline, fault_code="no_water", account=inside, address="").status == "linked"
    apart = report(hotline, fault_code="no_water", account=other_street, address="")
    assert apart.status == "dispatched"
    assert CaseEvent.objects.filter(case=incident, action="repair_linked").count() == 1


# --- the restoration ----------------------------------------------------------------------


def test_the_restoration_closes_linked_repairs_and_tells_their_callers(
    hotline, dispatcher, incident, inside, django_capture_on_commit_callbacks
):
    first = report(hotline, fault_code="no_water", account=inside, address="")
    second = report(
        hotline, fault_code="no_water", account=inside, address="", contact_phone="13900139006"
    )
    separate = report(
        hotline, fault_code="no_water", account=inside, address="", contact_phone="13900139007"
    )
    repair_dispatch_separately(actor=dispatcher, case=separate, reason="户内阀门坏了")
    restored_at = TUESDAY + timedelta(hours=3)

    with transaction.atomic():
        incident_restored(incident=incident.incident, actor=dispatcher, at=restored_at)

    for case in (first, second):
        case.refresh_from_db()
        assert (case.status, case.closed_at) == ("closed", restored_at)
        event = CaseEvent.objects.get(case=case, action="incident_restored")
        assert "无需回访" in event.note
        [sms] = notices("repair.incident_restored", case)
        assert sms.body == (
            f"【城市水务】您反映的“停水/无水”（受理编号{case.number}）：应急事件"
            f"{incident.number}已于3月10日 13:00恢复供水。如仍有异常请致电客服热线。"
        )
        assert not SlaClock.objects.filter(case=case).exists()  # no follow-up call
    separate.refresh_from_db()
    assert separate.status == "awaiting_dispatch"
    assert not notices("repair.incident_restored", separate)
    closed = CaseEvent.objects.get(case=incident, action="linked_repairs_closed")
    assert closed.data == {"repairs": 2}


# --- dispatch separately --------------------------------------------------------------------


def test_a_dispatcher_sends_a_linked_repair_on_separately(hotline, dispatcher, incident, inside):
    case = report(hotline, fault_code="no_water", account=inside, address="")
    assert not SlaClock.objects.filter(case=case).exists()

    case = repair_dispatch_separately(actor=dispatcher, case=case, reason="核实为户内管道漏水")

    repair = Repair.objects.get(case=case)
    assert (case.status, repair.incident_id) == ("awaiting_dispatch", None)
    # Urgent: its clocks start now.
    assert set(SlaClock.objects.filter(case=case).values_list("milestone", flat=True)) == {
        "dispatch",
        "arrive",
    }
    event = CaseEvent.objects.get(case=case, action="dispatch_separately")
    assert (event.note, event.data) == ("核实为户内管道漏水", {"incident": incident.number})
    assert CaseEvent.objects.get(case=incident, action="repair_unlinked").data["repair"] == (
        case.number
    )
    assert repair_board(now=TUESDAY).total == 1


def test_dispatch_separately_needs_a_reason_and_a_dispatcher(hotline, dispatcher, incident, inside):
    case = report(hotline, fault_code="no_water", account=inside, address="")
    events = CaseEvent.objects.count()
    with pytest.raises(InvalidInput) as blank:
        repair_dispatch_separately(actor=dispatcher, case=case, reason=" ")
    assert blank.value.field == "reason"
    with pytest.raises(NotPermitted):
        repair_dispatch_separately(actor=hotline, case=case, reason="不是停水")
    case.refresh_from_db()
    assert (case.status, CaseEvent.objects.count()) == ("linked", events)
    assert Repair.objects.get(case=case).incident_id == incident.pk


# --- the selectors --------------------------------------------------------------------------


def test_incidents_and_outages_covering_a_premise(incident, inside, outside, north, east):
    now = TUESDAY
    upcoming = announced_outage(at=now, starts_in_hours=30, zones=[east])
    announced_outage(at=now, starts_in_hours=-20, hours=8, zones=[east])  # over already

    [cover] = active_incidents_covering(inside.premise)
    assert (cover.number, cover.expected_restoration, cover.area) == (
        incident.number,
        "3月10日 15:00",
        "城北片区",
    )
    assert cover.water_points_text == "人民广场（送水车，8:00-20:00）"
    assert active_incidents_covering(outside.premise) == []
    [outage] = outages_covering(outside.premise, at=now)
    assert (outage.case, outage.is_current) == (upcoming, False)
    assert outage.window == "3月11日 16:00 至 3月12日 00:00"
    assert outages_covering(inside.premise, at=now) == []

    premises = [inside.premise, outside.premise]
    with CaptureQueriesContext(connection) as queries:
        found = active_incidents_covering_any(premises), outages_covering_any(premises, at=now)
    assert [cover.case for cover in found[0]] == [incident]
    assert [cover.case for cover in found[1]] == [upcoming]
    assert len(queries.captured_queries) == 10  # each: cases, three area parts, points
    with CaptureQueriesContext(connection) as queries:
        assert outages_covering_any([inside.premise], at=now) == []
    assert len(queries.captured_queries) == 1


# --- the pages ------------------------------------------------------------------------------


def test_the_intake_page_shows_the_incident_at_the_callers_place(client, hotline, incident, inside):
    client.force_login(hotline)
    url = reverse("workbench:intake_repair")

    page = client.get(url, {"customer": str(inside.customer.public_id)}).content.decode()
    assert f"该地址位于应急事件 {incident.number} 影响范围：城北片区" in page
    assert "预计 3月10日 15:00 恢复供水。" in page
    assert "临时供水点：人民广场（送水车，8:00-20:00）" in page

    # Picked later on the page (htmx): by the customer, the account number, or the zone.
    news = reverse("workbench:intake_repair_news")
    by_customer = client.get(news, {"customer": str(inside.customer.public_id)})
    assert f'data-incident="{incident.number}"' in by_customer.content.decode()
    by_account = client.get(news, {"account_number": inside.number, "customer": ""})
    assert f'data-incident="{incident.number}"' in by_account.content.decode()
    by_zone = client.get(news, {"zone": str(inside.premise.zone_id)})
    assert f'data-incident="{incident.number}"' in by_zone.content.decode()
    assert "data-incident" not in client.get(news, {"customer": "nonsense"}).content.decode()


def test_the_intake_page_shows_planned_outages_and_nothing_elsewhere(
    client, hotline, outside, east
):
    outage = announced_outage(at=TUESDAY, starts_in_hours=26, zones=[east])
    client.force_login(hotline)
    news = reverse("workbench:intake_repair_news")
    body = client.get(news, {"account_number": outside.number}).content.decode()
    assert f"计划停水 {outage.number} 将影响该地址" in body
    assert "3月11日 12:00 至 3月11日 20:00" in body
    quiet = client.get(reverse("workbench:intake_repair")).content.decode()
    assert "data-incident" not in quiet and "data-outage" not in quiet


def test_the_linked_report_from_the_page_says_so(client, hotline, incident, inside):
    client.force_login(hotline)
    response = client.post(
        reverse("workbench:intake_repair"),
        {
            "channel": "phone",
            "contact_name": "张三",
            "contact_phone": "13900139000",
            "account_number": inside.number,
            "fault_type": FaultType.objects.get(code="no_water").pk,
            "description": "家里没水",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "报修已并入事件，不单独派单" in page
    assert 'id="repair-incident"' in page and incident.number in page
    case = Case.objects.get(kind="repair")
    assert case.status == "linked"


def test_the_customer_page_shows_incidents_and_outages_at_its_premises(
    client, hotline, incident, inside, east
):
    second = AccountFactory(
        customer=inside.customer, premise=PremiseFactory(zone=east, address="城东区人民路3号")
    )
    outage = announced_outage(at=TUESDAY, starts_in_hours=-1, zones=[east])  # under way
    client.force_login(hotline)
    url = reverse("workbench:customer", args=[inside.customer.public_id])

    page = client.get(url).content.decode()
    assert 'id="emergency-banner"' in page
    assert f'data-incident="{incident.number}"' in page
    assert f"计划停水 {outage.number} 正在进行" in page
    assert second.number in page

    with CaptureQueriesContext(connection) as with_news:
        client.get(url)
    incident.status = "restored"
    incident.save(update_fields=["status"])
    outage.status = "restored"
    outage.save(update_fields=["status"])
    with CaptureQueriesContext(connection) as without:
        page = client.get(url).content.decode()
    assert 'id="emergency-banner"' not in page
    # The banner costs a fixed number of queries: the incidents and the outages, and for
    # those found their areas and water points.
    assert len(with_news.captured_queries) - len(without.captured_queries) == 8


def test_the_customer_page_banner_costs_the_same_for_more_premises(
    client, hotline, incident, inside
):
    client.force_login(hotline)
    url = reverse("workbench:customer", args=[inside.customer.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(3):
        AccountFactory(
            customer=inside.customer,
            premise=PremiseFactory(zone=inside.premise.zone, street=f"路{number}"),
        )
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    banner = [query for query in four.captured_queries if "emergency_" in query["sql"]]
    assert len(banner) == len(
        [query for query in one.captured_queries if "emergency_" in query["sql"]]
    )

"""Repair intake through its service: classification and urgency (raised, never lowered),
the green channel, the place matched to a premise and account, urgent repairs dispatched to
the crew on call (or the dispatchers alerted), the water-quality team told, an inquiry
turned into a repair — and bad input refused with nothing written."""

from datetime import timedelta

import pytest

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    DepartmentFactory,
    PremiseFactory,
    UserFactory,
)
from tests.repairs_support import (
    TUESDAY,
    dispatcher,
    hotline,
    on_call,
    report,
    the_order,
    tuesday,
)
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.inquiries.services import inquiry_register
from waterdesk.notify.models import Notification
from waterdesk.repairs.models import Repair, RepairContact, RepairPolicy
from waterdesk.sla.models import SlaClock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]
__all__ = ["dispatcher", "hotline", "tuesday"]


def counts() -> tuple:
    return (
        Case.objects.count(),
        Repair.objects.count(),
        RepairContact.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
        SlaClock.objects.count(),
    )


def test_a_general_leak_waits_for_a_dispatcher(hotline):
    case = report(hotline, address="城北区 解放路１号 ")

    assert (case.kind, case.status, case.channel, case.priority) == (
        "repair",
        "awaiting_dispatch",
        "phone",
        "normal",
    )
    assert case.number == "BX-20260310-0001"
    assert case.summary == "漏水：城北区 解放路１号"
    repair = case.repair
    assert (repair.fault_type.code, repair.urgency, repair.address, repair.address_key) == (
        "leak",
        "general",
        "城北区 解放路１号",
        "城北区解放路1号",
    )
    assert (repair.reported_at, repair.dispatched_at, case.premise) == (TUESDAY, None, None)
    assert list(repair.contacts.values_list("name", "phone", "channel", "recorded_by")) == [
        ("张三", "13900139000", "phone", hotline.pk)
    ]
    assert SlaClock.objects.filter(case=case).count() == 0
    assert the_order(case) is None
    sent = Notification.objects.get(case=case)
    assert (sent.template_key, sent.channel, sent.recipient_address, sent.is_urgent) == (
        "repair.registered",
        "sms",
        "13900139000",
        True,
    )
    assert sent.body == (
        "【城市水务】您反映的“漏水”（城北区 解放路１号）已受理，受理编号BX-20260310-0001，"
        "维修人员将尽快与您联系并预约上门时间。如有疑问请致电客服热线。"
    )


def test_the_agent_raises_a_general_fault_to_urgent_and_the_crew_on_call_goes(hotline):
    crew, _member = on_call(
        "day", "crew-day", starts_at=TUESDAY - timedelta(hours=2), mobile="13700000001"
    )

    case = report(hotline, urgency="urgent")

    assert (case.status, case.repair.urgency, the_order(case).crew) == (
        "dispatched",
        "urgent",
        crew,
    )
    raised = case.events.get(action="urgency_raised")
    assert (raised.actor, raised.data) == (hotline, {"from": "general", "to": "urgent"})
    assert sorted(SlaClock.objects.filter(case=case).values_list("milestone", "due_at")) == [
        ("arrive", TUESDAY + timedelta(hours=1)),
        ("dispatch", TUESDAY + timedelta(minutes=15)),
    ]


def test_urgency_is_never_lowered_below_the_fault_types_default(hotline):
    before = counts()

    with pytest.raises(InvalidInput) as refused:
        report(hotline, fault_code="burst_main", urgency="general")

    assert (refused.value.code, refused.value.field) == ("urgency_below_default", "urgency")
    assert counts() == before
    with pytest.raises(InvalidInput) as refused:
        report(hotline, urgency="very")
    assert refused.value.code == "invalid_urgency"
    assert counts() == before


def test_an_urgent_repair_with_nobody_on_call_alerts_the_dispatchers(hotline, dispatcher):
    dispatcher.staff_profile.mobile = "13600000001"
    dispatcher.staff_profile.save()

    case = report(hotline, fault_code="no_water", address="城北区解放路9号")

    assert case.status == "awaiting_dispatch"
    assert the_order(case) is None
    assert case.events.get(action="no_crew_on_duty").data == {"dispatchers": 1}
    assert sorted(
        Notification.objects.filter(template_key="repair.no_crew").values_list(
            "channel", "recipient_address", "recipient_user", "is_urgent"
        )
    ) == [
        ("email", "dispatcher@waterdesk.test", dispatcher.pk, True),
        ("sms", "13600000001", dispatcher.pk, True),
    ]
    # The clocks run from the report all the same.
    assert sorted(SlaClock.objects.filter(case=case).values_list("milestone", "state")) == [
        ("arrive", "running"),
        ("dispatch", "running"),
    ]


def test_the_green_channel_needs_its_reason_and_vulnerable_customers_always_get_it(hotline):
    hospital = report(hotline, green_channel_reason="市第一医院住院部无水")
    assert (hospital.priority, hospital.green_channel_reason) == ("green", "市第一医院住院部无水")

    elderly = CustomerFactory(name="独居老人", is_vulnerable=True)
    case = report(hotline, customer=elderly, address="城北区解放路2号")
    assert (case.priority, case.green_channel_reason, case.customer) == (
        "green",
        "特殊关爱客户",
        elderly,
    )


def test_an_account_places_the_fault_at_its_premise_and_names_its_customer(hotline):
    account = AccountFactory(premise=PremiseFactory(address="城北区解放路88号"))

    case = report(hotline, address="", account=account)

    assert (case.premise, case.customer, case.repair.account) == (
        account.premise,
        account.customer,
        account,
    )
    assert case.repair.address == "城北区解放路88号"
    assert case.repair.zone == account.premise.zone


def test_a_premise_with_one_account_and_a_typed_address_on_file_are_matched(hotline):
    account = AccountFactory(premise=PremiseFactory(address="城北区解放路66号"))

    by_premise = report(hotline, address="", premise=account.premise)
    by_address = report(hotline, address="城北区解放路66号", confirm_new=True)

    for case in (by_premise, by_address):
        assert (case.premise, case.repair.account, case.customer) == (
            account.premise,
            account,
            account.customer,
        )


def test_bad_places_are_refused_with_nothing_written(hotline):
    account = AccountFactory()
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        report(hotline, account=account, premise=PremiseFactory())
    assert refused.value.code == "account_premise_mismatch"
    with pytest.raises(InvalidInput) as refused:
        report(hotline, address="  ")
    assert (refused.value.code, refused.value.field) == ("address_required", "address")
    with pytest.raises(InvalidInput) as refused:
        report(hotline, latitude="95", longitude="120")
    assert refused.value.code == "invalid_location"
    with pytest.raises(InvalidInput) as refused:
        report(hotline, contact_phone="123")
    assert refused.value.code == "invalid_phone"
    assert counts() == before


def test_roles_without_the_intake_permission_are_refused(db):
    reader = UserFactory(username="reader", role=Role.METER_READER)
    with pytest.raises(NotPermitted):
        report(reader)
    assert Case.objects.count() == 0


def test_discoloured_water_informs_the_quality_department(hotline):
    quality = DepartmentFactory(code="quality", name="水质监测中心")
    analyst = UserFactory(username="analyst", department=quality)
    RepairPolicy.objects.update(quality_department=quality)

    case = report(hotline, fault_code="discoloured_water", description="自来水发黄，有铁锈味")

    assert case.events.get(action="quality_informed").data == {
        "department": "水质监测中心",
        "staff": 1,
    }
    alert = Notification.objects.get(template_key="repair.quality_alert")
    assert (alert.recipient_user, alert.channel, alert.recipient_address) == (
        analyst,
        "email",
        "analyst@waterdesk.test",
    )
    assert "自来水发黄，有铁锈味" in alert.body


def test_an_inquiry_turned_into_a_repair_is_closed_as_converted(hotline, clerk):
    inquiry = inquiry_register(
        actor=clerk,
        channel="phone",
        contact_name="张三",
        contact_phone="13900139000",
        category=InquiryCategory.objects.get(code="outage"),
        question="家里没水了，是不是停水？",
    )

    case = report(hotline, follows=inquiry, fault_code="no_water")

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.inquiry.converted_to) == ("converted", case)
    assert case.events.get(action="follows").data == {"case": inquiry.number, "kind": "inquiry"}

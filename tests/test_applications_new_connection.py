"""The new-connection workflow through its services, from intake to water on."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import (
    CustomerFactory,
    SupplyZoneFactory,
    UserFactory,
    registered_new_connection,
)
from waterdesk.applications import new_connection as nc
from waterdesk.applications.intake import applications_withdraw_stale
from waterdesk.applications.models import (
    CollectiveReview,
    FeeItem,
    FeeLine,
    MaterialNotice,
    NewConnection,
    NewConnectionPolicy,
)
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, Customer, Meter
from waterdesk.notify.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_PERSON_MATERIALS = ["id_card", "property_certificate"]
# Tuesday 2026-03-10 09:00 local: a plain working week, no holidays near.
START = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


def register(clerk, *, materials=ALL_PERSON_MATERIALS, **overrides):
    return registered_new_connection(clerk, materials_received=materials, **overrides)


def walk_to(case, status, *, clerk, surveyor, reviewer, approver):
    """Drive a registered case forward through the real services up to ``status``."""
    steps = [
        (
            "survey_assigned",
            lambda c: nc.new_connection_assign_survey(actor=clerk, case=c, surveyor=surveyor),
        ),
        (
            "survey_booked",
            lambda c: nc.new_connection_book_survey(
                actor=surveyor,
                case=c,
                booked_for=START + timedelta(days=1),
                preparation="房产证原件",
            ),
        ),
        (
            "surveyed",
            lambda c: nc.new_connection_submit_survey(
                actor=surveyor,
                case=c,
                installation_position="一楼表井",
                surveyed_usage="residential",
                site_conditions="市政管网已到位",
                facilities="DN100 支管",
                notes_explained="表井须保持畅通",
                estimated_amount="1200",
            ),
        ),
        (
            "reviewed",
            lambda c: nc.new_connection_review_pass(actor=reviewer, case=c, opinion="资料齐全"),
        ),
        ("approved", lambda c: nc.new_connection_approve(actor=approver, case=c, opinion="同意")),
        (
            "fee_assessed",
            lambda c: nc.new_connection_assess_fee(
                actor=clerk,
                case=c,
                lines=[("meter_install_dn15_25", "1"), ("service_pipe_laying", "2.5")],
            ),
        ),
        (
            "paid",
            lambda c: nc.new_connection_record_payment(
                actor=clerk, case=c, amount="480.00", reference="SK-0001"
            ),
        ),
        (
            "meter_installed",
            lambda c: nc.new_connection_install_meter(
                actor=surveyor,
                case=c,
                meter_serial="WM-NEW-001",
                size_dn=20,
                initial_reading="0.00",
            ),
        ),
        ("account_opened", lambda c: nc.new_connection_open_account(actor=clerk, case=c)),
        ("completed", lambda c: nc.new_connection_turn_water_on(actor=surveyor, case=c)),
    ]
    order = ["registered"] + [target for target, _step in steps]
    for target, step in steps[order.index(case.status) :]:
        case = step(case)
        assert case.status == target
        if target == status:
            return case
    return case


@pytest.fixture
def staff(clerk, surveyor, reviewer, approver):
    return {"clerk": clerk, "surveyor": surveyor, "reviewer": reviewer, "approver": approver}


def test_register_with_complete_materials_starts_both_clocks(
    clerk, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = register(clerk)
    assert case.number == "XZ-20260310-0001"
    assert case.status == "registered"
    assert case.opened_by == clerk
    clocks = {clock.milestone: clock for clock in case.clocks.all()}
    assert set(clocks) == {"contact_customer", "complete"}
    # 1 working day: end of business hours on Wednesday; 10 working days: Tuesday 24 March.
    assert clocks["contact_customer"].due_at == datetime(2026, 3, 11, 17, 30, tzinfo=SHANGHAI)
    assert clocks["complete"].due_at == datetime(2026, 3, 24, 17, 30, tzinfo=SHANGHAI)
    assert list(case.events.values_list("action", flat=True)) == ["open"]
    sent = Notification.objects.filter(case=case).order_by("channel")
    assert [(n.template_key, n.channel, n.recipient_address, n.status) for n in sent] == [
        ("new_connection.registered", "email", case.customer.email, "sent"),
        ("new_connection.registered", "sms", case.customer.mobile, "sent"),
    ]


def test_case_numbers_count_up_per_day(clerk):
    with time_machine.travel(START, tick=False):
        first, second = register(clerk), register(clerk)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        third = register(clerk)
    assert [first.number, second.number, third.number] == [
        "XZ-20260310-0001",
        "XZ-20260310-0002",
        "XZ-20260311-0001",
    ]


def test_missing_materials_issue_one_notice_and_pause_the_clocks(clerk):
    with time_machine.travel(START, tick=False):
        case = register(clerk, materials=["id_card"])
    assert case.status == "materials_pending"
    notice = MaterialNotice.objects.get(case=case)
    assert notice.missing == [{"code": "property_certificate", "name": "房产证明"}]
    assert notice.deadline == date(2026, 4, 9)
    assert set(case.clocks.values_list("state", flat=True)) == {"paused"}
    notices = Notification.objects.filter(
        case=case, template_key="new_connection.materials_missing"
    )
    assert notices.count() == Notification.objects.filter(case=case).count() >= 1
    assert "房产证明" in notices.first().body

    # Two working days later the customer brings the certificate: the clock runs again from
    # there, so the 10-working-day limit is shifted by the two days spent waiting.
    with time_machine.travel(datetime(2026, 3, 12, 9, 0, tzinfo=SHANGHAI), tick=False):
        case = nc.new_connection_supply_materials(
            actor=clerk, case=case, materials=["property_certificate"]
        )
    assert case.status == "registered"
    complete = case.clocks.get(milestone="complete")
    assert complete.state == "running"
    assert complete.due_at == datetime(2026, 3, 26, 17, 30, tzinfo=SHANGHAI)
    assert MaterialNotice.objects.get(case=case).fulfilled_at is not None


def test_supplying_nothing_new_is_refused_and_changes_nothing(clerk):
    case = register(clerk, materials=["id_card"])
    events_before = case.events.count()
    with pytest.raises(InvalidInput) as error:
        nc.new_connection_supply_materials(actor=clerk, case=case, materials=["id_card"])
    assert error.value.code == "no_materials"
    case.refresh_from_db()
    assert case.status == "materials_pending"
    assert case.events.count() == events_before


def test_stale_applications_are_withdrawn_once(clerk):
    with time_machine.travel(START, tick=False):
        case = register(clerk, materials=[])
        complete = register(clerk)
    assert applications_withdraw_stale(today=date(2026, 4, 9)) == []
    assert applications_withdraw_stale(today=date(2026, 4, 10)) == [case.number]
    assert applications_withdraw_stale(today=date(2026, 4, 11)) == []
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert case.closed_at is not None
    assert set(case.clocks.values_list("state", flat=True)) == {"cancelled"}
    assert case.events.filter(action="withdraw", actor=None).count() == 1
    complete.refresh_from_db()
    assert complete.status == "registered"


def test_register_refuses_bad_input_and_writes_nothing(clerk):
    customers_before, cases_before = Customer.objects.count(), Case.objects.count()
    zone = SupplyZoneFactory()
    with pytest.raises(InvalidInput) as error:
        nc.new_connection_register(
            actor=clerk,
            channel="counter",
            contact_name="张三",
            contact_phone="13800138000",
            customer_data={
                "kind": "person",
                "name": "张三",
                "id_number": "110105194912310021",
                "mobile": "13800138000",
            },
            premise_address="城北区解放路1号",
            zone=zone,
            materials_received=ALL_PERSON_MATERIALS,
        )
    assert error.value.code == "invalid_resident_id"
    with pytest.raises(InvalidInput) as error:
        register(clerk, contact_name="")
    assert error.value.field == "contact_name"
    with pytest.raises(InvalidInput) as error:
        register(clerk, materials=["id_card", "passport"])
    assert error.value.code == "unknown_material"
    assert Customer.objects.count() == customers_before + 2  # the factories' customers only
    assert Case.objects.count() == cases_before
    assert not CaseEvent.objects.exists()
    assert not Notification.objects.exists()


def test_register_needs_the_intake_role(surveyor):
    with pytest.raises(NotPermitted):
        register(surveyor)
    assert not Case.objects.exists()


def test_vulnerable_customer_gets_the_green_channel_and_shorter_limits(clerk):
    with time_machine.travel(START, tick=False):
        case = register(clerk, customer=CustomerFactory(is_vulnerable=True))
    assert case.priority == "green"
    assert case.green_channel_reason == "特殊关爱客户"
    clocks = {clock.milestone: clock.due_at for clock in case.clocks.all()}
    # 4 working hours: 09:00–12:00, then 13:30–14:30.
    assert clocks["contact_customer"] == datetime(2026, 3, 10, 14, 30, tzinfo=SHANGHAI)
    assert clocks["complete"] == datetime(2026, 3, 17, 17, 30, tzinfo=SHANGHAI)  # 5 working days


def test_full_walk_to_water_on(staff, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = register(staff["clerk"])
        case = walk_to(case, "completed", **staff)
    detail = NewConnection.objects.get(case=case)
    assert case.closed_at is not None
    assert detail.fee_total == Decimal("480.00")  # 180.00 + 2.5 × 120.00
    assert list(FeeLine.objects.filter(case=case).values_list("amount", flat=True)) == [
        Decimal("180.00"),
        Decimal("300.00"),
    ]
    account = Account.objects.get(pk=detail.account_id)
    assert account.customer == case.customer
    assert account.usage_category == "residential"
    meter = Meter.objects.get(serial="WM-NEW-001")
    assert meter.account == account
    assert meter.state == "installed"
    clocks = {clock.milestone: clock.state for clock in case.clocks.all()}
    assert clocks == {"contact_customer": "met", "complete": "met"}
    assert list(case.events.values_list("action", flat=True)) == [
        "open",
        "assign_survey",
        "book_survey",
        "submit_survey",
        "review_pass",
        "approve",
        "assess_fee",
        "record_payment",
        "install_meter",
        "open_account",
        "turn_water_on",
    ]
    templates = set(Notification.objects.filter(case=case).values_list("template_key", flat=True))
    assert templates == {
        "new_connection.registered",
        "new_connection.survey_booked",
        "new_connection.approved",
        "new_connection.fee_assessed",
        "new_connection.paid",
        "new_connection.meter_installed",
        "new_connection.water_on",
    }


def test_each_step_refuses_the_wrong_role(staff, supervisor):
    """At every step, every other role is refused and nothing changes."""
    roles = {**staff, "supervisor": supervisor}
    allowed = {
        "registered": "clerk",
        "survey_assigned": "surveyor",
        "survey_booked": "surveyor",
        "surveyed": "reviewer",
        "reviewed": "approver",
    }
    with time_machine.travel(START, tick=False):
        case = register(staff["clerk"])
        for status, role in allowed.items():
            case = walk_to(case, status, **staff) if case.status != status else case
            attempts = {
                "registered": lambda actor, c: nc.new_connection_assign_survey(
                    actor=actor, case=c, surveyor=staff["surveyor"]
                ),
                "survey_assigned": lambda actor, c: nc.new_connection_book_survey(
                    actor=actor, case=c, booked_for=START + timedelta(days=1)
                ),
                "survey_booked": lambda actor, c: nc.new_connection_submit_survey(
                    actor=actor,
                    case=c,
                    installation_position="x",
                    surveyed_usage="residential",
                    site_conditions="x",
                    facilities="x",
                    notes_explained="x",
                ),
                "surveyed": lambda actor, c: nc.new_connection_review_pass(
                    actor=actor, case=c, opinion="ok"
                ),
                "reviewed": lambda actor, c: nc.new_connection_approve(
                    actor=actor, case=c, opinion="ok"
                ),
            }
            for name, actor in roles.items():
                if name == role:
                    continue
                events = case.events.count()
                with pytest.raises(NotPermitted):
                    attempts[status](actor, case)
                case.refresh_from_db()
                assert case.status == status
                assert case.events.count() == events


def test_only_the_assigned_surveyor_may_book(staff):
    other = UserFactory(username="surveyor2", role=Role.SURVEYOR)
    case = walk_to(register(staff["clerk"]), "survey_assigned", **staff)
    with pytest.raises(NotPermitted):
        nc.new_connection_book_survey(
            actor=other, case=case, booked_for=datetime.now(SHANGHAI) + timedelta(days=1)
        )
    case.refresh_from_db()
    assert case.status == "survey_assigned"


def test_assigning_a_non_surveyor_is_refused(staff):
    case = register(staff["clerk"])
    with pytest.raises(InvalidInput) as error:
        nc.new_connection_assign_survey(actor=staff["clerk"], case=case, surveyor=staff["reviewer"])
    assert error.value.code == "not_a_surveyor"
    case.refresh_from_db()
    assert (case.status, case.assignee) == ("registered", None)


def test_illegal_transition_is_refused(staff):
    case = register(staff["clerk"])
    with pytest.raises(IllegalTransition):
        nc.new_connection_approve(actor=staff["approver"], case=case, opinion="同意")
    case.refresh_from_db()
    assert case.status == "registered"
    assert case.events.count() == 1


def test_major_application_needs_collective_review_before_approval(staff):
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"], is_major=True), "reviewed", **staff)
        with pytest.raises(IllegalTransition) as error:
            nc.new_connection_approve(actor=staff["approver"], case=case, opinion="同意")
        assert error.value.code == "collective_review_required"
        case = nc.new_connection_collective_review_record(
            actor=staff["approver"],
            case=case,
            meeting_date=date(2026, 3, 10),
            participants="总经理、分管副总、营业部主任",
            decision="approve",
            minutes="同意接水",
        )
        assert case.status == "collective_reviewed"
        case = nc.new_connection_approve(
            actor=staff["approver"], case=case, opinion="按会议决定办理"
        )
    assert case.status == "approved"
    assert case.collective_review.participants == "总经理、分管副总、营业部主任"


def test_amount_above_threshold_needs_collective_review(staff):
    policy = NewConnectionPolicy.current()
    policy.collective_review_threshold = Decimal("1000.00")
    policy.save()
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"]), "reviewed", **staff)  # estimated 1200
        with pytest.raises(IllegalTransition):
            nc.new_connection_approve(actor=staff["approver"], case=case, opinion="同意")
        case = nc.new_connection_collective_review_record(
            actor=staff["approver"],
            case=case,
            meeting_date=date(2026, 3, 10),
            participants="经理办公会",
            decision="reject",
            minutes="管网容量不足",
        )
        with pytest.raises(IllegalTransition) as error:
            nc.new_connection_approve(actor=staff["approver"], case=case, opinion="同意")
        assert error.value.code == "collective_review_rejected"
        case = nc.new_connection_approval_reject(
            actor=staff["approver"], case=case, opinion="管网容量不足"
        )
    assert case.status == "rejected"
    assert case.new_connection.rejection_reason == "管网容量不足"
    assert dict(case.clocks.values_list("milestone", "state")) == {
        "contact_customer": "met",
        "complete": "cancelled",
    }


def test_collective_review_not_needed_is_refused(staff):
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"]), "reviewed", **staff)
        with pytest.raises(IllegalTransition):
            nc.new_connection_collective_review_record(
                actor=staff["approver"],
                case=case,
                meeting_date=date(2026, 3, 10),
                participants="x",
                decision="approve",
            )
    assert not CollectiveReview.objects.filter(case=case).exists()
    assert case.events.filter(action="record_collective_review").count() == 0


def test_review_reject_closes_with_reason(staff):
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"]), "surveyed", **staff)
        case = nc.new_connection_review_reject(
            actor=staff["reviewer"], case=case, opinion="不具备接水条件"
        )
    assert case.status == "rejected"
    assert case.closed_at is not None
    with pytest.raises(InvalidInput):
        nc.new_connection_review_pass(actor=staff["reviewer"], case=case, opinion="")


def test_payment_is_recorded_once(staff):
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"]), "fee_assessed", **staff)
        with pytest.raises(InvalidInput) as error:
            nc.new_connection_record_payment(
                actor=staff["clerk"], case=case, amount="400", reference="SK-9"
            )
        assert error.value.code == "payment_amount_mismatch"
        case.refresh_from_db()
        assert case.status == "fee_assessed"
        case = nc.new_connection_record_payment(
            actor=staff["clerk"], case=case, amount="480.00", reference="SK-9"
        )
        again = nc.new_connection_record_payment(
            actor=staff["clerk"], case=case, amount="480.00", reference="SK-9"
        )
    assert again.status == "paid"
    assert case.events.filter(action="record_payment").count() == 1


def test_fee_catalogue_refuses_connection_fees():
    item = FeeItem(
        code="kaihu", name="开户费", kind="installation_work", unit="户", unit_price=Decimal("100")
    )
    with pytest.raises(ValidationError) as error:
        item.full_clean()
    assert "开户费" in str(error.value)


def test_fee_assessment_refuses_unknown_items(staff):
    with time_machine.travel(START, tick=False):
        case = walk_to(register(staff["clerk"]), "approved", **staff)
        for lines, code in [
            ([], "no_fee_lines"),
            ([("connection_fee", "1")], "unknown_fee_item"),
            ([("meter_box", "0")], "invalid_quantity"),
        ]:
            with pytest.raises(InvalidInput) as error:
                nc.new_connection_assess_fee(actor=staff["clerk"], case=case, lines=lines)
            assert error.value.code == code
    assert not FeeLine.objects.exists()
    case.refresh_from_db()
    assert case.status == "approved"

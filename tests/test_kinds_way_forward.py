"""Every state of every kind has a way forward or out: for each registered kind, each status
that does not end the case offers at least one action to some role.

Two checks, both over the registry (``waterdesk.cases.kinds.all_kinds()``):

1. On the workflow alone, for every kind at once: each open status has a move that is
   offered to people (not internal) whose permission some role holds.
2. On real cases: a walk per kind reaches every open status through the kind's services,
   and in each the pages and the API offer some action (the guard included) to a user of
   one of the roles. A kind registered without a walk here fails until it has one; the
   dead end of issue 8 — a transfer read that went to review — is walked as a state too.
"""

from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice

import pytest
import time_machine

from tests import collection_ladder_support as ladder
from tests import complaints_support
from tests.emergency_hotline_support import active_incident
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    PremiseFactory,
    SupplyZoneFactory,
    UserFactory,
    meter_read,
)
from tests.fieldwork_support import png_data_url
from tests.repairs_support import report, the_order
from tests.surveys_support import feedback_walk
from tests.test_applications_new_connection import START, register, walk_to
from tests.test_applications_transfer import make_account, register_transfer
from tests.test_applications_usage_change import register_change
from waterdesk.applications import new_connection as nc
from waterdesk.applications import transfer, usage_change
from waterdesk.cases.kinds import action_offered, all_kinds, kind_spec
from waterdesk.cases.models import Case
from waterdesk.cases.selectors import case_available_actions
from waterdesk.collection.services.disconnection import disconnection_approve
from waterdesk.collection.services.payments import instalment_plan_agree
from waterdesk.complaints.services.praise import praise_register
from waterdesk.core.roles import ROLE_PERMISSIONS, Role
from waterdesk.fieldwork import services as fieldwork
from waterdesk.fieldwork.models import Crew, CrewMember
from waterdesk.inquiries import services as inquiries
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.repairs.services.dispatch import repair_dispatch

pytestmark = pytest.mark.django_db

KINDS = all_kinds()
IDS = [spec.kind for spec in KINDS]


def open_statuses(spec) -> list[str]:
    return [status for status in spec.statuses.values if status not in spec.workflow.terminal]


# --- 1. the workflows -------------------------------------------------------------------


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_open_status_has_a_move_some_role_may_make(spec):
    granted = {permission for perms in ROLE_PERMISSIONS.values() for permission in perms}
    stuck = []
    for status in open_statuses(spec):
        moves = [
            transition
            for transition in spec.workflow.available(status)
            if not spec.actions[transition.action].internal and transition.permission in granted
        ]
        if not moves:
            stuck.append(status)
    assert stuck == [], f"{spec.kind}: no role can move a case on from {stuck}"


# --- 2. real cases ----------------------------------------------------------------------


@pytest.fixture
def users():
    """A user of each role (the roles the demo's staff have)."""
    return {role: UserFactory(username=f"wf-{role}", role=role) for role in Role.values}


def _new_connection(users) -> Iterator[Case]:
    staff = {
        "clerk": users[Role.INTAKE_CLERK],
        "surveyor": users[Role.SURVEYOR],
        "reviewer": users[Role.REVIEWER],
        "approver": users[Role.APPROVER],
    }
    yield register(staff["clerk"], materials=["id_card"])  # materials pending
    case = register(staff["clerk"], is_major=True)  # a major one meets collectively
    yield case
    for status in ("survey_assigned", "survey_booked", "surveyed", "reviewed"):
        case = walk_to(case, status, **staff)
        yield case
    case = nc.new_connection_collective_review_record(
        actor=staff["approver"],
        case=case,
        meeting_date=date(2026, 3, 10),
        participants="总经理、营业部主任",
        decision="approve",
    )
    yield case
    case = nc.new_connection_approve(actor=staff["approver"], case=case, opinion="同意")
    yield case
    for status in ("fee_assessed", "paid", "meter_installed", "account_opened"):
        case = walk_to(case, status, **staff)
        yield case


def _ownership_transfer(users) -> Iterator[Case]:
    clerk, reader = users[Role.INTAKE_CLERK], users[Role.METER_READER]

    def account():
        opened = make_account(customer=CustomerFactory())
        meter_read(reader, opened, date(2026, 2, 1), "10")
        return opened

    yield register_transfer(clerk, account(), materials=["id_card"])
    case = register_transfer(clerk, account())
    yield case
    case = transfer.ownership_transfer_verify(actor=clerk, case=case, opinion="一致")
    yield case
    # The dead end of issue 8: the transfer read went to review (below the last read).
    case = transfer.ownership_transfer_record_read(actor=reader, case=case, value="5")
    yield case
    case = transfer.ownership_transfer_record_read(
        actor=reader, case=case, value="25", note="看错读数，重新核对"
    )
    case = transfer.ownership_transfer_complete(actor=clerk, case=case)  # the old owner owes
    yield case


def _usage_change(users) -> Iterator[Case]:
    clerk, surveyor = users[Role.INTAKE_CLERK], users[Role.SURVEYOR]
    yield register_change(clerk, make_account(), materials=())
    case = register_change(clerk, make_account())
    yield case
    case = usage_change.usage_change_assign_survey(actor=clerk, case=case, surveyor=surveyor)
    yield case
    case = usage_change.usage_change_record_survey(
        actor=surveyor,
        case=case,
        verified_usage="non_residential",
        findings="现场为餐饮门店",
        opinion="与营业执照一致",
    )
    yield case
    yield usage_change.usage_change_approve(
        actor=users[Role.APPROVER], case=case, opinion="同意", effective_date=date(2026, 3, 10)
    )


def _inquiry(users) -> Iterator[Case]:
    yield inquiries.inquiry_register(
        actor=users[Role.INTAKE_CLERK],
        channel="phone",
        contact_name="张三",
        contact_phone="13800138000",
        category=InquiryCategory.objects.get(code="billing"),
        question="本月水费为什么比上月高？",
    )


def _praise(users) -> Iterator[Case]:
    yield praise_register(
        actor=users[Role.HOTLINE_AGENT],
        channel="phone",
        contact_name="陈女士",
        contact_phone="13800138002",
        matter="抢修及时，态度很好。",
    )


def _repair(users) -> Iterator[Case]:
    crew_member = users[Role.CREW_MEMBER]
    crew = Crew.objects.create(code="wf", name="巡检班")
    CrewMember.objects.create(crew=crew, user=crew_member)
    case = report(users[Role.HOTLINE_AGENT])  # a general leak: awaiting dispatch
    yield case
    case = repair_dispatch(actor=users[Role.DISPATCHER], case=case, crew=crew)
    yield case
    order = the_order(case)
    fieldwork.work_order_accept(actor=crew_member, order=order)
    fieldwork.work_order_set_off(actor=crew_member, order=order)
    fieldwork.work_order_arrive(actor=crew_member, order=order)
    yield case  # on site
    fieldwork.work_order_diagnose(actor=crew_member, order=order, diagnosis="阀门老化", plan="更换")
    fieldwork.work_order_finish(
        actor=crew_member, order=order, result="已更换", site_cleaned=True, use_demonstrated=True
    )
    fieldwork.work_order_sign_off(
        actor=crew_member, order=order, signature=png_data_url(), signer_name="张三"
    )
    yield case  # completed: the follow-up call
    # Inside an active incident: linked to it, not dispatched (dispatch separately).
    zone = SupplyZoneFactory(code="wf-incident")
    account = AccountFactory(premise=PremiseFactory(zone=zone))
    active_incident(at=START, zones=[zone])
    yield report(users[Role.HOTLINE_AGENT], fault_code="no_water", account=account, address="")


def _collection(users) -> Iterator[Case]:
    collector, supervisor = users[Role.COLLECTOR], users[Role.COLLECTION_SUPERVISOR]
    member = users[Role.CREW_MEMBER]
    crew = Crew.objects.create(code="wf-cut", name="停水班")
    CrewMember.objects.create(crew=crew, user=member)
    walked, planned = ladder.account_in_arrears(), ladder.account_in_arrears()
    ladder.nightly(date(2026, 11, 2))
    yield ladder.case_of(walked)  # reminded
    ladder.nightly(date(2026, 11, 4))
    yield ladder.case_of(walked)  # a call to make
    ladder.record(collector, walked, date(2026, 11, 4), "no_answer")
    ladder.nightly(date(2026, 11, 7))
    yield ladder.case_of(walked)  # a visit to pay
    ladder.record(collector, walked, date(2026, 11, 8), "refused", photo=ladder.visit_photo())
    ladder.nightly(date(2026, 11, 11))
    ladder.record(collector, walked, date(2026, 11, 11), "delivered")
    yield ladder.case_of(walked)  # the notice period runs
    ladder.nightly(date(2026, 11, 18))
    yield ladder.case_of(walked)  # the order waits for approval
    with ladder.pinned(date(2026, 11, 18), 9):
        disconnection_approve(actor=supervisor, case=ladder.case_of(walked), crew=crew)
    yield ladder.case_of(walked)  # the crew is on its way
    order = ladder.order_of(walked, "disconnection")
    ladder.disconnect(member, order, date(2026, 11, 18))
    yield ladder.case_of(walked)  # disconnected
    ladder.pay(walked, ladder.DEBT, date(2026, 11, 19))
    yield ladder.case_of(walked)  # paid, nobody on call: a supervisor sends a crew
    with ladder.pinned(date(2026, 11, 19), 14):  # agreed, then the first part paid at 15:00
        instalment_plan_agree(
            actor=collector,
            case=ladder.case_of(planned),
            instalments=[(date(2026, 11, 20), "500.00"), (date(2026, 12, 20), "1000.00")],
        )
    ladder.pay(planned, "500.00", date(2026, 11, 19), key="R2")
    yield ladder.case_of(planned)  # on an instalment plan


def _complaint(users) -> Iterator[Case]:
    staff = complaints_support.Staff(
        clerk=users[Role.HOTLINE_AGENT],
        handler=users[Role.COMPLAINT_HANDLER],
        responder=users[Role.DEPARTMENT_RESPONDER],
        supervisor=users[Role.SUPERVISOR],
    )
    yield complaints_support.register(staff.clerk)
    for status in ("investigating", "awaiting_response", "resolving"):
        yield complaints_support.walk_to(complaints_support.register(staff.clerk), status, staff)


def _report(users) -> Iterator[Case]:
    from waterdesk.complaints.services import report as whistleblower

    supervisor, handler = users[Role.SUPERVISOR], users[Role.COMPLAINT_HANDLER]
    case = whistleblower.whistleblower_report_register(
        actor=users[Role.HOTLINE_AGENT], channel="phone", subject="某员工", matter="索要好处费"
    ).case
    yield case  # received
    case = whistleblower.report_acknowledge(actor=supervisor, case=case, investigator=handler)
    yield case  # investigating
    case = whistleblower.report_conclude(
        actor=handler, case=case, finding="partly", action_taken="批评教育", feedback="部分属实"
    )
    yield case  # concluded
    yield whistleblower.report_feedback(actor=handler, case=case)  # feedback given


def _incident(users) -> Iterator[Case]:
    from django.utils import timezone

    from tests.factories import AccountFactory, PremiseFactory, SupplyZoneFactory
    from waterdesk.emergency.services.incident_handling import incident_restore
    from waterdesk.emergency.services.incident_open import incident_open

    zone = SupplyZoneFactory(code="wf-zone", name="城南片区")
    AccountFactory(premise=PremiseFactory(zone=zone))
    duty = users[Role.DUTY_MANAGER]
    case = incident_open(
        actor=duty,
        incident_type="pipe_burst",
        level=4,
        source="dispatcher",
        title="城南主管爆管",
        description="主管爆裂",
        public_summary="城南供水主管爆裂，正在抢修。",
        started_at=timezone.now(),
        zones=[zone],
    )
    yield case  # active
    yield incident_restore(actor=duty, case=case, restored_at=timezone.now())  # restored


def _outage(users) -> Iterator[Case]:
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import AccountFactory, PremiseFactory, SupplyZoneFactory
    from waterdesk.emergency.services.outages import outage_schedule

    zone = SupplyZoneFactory(code="wf-outage", name="停水片区")
    AccountFactory(premise=PremiseFactory(zone=zone))
    now, office = timezone.now(), users[Role.EMERGENCY_OFFICE]
    common = {"actor": office, "works": "更换阀门", "public_summary": "停水", "zones": [zone]}
    yield outage_schedule(  # announced: 48 hours ahead
        starts_at=now + timedelta(hours=48), ends_at=now + timedelta(hours=56), **common
    )
    yield outage_schedule(  # inside the notice time: waits for a duty manager
        starts_at=now + timedelta(hours=5),
        ends_at=now + timedelta(hours=9),
        short_notice_reason="爆管后须尽快更换阀门",
        **common,
    )


# How each kind's cases reach its open statuses, through its own services.
WALKS: dict[str, Callable[[dict], Iterator[Case]]] = {
    "new_connection": _new_connection,
    "ownership_transfer": _ownership_transfer,
    "usage_change": _usage_change,
    "inquiry": _inquiry,
    "praise": _praise,
    "repair": _repair,
    "collection": _collection,
    "complaint": _complaint,
    "report": _report,
    "feedback": feedback_walk,
    "incident": _incident,
    "outage": _outage,
}


def offered_to_someone(case: Case, users: dict) -> list[tuple[str, str]]:
    """(role, action) of every action the pages and the API offer on ``case`` now."""
    spec = kind_spec(case.kind)
    return [
        (role, transition.action)
        for role, user in users.items()
        for transition in case_available_actions(case=case, user=user)
        if action_offered(spec, transition, case, user)
    ]


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_open_status_offers_an_action_to_some_role(spec, users):
    walk = WALKS.get(spec.kind)
    assert walk is not None, f"add a walk for the kind {spec.kind!r} to WALKS"
    seen, stuck = set(), []
    with time_machine.travel(START, tick=False):
        for case in walk(users):
            case = Case.objects.get(pk=case.pk)
            assert case.is_open, (spec.kind, case.status)
            seen.add(case.status)
            if not offered_to_someone(case, users):
                stuck.append(case.status)
    assert stuck == [], f"{spec.kind}: nothing is offered to anybody in {stuck}"
    assert seen == set(open_statuses(spec)), "the walk must reach every open status"


def test_the_transfer_read_in_review_is_offered_to_the_reader_again(users):
    """In the dead end of issue 8 the reader is offered the read again (to correct it) and
    the clerk the completion (refused with what to do) and the withdrawal."""
    with time_machine.travel(START, tick=False):
        *_before, in_review = islice(_ownership_transfer(users), 4)
        in_review = Case.objects.get(pk=in_review.pk)
        assert in_review.ownership_transfer.transfer_read.status == "needs_review"
        offered = offered_to_someone(in_review, users)
    assert (Role.METER_READER, "record_read") in offered
    assert (Role.BILLING_CLERK, "record_read") in offered
    assert (Role.INTAKE_CLERK, "complete") in offered
    assert (Role.INTAKE_CLERK, "withdraw") in offered

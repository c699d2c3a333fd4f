"""Money stops the ladder at every rung (issue 11 acceptance): payment in full settles the
case and cancels whatever was pending (the task, the order, the crew's work order); an
instalment plan whose first instalment is paid stops it too, and a missed instalment
resumes it on the rung where it stopped. And the refusals: a plan that does not cover the
debt, a disconnection for an exempt or paid account."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.collection_ladder_support import (
    DEBT,
    People,
    account_in_arrears,
    case_of,
    dunning_for,
    nightly,
    order_of,
    pay,
    pinned,
    record,
    visit_photo,
)
from waterdesk.collection.models import (
    ActionStatus,
    CollectionAction,
    CollectionExemption,
    DisconnectionOrder,
    DisconnectionOrderStatus,
    Dunning,
    DunningStatus,
    ExemptionKind,
    InstalmentPlan,
    PlanStatus,
)
from waterdesk.collection.services.disconnection import (
    disconnection_approve,
    disconnection_request,
)
from waterdesk.collection.services.exemptions import collection_exemption_add
from waterdesk.collection.services.payments import instalment_plan_agree
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.customers.models import AccountStatus
from waterdesk.fieldwork.models import WorkOrder

pytestmark = pytest.mark.django_db

# The day each rung is reached by ``reach`` (and the next day, when money arrives).
RUNGS = [
    (DunningStatus.REMINDING, date(2026, 11, 2)),
    (DunningStatus.CALLING, date(2026, 11, 4)),
    (DunningStatus.VISITING, date(2026, 11, 7)),
    (DunningStatus.NOTICE_SERVED, date(2026, 11, 11)),
    (DunningStatus.AWAITING_APPROVAL, date(2026, 11, 18)),
    (DunningStatus.DISCONNECTION_APPROVED, date(2026, 11, 18)),
]


def reach(status: str, people: People, account) -> date:
    """Walk ``account`` up the intensive ladder until its case stands on ``status``; the
    day it got there."""
    nightly(date(2026, 11, 2))
    for rung, day in RUNGS[1:]:
        if case_of(account).status == status:
            break
        if rung == DunningStatus.CALLING:
            nightly(day)
        elif rung == DunningStatus.VISITING:
            record(people.collector, account, date(2026, 11, 4), "no_answer")
            nightly(day)
        elif rung == DunningStatus.NOTICE_SERVED:
            record(people.collector, account, date(2026, 11, 8), "refused", photo=visit_photo())
            nightly(day)
            record(people.collector, account, day, "delivered")
        elif rung == DunningStatus.AWAITING_APPROVAL:
            nightly(day)
        elif rung == DunningStatus.DISCONNECTION_APPROVED:
            with pinned(day, 9):
                disconnection_approve(
                    actor=people.supervisor, case=case_of(account), crew=people.crew
                )
    assert case_of(account).status == status
    return dict(RUNGS)[status]


@pytest.mark.parametrize("status", [rung for rung, _day in RUNGS])
def test_payment_in_full_stops_the_ladder_at_every_rung(status):
    people = People()
    account = account_in_arrears()
    day = reach(status, people, account)

    pay(account, DEBT, day + timedelta(days=1))

    dunning = Dunning.objects.get(account=account)
    assert (dunning.case.status, dunning.is_open) == (DunningStatus.SETTLED, False)
    assert not CollectionAction.objects.filter(dunning=dunning, status=ActionStatus.OPEN).exists()
    assert not DisconnectionOrder.objects.filter(
        dunning=dunning,
        status__in=[DisconnectionOrderStatus.REQUESTED, DisconnectionOrderStatus.APPROVED],
    ).exists()
    assert not WorkOrder.objects.filter(case=dunning.case, closed_at__isnull=True).exists()
    if status == DunningStatus.DISCONNECTION_APPROVED:
        assert order_of(account, DISCONNECTION_PURPOSE).status == "cancelled"
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    # Later nights leave the settled case alone; nothing is owed, nothing reopens.
    assert nightly(day + timedelta(days=30)) == {
        "opened": 0,
        "settled": 0,
        "climbed": 0,
        "resumed": 0,
        "completed": 0,
    }


def test_a_partial_payment_does_not_stop_the_ladder():
    people = People()
    account = account_in_arrears()
    reach(DunningStatus.CALLING, people, account)
    pay(account, "1000.00", date(2026, 11, 5))
    assert case_of(account).status == DunningStatus.CALLING
    assert dunning_for(account).payments.get().amount == Decimal("1000.00")


@pytest.mark.parametrize(
    "status",
    [
        DunningStatus.CALLING,
        DunningStatus.VISITING,
        DunningStatus.NOTICE_SERVED,
        DunningStatus.DISCONNECTION_APPROVED,
    ],
)
def test_a_plan_stops_the_ladder_and_a_missed_instalment_resumes_it(status):
    people = People()
    account = account_in_arrears()
    day = reach(status, people, account)
    with pinned(day, 16):
        instalment_plan_agree(
            actor=people.collector,
            case=case_of(account),
            instalments=[
                (day + timedelta(days=1), "500.00"),
                (day + timedelta(days=31), "500.00"),
                (day + timedelta(days=61), "500.00"),
            ],
        )
    # Agreed, not yet paid: the ladder goes on.
    assert case_of(account).status == status
    pay(account, "500.00", day + timedelta(days=1))
    assert case_of(account).status == DunningStatus.ON_PLAN
    plan = InstalmentPlan.objects.get()
    assert plan.status == PlanStatus.ACTIVE
    assert plan.exemption.kind == ExemptionKind.INSTALMENT_PLAN
    assert not WorkOrder.objects.filter(case=case_of(account), closed_at__isnull=True).exists()
    # The second instalment is kept, the third missed: the ladder resumes where it stopped
    # (a pending disconnection goes back to the notice period: a new order is needed).
    pay(account, "500.00", day + timedelta(days=30), key="R2")
    assert nightly(day + timedelta(days=32))["resumed"] == 0
    assert nightly(day + timedelta(days=62))["resumed"] == 1
    resumed = (
        DunningStatus.NOTICE_SERVED if status == DunningStatus.DISCONNECTION_APPROVED else status
    )
    assert case_of(account).status == resumed
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert plan.exemption.revoked_at is not None


def test_the_last_instalment_settles_the_case():
    people = People()
    account = account_in_arrears()
    day = reach(DunningStatus.CALLING, people, account)
    with pinned(day, 16):
        instalment_plan_agree(
            actor=people.collector,
            case=case_of(account),
            instalments=[(day + timedelta(days=1), "700.00"), (day + timedelta(days=20), "800.00")],
        )
    pay(account, "700.00", day + timedelta(days=1))
    pay(account, "800.00", day + timedelta(days=15), key="R2")
    dunning = Dunning.objects.get(account=account)
    assert (dunning.case.status, dunning.is_open) == (DunningStatus.SETTLED, False)
    assert InstalmentPlan.objects.get().status == PlanStatus.COMPLETED


def test_a_plan_that_does_not_cover_the_debt_is_refused():
    people = People()
    account = account_in_arrears()
    day = reach(DunningStatus.CALLING, people, account)
    with pinned(day, 16), pytest.raises(InvalidInput) as refused:
        instalment_plan_agree(
            actor=people.collector,
            case=case_of(account),
            instalments=[(day + timedelta(days=1), "500.00"), (day + timedelta(days=30), "500.00")],
        )
    assert refused.value.code == "plan_does_not_cover_debt"
    assert "1000.00" in str(refused.value.message) and "1500.00" in str(refused.value.message)
    assert not InstalmentPlan.objects.exists()
    assert case_of(account).status == DunningStatus.CALLING


def test_disconnection_is_refused_for_an_exempt_account():
    people = People()
    account = account_in_arrears()
    reach(DunningStatus.AWAITING_APPROVAL, people, account)
    with pinned(date(2026, 11, 18), 8):
        collection_exemption_add(
            actor=people.supervisor,
            account=account,
            kind=ExemptionKind.HOSPITAL,
            reason="市第一医院",
            starts_at=date(2026, 11, 18),
        )
    with pinned(date(2026, 11, 18), 9), pytest.raises(IllegalTransition) as refused:
        disconnection_approve(actor=people.supervisor, case=case_of(account), crew=people.crew)
    assert refused.value.code == "account_exempt"
    assert "医院" in str(refused.value.message)
    assert DisconnectionOrder.objects.get().status == DisconnectionOrderStatus.REQUESTED
    assert not WorkOrder.objects.exists()
    assert CollectionExemption.objects.count() == 1


def test_disconnection_is_refused_for_a_paid_account():
    people = People()
    account = account_in_arrears()
    reach(DunningStatus.NOTICE_SERVED, people, account)
    # Paid by a ledger adjustment the payment hook does not see (a bill corrected to 0).
    from tests.collection_ladder_support import moment
    from tests.collection_support import entry
    from waterdesk.billing.models import LedgerEntryKind

    entry(account, LedgerEntryKind.ADJUSTMENT, -DEBT, posted=moment(date(2026, 11, 12)))
    with pinned(date(2026, 11, 18), 9), pytest.raises(IllegalTransition) as refused:
        disconnection_request(actor=people.collector, case=case_of(account))
    assert refused.value.code == "balance_paid"
    assert not DisconnectionOrder.objects.exists()
    # The nightly run settles it instead of asking for an order.
    assert nightly(date(2026, 11, 18))["settled"] == 1
    assert case_of(account).status == DunningStatus.SETTLED


def test_the_collector_reads_the_crews_order_of_the_case_not_others(client):
    """Whoever may see the case reads its crews' orders (the links of the case file); a
    collector who never worked the case does not."""
    from django.urls import reverse

    from tests.factories import UserFactory
    from waterdesk.core.roles import Role

    people = People()
    account = account_in_arrears()
    reach(DunningStatus.DISCONNECTION_APPROVED, people, account)
    order = order_of(account, DISCONNECTION_PURPOSE)
    page = reverse("fieldwork:order", args=[order.public_id])
    client.force_login(people.collector)  # worked the case: in scope
    response = client.get(page)
    assert response.status_code == 200
    assert order.number in response.content.decode()
    client.force_login(UserFactory(username="collector2", role=Role.COLLECTOR))
    assert client.get(page).status_code == 403

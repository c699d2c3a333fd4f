"""``manage.py demo_seed``: the demo city is complete, valid, reached through the services,
and a second run changes nothing."""

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from waterdesk.amr.models import RemoteMeter, ValveCommand
from waterdesk.applications.models import ApplicationKind, NewConnectionStatus
from waterdesk.billing.models import (
    Bill,
    BillKind,
    BillRun,
    LedgerEntry,
    MeterRead,
    MeterReadCorrection,
    ReadImport,
    ReadingCycle,
    TariffVersion,
)
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.cases.models import Case, CaseEvent, Priority
from waterdesk.cases.services import case_workable_by
from waterdesk.collection.models import (
    CollectionAction,
    CollectionExemption,
    DisconnectionNotice,
    DisconnectionOrder,
    DunningStatus,
    InstalmentPlan,
)
from waterdesk.collection.services.common import account_owed
from waterdesk.core.models import Department
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Meter,
    MeterState,
    Premise,
    Route,
    SupplyZone,
)
from waterdesk.customers.validation import validate_mobile, validate_resident_id, validate_uscc
from waterdesk.demo.billing import demo_arrears, demo_calendar
from waterdesk.demo.collection import CARRIED_OVER
from waterdesk.emergency.models import (
    Drill,
    DrillStatus,
    DutyShift,
    IncidentStatus,
    IncidentTask,
    IncidentType,
    Measure,
    NoticeKind,
    NoticeRound,
    OutageStatus,
    PlannedOutage,
    PlanVersion,
    PlanVersionStatus,
)
from waterdesk.emergency.services.area import affected_counts, area_of
from waterdesk.invoicing.models import Invoice
from waterdesk.invoicing.selectors import bills_paid_without_invoice
from waterdesk.metering.models import Allocation, AllocationStatus, Arrangement
from waterdesk.notify.models import Notification
from waterdesk.payments.models import (
    BankMandate,
    DailyClose,
    DebitBatch,
    DebitLine,
    Payment,
    PaymentCorrection,
    PaymentDevice,
    PaymentException,
    PaymentOrder,
    Refund,
    StatementImport,
)
from waterdesk.quality.models import (
    Anomaly,
    AnomalyStatus,
    PointType,
    QualityReport,
    ReportStatus,
    Result,
    Sample,
    SampleStatus,
    Verdict,
)
from waterdesk.quality.services.schedule import samples_overdue
from waterdesk.repairs.models import Repair, RepairStatus
from waterdesk.sla.models import ClockState, SlaClock

# A Friday morning; the demo's dates are computed back from "now".
SEED_AT = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


def _snapshot() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "departments": Department.objects.count(),
        "zones": SupplyZone.objects.count(),
        "customers": Customer.objects.count(),
        "accounts": Account.objects.count(),
        "meters": Meter.objects.count(),
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "clocks": SlaClock.objects.count(),
        "notifications": Notification.objects.count(),
        "routes": Route.objects.count(),
        "routed_accounts": Account.objects.filter(route__isnull=False).count(),
        "tariff_versions": TariffVersion.objects.count(),
        "cycles": ReadingCycle.objects.count(),
        "read_imports": ReadImport.objects.count(),
        "reads": MeterRead.objects.count(),
        "read_corrections": MeterReadCorrection.objects.count(),
        "bill_runs": BillRun.objects.count(),
        "bills": Bill.objects.count(),
        "ledger_entries": LedgerEntry.objects.count(),
    }


@pytest.mark.django_db
def test_demo_seed_builds_the_city_once(settings):
    # The command hashes the shared demo password once; a fast hasher keeps the test quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first_output, second_output = StringIO(), StringIO()

    with time_machine.travel(SEED_AT, tick=False):
        call_command("demo_seed", stdout=first_output)
        now = timezone.now()
        after_first = _snapshot()
        call_command("demo_seed", stdout=second_output)
        after_second = _snapshot()

    # --- staff ---------------------------------------------------------------------------
    # Staff: the payment devices' machine users have no role and are not staff.
    users = (
        get_user_model()
        .objects.filter(payment_device__isnull=True)
        .exclude(username="city-12345")  # the 12345 platform's machine user, no role either
        .exclude(username="headend-demo-nb")  # the remote meters' head-end, no role either
    )
    assert Counter(users.values_list("groups__name", flat=True)) == {
        Role.INTAKE_CLERK: 2,
        Role.SURVEYOR: 2,
        Role.REVIEWER: 1,
        Role.APPROVER: 1,
        Role.SUPERVISOR: 1,
        Role.METER_READER: 2,
        Role.BILLING_CLERK: 1,
        Role.CASHIER: 1,
        Role.HOTLINE_AGENT: 1,
        Role.DISPATCHER: 1,
        Role.CREW_MEMBER: 4,
        Role.COLLECTOR: 1,
        Role.COLLECTION_SUPERVISOR: 1,
        Role.COMPLAINT_HANDLER: 1,
        Role.DEPARTMENT_RESPONDER: 2,
        Role.EMERGENCY_OFFICE: 1,
        Role.DUTY_MANAGER: 1,
        Role.SAMPLER: 1,
        Role.LAB_ANALYST: 2,
        Role.QUALITY_MANAGER: 2,
        Role.FINANCE: 1,
        Role.ADMINISTRATOR: 1,
    }
    assert sorted(Department.objects.values_list("code", "name")) == [
        ("business", "营业部"),
        ("emergency", "应急管理办公室"),
        ("engineering", "工程部"),
        ("it", "信息中心"),
        ("quality", "水质检测中心"),
        ("repair", "供水抢修中心"),
        ("supervision", "服务监督科"),
    ]
    clerk = users.get(username="clerk1")
    assert clerk.check_password("demo-pass-2026")
    assert clerk.first_name == "王丽"
    assert clerk.staff_profile.department.code == "business"
    assert sorted(
        users.filter(groups__name=Role.SURVEYOR).values_list(
            "username", "staff_profile__department__code", "staff_profile__mobile"
        )
    ) == [
        ("surveyor1", "engineering", "13905710201"),
        ("surveyor2", "engineering", "13905710202"),
    ]
    assert sorted(
        users.filter(groups__name__in=[Role.METER_READER, Role.BILLING_CLERK]).values_list(
            "username", "first_name", "staff_profile__department__code", "staff_profile__mobile"
        )
    ) == [
        ("billing1", "何雪梅", "business", "13905710801"),
        ("reader1", "钱卫东", "business", "13905710701"),
        ("reader2", "冯志刚", "business", "13905710702"),
    ]
    admin = users.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert list(admin.groups.values_list("name", flat=True)) == [Role.ADMINISTRATOR]
    assert users.filter(is_superuser=True).count() == 1

    # --- bank direct debit and devices ---------------------------------------------------
    assert sorted(BankMandate.objects.values_list("bank_code", "status")) == [
        ("ccb", "active"),
        ("ccb", "cancelled"),
        ("icbc", "active"),
        ("icbc", "active"),
        ("icbc", "active"),
    ]
    assert sorted(DebitBatch.objects.values_list("bank_code", "status")) == [
        ("ccb", "created"),
        ("icbc", "result_imported"),
    ]
    assert sorted(DebitLine.objects.values_list("status", flat=True)) == [
        "failed",
        "paid",
        "pending",
        "unknown_account",
    ]
    assert sorted(PaymentDevice.objects.values_list("kind", "office__code")) == [
        ("kiosk", "HQ"),
        ("partner", None),
    ]
    assert Payment.objects.filter(channel="device").count() == 3

    # --- customers, premises, accounts, meters -------------------------------------------
    assert sorted(SupplyZone.objects.values_list("code", flat=True)) == [
        "devzone",
        "east",
        "north",
        "south",
    ]
    assert Counter(Customer.objects.values_list("kind", "is_vulnerable")) == {
        (CustomerKind.PERSON, False): 186,
        (CustomerKind.PERSON, True): 6,
        (CustomerKind.ORGANISATION, False): 17,
        (CustomerKind.ORGANISATION, True): 2,
    }
    for kind, id_number, mobile in Customer.objects.values_list("kind", "id_number", "mobile"):
        validate = validate_resident_id if kind == CustomerKind.PERSON else validate_uscc
        assert validate(id_number) == id_number
        assert validate_mobile(mobile) == mobile
    # Every customer has an account with an installed meter at its premise.
    equipped = Customer.objects.filter(
        accounts__meters__state="installed",
        accounts__meters__premise=F("accounts__premise"),
    ).distinct()
    assert equipped.count() == 206
    # 200 established accounts and meters, plus those of the cases that got that far:
    # meters for meter_installed/account_opened/completed, accounts for the last two; and
    # the new meter of this month's exchange, which removed the old one. The metering seed
    # adds an estate's master meter with its sub meters, a shared meter of three households
    # and two flat-fee accounts: their metering points and the receivers' virtual meters.
    assert Account.objects.count() == 216
    assert Counter(Account.objects.values_list("billing_mode", flat=True)) == {
        "metered": 212,
        "metering_point": 2,
        "flat_volume": 1,
        "flat_amount": 1,
    }
    assert Meter.objects.count() == 219
    assert Meter.objects.filter(state=MeterState.REMOVED).count() == 1
    assert Meter.objects.filter(state=MeterState.VIRTUAL).count() == 6
    first = Customer.objects.order_by("pk").first()  # the generator is deterministic
    assert (first.name, first.id_number) == ("黄鹏", "110108199706294956")

    # --- cases ---------------------------------------------------------------------------
    # The city's 30 applications; one more comes from a demo inquiry (its own test).
    cases = Case.objects.filter(kind=ApplicationKind.NEW_CONNECTION).exclude(
        events__action="follows"
    )
    assert cases.count() == 30
    assert Case.objects.filter(kind=ApplicationKind.NEW_CONNECTION).count() == 31
    assert Counter(cases.values_list("status", flat=True)) == dict.fromkeys(
        NewConnectionStatus.values, 2
    )
    assert cases.filter(priority=Priority.GREEN).count() == 3
    # Reached through the services: each case's last transition event ends in its status.
    for case in cases:
        moves = case.events.exclude(to_status="").order_by("at", "pk")
        assert moves.first().action == "open"
        assert moves.last().to_status == case.status
    completed = cases.filter(status=NewConnectionStatus.COMPLETED)
    assert sorted(
        completed.values_list("clocks__milestone", "clocks__state").order_by("clocks__state")
    ) == [
        ("complete", ClockState.BREACHED),
        ("complete", ClockState.MET),
        ("contact_customer", ClockState.MET),
        ("contact_customer", ClockState.MET),
    ]
    overdue = (
        cases.open().filter(clocks__state=ClockState.RUNNING, clocks__due_at__lt=now).distinct()
    )
    assert sorted(overdue.values_list("status", flat=True)) == [
        NewConnectionStatus.APPROVED,
        NewConnectionStatus.REGISTERED,
        NewConnectionStatus.SURVEY_ASSIGNED,
        NewConnectionStatus.SURVEY_BOOKED,
    ]
    # The sweep marked them: breached overdue clocks, at-risk ones still before their due
    # (four applications, the overdue demo inquiry, the reconnection past its 24 hours, and
    # the review of last month's water-quality incident, restored and not reviewed yet).
    overdue = SlaClock.objects.filter(state=ClockState.RUNNING, due_at__lt=now)
    assert sorted(overdue.values_list("case__kind", flat=True)) == [
        "collection",
        "incident",
        "inquiry",
        "new_connection",
        "new_connection",
        "new_connection",
        "new_connection",
    ]
    assert (
        SlaClock.objects.filter(
            state=ClockState.RUNNING, due_at__lt=now, breached_at__isnull=True
        ).count()
        == 0
    )
    at_risk = SlaClock.objects.filter(
        state=ClockState.RUNNING, due_at__gte=now, at_risk_at__isnull=False
    )
    assert sorted(at_risk.values_list("case__status", flat=True)) == [
        NewConnectionStatus.METER_INSTALLED,
        NewConnectionStatus.REVIEWED,
        NewConnectionStatus.SURVEYED,
    ]

    # --- billing -------------------------------------------------------------------------
    # One route per zone, each reader two; every account on its premise's zone's route.
    assert sorted(Route.objects.values_list("code", "name", "reader__username")) == [
        ("devzone-1", "开发区一号线", "reader2"),
        ("east-1", "城东一号线", "reader1"),
        ("north-1", "城北一号线", "reader1"),
        ("south-1", "城南一号线", "reader2"),
    ]
    assert sorted(Route.objects.values_list("code", "zone__code")) == [
        ("devzone-1", "devzone"),
        ("east-1", "east"),
        ("north-1", "north"),
        ("south-1", "south"),
    ]
    assert Account.objects.filter(route__isnull=True).count() == 0
    assert set(Account.objects.values_list("route__code", "premise__zone__code")) == {
        ("devzone-1", "devzone"),
        ("east-1", "east"),
        ("north-1", "north"),
        ("south-1", "south"),
    }
    # Three billed months and the month being read.
    cycles = ReadingCycle.objects.order_by("period_start")
    assert list(cycles.values_list("code", "period_start", "period_end")) == [
        ("2026-08", date(2026, 8, 1), date(2026, 8, 31)),
        ("2026-09", date(2026, 9, 1), date(2026, 9, 30)),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ]
    assert list(cycles.values_list("read_from", "read_to")) == [
        (date(2026, 8, 27), date(2026, 9, 5)),
        (date(2026, 9, 26), date(2026, 10, 5)),
        (date(2026, 10, 27), date(2026, 11, 5)),
        (date(2026, 11, 26), date(2026, 12, 5)),
    ]
    assert set(cycles.values_list("due_days", "is_closed")) == {(20, False)}
    # The switch-over read of every established meter (no cycle), a handheld read of each
    # in every billed month, and this month's first two routes read on the phone: five
    # reads in review (three jumps, two falls), two estimated ones and an exchange.
    assert Counter(MeterRead.objects.values_list("cycle__code", "kind", "source", "status")) == {
        (None, "actual", "system", "validated"): 200,
        ("2026-08", "actual", "handheld", "validated"): 200,
        ("2026-09", "actual", "handheld", "validated"): 200,
        ("2026-10", "actual", "handheld", "validated"): 200,
        # The metering seed: its field meters' first and monthly reads, the derived reads of
        # the receiving accounts (shares, flat volumes), October's negative difference held.
        (None, "initial", "system", "validated"): 6,
        ("2026-08", "actual", "manual", "validated"): 6,
        ("2026-09", "actual", "manual", "validated"): 6,
        ("2026-10", "actual", "manual", "validated"): 6,
        ("2026-08", "allocated", "system", "validated"): 4,
        ("2026-09", "allocated", "system", "validated"): 4,
        ("2026-10", "allocated", "system", "validated"): 3,
        ("2026-10", "allocated", "system", "needs_review"): 1,
        ("2026-08", "flat", "system", "validated"): 2,
        ("2026-09", "flat", "system", "validated"): 2,
        ("2026-10", "flat", "system", "validated"): 2,
        ("2026-11", "actual", "manual", "validated"): 81,
        ("2026-11", "actual", "manual", "needs_review"): 5,
        ("2026-11", "estimated", "manual", "validated"): 2,
        ("2026-11", "final", "manual", "validated"): 1,
        ("2026-11", "initial", "manual", "validated"): 1,
    }
    in_review = MeterRead.objects.filter(status="needs_review")
    issues = Counter(issue for read in in_review for issue in read.issues)
    assert issues == {"jump": 3, "negative_consumption": 3}
    assert sorted(in_review.values_list("read_on", "entered_by__username")) == [
        (date(2026, 10, 28), "billing1"),  # the estate's negative difference (metering)
        (date(2026, 11, 26), "reader1"),
        (date(2026, 11, 26), "reader1"),
        (date(2026, 11, 26), "reader1"),
        (date(2026, 11, 26), "reader1"),
        (date(2026, 11, 27), "reader2"),
    ]
    # Two misread values (ten cubic metres too many) corrected before billing: by the
    # reader on the spot and by the billing clerk.
    corrections = MeterReadCorrection.objects.order_by("corrected_at", "pk")
    assert [
        (
            c.corrected_by.username,
            c.old_value - c.new_value,
            c.new_status,
            c.read.entered_by.username,
            c.read.cycle.code,
        )
        for c in corrections
    ] == [
        ("reader1", Decimal("10.00"), "validated", "reader1", "2026-11"),
        ("billing1", Decimal("10.00"), "validated", "reader2", "2026-11"),
    ]
    # Readers enter reads on their own routes only.
    # (The city's established accounts: the metering seed's reads are the billing office's.)
    established = MeterRead.objects.filter(note="系统上线接管读数").values("account")
    assert (
        MeterRead.objects.filter(cycle__isnull=False, account__in=established)
        .exclude(entered_by=F("account__route__reader"))
        .count()
        == 0
    )
    assert list(
        ReadImport.objects.order_by("uploaded_at").values_list(
            "file_name", "lines_failed", "uploaded_by__username"
        )[:4]
    ) == [
        ("north-1-20260827.csv", 0, "reader1"),
        ("south-1-20260828.csv", 0, "reader2"),
        ("east-1-20260829.csv", 0, "reader1"),
        ("devzone-1-20260830.csv", 0, "reader2"),
    ]
    assert ReadImport.objects.filter(lines_failed=0).count() == 12
    # A completed run per billed month: every established account billed once.
    assert sorted(
        BillRun.objects.values_list(
            "cycle__code", "status", "total_accounts", "billed_accounts", "skipped_accounts"
        )
    ) == [
        # The metering seed's own run per month after its arrangements were set up: the
        # metering points are never billed, October's held difference waits for review.
        ("2026-08", "completed", 14, 10, 4),
        ("2026-08", "completed", 200, 200, 0),
        ("2026-09", "completed", 14, 10, 4),
        ("2026-09", "completed", 200, 200, 0),
        ("2026-10", "completed", 14, 9, 5),
        ("2026-10", "completed", 200, 200, 0),
    ]
    # The switch-over reads are the accounts' baselines: no bill of their own.
    assert Counter(Bill.objects.values_list("kind", "cycle__code")) == {
        (BillKind.CYCLE, "2026-08"): 210,
        (BillKind.CYCLE, "2026-09"): 210,
        (BillKind.CYCLE, "2026-10"): 209,
    }
    takeover = MeterRead.objects.filter(note="系统上线接管读数")
    assert (takeover.count(), set(takeover.values_list("read_on", "consumption"))) == (
        200,
        {(date(2026, 7, 31), Decimal("0.00"))},
    )
    first_bill = Bill.objects.get(number="202608-2000000001")
    assert (
        first_bill.period_start,
        first_bill.period_end,
        first_bill.volume,
        first_bill.amount,
        first_bill.due_date,
    ) == (date(2026, 8, 1), date(2026, 8, 30), Decimal("9.00"), Decimal("30.60"), date(2026, 9, 26))
    # Most bills paid; fifteen accounts in arrears (one of them a bounced bank debit), a
    # credit note, a surcharge and a refund of 30.00; one bank debit and three kiosk payments
    # (payments_bank); one payment in advance (payments_notices).
    # (The collection demo's carried-over debts and the payments that stopped its ladder
    # are counted with the collection below.)
    billing_entries = LedgerEntry.objects.exclude(description=CARRIED_OVER).exclude(
        pk__in=Payment.entries.through.objects.filter(payment__source="collection-demo").values(
            "ledgerentry_id"
        )
    )
    # With the metering seed's 29 bills and the prepayment seed's 4 payments in advance and
    # their 6 settlements (pairs).
    assert Counter(billing_entries.values_list("kind", flat=True)) == {
        "charge": 629,
        "payment": 598,
        "prepaid": 12,
        "adjustment": 3,
        "reversal": 2,
    }
    assert sorted(
        billing_entries.filter(kind="adjustment").values_list("amount", "bill__kind")
    ) == [(Decimal("-9.52"), BillKind.CYCLE), (Decimal("17.00"), None), (Decimal("30.00"), None)]
    # Of the fifteen accounts in arrears, four settled at the counter (cashier1), four online
    # and one by bank debit; prepayments and kiosk payments stay as credit (the voided one is
    # gone, the one waiting for its void not).
    # The collection demo's accounts owe on top (their debts carried over).
    collected = Account.objects.filter(ledger__description=CARRIED_OVER).distinct()
    overdue = [account_owed(account, day=now.date()).overdue for account in collected]
    # The metering seed's seven accounts owe their bills too (576.62).
    arrears = (
        6 + 7 + sum(1 for amount in overdue if amount),
        Decimal("1527.20") + Decimal("576.62") + sum(overdue),
    )
    assert demo_arrears(as_of=now.date()) == arrears
    owing = [
        account
        for account in Account.objects.exclude(pk__in=collected)
        if account_balance(account) != 0
    ]
    assert sorted(account_balance(account) for account in owing)[:2] == [
        Decimal("-421.80"),  # the prepayment seed's 500.00 after two settlements
        Decimal("-300.00"),
    ]
    assert len(owing) == 22  # six in arrears, six in credit; the metering and prepaid seeds

    # --- the counter: yesterday closed 0.50 short and signed off; today one void approved,
    # one waiting --------------------------------------------------------------------------
    today = now.date()
    counter = Payment.objects.filter(source="counter")
    assert Counter(
        (payment.business_date == today, payment.method, payment.status) for payment in counter
    ) == {
        (False, "cash", "posted"): 2,
        (False, "card", "posted"): 1,
        (True, "cash", "posted"): 1,
        (True, "scan", "posted"): 1,
        (True, "cash", "voided"): 1,
        (True, "card", "posted"): 1,
    }
    assert set(counter.values_list("office__name", "cashier__username")) == {
        ("城东营业厅", "cashier1")
    }
    [close] = DailyClose.objects.all()
    assert (close.status, close.difference, close.signed_off_by.username) == (
        "signed_off",
        Decimal("-0.50"),
        "supervisor1",
    )
    assert Counter(PaymentCorrection.objects.values_list("status", flat=True)) == {
        "approved": 1,
        "requested": 1,
    }
    assert [
        (refund.status, refund.amount) for refund in Refund.objects.order_by("requested_at")
    ] == [
        ("approved", Decimal("30.00")),
        ("rejected", Decimal("20.00")),
        ("requested", Decimal("150.00")),  # a closed account's prepaid balance (预存)
        ("requested", Decimal("25.00")),
    ]
    received = Notification.objects.filter(template_key="payment.received")
    assert received.exists()
    assert Customer.objects.exclude(wechat_openid="").count() == 1
    # Online: paid through each gateway, one order open, one amount that did not match (an
    # open exception), the sandbox's statement with one line missing on each side.
    assert sorted(Payment.objects.filter(channel="online").values_list("source", flat=True)) == [
        "alipay",
        "demo-prepayment",
        "demo-prepayment",
        "demo-prepayment",
        "demo-prepayment",
        "sandbox",
        "sandbox",
        "sandbox",  # the payment in advance (payments_notices)
        "wechat",
    ]
    assert PaymentOrder.objects.filter(status="open").count() == 2
    assert sorted(PaymentException.objects.values_list("kind", flat=True)) == [
        "amount_mismatch",
        "missing_here",
        "missing_there",
    ]
    assert StatementImport.objects.values_list(
        "lines", "matched", "missing_here", "missing_there", "amount_differs"
    ).get() == (2, 1, 1, 1, 0)
    assert LedgerEntry.objects.filter(posted_at__gt=now).count() == 0
    assert MeterRead.objects.filter(entered_at__gt=now).count() == 0

    # --- owners: claimed by each clerk, one reassigned, the rest in the team queue ---------
    owners = Counter(
        Case.objects.open()
        .filter(assignee__groups__name=Role.INTAKE_CLERK)
        .values_list("assignee__username", flat=True)
    )
    assert set(owners) == {"clerk1", "clerk2"}
    assert CaseEvent.objects.filter(action="reassign", note="王丽下午外出培训").count() == 1
    clerks_claims = CaseEvent.objects.filter(action="claim").exclude(case__kind="collection")
    assert clerks_claims.count() == sum(owners.values())
    assert any(
        case_workable_by(user=users.get(username="clerk1"), case=case)
        for case in Case.objects.open().filter(assignee__isnull=True)
    )

    # --- collection: every rung of the ladder, reached through the services --------------
    collection = Case.objects.filter(kind="collection")
    statuses = Counter(collection.values_list("status", flat=True))
    assert set(statuses) == set(DunningStatus)
    assert statuses[DunningStatus.CALLING] == 2 and statuses[DunningStatus.NOTICE_SERVED] == 2
    collector = users.get(username="collector1")
    assert collector.staff_profile.department.code == "business"
    assert users.get(username="collsup1").groups.get().name == Role.COLLECTION_SUPERVISOR
    assert Counter(
        collection.filter(closed_at__isnull=True).values_list("assignee__username", flat=True)
    ) == {"collector1": sum(statuses.values()) - 3, None: 1}  # settled, withdrawn: closed
    calls = CollectionAction.objects.filter(kind="call", status="open")
    assert sorted((task.due_on - today).days for task in calls) == [-3, 0]
    assert CollectionAction.objects.filter(promise_kept=False).count() == 1
    assert CollectionAction.objects.filter(promise_kept=True).count() == 1
    notices = DisconnectionNotice.objects.filter(dunning__case__status="notice_served")
    assert sorted((notice.ends_on - today).days for notice in notices) == [-5, 3]
    assert DisconnectionOrder.objects.filter(status="refused").count() == 1
    assert InstalmentPlan.objects.get().status == "active"
    assert sorted(CollectionExemption.objects.values_list("kind", flat=True)) == [
        "hospital",
        "instalment_plan",
    ]
    reconnecting = collection.filter(status=DunningStatus.RECONNECTING)
    assert reconnecting.count() == 2
    assert [
        clock.due_at < now
        for clock in SlaClock.objects.filter(case__in=reconnecting).order_by("due_at")
    ] == [True, False]

    # --- emergencies: an active incident with a linked call, outages in every state ------
    incidents = Case.objects.filter(kind="incident")
    # Besides the water-quality anomalies' pollution incidents (below).
    incidents = incidents.exclude(incident__incident_type=IncidentType.POLLUTION)
    assert Counter(incidents.values_list("status", flat=True)) == {
        IncidentStatus.ACTIVE: 1,
        IncidentStatus.RESTORED: 1,
        IncidentStatus.CLOSED: 1,
    }
    active = incidents.get(status=IncidentStatus.ACTIVE)
    burst = Repair.objects.get(fault_type__code="burst_main", case__closed_at__isnull=True)
    assert (active.incident.level, list(active.affected_zones.values_list("zone", flat=True))) == (
        3,
        [burst.zone_id],
    )
    linked = Repair.objects.get(incident=active)
    assert (linked.case.status, linked.fault_type.code) == (RepairStatus.LINKED, "no_water")
    assert list(
        NoticeRound.objects.filter(case=active).order_by("pk").values_list("kind", flat=True)
    ) == [NoticeKind.ANNOUNCEMENT, NoticeKind.UPDATE, NoticeKind.UPDATE]
    customers, sensitive = affected_counts(area_of(active))
    assert customers > 0 and sensitive > 0
    assert Customer.objects.exclude(sensitive_category="").count() > 0
    assert Premise.objects.exclude(street="").count() >= 200  # every customer's premise
    assert DutyShift.objects.filter(
        user__username="duty1", starts_at__lte=now, ends_at__gt=now
    ).exists()
    restored = incidents.get(status=IncidentStatus.RESTORED)
    assert not IncidentTask.objects.filter(incident__case=restored, done_at__isnull=True).exists()
    typhoon = incidents.get(status=IncidentStatus.CLOSED)
    measures = Measure.objects.filter(review__incident__case=typhoon)
    assert measures.filter(done_at__isnull=False).count() == 1
    assert measures.filter(done_at__isnull=True, deadline__lt=now.date()).count() == 1
    assert measures.filter(done_at__isnull=True, deadline__gte=now.date()).count() == 1
    outages = Case.objects.filter(kind="outage")
    assert Counter(outages.values_list("status", flat=True)) == {
        OutageStatus.ANNOUNCED: 2,
        OutageStatus.AWAITING_APPROVAL: 1,
        OutageStatus.RESTORED: 1,
        OutageStatus.CANCELLED: 1,
    }
    overran = PlannedOutage.objects.get(case__status=OutageStatus.ANNOUNCED, starts_at__lte=now)
    assert overran.reminded_at is not None and overran.ends_at > now
    assert overran.case.events.filter(action="outage_overrun").count() == 1
    assert Counter(Drill.objects.values_list("status", flat=True)) == {
        DrillStatus.EVALUATED: 1,
        DrillStatus.PLANNED: 1,
    }
    evaluated = Drill.objects.get(status=DrillStatus.EVALUATED)
    assert evaluated.timings.filter(observed_minutes__gt=F("target_minutes")).count() == 2
    assert evaluated.measures.count() == 2
    assert PlanVersion.objects.filter(status=PlanVersionStatus.DRAFT).count() == 1

    # --- water quality: the lab's day in every state, an open and a closed anomaly -------
    open_anomaly = Anomaly.objects.get(status=AnomalyStatus.OPEN)
    assert (open_anomaly.point.point_type, open_anomaly.pass_streak) == (PointType.TAP, 1)
    assert (open_anomaly.incident.status, open_anomaly.incident.incident.incident_type) == (
        IncidentStatus.ACTIVE,
        IncidentType.POLLUTION,
    )
    assert open_anomaly.zone_id not in set(active.affected_zones.values_list("zone", flat=True))
    assert open_anomaly.adjustments.count() == 1
    assert NoticeRound.objects.filter(case=open_anomaly.incident).count() == 2
    closed_anomaly = Anomaly.objects.get(status=AnomalyStatus.CLOSED)
    assert closed_anomaly.pass_streak == 3 and closed_anomaly.follow_up
    assert closed_anomaly.incident.status == IncidentStatus.RESTORED
    samples = Counter(Sample.objects.values_list("status", flat=True))
    assert samples[SampleStatus.AWAITING_SECOND] == 1
    assert samples[SampleStatus.CONFIRMED] > 150
    assert samples[SampleStatus.SCHEDULED] > 0 and samples[SampleStatus.ANALYSED] > 0
    assert samples_overdue(SEED_AT.date()).count() == 1
    assert Result.objects.filter(verdict=Verdict.JUDGEMENT).exists()
    assert list(
        QualityReport.objects.order_by("period_start").values_list("status", flat=True)
    ) == [
        ReportStatus.PUBLISHED,
        ReportStatus.DRAFT,
    ]

    # --- e-invoices, prepayment, metering, remote meters --------------------------------
    assert Counter(Invoice.objects.values_list("kind", "state")) == {
        ("blue", "issued"): 1,  # the others after the seed's commit (payment follow-ups)
        ("red", "issued"): 1,
        ("blue", "reversed"): 1,
        ("blue", "failed"): 2,
        ("blue", "requested"): 1,
    }
    assert len(bills_paid_without_invoice()) == 567
    assert LedgerEntry.objects.filter(kind="prepaid").count() == 12
    assert Notification.objects.filter(template_key="billing.prepaid_low").exists()
    assert Arrangement.objects.count() == 4
    assert Allocation.objects.filter(status=AllocationStatus.FLAGGED).count() == 1
    assert RemoteMeter.objects.count() == 20
    assert Counter(ValveCommand.objects.values_list("state", flat=True)) == {
        "requested": 1,
        "confirmed": 1,
    }

    # --- output and idempotency ----------------------------------------------------------
    text = first_output.getvalue()
    assert "demo-pass-2026" in text
    for username in (
        "clerk1",
        "clerk2",
        "surveyor1",
        "surveyor2",
        "reviewer1",
        "approver1",
        "supervisor1",
        "reader1",
        "reader2",
        "billing1",
        "cashier1",
        "collector1",
        "collsup1",
        "emergency1",
        "duty1",
        "sampler1",
        "lab1",
        "lab2",
        "quality1",
        "quality2",
        "finance1",
        "admin",
    ):
        assert username in text
    assert f"突发事件：{active.number} " in text
    assert "公众停水公告 /outages/（无需登录）" in text
    assert f"水质异常 {open_anomaly.number} 处置中（连续合格 1/3 轮" in text
    assert (
        "电子发票：已开具 2 张，已冲红 1 张，开具失败 2 张，待开具 1 张；已缴未开票账单 567 张。"
        in text
    )
    assert "总分表与分摊：4 组（总分表、一表多户、包费户），负差待复核 1 次。" in text
    assert (
        "远传表：20 块（主站 demo-nb），未处理告警 4 条，关阀指令待审批 1 条（collsup1）。" in text
    )
    assert "已超时 4 件，临近超时 3 件，绿色通道 3 件。" in text
    # The metering points' derived reads are not counted as read; their accounts' bills are.
    assert "2026-08  已抄 206 户，待复核 0 条，账单 210 张，合计 35,266.12 元" in text
    assert "2026-11  已抄 89 户，待复核 5 条，账单 0 张，合计 0.00 元" in text
    assert f"欠费账户 {arrears[0]} 户，逾期欠费合计 {arrears[1]:,.2f} 元。" in text
    assert after_second == after_first
    assert "演示数据已存在（已有用户 clerk1），本次未做任何更改。" in second_output.getvalue()


@pytest.mark.django_db
def test_demo_seed_refuses_a_database_where_a_demo_username_is_taken():
    get_user_model().objects.create(username="admin", is_superuser=True)

    with pytest.raises(
        CommandError, match="用户 admin 已存在，无法生成演示数据；请在空数据库上运行。"
    ):
        call_command("demo_seed", stdout=StringIO())

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["admin"]
    assert Customer.objects.count() == 0
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("today", "billed", "reading", "upcoming"),
    [
        # This month's read window has opened: it is the month being read.
        (date(2026, 11, 27), ["2026-08", "2026-09", "2026-10"], "2026-11", None),
        (date(2026, 11, 26), ["2026-08", "2026-09", "2026-10"], "2026-11", None),
        # Before it opens, last month is being read (its window may be over) and this
        # month is opened.
        (date(2026, 11, 25), ["2026-07", "2026-08", "2026-09"], "2026-10", "2026-11"),
        (date(2026, 12, 3), ["2026-08", "2026-09", "2026-10"], "2026-11", "2026-12"),
        (date(2027, 1, 2), ["2026-09", "2026-10", "2026-11"], "2026-12", "2027-01"),
        (date(2028, 2, 25), ["2027-11", "2027-12", "2028-01"], "2028-02", None),
    ],
)
def test_demo_calendar_follows_the_date(today, billed, reading, upcoming):
    calendar = demo_calendar(today)

    assert [cycle.code for cycle in calendar.billed] == billed
    assert calendar.reading.code == reading
    assert (calendar.upcoming.code if calendar.upcoming else None) == upcoming
    assert calendar.reading.read_from <= today
    assert all(cycle.read_to < today for cycle in calendar.billed)


def test_demo_calendar_reads_the_last_five_days_through_the_fifth():
    february = demo_calendar(date(2028, 2, 26)).reading  # a leap year

    assert (
        february.period_start,
        february.period_end,
        february.read_from,
        february.read_to,
    ) == (date(2028, 2, 1), date(2028, 2, 29), date(2028, 2, 25), date(2028, 3, 5))

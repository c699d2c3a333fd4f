"""``manage.py demo_seed``: the demo city is complete, valid, reached through the services,
and a second run changes nothing."""

from collections import Counter
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from waterdesk.applications.models import NewConnectionStatus
from waterdesk.cases.models import Case, CaseEvent, CaseKind, Priority
from waterdesk.core.models import Department
from waterdesk.core.roles import Role
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account, Customer, CustomerKind, Meter, SupplyZone
from waterdesk.customers.validation import validate_mobile, validate_resident_id, validate_uscc
from waterdesk.notify.models import Notification
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
    users = get_user_model().objects
    assert Counter(users.values_list("groups__name", flat=True)) == {
        Role.INTAKE_CLERK: 2,
        Role.SURVEYOR: 2,
        Role.REVIEWER: 1,
        Role.APPROVER: 1,
        Role.SUPERVISOR: 1,
        Role.ADMINISTRATOR: 1,
    }
    assert sorted(Department.objects.values_list("code", "name")) == [
        ("business", "营业部"),
        ("engineering", "工程部"),
        ("it", "信息中心"),
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
    admin = users.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert list(admin.groups.values_list("name", flat=True)) == [Role.ADMINISTRATOR]
    assert users.filter(is_superuser=True).count() == 1

    # --- customers, premises, accounts, meters -------------------------------------------
    assert sorted(SupplyZone.objects.values_list("code", flat=True)) == [
        "devzone",
        "east",
        "north",
        "south",
    ]
    assert Counter(Customer.objects.values_list("kind", "is_vulnerable")) == {
        (CustomerKind.PERSON, False): 178,
        (CustomerKind.PERSON, True): 6,
        (CustomerKind.ORGANISATION, False): 14,
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
    assert equipped.count() == 200
    # 200 established accounts and meters, plus those of the cases that got that far:
    # meters for meter_installed/account_opened/completed, accounts for the last two.
    assert Account.objects.count() == 204
    assert Meter.objects.count() == 206
    first = Customer.objects.order_by("pk").first()  # the generator is deterministic
    assert (first.name, first.id_number) == ("黄鹏", "110108199706294956")

    # --- cases ---------------------------------------------------------------------------
    cases = Case.objects.filter(kind=CaseKind.NEW_CONNECTION)
    assert cases.count() == 30
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
    # The sweep marked them: breached overdue clocks, at-risk ones still before their due.
    assert SlaClock.objects.filter(state=ClockState.RUNNING, due_at__lt=now).count() == 4
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
        "admin",
    ):
        assert username in text
    assert "已超时 4 件，临近超时 3 件，绿色通道 3 件。" in text
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

"""The billing read chosen per cycle (exactly, idempotently), file import, and the alarms
raised once and resolved — time pinned."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.amr_support import daily, moment, new_head_end, pinned, reading, remote_meter
from tests.factories import UserFactory
from waterdesk.amr.models import Alarm, AlarmKind, AlarmStatus, RemoteReading
from waterdesk.amr.services.alarms import alarm_resolve, alarms_scan
from waterdesk.amr.services.billing_reads import billing_reads_make
from waterdesk.amr.services.readings import readings_import
from waterdesk.billing.models import MeterRead, ReadKind, ReadSource
from waterdesk.billing.services.reading import reading_cycle_create
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db


def test_the_billing_read_is_the_last_reading_of_the_window_and_made_once(billing_clerk):
    head_end, _key = new_head_end()
    read = remote_meter(head_end, "IMEI-A")
    quiet = remote_meter(head_end, "IMEI-B")
    with pinned(date(2026, 2, 1)):
        cycle = reading_cycle_create(
            actor=billing_clerk,
            code="2026-02",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            read_from=date(2026, 2, 20),
            read_to=date(2026, 2, 28),
        )
    daily(read, date(2026, 2, 1), 27, start="10", step="0.5")  # 02-01 … 02-27 at 08:00
    reading(read, moment(date(2026, 2, 28), 23, 30), "23.456")  # the last in the window
    reading(read, moment(date(2026, 3, 1), 0, 30), "23.500")  # after it: not chosen
    daily(quiet, date(2026, 2, 1), 10)  # nothing in the window

    with pinned(date(2026, 3, 2)):
        first = billing_reads_make(actor=billing_clerk, cycle=cycle)
        second = billing_reads_make(actor=billing_clerk, cycle=cycle)

    made = MeterRead.objects.get(meter=read.meter, kind=ReadKind.ACTUAL)
    assert (made.read_on, made.value, made.source, made.cycle) == (
        date(2026, 2, 28),
        Decimal("23.45"),  # the register as it shows: truncated to 0.01
        ReadSource.AMR,
        cycle,
    )
    assert (first.created, first.existing) == (1, 0)
    assert [(row["meter"], row["code"]) for row in first.skipped] == [
        (quiet.meter.serial, "no_reading_in_window")
    ]
    assert (second.created, second.existing, len(second.skipped)) == (0, 1, 1)
    assert MeterRead.objects.filter(kind=ReadKind.ACTUAL).count() == 1


def test_billing_reads_need_the_permission(billing_clerk):
    with pinned(date(2026, 2, 1)):
        cycle = reading_cycle_create(
            actor=billing_clerk,
            code="2026-02",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            read_from=date(2026, 2, 20),
            read_to=date(2026, 2, 28),
        )
    cashier = UserFactory(username="cashier", role=Role.CASHIER)
    with pinned(date(2026, 3, 2)), pytest.raises(NotPermitted):
        billing_reads_make(actor=cashier, cycle=cycle)


def test_a_head_end_file_is_imported_once_with_its_bad_lines(reader):
    head_end, _key = new_head_end()
    remote_meter(head_end, "IMEI-A")
    content = (
        "设备号,读数时间,读数,倒流\n"
        "IMEI-A,2026-02-01 08:00,12.5,否\n"
        "IMEI-A,2026-02-02 08:00,13.0,是\n"
        "IMEI-X,2026-02-02 08:00,13.0,否\n"
        "IMEI-A,2026-02-03 08:00,十三,否\n"
    ).encode("gb18030")
    with pinned(date(2026, 3, 1)):
        first = readings_import(actor=reader, head_end=head_end, file_name="a.csv", content=content)
        again = readings_import(actor=reader, head_end=head_end, file_name="a.csv", content=content)
    assert (first.encoding, first.received, first.stored, first.duplicate, first.rejected) == (
        "gb18030",
        4,
        2,
        0,
        2,
    )
    assert [(row["line"], row["code"]) for row in first.errors] == [
        (4, "unknown_meter"),
        (5, "invalid_value"),
    ]
    assert (again.stored, again.duplicate) == (0, 2)
    assert RemoteReading.objects.count() == 2
    assert RemoteReading.objects.get(read_at=moment(date(2026, 2, 2), 8)).reverse_flow is True


def test_an_import_without_the_columns_writes_nothing(reader):
    head_end, _key = new_head_end()
    with pytest.raises(InvalidInput) as refused:
        readings_import(actor=reader, head_end=head_end, file_name="a.csv", content=b"a,b\n1,2\n")
    assert refused.value.code == "import_header"
    assert not RemoteReading.objects.exists()


def _open_alarms():
    return sorted(
        Alarm.objects.filter(status=AlarmStatus.OPEN).values_list("remote_meter__device_id", "kind")
    )


def test_alarms_are_raised_once_and_resolved(reader):
    head_end, _key = new_head_end()
    today = date(2026, 3, 10)
    reverse = remote_meter(head_end, "IMEI-REV")
    battery = remote_meter(head_end, "IMEI-BAT")
    leaking = remote_meter(head_end, "IMEI-LEAK")
    flagged = remote_meter(head_end, "IMEI-FLAG")
    silent = remote_meter(head_end, "IMEI-SIL")
    fine = remote_meter(head_end, "IMEI-OK")
    reading(reverse, moment(today, 8), "10", reverse_flow=True)
    reading(battery, moment(today, 8), "10", battery_percent=12)
    for back in range(3):  # three nights at 0.05 m³/h between 02:00 and 04:00
        night = today - timedelta(days=back)
        reading(leaking, moment(night, 2), Decimal("5") + back)
        reading(leaking, moment(night, 4), Decimal("5.1") + back)
    reading(flagged, moment(today - timedelta(days=1), 8), "3", leak=True)
    reading(fine, moment(today, 2), "7.000")
    reading(fine, moment(today, 4), "7.002")  # 0.001 m³/h: below the threshold
    fine.last_seen_at = moment(today, 4)
    fine.save()
    silent.last_seen_at = moment(today - timedelta(days=4), 8)
    silent.save()

    with pinned(today, 9):
        raised = alarms_scan()
        again = alarms_scan()
    assert raised == {"silent": 1, "reverse_flow": 1, "night_flow": 2, "low_battery": 1}
    assert again == {"silent": 0, "reverse_flow": 0, "night_flow": 0, "low_battery": 0}
    assert _open_alarms() == [
        ("IMEI-BAT", AlarmKind.LOW_BATTERY),
        ("IMEI-FLAG", AlarmKind.NIGHT_FLOW),
        ("IMEI-LEAK", AlarmKind.NIGHT_FLOW),
        ("IMEI-REV", AlarmKind.REVERSE_FLOW),
        ("IMEI-SIL", AlarmKind.SILENT),
    ]

    # Resolved: not raised again on the same readings; a new reverse flow raises a new one.
    alarm = Alarm.objects.get(remote_meter=reverse)
    with pinned(today, 10):
        alarm_resolve(actor=reader, alarm=alarm, resolution="已上门检查，止回阀已更换")
        assert alarms_scan()["reverse_flow"] == 0
        with pytest.raises(IllegalTransition):
            alarm_resolve(actor=reader, alarm=alarm, resolution="again")
    alarm.refresh_from_db()
    assert (alarm.status, alarm.resolved_by) == (AlarmStatus.RESOLVED, reader)
    reading(reverse, moment(today, 11), "11", reverse_flow=True)
    with pinned(today, 12):
        assert alarms_scan()["reverse_flow"] == 1
    assert Alarm.objects.filter(remote_meter=reverse).count() == 2
    assert Alarm.objects.filter(remote_meter=reverse, status=AlarmStatus.OPEN).count() == 1


def test_the_periodic_tasks_make_the_reads_and_scan_once(billing_clerk):
    from waterdesk.amr.tasks import amr_alarms_scan, amr_billing_reads

    head_end, _key = new_head_end()
    meter = remote_meter(head_end, "IMEI-A")
    with pinned(date(2026, 2, 1)):
        reading_cycle_create(
            actor=billing_clerk,
            code="2026-02",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            read_from=date(2026, 2, 20),
            read_to=date(2026, 2, 28),
        )
    daily(meter, date(2026, 2, 20), 9, reverse_flow=False)
    with pinned(date(2026, 3, 2), 3):
        assert amr_billing_reads() == {"2026-02": 1}
        assert amr_billing_reads() == {"2026-02": 0}
        assert amr_alarms_scan()["silent"] == 0
    with pinned(date(2026, 3, 20), 3):
        assert amr_billing_reads() == {}  # the window ended more than a week ago
    assert MeterRead.objects.get(kind=ReadKind.ACTUAL).read_on == date(2026, 2, 28)

"""Read-file import: bad lines reported, good lines imported once, re-import changes
nothing, GBK files, the reader's route scope, the management command."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import installed_account
from waterdesk.billing.models import MeterRead, ReadImport, ReadKind, ReadSource, ReadStatus
from waterdesk.billing.services.reading import meter_read_record, read_import_csv
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.customers.models import Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 31, 18, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


def installed(number, serial, *, initial="100", route=None):
    return installed_account(number=number, serial=serial, initial=initial, route=route)


@pytest.fixture
def accounts():
    return [
        installed("1000000001", "WM001"),
        installed("1000000002", "WM002"),
        installed("1000000003", "WM003"),
    ]


GOOD_AND_BAD = (
    "account_number,meter_serial,read_on,value,kind,note\n"
    "1000000001,WM001,2026-03-28,130,actual,\n"  # 2 good
    "1000000002,,2026-03-28,112.5,estimated,门锁\n"  # 3 good (meter from the account)
    "1000000009,WM009,2026-03-28,100,actual,\n"  # 4 unknown account
    "1000000003,WM003,2026-03-28,-4,actual,\n"  # 5 negative value
    "1000000003,WM003,28/03/2026,120,actual,\n"  # 6 bad date
    "1000000003,WM003,2026-04-02,120,actual,\n"  # 7 future
    "1000000003,WM001,2026-03-28,120,actual,\n"  # 8 meter of another account
    "1000000003,WM003,2026-03-28,120,guess,\n"  # 9 bad kind
    "\n"  # blank lines are skipped
    "1000000003,WM003,2026-03-29,abc,actual,\n"  # 11 not a number
    "1000000003,WM003,2026-03-30,125,,\n"  # 12 good (kind defaults to actual)
)


def errors_of(batch):
    return [(error["line"], error["code"]) for error in batch.errors]


def test_bad_lines_are_reported_and_good_lines_imported(billing_clerk, accounts):
    batch = read_import_csv(
        actor=billing_clerk,
        source=ReadSource.HANDHELD,
        file_name="route-1.csv",
        content=GOOD_AND_BAD.encode(),
    )

    assert (
        batch.lines_total,
        batch.lines_imported,
        batch.lines_duplicate,
        batch.lines_failed,
    ) == (10, 3, 0, 7)
    assert errors_of(batch) == [
        (4, "unknown_account"),
        (5, "invalid_read_value"),
        (6, "invalid_read_date"),
        (7, "read_in_future"),
        (8, "meter_not_on_account"),
        (9, "invalid_read_kind"),
        (11, "invalid_read_value"),
    ]
    assert batch.errors[0]["message"] == "户号1000000009不存在。"
    assert batch.errors[4]["message"] == "水表WM001未安装在账户1000000003上。"
    reads = {
        read.account.number: read
        for read in MeterRead.objects.select_related("account").filter(import_batch=batch)
    }
    assert sorted(reads) == ["1000000001", "1000000002", "1000000003"]
    first, estimated, third = reads["1000000001"], reads["1000000002"], reads["1000000003"]
    assert (first.value, first.consumption, first.status, first.source, first.entered_by) == (
        Decimal("130.00"),
        Decimal("30.00"),
        ReadStatus.VALIDATED,
        ReadSource.HANDHELD,
        billing_clerk,
    )
    assert (estimated.kind, estimated.consumption, estimated.issues, estimated.note) == (
        ReadKind.ESTIMATED,
        Decimal("12.50"),
        ["first_read", "estimated"],
        "门锁",
    )
    assert (third.read_on, third.kind, third.consumption) == (
        date(2026, 3, 30),
        ReadKind.ACTUAL,
        Decimal("25.00"),
    )
    assert (batch.file_name, batch.uploaded_by, batch.uploaded_at) == (
        "route-1.csv",
        billing_clerk,
        NOW,
    )


def test_importing_the_same_file_again_changes_nothing(billing_clerk, accounts):
    content = GOOD_AND_BAD.encode()
    first = read_import_csv(
        actor=billing_clerk, source=ReadSource.HANDHELD, file_name="a.csv", content=content
    )
    reads_before = list(MeterRead.objects.order_by("pk").values())

    again = read_import_csv(
        actor=billing_clerk, source=ReadSource.HANDHELD, file_name="a.csv", content=content
    )

    assert (again.lines_total, again.lines_imported, again.lines_duplicate) == (10, 0, 3)
    assert errors_of(again) == errors_of(first)
    assert list(MeterRead.objects.order_by("pk").values()) == reads_before
    assert again.sha256 == first.sha256


def test_same_day_with_another_value_is_a_conflict(billing_clerk, accounts):
    meter_read_record(
        actor=billing_clerk, account=accounts[0], read_on=date(2026, 3, 28), value="130"
    )
    content = b"account_number,read_on,value\n1000000001,2026-03-28,131\n"

    batch = read_import_csv(
        actor=billing_clerk, source=ReadSource.AMR, file_name="amr.csv", content=content
    )

    assert (batch.lines_imported, batch.lines_duplicate, errors_of(batch)) == (
        0,
        0,
        [(2, "read_conflict")],
    )
    assert MeterRead.objects.count() == 1


def test_several_reads_of_one_meter_follow_each_other_by_date(billing_clerk, accounts):
    content = (
        b"account_number,read_on,value\n"
        b"1000000001,2026-03-20,150\n"  # later day first in the file
        b"1000000001,2026-02-28,130\n"
    )

    batch = read_import_csv(
        actor=billing_clerk, source=ReadSource.AMR, file_name="amr.csv", content=content
    )

    assert (batch.lines_imported, batch.errors) == (2, [])
    earlier, later = MeterRead.objects.order_by("read_on")
    assert (earlier.consumption, later.previous, later.consumption) == (
        Decimal("30.00"),
        earlier,
        Decimal("20.00"),
    )


def test_gbk_file_with_chinese_header(billing_clerk, accounts):
    content = (
        "户号,表号,抄表日期,读数,类型,备注\n"
        "1000000001,WM001,2026/03/28,130,实抄,\n"
        "1000000002,WM002,2026-03-28,110,估抄,院门上锁\n"
        "1000000003,WM003,2026-03-28,一百,实抄,\n"
    ).encode("gbk")

    batch = read_import_csv(
        actor=billing_clerk, source=ReadSource.HANDHELD, file_name="抄表机.csv", content=content
    )

    assert (batch.lines_imported, errors_of(batch)) == (2, [(4, "invalid_read_value")])
    assert batch.errors[0]["message"] == "读数应为不小于0、最多两位小数的数字。"
    estimated = MeterRead.objects.get(account=accounts[1])
    assert (estimated.kind, estimated.note) == (ReadKind.ESTIMATED, "院门上锁")


def test_utf8_with_bom_and_tabs(billing_clerk, accounts):
    content = "\ufeffaccount_number\tread_on\tvalue\n1000000001\t2026-03-28\t130\n".encode()

    batch = read_import_csv(
        actor=billing_clerk, source=ReadSource.HANDHELD, file_name="t.tsv", content=content
    )

    assert (batch.lines_total, batch.lines_imported, batch.errors) == (1, 1, [])


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "import_empty"),
        (b"\xff\xfe\xff\xfe", "import_encoding"),
        (b"account,value\n1000000001,130\n", "import_header"),
    ],
)
def test_unreadable_file_writes_nothing(billing_clerk, accounts, content, code):
    with pytest.raises(InvalidInput) as error:
        read_import_csv(
            actor=billing_clerk, source=ReadSource.HANDHELD, file_name="x.csv", content=content
        )
    assert error.value.code == code
    assert (ReadImport.objects.count(), MeterRead.objects.count()) == (0, 0)


def test_reader_imports_only_the_accounts_of_their_routes(reader):
    route = Route.objects.create(code="r1", name="一号线", reader=reader)
    installed("1000000011", "WM011", route=route)
    installed("1000000012", "WM012")
    content = (
        b"account_number,read_on,value\n1000000011,2026-03-28,130\n1000000012,2026-03-28,130\n"
    )

    batch = read_import_csv(
        actor=reader, source=ReadSource.HANDHELD, file_name="r1.csv", content=content
    )

    assert (batch.lines_imported, errors_of(batch)) == (1, [(3, "account_not_on_route")])
    assert batch.errors[0]["message"] == "户号1000000012不在您的抄表路线上。"


def test_outsider_may_not_import(outsider, accounts):
    with pytest.raises(NotPermitted):
        read_import_csv(
            actor=outsider,
            source=ReadSource.HANDHELD,
            file_name="x.csv",
            content=GOOD_AND_BAD.encode(),
        )
    assert (ReadImport.objects.count(), MeterRead.objects.count()) == (0, 0)


def test_queries_do_not_grow_with_lookups(billing_clerk):
    """Accounts, meters and previous reads are looked up in bulk: per line only the
    savepoint and the insert remain."""
    lines = ["account_number,meter_serial,read_on,value"]
    for index in range(200):
        number, serial = f"12{index:08d}", f"BULK{index:04d}"
        installed(number, serial)
        lines.append(f"{number},{serial},2026-03-28,{110 + index % 7}")
    content = ("\n".join(lines) + "\n").encode()

    with CaptureQueriesContext(connection) as queries:
        batch = read_import_csv(
            actor=billing_clerk, source=ReadSource.AMR, file_name="bulk.csv", content=content
        )

    assert (batch.lines_imported, batch.lines_failed) == (200, 0)
    assert len(queries) <= 3 * 200 + 30


def test_management_command(billing_clerk, accounts, tmp_path):
    path = tmp_path / "reads.csv"
    path.write_bytes(GOOD_AND_BAD.encode())
    out = io.StringIO()

    call_command("import_reads", str(path), "--source", "handheld", "--user", "billing", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "数据行 10，导入 3，重复 0，错误 7"
    assert lines[1] == "第4行 [unknown_account] 户号1000000009不存在。"
    assert len(lines) == 8
    assert MeterRead.objects.count() == 3


def test_management_command_refuses_an_unknown_user(accounts, tmp_path):
    path = tmp_path / "reads.csv"
    path.write_bytes(GOOD_AND_BAD.encode())
    with pytest.raises(CommandError):
        call_command("import_reads", str(path), "--user", "nobody")
    assert MeterRead.objects.count() == 0

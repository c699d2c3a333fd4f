"""The import of handheld / AMR read files (CSV, UTF-8 or GBK): every line through the
recording path, every bad line reported with its number and code."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import (
    ReadImport,
    ReadKind,
)
from waterdesk.billing.selectors.reading import (
    reading_routes_for_user,
    reads_all_routes,
)
from waterdesk.core.errors import DomainError, InvalidInput, NotPermitted
from waterdesk.customers.models import Account, Meter, MeterState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

from waterdesk.billing.services.reading.common import (
    IMPORT_SOURCES,
    READ_IMPORT_MAX_BYTES,
    _chunks,
    _clean_file_name,
    _clean_note,
    _clean_source,
    _normalise,
    _only_installed_meter,
    _require,
)
from waterdesk.billing.services.reading.recording import (
    _duplicate,
    _ReadBook,
    _record_read,
)

# --- import ---------------------------------------------------------------------------

# Column → accepted header names (lower case). Other columns are ignored.
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "account_number": ("account_number", "account", "户号"),
    "meter_serial": ("meter_serial", "meter", "serial", "表号"),
    "read_on": ("read_on", "read_date", "date", "抄表日期"),
    "value": ("value", "reading", "读数", "本次读数"),
    "kind": ("kind", "类型", "抄表类型"),
    "note": ("note", "备注"),
}
IMPORT_REQUIRED = ("account_number", "read_on", "value")
IMPORT_KINDS = {
    "": ReadKind.ACTUAL,
    "actual": ReadKind.ACTUAL,
    "实抄": ReadKind.ACTUAL,
    "estimated": ReadKind.ESTIMATED,
    "估抄": ReadKind.ESTIMATED,
    "估计": ReadKind.ESTIMATED,
}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$|^(\d{4})(\d{2})(\d{2})$")


@dataclass
class _Line:
    number: int
    account_number: str = ""
    meter_serial: str = ""
    read_on: date | None = None
    value: Decimal | None = None
    kind: str = ReadKind.ACTUAL
    note: str = ""
    account: Account | None = None
    meter: Meter | None = None


@transaction.atomic
def read_import_csv(*, actor: Actor, source: str, file_name: str, content: bytes) -> ReadImport:
    """Import a handheld / AMR read file (CSV, UTF-8 with or without BOM, or GBK/GB18030).

    Header (names in English or Chinese, any order, other columns ignored)::

        account_number,meter_serial,read_on,value,kind,note
        户号,表号,抄表日期,读数,类型,备注

    ``account_number``, ``read_on`` (YYYY-MM-DD) and ``value`` are required;
    ``meter_serial`` may be empty when the account has one meter; ``kind`` is
    ``actual`` (default) or ``estimated``. Every line goes through the same checks as
    ``meter_read_record``, each in its own savepoint: a bad line is reported (line number,
    code, Chinese message) and writes nothing, the good ones are imported. A line whose
    meter, day and kind are already recorded with the same value counts as a duplicate, so
    importing a file again changes nothing (with another value it is ``read_conflict``).
    A user who may not review reads may only import the accounts of their own routes.

    A file that cannot be read at all (encoding, header, size) raises ``InvalidInput`` and
    writes nothing.
    """
    _require(actor, "billing.import_meterread")
    if actor is None:
        raise NotPermitted()
    source = _clean_source(source, allowed=IMPORT_SOURCES)
    file_name = _clean_file_name(file_name)
    if len(content) > READ_IMPORT_MAX_BYTES:
        raise InvalidInput(
            format_lazy(
                _("文件过大（上限{limit}MB）。"), limit=READ_IMPORT_MAX_BYTES // (1024 * 1024)
            ),
            code="import_too_large",
            field="file",
        )
    rows = _csv_rows(_decode(content))
    batch = ReadImport.objects.create(
        source=source,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    # None: every route (a billing clerk); else the ids of the reader's own routes.
    own_routes = (
        None
        if reads_all_routes(actor)
        else set(reading_routes_for_user(actor).values_list("pk", flat=True))
    )
    errors: list[dict] = []
    imported = duplicates = 0
    # Stored messages are Chinese whatever the uploader's language.
    with translation.override("zh-hans"):

        def fail(line: _Line, error: DomainError) -> None:
            errors.append({"line": line.number, "code": error.code, "message": str(error.message)})

        lines: list[_Line] = []
        for number, row in rows:
            try:
                lines.append(_parse_line(number, row))
            except DomainError as error:
                fail(_Line(number), error)

        accounts = _accounts_by_number({line.account_number for line in lines})
        resolvable: list[_Line] = []
        for line in lines:
            try:
                line.account = accounts.get(line.account_number)
                if line.account is None:
                    raise InvalidInput(
                        format_lazy(_("户号{number}不存在。"), number=line.account_number),
                        code="unknown_account",
                        field="account_number",
                    )
                if own_routes is not None and line.account.route_id not in own_routes:
                    raise NotPermitted(
                        format_lazy(
                            _("户号{number}不在您的抄表路线上。"), number=line.account_number
                        ),
                        code="account_not_on_route",
                    )
                resolvable.append(line)
            except DomainError as error:
                fail(line, error)

        meters_by_account, meters_by_serial = _meters_for(
            accounts=[line.account for line in resolvable],
            serials={line.meter_serial for line in resolvable if line.meter_serial},
        )
        ready: list[_Line] = []
        for line in resolvable:
            try:
                line.meter = _line_meter(line, meters_by_account, meters_by_serial)
                ready.append(line)
            except DomainError as error:
                fail(line, error)

        book = _ReadBook.load(
            meters=list({line.meter.pk: line.meter for line in ready}.values()),
            accounts=list({line.account.pk: line.account for line in ready}.values()),
            first_day=min((line.read_on for line in ready), default=None),
            last_day=max((line.read_on for line in ready), default=None),
        )
        # By day, so that several reads of one meter in a file follow each other.
        for line in sorted(ready, key=lambda line: (line.read_on, line.number)):
            existing = book.existing.get((line.meter.pk, line.read_on, line.kind))
            # The same line read again (even after the meter was exchanged since) is a
            # duplicate; a read of another account's meter is refused below.
            if existing is not None and existing[1] == line.account.pk:
                if existing[0] == line.value:
                    duplicates += 1
                else:
                    fail(
                        line,
                        InvalidInput(
                            format_lazy(
                                _("该表{day}已有读数{value}，与本行读数不同。"),
                                day=line.read_on.isoformat(),
                                value=existing[0],
                            ),
                            code="read_conflict",
                        ),
                    )
                continue
            try:
                with transaction.atomic():
                    _record_read(
                        book=book,
                        actor=actor,
                        account=line.account,
                        meter=line.meter,
                        read_on=line.read_on,
                        value=line.value,
                        kind=line.kind,
                        source=source,
                        note=line.note,
                        import_batch=batch,
                        savepoint=False,
                    )
            except IntegrityError:
                fail(line, _duplicate(line.meter, line.read_on))
            except DomainError as error:
                fail(line, error)
            else:
                imported += 1

    errors.sort(key=lambda error: error["line"])
    batch.lines_total = len(rows)
    batch.lines_imported = imported
    batch.lines_duplicate = duplicates
    batch.lines_failed = len(errors)
    batch.errors = errors
    batch.save(
        update_fields=[
            "lines_total",
            "lines_imported",
            "lines_duplicate",
            "lines_failed",
            "errors",
        ]
    )
    return batch


def _decode(content: bytes) -> str:
    if not content.strip():
        raise InvalidInput(_("文件为空。"), code="import_empty", field="file")
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        _("无法识别文件编码，请保存为UTF-8或GBK编码的CSV文件。"),
        code="import_encoding",
        field="file",
    )


def _csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each non-empty data line."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    names = [_normalise(name).lower() for name in header or []]
    columns: dict[str, int] = {}
    for column, aliases in IMPORT_COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                columns[column] = index
                break
    missing = [column for column in IMPORT_REQUIRED if column not in columns]
    if missing:
        raise InvalidInput(
            format_lazy(
                _("文件第1行应为表头，缺少列：{columns}。"),
                columns=", ".join(missing),
            ),
            code="import_header",
            field="file",
            details={"missing": missing, "expected": list(IMPORT_COLUMNS)},
        )
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = {
            column: cells[index].strip() if index < len(cells) else ""
            for column, index in columns.items()
        }
        rows.append((reader.line_num, row))
    return rows


def _parse_line(number: int, row: dict[str, str]) -> _Line:
    account_number = re.sub(r"\s+", "", _normalise(row.get("account_number")))
    if not account_number:
        raise InvalidInput(_("缺少户号。"), code="unknown_account", field="account_number")
    kind_text = _normalise(row.get("kind")).lower()
    if kind_text not in IMPORT_KINDS:
        raise InvalidInput(
            _("抄表类型应为 actual（实抄）或 estimated（估抄）。"),
            code="invalid_read_kind",
            field="kind",
        )
    note = _clean_note(row.get("note", ""))
    return _Line(
        number=number,
        account_number=account_number,
        meter_serial=_normalise(row.get("meter_serial")).upper(),
        read_on=_parse_day(row.get("read_on", "")),
        value=rules.clean_read_value(_normalise(row.get("value"))),
        kind=IMPORT_KINDS[kind_text],
        note=note,
    )


def _parse_day(text: str) -> date:
    match = _DATE.match(_normalise(text))
    if match:
        year, month, day = (int(part) for part in match.groups() if part is not None)
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise InvalidInput(
        _("抄表日期应为 YYYY-MM-DD 格式的日期。"), code="invalid_read_date", field="read_on"
    )


def _accounts_by_number(numbers: Iterable[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    ordered = sorted(numbers)
    for chunk in _chunks(ordered):
        # Locked in primary-key order, the order every service locks accounts in.
        for account in Account.objects.select_for_update().filter(number__in=chunk).order_by("pk"):
            found[account.number] = account
    return found


def _meters_for(
    *, accounts: list[Account], serials: set[str]
) -> tuple[dict[int, list[Meter]], dict[str, Meter]]:
    by_account: dict[int, list[Meter]] = defaultdict(list)
    for chunk in _chunks(sorted({account.pk for account in accounts})):
        for meter in (
            Meter.objects.select_for_update()
            .filter(account_id__in=chunk, state=MeterState.INSTALLED)
            .order_by("pk")
        ):
            by_account[meter.account_id].append(meter)
    by_serial = {meter.serial: meter for meters in by_account.values() for meter in meters}
    for chunk in _chunks(sorted(serials - by_serial.keys())):
        for meter in Meter.objects.filter(serial__in=chunk):
            by_serial[meter.serial] = meter
    return by_account, by_serial


def _line_meter(
    line: _Line, by_account: dict[int, list[Meter]], by_serial: dict[str, Meter]
) -> Meter:
    if line.meter_serial:
        meter = by_serial.get(line.meter_serial)
        if meter is None:
            raise InvalidInput(
                format_lazy(_("表号{serial}不存在。"), serial=line.meter_serial),
                code="unknown_meter",
                field="meter_serial",
            )
        # Whether it is installed on the account is checked after the duplicate check, so
        # that a file read again after a meter exchange still counts as duplicates.
        return meter
    return _only_installed_meter(line.account, by_account.get(line.account.pk, []))

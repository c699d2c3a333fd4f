"""Writes for meter reading: reading cycles, reads, their review, meter exchange and the
import of handheld / AMR files.

Every function is one transaction with keyword-only arguments and the acting user
(``actor``). Bad input raises ``InvalidInput`` with a stable code and writes nothing; a
read whose *business* check fails (negative use, a jump, …) is stored anyway, with status
``needs_review`` and its issue codes (rules in ``waterdesk.billing.read_rules``), and is
never billed until a reviewer approves it.

Lock order, wherever several rows are locked: account, meter, read. The meter's row lock
serialises reads of one meter, so "the previous validated read" cannot change under us.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.billing import read_rules as rules
from waterdesk.billing.models import (
    MeterRead,
    ReadImport,
    ReadingCycle,
    ReadKind,
    ReadSource,
    ReadStatus,
)
from waterdesk.billing.selectors.reading import (
    reading_policy,
    reading_routes_for_user,
    reads_all_routes,
)
from waterdesk.core.errors import DomainError, IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.customers.models import Account, AccountStatus, Meter, MeterState
from waterdesk.customers.services import meter_attach_to_account, meter_install

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    Actor = AbstractBaseUser | None

# Kinds a caller may record with ``meter_read_record``; initial and final reads come only
# from ``meter_exchange_record``.
RECORDABLE_KINDS = frozenset(
    {ReadKind.ACTUAL, ReadKind.ESTIMATED, ReadKind.TRANSFER, ReadKind.CHANGE}
)
# Reads a meter reader takes in the field; transfer and change reads are taken inside a
# case whose own transition checks the permission.
FIELD_KINDS = frozenset({ReadKind.ACTUAL, ReadKind.ESTIMATED})
IMPORT_SOURCES = frozenset({ReadSource.HANDHELD, ReadSource.AMR})
NOTE_MAX_LENGTH = 300
CYCLE_CODE_MAX_LENGTH = 20
DUE_DAYS_MAX = 365
READ_IMPORT_MAX_BYTES = 50 * 1024 * 1024
_CHUNK = 500  # ids per IN (...) list: well below SQLite's and PostgreSQL's limits

# --- reading cycles -------------------------------------------------------------------


@transaction.atomic
def reading_cycle_create(
    *,
    actor: Actor,
    code: str,
    period_start: date,
    period_end: date,
    read_from: date,
    read_to: date,
    due_days: int = 20,
) -> ReadingCycle:
    """Open a billing period with its reading window.

    Refuses a period or a reading window that overlaps another cycle's (a read's day must
    name exactly one cycle).
    """
    _require(actor, "billing.add_readingcycle")
    code = _normalise(code)
    if not code or len(code) > CYCLE_CODE_MAX_LENGTH:
        raise InvalidInput(
            format_lazy(_("账期编码应为1到{limit}个字符。"), limit=CYCLE_CODE_MAX_LENGTH),
            code="invalid_cycle_code",
            field="code",
        )
    dates = {
        "period_start": period_start,
        "period_end": period_end,
        "read_from": read_from,
        "read_to": read_to,
    }
    for name, value in dates.items():
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput(_("请填写正确的日期。"), code="invalid_cycle_dates", field=name)
    if period_end < period_start:
        raise InvalidInput(
            _("计费截止日不能早于计费起始日。"), code="invalid_cycle_dates", field="period_end"
        )
    if read_to < read_from:
        raise InvalidInput(
            _("抄表截止日不能早于抄表开始日。"), code="invalid_cycle_dates", field="read_to"
        )
    try:
        due_days = int(due_days)
    except (TypeError, ValueError):
        due_days = 0
    if not 1 <= due_days <= DUE_DAYS_MAX:
        raise InvalidInput(
            format_lazy(_("缴费期限应为1到{limit}天。"), limit=DUE_DAYS_MAX),
            code="invalid_due_days",
            field="due_days",
        )

    _serialise_cycle_writes()
    if ReadingCycle.objects.filter(code=code).exists():
        raise InvalidInput(
            format_lazy(_("账期“{code}”已存在。"), code=code), code="cycle_exists", field="code"
        )
    overlapping = ReadingCycle.objects.filter(
        period_start__lte=period_end, period_end__gte=period_start
    ).first()
    if overlapping is not None:
        raise InvalidInput(
            format_lazy(_("计费期与账期“{code}”重叠。"), code=overlapping.code),
            code="cycle_overlap",
            field="period_start",
        )
    overlapping = ReadingCycle.objects.filter(
        read_from__lte=read_to, read_to__gte=read_from
    ).first()
    if overlapping is not None:
        raise InvalidInput(
            format_lazy(_("抄表期与账期“{code}”的抄表期重叠。"), code=overlapping.code),
            code="read_window_overlap",
            field="read_from",
        )
    return ReadingCycle.objects.create(
        code=code,
        period_start=period_start,
        period_end=period_end,
        read_from=read_from,
        read_to=read_to,
        due_days=due_days,
    )


def _serialise_cycle_writes() -> None:
    """Two concurrent creations must not both pass the overlap check. SQLite serialises
    writers anyway; PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CYCLE_LOCK_KEY])


_CYCLE_LOCK_KEY = 0x5744_5243  # "WDRC"

# --- reads ----------------------------------------------------------------------------


@transaction.atomic
def meter_read_record(
    *,
    actor: Actor,
    account: Account,
    read_on: date,
    value,
    kind: str = ReadKind.ACTUAL,
    source: str = ReadSource.MANUAL,
    meter: Meter | None = None,
    note: str = "",
) -> MeterRead:
    """Record a reading of the account's meter (``meter`` may be omitted when the account
    has exactly one installed meter).

    Refused (``InvalidInput``): a value that is not a number ≥ 0 (``invalid_read_value``)
    or above the register's maximum (``read_over_maximum``), a day in the future
    (``read_in_future``) or before an existing read of the meter (``read_out_of_order``),
    a meter not installed on the account (``meter_not_on_account``, ``no_meter``,
    ``meter_ambiguous``), a second read of the same meter, day and kind
    (``read_duplicate``), a closed account (``account_closed``).

    Stored with status ``needs_review`` (never billed until approved): see
    ``waterdesk.billing.read_rules`` for ``negative_consumption``, ``rollover``, ``jump``,
    ``no_baseline``, ``previous_pending``. Estimated reads are validated when nothing else
    is wrong and carry ``estimated``.
    """
    value = rules.clean_read_value(value)
    kind = _clean_kind(kind, allowed=RECORDABLE_KINDS)
    source = _clean_source(source, allowed=ReadSource.values)
    read_on = _clean_read_on(read_on)
    note = _clean_note(note)
    if kind in FIELD_KINDS:
        _require(actor, "billing.add_meterread")
    account = _lock_account(account)
    meter = _resolve_meter(account=account, meter=meter)
    book = _ReadBook.load(meters=[meter], accounts=[account], first_day=read_on, last_day=read_on)
    return _record_read(
        book=book,
        actor=actor,
        account=account,
        meter=meter,
        read_on=read_on,
        value=value,
        kind=kind,
        source=source,
        note=note,
        savepoint=True,
    )


@transaction.atomic
def meter_read_approve(
    *, actor: Actor, read: MeterRead, consumption=None, note: str = ""
) -> MeterRead:
    """A reviewer accepts a read from the review queue: it becomes ``validated``.

    The consumption is measured again against the meter's last validated read (a read
    approved or rejected in between counts), or set to ``consumption`` when the reviewer
    corrects it — then a ``note`` is required and the read carries ``corrected``. A read
    whose consumption cannot be computed (negative, no baseline) needs a correction
    (``consumption_required``). Reads of one meter are reviewed in order
    (``earlier_read_pending``).
    """
    _require(actor, "billing.review_meterread")
    note = _clean_note(note, field="note")
    corrected = None
    if consumption is not None and str(consumption).strip() != "":
        corrected = rules.clean_consumption(consumption)
        if not note:
            raise InvalidInput(_("修正用水量时请填写说明。"), code="note_required", field="note")
    read = _lock_read(read)
    meter = read.meter
    previous = _last_validated_before(read)
    if previous is None:
        computed = rules.compute_consumption(meter.initial_reading, read.value, meter.max_reading)
    else:
        computed = rules.compute_consumption(previous.value, read.value, meter.max_reading)
    issues = list(read.issues)
    if corrected is not None:
        volume = corrected
        if rules.ISSUE_CORRECTED not in issues:
            issues.append(rules.ISSUE_CORRECTED)
    elif computed.volume is None:
        raise InvalidInput(
            _("无法按读数计算用水量，请填写核定的用水量及说明。"),
            code="consumption_required",
            field="consumption",
        )
    else:
        volume = computed.volume
    read.status = ReadStatus.VALIDATED
    read.previous = previous
    read.consumption = volume
    read.issues = issues
    read.reviewed_by = _user_or_none(actor)
    read.reviewed_at = timezone.now()
    read.review_note = note
    read.save(
        update_fields=[
            "status",
            "previous",
            "consumption",
            "issues",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]
    )
    return read


@transaction.atomic
def meter_read_reject(*, actor: Actor, read: MeterRead, note: str) -> MeterRead:
    """A reviewer rejects a read: it is never billed, and the meter's next read is
    measured against its last validated one. A note is required."""
    _require(actor, "billing.review_meterread")
    note = _clean_note(note, field="note")
    if not note:
        raise InvalidInput(_("作废读数时请填写原因。"), code="note_required", field="note")
    read = _lock_read(read)
    read.status = ReadStatus.REJECTED
    read.reviewed_by = _user_or_none(actor)
    read.reviewed_at = timezone.now()
    read.review_note = note
    read.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return read


def _lock_read(read: MeterRead) -> MeterRead:
    if read is None or read.pk is None:
        raise InvalidInput(_("请选择读数。"), code="invalid_read", field="read")
    Account.objects.select_for_update().filter(pk=read.account_id).first()
    Meter.objects.select_for_update().filter(pk=read.meter_id).first()
    locked = MeterRead.objects.select_for_update().select_related("meter").get(pk=read.pk)
    if locked.status != ReadStatus.NEEDS_REVIEW:
        raise IllegalTransition(
            format_lazy(
                _("该读数状态为“{status}”，不在待复核状态。"), status=locked.get_status_display()
            ),
            code="read_not_pending",
        )
    earlier = MeterRead.objects.filter(
        meter_id=locked.meter_id,
        account_id=locked.account_id,
        status=ReadStatus.NEEDS_REVIEW,
    ).filter(Q(read_on__lt=locked.read_on) | Q(read_on=locked.read_on, pk__lt=locked.pk))
    if earlier.exists():
        raise IllegalTransition(
            _("该水表有更早的读数待复核，请按日期顺序复核。"), code="earlier_read_pending"
        )
    return locked


def _last_validated_before(read: MeterRead) -> MeterRead | None:
    return (
        MeterRead.objects.filter(
            meter_id=read.meter_id, account_id=read.account_id, status=ReadStatus.VALIDATED
        )
        .filter(Q(read_on__lt=read.read_on) | Q(read_on=read.read_on, pk__lt=read.pk))
        .order_by("-read_on", "-pk")
        .first()
    )


# --- meter exchange -------------------------------------------------------------------


class MeterExchange(NamedTuple):
    final_read: MeterRead  # of the old meter, kind final
    initial_read: MeterRead  # of the new meter, kind initial, consumption 0
    new_meter: Meter


@transaction.atomic
def meter_exchange_record(
    *,
    actor: Actor,
    account: Account,
    read_on: date,
    old_final_value,
    new_serial: str,
    new_size_dn: int,
    new_initial_value,
    old_meter: Meter | None = None,
    source: str = ReadSource.MANUAL,
    note: str = "",
) -> MeterExchange:
    """Replace the account's meter: the old meter's final read (consumption since its
    previous read, validated by the same rules as any read), the old meter removed, the
    new one installed at the account's premise with its initial read (consumption 0).
    Later reads of the new meter are measured from that initial read.

    Errors of the new meter (``invalid_meter_serial``, ``meter_in_use``,
    ``invalid_reading`` …) come from ``customers.services.meter_install``.
    """
    _require(actor, "billing.add_meterread")
    value = rules.clean_read_value(old_final_value, field="old_final_value")
    read_on = _clean_read_on(read_on)
    source = _clean_source(source, allowed=ReadSource.values)
    note = _clean_note(note)
    account = _lock_account(account)
    old = _resolve_meter(account=account, meter=old_meter)
    book = _ReadBook.load(meters=[old], accounts=[account], first_day=read_on, last_day=read_on)
    final_read = _record_read(
        book=book,
        actor=actor,
        account=account,
        meter=old,
        read_on=read_on,
        value=value,
        kind=ReadKind.FINAL,
        source=source,
        note=note,
        savepoint=False,
    )

    old.state = MeterState.REMOVED
    old.account = None
    _stamp(old, actor)
    old.save(update_fields=["state", "account"])

    new_meter = meter_install(
        actor=actor,
        meter_serial=new_serial,
        size_dn=new_size_dn,
        premise=account.premise,
        initial_reading=new_initial_value,
        installed_at=_install_time(read_on),
    )
    new_meter = meter_attach_to_account(actor=actor, meter=new_meter, account=account)
    initial_read = MeterRead(
        account=account,
        meter=new_meter,
        cycle=book.cycle_for(read_on),
        read_on=read_on,
        value=new_meter.initial_reading,
        kind=ReadKind.INITIAL,
        source=source,
        status=ReadStatus.VALIDATED,
        previous=None,
        consumption=Decimal("0.00"),
        issues=[],
        note=note,
        entered_by=_user_or_none(actor),
        entered_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            initial_read.save()
    except IntegrityError as error:
        raise _duplicate(new_meter, read_on) from error
    return MeterExchange(final_read, initial_read, new_meter)


def _install_time(read_on: date) -> datetime:
    if read_on == timezone.localdate():
        return timezone.now()
    return datetime.combine(read_on, time(12, 0), tzinfo=LOCAL_TZ)


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


# --- the shared recording path --------------------------------------------------------


@dataclass
class _LastRead:
    pk: int
    value: Decimal
    read_on: date


@dataclass
class _MeterState:
    last_validated: _LastRead | None = None
    latest_day: date | None = None  # of any read that is not rejected
    has_pending: bool = False


@dataclass
class _ReadBook:
    """What the rules need about a set of meters and accounts, loaded with a few queries
    and kept up to date as reads are added (a file may read a meter twice)."""

    policy: object
    cycles: list[ReadingCycle]
    meters: dict[tuple[int, int], _MeterState] = field(default_factory=dict)
    # (meter, day, kind) → (value, account id) of the reads already recorded
    existing: dict[tuple[int, date, str], tuple[Decimal, int]] = field(default_factory=dict)
    history: dict[int, list[rules.HistoryRead]] = field(default_factory=dict)  # newest first

    @classmethod
    def load(
        cls,
        *,
        meters: list[Meter],
        accounts: list[Account],
        first_day: date | None,
        last_day: date | None,
    ) -> _ReadBook:
        policy = reading_policy()
        book = cls(policy=policy, cycles=list(ReadingCycle.objects.order_by("read_from")))
        meter_ids = sorted({meter.pk for meter in meters})
        account_ids = sorted({account.pk for account in accounts})
        for chunk in _chunks(meter_ids):
            reads = MeterRead.objects.filter(meter_id__in=chunk)
            last_validated = (
                reads.filter(status=ReadStatus.VALIDATED)
                .annotate(
                    position=Window(
                        RowNumber(),
                        partition_by=[F("meter_id"), F("account_id")],
                        order_by=[F("read_on").desc(), F("pk").desc()],
                    )
                )
                .filter(position=1)
                .values_list("meter_id", "account_id", "pk", "value", "read_on")
            )
            for meter_id, account_id, pk, value, read_on in last_validated:
                book._state(meter_id, account_id).last_validated = _LastRead(pk, value, read_on)
            summary = (
                reads.exclude(status=ReadStatus.REJECTED)
                .values("meter_id", "account_id")
                .annotate(
                    latest=Max("read_on"),
                    pending=Count("pk", filter=Q(status=ReadStatus.NEEDS_REVIEW)),
                )
            )
            for row in summary:
                state = book._state(row["meter_id"], row["account_id"])
                state.latest_day = row["latest"]
                state.has_pending = row["pending"] > 0
            if first_day is not None:
                # A rejected read does not count: the meter may be read again that day.
                keys = (
                    reads.exclude(status=ReadStatus.REJECTED)
                    .filter(read_on__range=(first_day, last_day))
                    .values_list("meter_id", "read_on", "kind", "value", "account_id")
                )
                for meter_id, read_on, kind, value, account_id in keys:
                    book.existing[(meter_id, read_on, kind)] = (value, account_id)
        for chunk in _chunks(account_ids):
            history = (
                MeterRead.objects.filter(
                    account_id__in=chunk,
                    status=ReadStatus.VALIDATED,
                    previous__isnull=False,
                    consumption__isnull=False,
                )
                .annotate(
                    position=Window(
                        RowNumber(),
                        partition_by=[F("account_id")],
                        order_by=[F("read_on").desc(), F("pk").desc()],
                    )
                )
                .filter(position__lte=policy.history_reads)
                .order_by("account_id", "-read_on", "-pk")
                .values_list("account_id", "consumption", "read_on", "previous__read_on")
            )
            for account_id, consumption, read_on, previous_day in history:
                book.history.setdefault(account_id, []).append(
                    rules.HistoryRead(consumption, (read_on - previous_day).days)
                )
        return book

    def _state(self, meter_id: int, account_id: int) -> _MeterState:
        return self.meters.setdefault((meter_id, account_id), _MeterState())

    def cycle_for(self, day: date) -> ReadingCycle | None:
        for cycle in self.cycles:
            if cycle.read_from <= day <= cycle.read_to:
                return cycle
        return None

    def threshold(self, account_id: int, days: int | None) -> Decimal | None:
        if days is None:
            return None
        return rules.jump_threshold(
            history=self.history.get(account_id, []),
            days=days,
            factor=self.policy.jump_factor,
            min_reads=self.policy.min_history_reads,
            min_volume=self.policy.jump_min_volume,
        )

    def add(self, read: MeterRead, *, previous: _LastRead | None) -> None:
        self.existing[(read.meter_id, read.read_on, read.kind)] = (read.value, read.account_id)
        state = self._state(read.meter_id, read.account_id)
        state.latest_day = max(filter(None, [state.latest_day, read.read_on]))
        if read.status == ReadStatus.NEEDS_REVIEW:
            state.has_pending = True
        elif read.status == ReadStatus.VALIDATED:
            state.last_validated = _LastRead(read.pk, read.value, read.read_on)
            if previous is not None and read.consumption is not None:
                history = self.history.setdefault(read.account_id, [])
                history.insert(
                    0, rules.HistoryRead(read.consumption, (read.read_on - previous.read_on).days)
                )
                del history[self.policy.history_reads :]


def _record_read(
    *,
    book: _ReadBook,
    actor: Actor,
    account: Account,
    meter: Meter,
    read_on: date,
    value: Decimal,
    kind: str,
    source: str,
    note: str,
    savepoint: bool,
    import_batch: ReadImport | None = None,
) -> MeterRead:
    """Check one read against the book, decide its status and store it (the caller holds
    the account and meter locks)."""
    if value > Decimal(meter.max_reading):
        raise InvalidInput(
            format_lazy(_("读数不能超过水表最大读数{maximum}。"), maximum=meter.max_reading),
            code="read_over_maximum",
            field="value",
        )
    if read_on > timezone.localdate():
        raise InvalidInput(_("抄表日期不能晚于今天。"), code="read_in_future", field="read_on")
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(
            format_lazy(_("账户{number}已销户。"), number=account.number),
            code="account_closed",
            field="account",
        )
    if meter.state != MeterState.INSTALLED or meter.account_id != account.pk:
        raise InvalidInput(
            format_lazy(
                _("水表{serial}未安装在账户{number}上。"),
                serial=meter.serial,
                number=account.number,
            ),
            code="meter_not_on_account",
            field="meter",
        )
    installed_on = timezone.localtime(meter.installed_at).date() if meter.installed_at else None
    if installed_on is not None and read_on < installed_on:
        raise InvalidInput(
            format_lazy(_("抄表日期早于水表安装日期{day}。"), day=installed_on.isoformat()),
            code="read_before_install",
            field="read_on",
        )
    if (meter.pk, read_on, kind) in book.existing:
        raise _duplicate(meter, read_on)
    state = book._state(meter.pk, account.pk)
    if state.latest_day is not None and read_on < state.latest_day:
        raise InvalidInput(
            format_lazy(
                _("该表已有{day}的读数，不能补录更早日期的读数。"),
                day=state.latest_day.isoformat(),
            ),
            code="read_out_of_order",
            field="read_on",
        )

    previous = state.last_validated
    if previous is None:
        consumption = rules.compute_consumption(meter.initial_reading, value, meter.max_reading)
        days = rules.days_between(installed_on, read_on)
    else:
        consumption = rules.compute_consumption(previous.value, value, meter.max_reading)
        days = rules.days_between(previous.read_on, read_on)
    verdict = rules.evaluate_read(
        consumption=consumption,
        threshold=book.threshold(account.pk, days),
        is_first_read=previous is None,
        is_estimated=kind == ReadKind.ESTIMATED,
        previous_pending=state.has_pending,
    )
    read = MeterRead(
        account=account,
        meter=meter,
        cycle=book.cycle_for(read_on),
        read_on=read_on,
        value=value,
        kind=kind,
        source=source,
        status=verdict.status,
        previous_id=previous.pk if previous is not None else None,
        consumption=verdict.consumption,
        issues=list(verdict.issues),
        note=note,
        import_batch=import_batch,
        entered_by=_user_or_none(actor),
        entered_at=timezone.now(),
    )
    if savepoint:
        try:
            with transaction.atomic():
                read.save(force_insert=True)
        except IntegrityError as error:
            raise _duplicate(meter, read_on) from error
    else:
        read.save(force_insert=True)
    book.add(read, previous=previous)
    return read


def _duplicate(meter: Meter, read_on: date) -> InvalidInput:
    return InvalidInput(
        format_lazy(
            _("水表{serial}在{day}已有同类抄表记录。"), serial=meter.serial, day=read_on.isoformat()
        ),
        code="read_duplicate",
        field="read_on",
    )


# --- helpers --------------------------------------------------------------------------


def _require(actor: Actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise NotPermitted()


def _lock_account(account: Account | None) -> Account:
    if account is None or account.pk is None:
        raise InvalidInput(_("请选择账户。"), code="invalid_account", field="account")
    try:
        return (
            Account.objects.select_for_update(of=("self",))
            .select_related("premise")
            .get(pk=account.pk)
        )
    except Account.DoesNotExist as error:
        raise InvalidInput(_("账户不存在。"), code="invalid_account", field="account") from error


def _resolve_meter(*, account: Account, meter: Meter | None) -> Meter:
    if meter is not None:
        if meter.pk is None:
            raise InvalidInput(_("水表不存在。"), code="unknown_meter", field="meter")
        locked = Meter.objects.select_for_update().filter(pk=meter.pk).first()
        if locked is None:
            raise InvalidInput(_("水表不存在。"), code="unknown_meter", field="meter")
        return locked
    installed = list(
        Meter.objects.select_for_update()
        .filter(account=account, state=MeterState.INSTALLED)
        .order_by("pk")
    )
    return _only_installed_meter(account, installed)


def _only_installed_meter(account: Account, installed: list[Meter]) -> Meter:
    if not installed:
        raise InvalidInput(
            format_lazy(_("账户{number}没有在用水表。"), number=account.number),
            code="no_meter",
            field="meter",
        )
    if len(installed) > 1:
        raise InvalidInput(
            format_lazy(_("账户{number}有多块在用水表，请填写表号。"), number=account.number),
            code="meter_ambiguous",
            field="meter",
        )
    return installed[0]


def _clean_kind(kind, *, allowed: Iterable[str]) -> str:
    if kind not in allowed:
        raise InvalidInput(_("抄表类型不正确。"), code="invalid_read_kind", field="kind")
    return str(kind)


def _clean_source(source, *, allowed: Iterable[str]) -> str:
    if source not in allowed:
        raise InvalidInput(_("数据来源不正确。"), code="invalid_read_source", field="source")
    return str(source)


def _clean_read_on(read_on) -> date:
    if isinstance(read_on, datetime):
        raise TypeError("read_on is a date, not a datetime")
    if isinstance(read_on, date):
        return read_on
    try:
        return date.fromisoformat(str(read_on).strip())
    except ValueError as error:
        raise InvalidInput(
            _("抄表日期应为 YYYY-MM-DD 格式的日期。"), code="invalid_read_date", field="read_on"
        ) from error


def _clean_note(note, *, field: str = "note") -> str:
    text = " ".join(str(note or "").split())
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            format_lazy(_("说明不能超过{limit}个字。"), limit=NOTE_MAX_LENGTH),
            code="invalid_note",
            field=field,
        )
    return text


def _clean_file_name(name) -> str:
    base = os.path.basename(str(name or "").replace("\\", "/")).strip()
    return base[:200] or "reads.csv"


def _normalise(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _user_or_none(actor: Actor):
    return actor if actor is not None and getattr(actor, "pk", None) is not None else None


def _stamp(instance, actor: Actor) -> None:
    user = _user_or_none(actor)
    if user is not None:
        instance._history_user = user  # read by django-simple-history

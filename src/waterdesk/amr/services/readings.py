"""Readings pushed by a head-end, or imported from its export file.

Idempotent by meter and timestamp: a reading whose (meter, ``read_at``) is already stored —
or appears earlier in the same batch — is counted as a duplicate and stores nothing. The
insert is set-based (``bulk_create(ignore_conflicts=True)`` on the unique constraint
``remotereading_unique_meter_time``), so a batch of thousands costs a few queries. Pushes
of one head-end are serialised (its row is locked), so the counts are exact; a reading that
another head-end's concurrent push stored for the same meter and time would be counted as
stored by both, yet kept once.

Each item is judged on its own; a refused item does not stop the others. Refusals (codes):
``unknown_meter`` (no remote meter with that device id, or one no longer in use),
``meter_of_another_head_end``, ``invalid_value`` (not a number ≥ 0 with at most three
decimals), ``invalid_timestamp``, ``reading_in_future``, ``older_than_billed_read`` (the
reading's local day is before the meter's last validated billing read: a late reading may
not rewrite a billed period), ``invalid_flag``.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.models import HeadEnd, RemoteImport, RemoteMeter, RemoteReading
from waterdesk.billing.models import MeterRead, ReadStatus
from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.core.timeutil import LOCAL_TZ, local

PUSH_LIMIT = 5000  # items per request
IMPORT_MAX_BYTES = 20 * 1024 * 1024
IMPORT_PERMISSION = "amr.import_remote_reading"
_CHUNK = 500
_PLACES = Decimal("0.001")
_VALUE_LIMIT = Decimal("1000000000")

REFUSALS = {
    "unknown_meter": _("未登记的远传设备号。"),
    "meter_of_another_head_end": _("该设备属于其他远传主站。"),
    "invalid_value": _("读数应为不小于0、最多三位小数的数字。"),
    "invalid_timestamp": _("读数时间格式不正确（应为 ISO 8601，如 2026-12-01T08:00:00+08:00）。"),
    "reading_in_future": _("读数时间晚于当前时间。"),
    "older_than_billed_read": _("读数早于该表最近一次已结算的抄表读数，不予接收。"),
    "invalid_flag": _("标志或电量格式不正确。"),
}


@dataclass
class PushResult:
    received: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: list[dict] = field(default_factory=list)  # {"index", "device_id", "code", "message"}


@dataclass
class _Item:
    index: int
    device_id: str
    read_at: datetime
    value: Decimal
    flags: dict


def _refuse(result: PushResult, index: int, device_id, code: str) -> None:
    result.rejected.append(
        {
            "index": index,
            "device_id": str(device_id or "")[:40],
            "code": code,
            "message": str(REFUSALS[code]),
        }
    )


def _value(raw) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0 or number >= _VALUE_LIMIT:
        return None
    return number if number == number.quantize(_PLACES) else None


def _timestamp(raw) -> datetime | None:
    if isinstance(raw, datetime):
        moment = raw
    else:
        try:
            moment = parse_datetime(str(raw or "").strip())
        except ValueError:
            return None
    if moment is None:
        return None
    if timezone.is_naive(moment):  # a head-end's local time
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"", "0", "false", "no", "n", "否"}


def _flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


def _flags(item: dict) -> dict:
    flags = {name: _flag(item.get(name)) for name in ("reverse_flow", "low_battery", "leak")}
    night = item.get("night_flow")
    if night not in (None, ""):
        night_flow = _value(night)
        if night_flow is None:
            raise ValueError(night)
        flags["night_flow"] = night_flow
    battery = item.get("battery_percent")
    if battery not in (None, ""):
        percent = int(str(battery).strip())
        if not 0 <= percent <= 100:
            raise ValueError(battery)
        flags["battery_percent"] = percent
    return flags


def _parse(result: PushResult, index: int, item) -> _Item | None:
    if not isinstance(item, dict):
        _refuse(result, index, "", "invalid_value")
        return None
    device_id = str(item.get("device_id") or "").strip()
    value = _value(item.get("value"))
    if value is None:
        _refuse(result, index, device_id, "invalid_value")
        return None
    read_at = _timestamp(item.get("read_at"))
    if read_at is None:
        _refuse(result, index, device_id, "invalid_timestamp")
        return None
    if read_at > timezone.now():
        _refuse(result, index, device_id, "reading_in_future")
        return None
    try:
        flags = _flags(item)
    except (TypeError, ValueError):
        _refuse(result, index, device_id, "invalid_flag")
        return None
    return _Item(index, device_id, read_at, value, flags)


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _last_billed_days(meter_ids: list[int]) -> dict[int, object]:
    """customers.Meter id → the day of its latest validated (billable) read."""
    days: dict[int, object] = {}
    for chunk in _chunks(meter_ids):
        rows = (
            MeterRead.objects.filter(meter_id__in=chunk, status=ReadStatus.VALIDATED)
            .values("meter_id")
            .annotate(last=Max("read_on"))
        )
        days.update({row["meter_id"]: row["last"] for row in rows})
    return days


def _ingest(
    *, head_end: HeadEnd, items: list, batch: RemoteImport | None = None, offset: int = 0
) -> PushResult:
    result = PushResult(received=len(items))
    parsed = [p for index, item in enumerate(items) if (p := _parse(result, index + offset, item))]
    device_ids = sorted({item.device_id for item in parsed})
    meters: dict[str, RemoteMeter] = {}
    for chunk in _chunks(device_ids):
        for meter in RemoteMeter.objects.filter(device_id__in=chunk, is_active=True):
            meters[meter.device_id] = meter
    billed = _last_billed_days(sorted({meter.meter_id for meter in meters.values()}))

    accepted: list[tuple[_Item, RemoteMeter]] = []
    for item in parsed:
        meter = meters.get(item.device_id)
        if meter is None:
            _refuse(result, item.index, item.device_id, "unknown_meter")
        elif meter.head_end_id != head_end.pk:
            _refuse(result, item.index, item.device_id, "meter_of_another_head_end")
        elif (day := billed.get(meter.meter_id)) is not None and local(item.read_at).date() < day:
            _refuse(result, item.index, item.device_id, "older_than_billed_read")
        else:
            accepted.append((item, meter))

    # What is stored already (or earlier in this batch) is a duplicate.
    seen: set[tuple[int, datetime]] = set()
    if accepted:
        first = min(item.read_at for item, _meter in accepted)
        last = max(item.read_at for item, _meter in accepted)
        ids = sorted({meter.pk for _item, meter in accepted})
        for chunk in _chunks(ids):
            seen.update(
                RemoteReading.objects.filter(
                    remote_meter_id__in=chunk, read_at__range=(first, last)
                ).values_list("remote_meter_id", "read_at")
            )
    now = timezone.now()
    rows: list[RemoteReading] = []
    newest: dict[int, RemoteReading] = {}
    for item, meter in accepted:
        key = (meter.pk, item.read_at)
        if key in seen:
            result.duplicate += 1
            continue
        seen.add(key)
        reading = RemoteReading(
            remote_meter_id=meter.pk,
            read_at=item.read_at,
            value=item.value,
            received_at=now,
            import_batch=batch,
            **item.flags,
        )
        rows.append(reading)
        if meter.pk not in newest or newest[meter.pk].read_at < item.read_at:
            newest[meter.pk] = reading
    before = len(rows)
    if rows:
        RemoteReading.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    result.stored = before
    _meters_update(meters, newest)
    result.rejected.sort(key=lambda row: row["index"])
    return result


def _meters_update(meters: dict[str, RemoteMeter], newest: dict[int, RemoteReading]) -> None:
    """What each meter last told us, from its newest reading of the batch (when newer than
    what we knew)."""
    changed = []
    for meter in meters.values():
        reading = newest.get(meter.pk)
        if reading is None or (meter.last_seen_at and meter.last_seen_at >= reading.read_at):
            continue
        meter.last_seen_at = reading.read_at
        meter.last_value = reading.value
        if reading.battery_percent is not None:
            meter.battery_percent = reading.battery_percent
        changed.append(meter)
    if changed:
        RemoteMeter.objects.bulk_update(
            changed, ["last_seen_at", "last_value", "battery_percent"], batch_size=500
        )


@transaction.atomic
def readings_push(*, head_end: HeadEnd, items: list) -> PushResult:
    """A head-end's batch of readings (at most ``PUSH_LIMIT`` items): each stored once."""
    if not isinstance(items, list) or len(items) > PUSH_LIMIT:
        raise InvalidInput(
            _("每次最多推送 %(limit)s 条读数，请分批推送。") % {"limit": PUSH_LIMIT},
            code="batch_too_large",
            field="readings",
        )
    head_end = HeadEnd.objects.select_for_update().get(pk=head_end.pk)  # one batch at a time
    return _ingest(head_end=head_end, items=items)


# --- files ----------------------------------------------------------------------------------

# Header names a head-end's export may use (English or Chinese).
COLUMNS = {
    "device_id": ("device_id", "设备号", "imei"),
    "read_at": ("read_at", "读数时间", "时间"),
    "value": ("value", "读数", "累计读数"),
    "reverse_flow": ("reverse_flow", "倒流"),
    "low_battery": ("low_battery", "低电量"),
    "leak": ("leak", "漏水"),
    "night_flow": ("night_flow", "夜间流量"),
    "battery_percent": ("battery_percent", "电量"),
}


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise InvalidInput(
            _("文件编码无法识别，请导出为 UTF-8 或 GB18030 编码的 CSV。"),
            code="import_encoding",
            field="file",
        ) from None


def _rows(text: str) -> list[dict]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InvalidInput(_("文件为空。"), code="import_empty", field="file")
    names = {}
    for position, title in enumerate(header):
        title = title.strip().lower()
        for name, aliases in COLUMNS.items():
            if title in aliases:
                names[position] = name
    if not {"device_id", "read_at", "value"} <= set(names.values()):
        raise InvalidInput(
            _("文件表头须包含设备号、读数时间和读数（device_id, read_at, value）。"),
            code="import_header",
            field="file",
        )
    return [
        {names[pos]: cell for pos, cell in enumerate(row) if pos in names}
        for row in reader
        if any(cell.strip() for cell in row)
    ]


@transaction.atomic
def readings_import(*, actor, head_end: HeadEnd, file_name: str, content: bytes) -> RemoteImport:
    """A head-end's export (CSV, UTF-8 or GB18030, header row): every good line stored once
    (the same idempotency as the push), every bad line listed with its line number."""
    require_permission(actor, IMPORT_PERMISSION)
    if len(content) > IMPORT_MAX_BYTES:
        raise InvalidInput(_("文件过大。"), code="import_too_large", field="file")
    text, encoding = _decode(content)
    rows = _rows(text)
    if not rows:
        raise InvalidInput(_("文件没有数据行。"), code="import_empty", field="file")
    batch = RemoteImport.objects.create(
        head_end=head_end,
        file_name=(file_name or "")[:200],
        encoding=encoding,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    result = PushResult()
    for start in range(0, len(rows), PUSH_LIMIT):
        part = _ingest(
            head_end=head_end, items=rows[start : start + PUSH_LIMIT], batch=batch, offset=start
        )
        result.received += part.received
        result.stored += part.stored
        result.duplicate += part.duplicate
        result.rejected += part.rejected
    batch.received = result.received
    batch.stored = result.stored
    batch.duplicate = result.duplicate
    batch.rejected = len(result.rejected)
    batch.errors = [
        {"line": row["index"] + 2, "code": row["code"], "message": row["message"]}
        for row in result.rejected
    ]  # line 1 is the header
    batch.save()
    return batch


def refusal_text(code: str) -> str:
    return gettext(str(REFUSALS.get(code, code)))

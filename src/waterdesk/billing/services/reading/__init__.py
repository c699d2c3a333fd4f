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

from waterdesk.billing.services.reading.common import (
    CYCLE_CODE_MAX_LENGTH,
    DUE_DAYS_MAX,
    FIELD_KINDS,
    IMPORT_SOURCES,
    NOTE_MAX_LENGTH,
    READ_IMPORT_MAX_BYTES,
    RECORDABLE_KINDS,
)
from waterdesk.billing.services.reading.corrections import meter_read_correct
from waterdesk.billing.services.reading.cycles import reading_cycle_create
from waterdesk.billing.services.reading.imports import read_import_csv
from waterdesk.billing.services.reading.reads import (
    MeterExchange,
    meter_exchange_record,
    meter_read_approve,
    meter_read_record,
    meter_read_reject,
)

__all__ = [
    "CYCLE_CODE_MAX_LENGTH",
    "DUE_DAYS_MAX",
    "FIELD_KINDS",
    "IMPORT_SOURCES",
    "NOTE_MAX_LENGTH",
    "READ_IMPORT_MAX_BYTES",
    "RECORDABLE_KINDS",
    "MeterExchange",
    "meter_exchange_record",
    "meter_read_approve",
    "meter_read_correct",
    "meter_read_record",
    "meter_read_reject",
    "read_import_csv",
    "reading_cycle_create",
]

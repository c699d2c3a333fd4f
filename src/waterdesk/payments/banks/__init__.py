"""Bank file formats for direct debit (银行代扣), one module per bank, behind one interface.

A format writes the debit file of a batch (``render``) and reads the bank's result file
(``parse_result``) into ``ResultRow``s — one per line, a malformed line as a ``ResultRow``
with ``error`` set and nothing else trusted. The layouts are documented in each module's
docstring and in docs/bank-files.md. Register a new bank in ``BANKS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

# What a result line says about the debit.
PAID = "paid"
FAILED = "failed"
UNKNOWN_ACCOUNT = "unknown_account"


@dataclass(frozen=True)
class DebitRow:
    """One line of a debit file."""

    line_no: int
    bank_account_number: str
    holder_name: str
    amount: Decimal  # yuan
    account_number: str  # the water account
    bill_numbers: str


@dataclass(frozen=True)
class ResultRow:
    """One line of a result file. ``file_line`` is its line number in the file (1-based,
    the header counted). With ``error`` set the line could not be read."""

    file_line: int
    line_no: int | None = None
    bank_account_number: str = ""
    amount: Decimal | None = None
    outcome: str = ""  # PAID, FAILED or UNKNOWN_ACCOUNT
    reason_code: str = ""
    reason_text: str = ""
    error: str = ""


def result_row(
    file_line: int,
    *,
    line_no: str,
    bank_account_number: str,
    amount: Decimal,
    code: str,
    text: str,
    paid_code: str,
    unknown_codes: frozenset[str],
) -> ResultRow:
    """A result line read by a format: its outcome from the bank's result code (the paid
    code, one of the unknown-account codes, or any other code: failed)."""
    if not code:
        return ResultRow(file_line=file_line, error=_("缺少结果码"))
    if code == paid_code:
        outcome = PAID
    elif code in unknown_codes:
        outcome = UNKNOWN_ACCOUNT
    else:
        outcome = FAILED
    return ResultRow(
        file_line=file_line,
        line_no=int(line_no),
        bank_account_number=bank_account_number,
        amount=amount,
        outcome=outcome,
        reason_code=code,
        reason_text=text[:100],
    )


class BankFormat(Protocol):
    code: str  # lower case, e.g. "icbc"; payments record source "bank:<code>"
    name: str  # the bank's name as staff know it

    def file_name(self, reference: str) -> str: ...

    def render(self, *, reference: str, created_on: date, rows: list[DebitRow]) -> bytes: ...

    def parse_result(self, content: bytes) -> list[ResultRow]: ...


def _registry() -> dict[str, BankFormat]:
    from waterdesk.payments.banks import ccb, icbc

    return {module.FORMAT.code: module.FORMAT for module in (icbc, ccb)}


def bank_formats() -> dict[str, BankFormat]:
    """Every bank the utility sends debit files to, by code."""
    return _registry()


def bank_format(code: str) -> BankFormat | None:
    return _registry().get(str(code or "").lower())


def bank_choices() -> list[tuple[str, str]]:
    return [(code, fmt.name) for code, fmt in _registry().items()]


def bank_name(code: str) -> str:
    fmt = bank_format(code)
    return fmt.name if fmt else code

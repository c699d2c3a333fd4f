"""CCB (中国建设银行) direct-debit files: pipe-delimited records, UTF-8, amounts in fen.

Debit file ``CCB-20261206-01.txt`` (UTF-8 without BOM, LF line ends, fields separated by
``|``; a ``|`` in a name is replaced by a space). A header record, one detail record per
debit, a trailer record::

    H|CCB-20261206-01|20261206|2|25000
    D|1|6217000010001234567|李四|12850|1001000123|B202603-000123
    D|2|6217000010007654321|王五|12150|1001000456|
    T|2|25000

H: record type, batch reference, creation date (YYYYMMDD), number of detail records, total
in fen. D: record type, line number in the batch, bank account (digits), holder, amount in
fen (integer), water account number, bills debited (space-separated, may be empty). T:
record type, number of detail records, total in fen.

Result file (回盘, UTF-8, same separators): an optional ``H|<reference>|…`` header, detail
records ``D|<line number>|<bank account>|<amount in fen>|<result code>|<message>`` and an
optional ``T|…`` trailer (H and T records are not checked).

Result codes: ``00`` debited (paid); ``14`` no such bank account (unknown account); any
other code is a failed debit with the bank's code and message, e.g. ``51`` 余额不足
(insufficient funds), ``62`` 账户冻结 (account frozen), ``54`` 账户已销户 (account closed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from waterdesk.payments.banks import DebitRow, ResultRow, result_row

PAID_CODE = "00"
UNKNOWN_ACCOUNT_CODES = frozenset({"14"})
RESULT_FIELDS = 6


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class CcbFormat:
    code = "ccb"
    name = "中国建设银行"

    def file_name(self, reference: str) -> str:
        return f"{reference}.txt"

    def render(self, *, reference: str, created_on: date, rows: list[DebitRow]) -> bytes:
        total = sum(_fen(row.amount) for row in rows)
        lines = [f"H|{reference}|{created_on:%Y%m%d}|{len(rows)}|{total}"]
        for row in rows:
            holder = row.holder_name.replace("|", " ")
            lines.append(
                f"D|{row.line_no}|{row.bank_account_number}|{holder}|{_fen(row.amount)}|"
                f"{row.account_number}|{row.bill_numbers}"
            )
        lines.append(f"T|{len(rows)}|{total}")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def parse_result(self, content: bytes) -> list[ResultRow]:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [ResultRow(file_line=1, error=_("文件不是 UTF-8 编码"))]
        rows: list[ResultRow] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            fields = [field.strip() for field in line.split("|")]
            if fields[0] in {"H", "T"}:
                continue
            rows.append(_parse_detail(number, fields))
        return rows


def _parse_detail(number: int, fields: list[str]) -> ResultRow:
    if fields[0] != "D":
        return ResultRow(file_line=number, error=_("记录类型应为 H、D 或 T"))
    if len(fields) != RESULT_FIELDS:
        return ResultRow(
            file_line=number, error=_("明细记录应有 %(count)s 个字段") % {"count": RESULT_FIELDS}
        )
    _kind, line_no, bank_account, fen, code, message = fields
    if not line_no.isdigit():
        return ResultRow(file_line=number, error=_("序号不是数字"))
    if not fen.isdigit() or len(fen) > 15:
        return ResultRow(file_line=number, error=_("金额应为以分为单位的整数"))
    return result_row(
        number,
        line_no=line_no,
        bank_account_number=bank_account,
        amount=Decimal(int(fen)) / 100,
        code=code,
        text=message,
        paid_code=PAID_CODE,
        unknown_codes=UNKNOWN_ACCOUNT_CODES,
    )


FORMAT = CcbFormat()

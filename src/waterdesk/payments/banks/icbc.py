"""ICBC (中国工商银行) direct-debit files: CSV with a header row, GBK, amounts in yuan.

Debit file ``ICBC-20261206-01.csv`` (GBK, CRLF line ends, comma-separated, no quoting —
names and numbers never contain commas; a comma in a name is replaced by a space)::

    序号,批次号,银行账号,户名,金额,户号,账单号
    1,ICBC-20261206-01,6222020200112233445,张三,128.50,1001000123,B202603-000123 B202602-000123

Columns: 序号 the line number in the batch (1, 2, …); 批次号 the batch reference; 银行账号
the debited bank account (digits); 户名 the account holder; 金额 yuan with two decimals;
户号 the water account number; 账单号 the bills debited, space-separated (may be empty).

Result file (回盘, GBK, CSV with a header row, LF or CRLF)::

    序号,银行账号,金额,结果码,结果说明
    1,6222020200112233445,128.50,0000,成功

结果码: ``0000`` debited (paid); ``1001`` no such bank account / account closed (unknown
account); any other code is a failed debit with the bank's code and text, e.g. ``3001``
余额不足 (insufficient funds), ``3002`` 账户冻结 (account frozen), ``3003`` 户名不符 (name
does not match).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from waterdesk.payments.banks import DebitRow, ResultRow, result_row

DEBIT_HEADER = ["序号", "批次号", "银行账号", "户名", "金额", "户号", "账单号"]
RESULT_HEADER = ["序号", "银行账号", "金额", "结果码", "结果说明"]
PAID_CODE = "0000"
UNKNOWN_ACCOUNT_CODES = frozenset({"1001"})


class IcbcFormat:
    code = "icbc"
    name = "中国工商银行"

    def file_name(self, reference: str) -> str:
        return f"{reference}.csv"

    def render(self, *, reference: str, created_on: date, rows: list[DebitRow]) -> bytes:
        lines = [",".join(DEBIT_HEADER)]
        for row in rows:
            holder = row.holder_name.replace(",", " ")
            lines.append(
                f"{row.line_no},{reference},{row.bank_account_number},{holder},"
                f"{row.amount:.2f},{row.account_number},{row.bill_numbers}"
            )
        return ("\r\n".join(lines) + "\r\n").encode("gbk", errors="replace")

    def parse_result(self, content: bytes) -> list[ResultRow]:
        try:
            text = content.decode("gbk")
        except UnicodeDecodeError:
            return [ResultRow(file_line=1, error=_("文件不是 GBK 编码"))]
        rows: list[ResultRow] = []
        reader = csv.reader(io.StringIO(text))
        for number, fields in enumerate(reader, start=1):
            if number == 1:
                if [field.strip() for field in fields] != RESULT_HEADER:
                    rows.append(ResultRow(file_line=1, error=_("表头不符")))
                    return rows
                continue
            if not any(field.strip() for field in fields):
                continue  # a blank line
            rows.append(_parse_line(number, fields))
        return rows


def _parse_line(number: int, fields: list[str]) -> ResultRow:
    if len(fields) != len(RESULT_HEADER):
        return ResultRow(
            file_line=number, error=_("列数应为 %(count)s") % {"count": len(RESULT_HEADER)}
        )
    line_no, bank_account, amount, code, text = (field.strip() for field in fields)
    if not line_no.isdigit():
        return ResultRow(file_line=number, error=_("序号不是数字"))
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return ResultRow(file_line=number, error=_("金额格式不正确"))
    if not value.is_finite() or value.as_tuple().exponent < -2:
        return ResultRow(file_line=number, error=_("金额格式不正确"))
    return result_row(
        number,
        line_no=line_no,
        bank_account_number=bank_account,
        amount=value,
        code=code,
        text=text,
        paid_code=PAID_CODE,
        unknown_codes=UNKNOWN_ACCOUNT_CODES,
    )


FORMAT = IcbcFormat()

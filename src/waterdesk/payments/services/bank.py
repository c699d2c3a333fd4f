"""Bank direct debit (银行代扣): mandates, debit batches and the bank's result files.

- A mandate lets one bank debit one bank account for one water account; at most one is
  active per water account (a conditional unique constraint). Only the billing office
  (``payments.manage_bank_debit``) signs, suspends and cancels them.
- ``debit_batch_create`` writes one bank's debit file: every account with an active mandate
  at that bank owing money on items due up to the date, except accounts with a line still
  waiting for a bank's answer (no double debit). The exact file content is kept.
- ``debit_result_import`` reads the bank's result file line by line: a paid line posts a
  payment through ``payment_record`` keyed ``bank:<code>`` / ``<batch reference>:<line no>``
  (so it posts exactly once, whatever file repeats it); a failed line keeps the bank's code
  and text; malformed lines and lines not in the batch are reported with their line number
  and reason while the good lines post. The same file (by SHA-256) imported again posts
  nothing and answers with the first import.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.payments.banks import FAILED, PAID, UNKNOWN_ACCOUNT, DebitRow, bank_format
from waterdesk.payments.models import (
    BankMandate,
    BankResultImport,
    DebitBatch,
    DebitBatchStatus,
    DebitLine,
    DebitLineStatus,
    MandateStatus,
    PaymentChannel,
    PaymentMethod,
)
from waterdesk.payments.services.record import payment_record

PERMISSION = "payments.manage_bank_debit"
BANK_ACCOUNT_RE = re.compile(r"^\d{10,30}$")
HOLDER_MAX_LENGTH = 100
MAX_RESULT_FILE_BYTES = 5 * 1024 * 1024
BILL_NUMBERS_MAX_LENGTH = 300


def _check(actor) -> None:
    if actor is None or not actor.has_perm(PERMISSION):
        raise NotPermitted()


def bank_account_number_clean(value) -> str:
    """Digits only (spaces and dashes as people write them are dropped), 10 to 30 of them."""
    text = re.sub(r"[\s-]", "", str(value or ""))
    if not BANK_ACCOUNT_RE.match(text):
        raise InvalidInput(
            _("银行账号应为 10 到 30 位数字。"),
            code="invalid_bank_account",
            field="bank_account_number",
        )
    return text


def _bank(code: str):
    fmt = bank_format(code)
    if fmt is None:
        raise InvalidInput(_("不支持该银行。"), code="unknown_bank", field="bank_code")
    return fmt


# --- mandates --------------------------------------------------------------------------


@transaction.atomic
def mandate_create(
    *,
    actor,
    account: Account,
    bank_code: str,
    bank_account_number: str,
    holder_name: str,
    signed_on: date | None = None,
) -> BankMandate:
    _check(actor)
    fmt = _bank(bank_code)
    number = bank_account_number_clean(bank_account_number)
    holder = str(holder_name or "").strip()
    if not holder or len(holder) > HOLDER_MAX_LENGTH:
        raise InvalidInput(
            _("请填写账户名（不超过 100 个字）。"), code="invalid_holder", field="holder_name"
        )
    Account.objects.select_for_update().get(pk=account.pk)  # one signing at a time
    if BankMandate.objects.filter(account=account, status=MandateStatus.ACTIVE).exists():
        raise IllegalTransition(
            _("该户已有有效的代扣协议，请先撤销。"), code="mandate_exists", field="account"
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            return BankMandate.objects.create(
                account=account,
                bank_code=fmt.code,
                bank_account_number=number,
                holder_name=holder,
                signed_on=signed_on or local(now).date(),
                created_by=actor,
                created_at=now,
            )
    except IntegrityError as exc:
        raise IllegalTransition(
            _("该户已有有效的代扣协议，请先撤销。"), code="mandate_exists", field="account"
        ) from exc


def _move(actor, mandate: BankMandate, *, allowed: set[str], to: str) -> BankMandate:
    _check(actor)
    mandate = BankMandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.status not in allowed:
        raise IllegalTransition()
    mandate.status = to
    fields = ["status"]
    if to == MandateStatus.CANCELLED:
        mandate.cancelled_on = timezone.localdate()
        fields.append("cancelled_on")
    try:
        with transaction.atomic():
            mandate.save(update_fields=fields)
    except IntegrityError as exc:  # resuming while another mandate became active
        raise IllegalTransition(
            _("该户已有有效的代扣协议，请先撤销。"), code="mandate_exists"
        ) from exc
    return mandate


@transaction.atomic
def mandate_suspend(*, actor, mandate: BankMandate) -> BankMandate:
    return _move(actor, mandate, allowed={MandateStatus.ACTIVE}, to=MandateStatus.SUSPENDED)


@transaction.atomic
def mandate_resume(*, actor, mandate: BankMandate) -> BankMandate:
    return _move(actor, mandate, allowed={MandateStatus.SUSPENDED}, to=MandateStatus.ACTIVE)


@transaction.atomic
def mandate_cancel(*, actor, mandate: BankMandate) -> BankMandate:
    return _move(
        actor,
        mandate,
        allowed={MandateStatus.ACTIVE, MandateStatus.SUSPENDED},
        to=MandateStatus.CANCELLED,
    )


# --- debit batches ---------------------------------------------------------------------


def _next_reference(code: str, day: date) -> str:
    prefix = f"{code.upper()}-{day:%Y%m%d}-"
    taken = DebitBatch.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{taken + 1:02d}"


def accounts_awaiting_result() -> set[int]:
    """Accounts with a debit line the bank has not answered yet (in any batch)."""
    return set(
        DebitLine.objects.filter(status=DebitLineStatus.PENDING).values_list(
            "account_id", flat=True
        )
    )


@transaction.atomic
def debit_batch_create(*, actor, bank_code: str, due_up_to: date) -> DebitBatch:
    """The batch and debit file of one bank (see the module docstring); refused with
    ``nothing_to_debit`` when no account qualifies."""
    _check(actor)
    fmt = _bank(bank_code)
    # One batch at a time per bank: the reference's sequence and the exclusion hold.
    list(BankMandate.objects.select_for_update().filter(bank_code=fmt.code, status="active"))
    waiting = accounts_awaiting_result()
    today = timezone.localdate()
    mandates = (
        BankMandate.objects.filter(bank_code=fmt.code, status=MandateStatus.ACTIVE)
        .exclude(account_id__in=waiting)
        .select_related("account")
        .order_by("account__number")
    )
    rows: list[DebitRow] = []
    planned: list[tuple[BankMandate, Decimal, str]] = []
    for mandate in mandates:
        notice = account_fee_notice(mandate.account, as_of=today)
        items = [item for item in notice.items if item.due <= due_up_to]
        amount = sum((item.unpaid for item in items), Decimal("0.00"))
        if amount <= 0:
            continue
        bills = " ".join(item.bill.number for item in items if item.bill is not None)
        bills = bills[:BILL_NUMBERS_MAX_LENGTH]
        rows.append(
            DebitRow(
                line_no=len(rows) + 1,
                bank_account_number=mandate.bank_account_number,
                holder_name=mandate.holder_name,
                amount=amount,
                account_number=mandate.account.number,
                bill_numbers=bills,
            )
        )
        planned.append((mandate, amount, bills))
    if not rows:
        raise InvalidInput(
            _("没有需要代扣的账户（截止日前无欠费，或都在等待银行回盘）。"),
            code="nothing_to_debit",
            field="due_up_to",
        )
    reference = _next_reference(fmt.code, today)
    content = fmt.render(reference=reference, created_on=today, rows=rows)
    batch = DebitBatch.objects.create(
        bank_code=fmt.code,
        reference=reference,
        due_up_to=due_up_to,
        created_by=actor,
        created_at=timezone.now(),
        line_count=len(rows),
        total=sum((row.amount for row in rows), Decimal("0.00")),
        file_name=fmt.file_name(reference),
        content=content,
    )
    DebitLine.objects.bulk_create(
        DebitLine(
            batch=batch,
            line_no=row.line_no,
            mandate=mandate,
            account=mandate.account,
            amount=amount,
            bill_numbers=bills,
        )
        for row, (mandate, amount, bills) in zip(rows, planned, strict=True)
    )
    return batch


# --- result files ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResultImported:
    result: BankResultImport
    repeat: bool  # True: this very file was imported before; nothing was done


def _entry(row, outcome: str, detail: str = "") -> dict:
    return {
        "line": row.file_line,
        "line_no": row.line_no,
        "outcome": outcome,
        "code": row.reason_code,
        "detail": detail or row.reason_text,
    }


def _import_row(batch: DebitBatch, fmt, row, lines: dict[int, DebitLine], seen: set[int]):
    """The report entry of one result line (and its effect)."""
    if row.error:
        return _entry(row, "error", row.error)
    line = lines.get(row.line_no)
    if line is None:
        return _entry(row, "error", _("序号 %(no)s 不在本批次中") % {"no": row.line_no})
    if row.line_no in seen:
        return _entry(row, "error", _("序号 %(no)s 在文件中重复") % {"no": row.line_no})
    seen.add(row.line_no)
    if row.bank_account_number != line.mandate.bank_account_number:
        return _entry(row, "error", _("银行账号与扣款文件不符"))
    if row.amount != line.amount:
        return _entry(
            row,
            "error",
            _("金额 %(got)s 与扣款文件的 %(want)s 不符")
            % {"got": f"{row.amount:.2f}", "want": f"{line.amount:.2f}"},
        )
    if row.outcome == PAID:
        if line.status == DebitLineStatus.PAID:
            return _entry(row, "already_posted", _("已入账"))
        if line.status != DebitLineStatus.PENDING:
            return _entry(row, "error", _("该笔此前已回盘为未成功，不能改为成功"))
        recorded = payment_record(
            account=line.account,
            amount=line.amount,
            channel=PaymentChannel.BANK,
            method=PaymentMethod.BANK_DEBIT,
            source=f"bank:{fmt.code}",
            external_id=f"{batch.reference}:{line.line_no}",
            note=line.bill_numbers[:200],
        )
        line.status = DebitLineStatus.PAID
        line.payment = recorded.payment
        line.reason_code = row.reason_code
        line.reason_text = row.reason_text
        line.save(update_fields=["status", "payment", "reason_code", "reason_text"])
        return _entry(row, "paid" if recorded.created else "already_posted")
    if line.status == DebitLineStatus.PAID:
        return _entry(row, "error", _("该笔此前已回盘为成功并入账，不能改为失败"))
    line.status = (
        DebitLineStatus.FAILED if row.outcome == FAILED else DebitLineStatus.UNKNOWN_ACCOUNT
    )
    line.reason_code = row.reason_code
    line.reason_text = row.reason_text
    line.save(update_fields=["status", "reason_code", "reason_text"])
    return _entry(row, row.outcome if row.outcome == UNKNOWN_ACCOUNT else FAILED)


@transaction.atomic
def debit_result_import(*, actor, batch: DebitBatch, file_name: str, content: bytes):
    """Import the bank's result file for ``batch`` (see the module docstring)."""
    _check(actor)
    if len(content) > MAX_RESULT_FILE_BYTES:
        raise InvalidInput(_("文件过大。"), code="file_too_large", field="file")
    if not content.strip():
        raise InvalidInput(_("文件为空。"), code="file_empty", field="file")
    batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
    digest = hashlib.sha256(content).hexdigest()
    earlier = batch.imports.filter(sha256=digest).first()
    if earlier is not None:
        return ResultImported(result=earlier, repeat=True)
    fmt = _bank(batch.bank_code)
    lines = {line.line_no: line for line in batch.lines.select_related("mandate", "account")}
    seen: set[int] = set()
    report = []
    for row in fmt.parse_result(content):
        try:
            with transaction.atomic():
                report.append(_import_row(batch, fmt, row, lines, seen))
        except InvalidInput as error:  # payment_record refused it
            report.append(_entry(row, "error", str(error.message)))
            lines[row.line_no].refresh_from_db()
    counts = {
        outcome: 0 for outcome in ("paid", "already_posted", FAILED, UNKNOWN_ACCOUNT, "error")
    }
    for entry in report:
        counts[entry["outcome"]] += 1
    result = BankResultImport.objects.create(
        batch=batch,
        file_name=str(file_name or "")[:200],
        sha256=digest,
        imported_by=actor,
        imported_at=timezone.now(),
        lines=len(report),
        posted=counts["paid"],
        already_posted=counts["already_posted"],
        failed=counts[FAILED] + counts[UNKNOWN_ACCOUNT],
        errors=counts["error"],
        report=report,
    )
    batch.status = DebitBatchStatus.RESULT_IMPORTED
    batch.save(update_fields=["status"])
    return ResultImported(result=result, repeat=False)

"""Bank direct debit: mandates, debit files in each bank's layout, result files imported
line by line (paid, failed, unknown account, malformed) with every good line posted once."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests import test_billing_run_support as billing_support
from tests.payments_support import D, at
from waterdesk.billing.models import LedgerEntry, LedgerEntryKind
from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.payments.models import (
    BankMandate,
    BankResultImport,
    DebitBatch,
    DebitLine,
    MandateStatus,
    Payment,
)
from waterdesk.payments.services.bank import (
    debit_batch_create,
    debit_result_import,
    mandate_cancel,
    mandate_create,
    mandate_suspend,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]

ICBC_CARD = "6222020200112233445"
CCB_CARD = "6217000010007654321"


def sign(actor, account, *, bank="icbc", number=ICBC_CARD, holder="张三"):
    return mandate_create(
        actor=actor,
        account=account,
        bank_code=bank,
        bank_account_number=number,
        holder_name=holder,
        signed_on=date(2026, 3, 1),
    )


@pytest.fixture
def second(billing_clerk):
    """A second account owing 80.00 from an adjustment posted on 2026-03-10."""
    account = billing_support.account_with_meter()
    with at(2026, 3, 10):
        ledger_post_adjustment(actor=billing_clerk, account=account, amount="80.00", reason="补收")
    return account


# --- mandates ---------------------------------------------------------------------------


def test_one_active_mandate_per_account_and_masked_digits(billed, billing_clerk, clerk):
    account, _bills = billed
    with at(2026, 3, 1):
        mandate = sign(billing_clerk, account, number="6222 0202 0011 2233 445")
        assert mandate.bank_account_number == ICBC_CARD
        with pytest.raises(IllegalTransition) as twice:
            sign(billing_clerk, account, bank="ccb", number=CCB_CARD)
        assert twice.value.code == "mandate_exists"
        with pytest.raises(InvalidInput) as bad:
            sign(billing_clerk, account, number="62220202AB")
        assert bad.value.code == "invalid_bank_account"
        with pytest.raises(InvalidInput) as bank:
            sign(billing_clerk, account, bank="nosuch")
        assert bank.value.code == "unknown_bank"
        with pytest.raises(NotPermitted):
            mandate_cancel(actor=clerk, mandate=mandate)
        mandate_suspend(actor=billing_clerk, mandate=mandate)
        cancelled = mandate_cancel(actor=billing_clerk, mandate=mandate)
        assert (cancelled.status, cancelled.cancelled_on) == ("cancelled", date(2026, 3, 1))
        with pytest.raises(IllegalTransition):
            mandate_cancel(actor=billing_clerk, mandate=cancelled)
        again = sign(billing_clerk, account, bank="ccb", number=CCB_CARD)
    assert list(BankMandate.objects.values_list("status", flat=True).order_by("pk")) == [
        MandateStatus.CANCELLED,
        MandateStatus.ACTIVE,
    ]
    assert again.bank_code == "ccb"

    client = Client()
    client.force_login(billing_clerk)
    page = client.get(reverse("payments:bank_mandates")).content.decode()
    assert ICBC_CARD not in page and CCB_CARD not in page
    assert "***************3445" in page and "***************4321" in page


def test_the_mandates_page_suspends_resumes_and_cancels(billed, billing_clerk):
    account, _bills = billed
    with at(2026, 3, 1):
        mandate = sign(billing_clerk, account)
    client = Client()
    client.force_login(billing_clerk)
    listed = f"{reverse('payments:bank_mandates')}?account={account.number}"

    def move(name):
        response = client.post(reverse(f"payments:{name}", args=[mandate.public_id]))
        assert response.status_code == 302
        assert response.url == listed
        mandate.refresh_from_db()
        return mandate.status

    assert move("bank_mandate_suspend") == MandateStatus.SUSPENDED
    page = client.get(listed).content.decode()
    assert "代扣协议已暂停，恢复前不再代扣" in page
    assert reverse("payments:bank_mandate_resume", args=[mandate.public_id]) in page
    # Suspending twice is refused with a message, nothing changes.
    assert move("bank_mandate_suspend") == MandateStatus.SUSPENDED
    assert move("bank_mandate_resume") == MandateStatus.ACTIVE
    assert move("bank_mandate_cancel") == MandateStatus.CANCELLED
    page = client.get(listed).content.decode()
    assert reverse("payments:bank_mandate_resume", args=[mandate.public_id]) not in page
    assert reverse("payments:bank_mandate_suspend", args=[mandate.public_id]) not in page


# --- debit files ------------------------------------------------------------------------


def test_icbc_debit_file_exact_content(billed, second, billing_clerk):
    account, bills = billed
    with at(2026, 3, 1):
        sign(billing_clerk, account, holder="张三")
        sign(billing_clerk, second, number="6222020200199887766", holder="李,四")
    with at(2026, 3, 26):
        batch = debit_batch_create(
            actor=billing_clerk, bank_code="icbc", due_up_to=date(2026, 3, 25)
        )
    first, second_no = sorted([account.number, second.number])
    rows = {
        account.number: f"{ICBC_CARD},张三,250.00,{account.number},"
        f"{bills[0].number} {bills[1].number}",
        second.number: f"6222020200199887766,李 四,80.00,{second.number},",
    }
    expected = (
        "序号,批次号,银行账号,户名,金额,户号,账单号\r\n"
        f"1,ICBC-20260326-01,{rows[first]}\r\n"
        f"2,ICBC-20260326-01,{rows[second_no]}\r\n"
    ).encode("gbk")
    assert bytes(batch.content) == expected
    assert (batch.reference, batch.file_name, batch.line_count, batch.total) == (
        "ICBC-20260326-01",
        "ICBC-20260326-01.csv",
        2,
        D("330.00"),
    )
    # Both accounts wait for the bank's answer: a second batch debits nobody twice.
    with at(2026, 3, 26), pytest.raises(InvalidInput) as nothing:
        debit_batch_create(actor=billing_clerk, bank_code="icbc", due_up_to=date(2026, 4, 30))
    assert nothing.value.code == "nothing_to_debit"
    assert DebitBatch.objects.count() == 1


def test_ccb_debit_file_exact_content(billed, billing_clerk):
    account, bills = billed
    with at(2026, 3, 1):
        sign(billing_clerk, account, bank="ccb", number=CCB_CARD, holder="王|五")
    with at(2026, 4, 26):
        batch = debit_batch_create(
            actor=billing_clerk, bank_code="ccb", due_up_to=date(2026, 3, 25)
        )
    expected = (
        "H|CCB-20260426-01|20260426|1|25000\n"
        f"D|1|{CCB_CARD}|王 五|25000|{account.number}|{bills[0].number} {bills[1].number}\n"
        "T|1|25000\n"
    ).encode()
    assert bytes(batch.content) == expected
    assert batch.file_name == "CCB-20260426-01.txt"


# --- result files -----------------------------------------------------------------------


@pytest.fixture
def icbc_batch(billed, second, billing_clerk):
    account, _bills = billed
    third = billing_support.account_with_meter()
    with at(2026, 3, 10):
        ledger_post_adjustment(actor=billing_clerk, account=third, amount="12.00", reason="补收")
    with at(2026, 3, 1):
        sign(billing_clerk, account)
        sign(billing_clerk, second, number="6222020200199887766", holder="李四")
        sign(billing_clerk, third, number="6222020200100000001", holder="赵六")
    with at(2026, 3, 26):
        batch = debit_batch_create(
            actor=billing_clerk, bank_code="icbc", due_up_to=date(2026, 3, 25)
        )
    lines = {line.account_id: line for line in batch.lines.all()}
    return batch, lines[account.pk], lines[second.pk], lines[third.pk]


def icbc_result(*rows) -> bytes:
    return ("序号,银行账号,金额,结果码,结果说明\r\n" + "".join(f"{r}\r\n" for r in rows)).encode(
        "gbk"
    )


def test_result_import_outcomes_and_a_repeat_posts_nothing(icbc_batch, billing_clerk):
    batch, paid, failed, unknown = icbc_batch
    content = icbc_result(
        f"{paid.line_no},{ICBC_CARD},250.00,0000,成功",
        f"{failed.line_no},6222020200199887766,80.00,3001,余额不足",
        f"{unknown.line_no},6222020200100000001,12.00,1001,账户不存在",
        "9,6222020200100000009,1.00,0000,成功",  # not in the batch
        "x,oops",  # malformed
        f"{paid.line_no},{ICBC_CARD},250.00,0000,成功",  # the same line twice
    )
    with at(2026, 3, 28):
        imported = debit_result_import(
            actor=billing_clerk, batch=batch, file_name="ICBC-result.csv", content=content
        )
    result = imported.result
    assert imported.repeat is False
    assert (result.lines, result.posted, result.already_posted, result.failed, result.errors) == (
        6,
        1,
        0,
        2,
        3,
    )
    assert [(e["line"], e["outcome"]) for e in result.report] == [
        (2, "paid"),
        (3, "failed"),
        (4, "unknown_account"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
    assert result.report[3]["detail"] == "序号 9 不在本批次中"
    assert result.report[4]["detail"] == "列数应为 5"
    payment = Payment.objects.get()
    assert (
        payment.source,
        payment.external_id,
        payment.amount,
        payment.channel,
        payment.method,
    ) == (
        "bank:icbc",
        f"ICBC-20260326-01:{paid.line_no}",
        D("250.00"),
        "bank",
        "bank_debit",
    )
    assert account_balance(paid.account) == D("50.00")
    lines = {line.pk: line for line in DebitLine.objects.all()}
    assert (lines[paid.pk].status, lines[paid.pk].payment_id) == ("paid", payment.pk)
    assert (lines[failed.pk].status, lines[failed.pk].reason_code) == ("failed", "3001")
    assert lines[failed.pk].reason_text == "余额不足"
    assert lines[unknown.pk].status == "unknown_account"
    batch.refresh_from_db()
    assert batch.status == "result_imported"

    entries = LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count()
    with at(2026, 3, 29):
        again = debit_result_import(
            actor=billing_clerk, batch=batch, file_name="again.csv", content=content
        )
    assert (again.repeat, again.result.pk) == (True, result.pk)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == entries
    assert BankResultImport.objects.count() == 1


def test_a_corrected_file_posts_only_what_was_not_posted(icbc_batch, billing_clerk):
    batch, paid, failed, _unknown = icbc_batch
    bad = icbc_result(f"{paid.line_no},{ICBC_CARD},250.00,0000,成功", "garbage")
    with at(2026, 3, 28):
        first = debit_result_import(
            actor=billing_clerk, batch=batch, file_name="a.csv", content=bad
        )
    assert (first.result.posted, first.result.errors) == (1, 1)
    corrected = icbc_result(
        f"{paid.line_no},{ICBC_CARD},250.00,0000,成功",
        f"{failed.line_no},6222020200199887766,80.00,0000,成功",
    )
    with at(2026, 3, 29):
        second = debit_result_import(
            actor=billing_clerk, batch=batch, file_name="b.csv", content=corrected
        )
    assert (second.repeat, second.result.posted, second.result.already_posted) == (False, 1, 1)
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [D("80.00"), D("250.00")]
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.PAYMENT).count() == 2


def test_ccb_result_amounts_in_fen_and_wrong_amount_reported(billed, billing_clerk):
    account, _bills = billed
    with at(2026, 3, 1):
        sign(billing_clerk, account, bank="ccb", number=CCB_CARD)
    with at(2026, 3, 26):
        batch = debit_batch_create(
            actor=billing_clerk, bank_code="ccb", due_up_to=date(2026, 3, 25)
        )
    wrong = f"H|{batch.reference}|1\nD|1|{CCB_CARD}|24999|00|成功\nT|1|24999\n".encode()
    with at(2026, 3, 28):
        report = debit_result_import(actor=billing_clerk, batch=batch, file_name="r", content=wrong)
    assert report.result.report[0]["detail"] == "金额 249.99 与扣款文件的 250.00 不符"
    assert Payment.objects.count() == 0
    right = f"D|1|{CCB_CARD}|25000|00|成功\n".encode()
    with at(2026, 3, 28):
        report = debit_result_import(
            actor=billing_clerk, batch=batch, file_name="r2", content=right
        )
    assert report.result.posted == 1
    assert Payment.objects.get().external_id == f"{batch.reference}:1"


def test_bank_pages_walk(icbc_batch, billing_clerk):
    batch, paid, _failed, _unknown = icbc_batch
    client = Client()
    client.force_login(billing_clerk)
    download = client.get(reverse("payments:bank_batch_file", args=[batch.public_id]))
    assert download.status_code == 200
    assert b"".join(download) == bytes(batch.content)
    assert "ICBC-20260326-01.csv" in download["Content-Disposition"]
    page = client.get(reverse("payments:bank_batch", args=[batch.public_id]))
    assert page.status_code == 200 and ICBC_CARD not in page.content.decode()
    upload = SimpleUploadedFile(
        "result.csv", icbc_result(f"{paid.line_no},{ICBC_CARD},250.00,0000,成功")
    )
    with at(2026, 3, 28):
        response = client.post(
            reverse("payments:bank_batch_result", args=[batch.public_id]), {"file": upload}
        )
        report = client.get(response["Location"]).content.decode()
    result = BankResultImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:bank_import", args=[result.public_id])
    assert 'data-count="posted">1<' in report
    with at(2026, 3, 1):
        created = client.post(
            reverse("payments:bank_batches"), {"bank_code": "ccb", "due_up_to": "2026-03-25"}
        )
    assert created.status_code == 400  # nobody has a CCB mandate
    assert DebitBatch.objects.count() == 1

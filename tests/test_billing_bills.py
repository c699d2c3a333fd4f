"""Bills: the final bill of a transfer or usage change, cumulative volumes across final
bills, own tariffs and bills spanning the new year, the bill statement PDF, and issued
bills that never change."""

import io
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from tests import test_billing_run_support as support
from tests.factories import UserFactory, meter_read
from tests.test_billing_run_support import SHANGHAI, D, account_with_meter, run_cycle
from waterdesk.billing.documents import bill_pdf
from waterdesk.billing.models import Bill, BillKind, LedgerEntry, LedgerEntryKind, ReadStatus
from waterdesk.billing.selectors.bills import bill_statement
from waterdesk.billing.services import tariffs
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.ledger import ledger_post_adjustment, ledger_post_payment
from waterdesk.core.errors import InvalidInput
from waterdesk.core.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


def lines_of(bill):
    return [
        (line.component_name, line.tier_index, line.volume, line.amount)
        for line in bill.lines.order_by("pk")
    ]


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def january_billed(billing_clerk, cycles, django_capture_on_commit_callbacks):
    """An account that used 170 m³ in January, billed by the January run."""
    account = account_with_meter()
    meter_read(billing_clerk, account, date(2026, 1, 31), "170")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    return account


# --- the final bill -----------------------------------------------------------------------


def test_final_bill_up_to_a_transfer_read_then_the_cycle_bills_the_rest(
    billing_clerk, cycles, january_billed, django_capture_on_commit_callbacks
):
    account = january_billed
    transfer = meter_read(billing_clerk, account, date(2026, 2, 15), "190", kind="transfer")

    final = bill_issue_final(actor=billing_clerk, account=account, closing_read=transfer)

    assert final.number == f"F{account.number}-{transfer.pk}"
    assert (final.kind, final.cycle, final.run, final.closing_read) == (
        BillKind.FINAL,
        None,
        None,
        transfer,
    )
    assert (final.period_start, final.period_end) == (date(2026, 2, 1), date(2026, 2, 15))
    assert final.due_date == date(2026, 4, 25)  # issued 2026-04-10 + 15 days
    # 170 m³ billed in January: 10 m³ more in tier 1, then 10 in tier 2.
    assert (final.volume, final.amount) == (D("20.00"), D("120.00"))
    assert lines_of(final) == [
        ("供水价格", 1, D("10.00"), D("20.70")),
        ("供水价格", 2, D("10.00"), D("40.70")),
        ("水资源费", None, D("20.00"), D("31.40")),
        ("污水处理费", None, D("20.00"), D("27.20")),
    ]
    charge = LedgerEntry.objects.get(bill=final)
    assert (charge.kind, charge.amount, charge.created_by) == (
        LedgerEntryKind.CHARGE,
        D("120.00"),
        billing_clerk,
    )

    meter_read(billing_clerk, account, date(2026, 2, 28), "200")
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    february = Bill.objects.get(cycle=cycles[2])
    assert (february.period_start, february.period_end) == (date(2026, 2, 16), date(2026, 2, 28))
    assert (february.volume, february.amount) == (D("10.00"), D("70.00"))  # all in tier 2


def test_an_account_taken_over_is_billed_from_its_baseline_read(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    """An account opened in 2010, years before the first price in the system, is taken over
    with a go-live read of its register (nothing used since the meter's initial reading):
    its first bill starts the day after that read, not when the account was opened."""
    opened = datetime(2010, 5, 1, 9, 0, tzinfo=SHANGHAI)
    account = account_with_meter(initial="1234", opened=opened)
    baseline = meter_read(billing_clerk, account, date(2026, 1, 10), "1234", source="system")
    assert (baseline.status, baseline.consumption) == (ReadStatus.VALIDATED, D("0.00"))
    meter_read(billing_clerk, account, date(2026, 1, 31), "1254")

    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)

    bill = Bill.objects.get(account=account)
    assert (bill.period_start, bill.period_end) == (date(2026, 1, 11), date(2026, 1, 31))
    assert (bill.volume, bill.amount) == (D("20.00"), D("100.00"))  # 20 m³ in tier 1 at 5.00


def test_a_first_read_that_used_water_is_billed_from_the_opening_day(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    account = account_with_meter()  # opened 2026-01-01, initial reading 0
    meter_read(billing_clerk, account, date(2026, 1, 31), "12")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bill = Bill.objects.get(account=account)
    assert (bill.period_start, bill.volume, bill.amount) == (
        date(2026, 1, 1),
        D("12.00"),
        D("60.00"),
    )


def test_final_bill_refusals_write_nothing(billing_clerk, cycles, january_billed):
    account = january_billed
    other = account_with_meter()
    other_read = meter_read(billing_clerk, other, date(2026, 2, 10), "5")
    billed_read = account.reads.get(read_on=date(2026, 1, 31))
    before = (Bill.objects.count(), LedgerEntry.objects.count())

    cases = [
        (other_read, "read_wrong_account"),
        (billed_read, "read_already_billed"),
    ]
    for closing_read, code in cases:
        with pytest.raises(InvalidInput) as error:
            bill_issue_final(actor=billing_clerk, account=account, closing_read=closing_read)
        assert error.value.code == code

    # A read below the last one is negative: it waits for review and cannot close a bill.
    pending = meter_read(billing_clerk, account, date(2026, 2, 12), "100", kind="transfer")
    assert pending.status == ReadStatus.NEEDS_REVIEW
    with pytest.raises(InvalidInput) as error:
        bill_issue_final(actor=billing_clerk, account=account, closing_read=pending)
    assert error.value.code == "read_not_validated"
    assert (Bill.objects.count(), LedgerEntry.objects.count()) == before


def test_final_bill_refused_while_an_earlier_read_waits_for_review(billing_clerk, cycles):
    account = account_with_meter(initial="50")
    meter_read(billing_clerk, account, date(2026, 1, 31), "10")  # negative: in review
    later = meter_read(billing_clerk, account, date(2026, 2, 15), "60", kind="transfer")
    assert later.status == ReadStatus.NEEDS_REVIEW  # its previous read is pending
    with pytest.raises(InvalidInput) as error:
        bill_issue_final(actor=billing_clerk, account=account, closing_read=later)
    assert error.value.code == "read_not_validated"
    assert not Bill.objects.exists()


# --- cumulative volumes read back exactly ---------------------------------------------


def test_an_own_tariff_reads_the_cumulative_volume_from_the_lines(
    billing_clerk, cycles, beijing, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    tariffs.account_tariff_set(
        actor=None, account=account, tariff=beijing, effective_from=date(2026, 1, 1)
    )
    meter_read(billing_clerk, account, date(2026, 1, 31), "170")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    meter_read(billing_clerk, account, date(2026, 2, 28), "190")
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)

    february = Bill.objects.get(cycle=cycles[2])
    assert (february.volume, february.amount) == (D("20.00"), D("120.00"))
    assert [(tier, volume) for _name, tier, volume, _amount in lines_of(february)][:2] == [
        (1, D("10.00")),
        (2, D("10.00")),
    ]


def test_a_bill_spanning_new_year_splits_by_days_and_the_next_counts_this_year_only(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    """Opened 2025-12-16: the first bill runs to 2026-01-15, 16 days in 2025 and 15 in
    2026, so 32 of its 62 m³ count for 2025 and 30 for 2026."""
    opened = datetime(2025, 12, 16, 9, 0, tzinfo=SHANGHAI)
    account = account_with_meter(opened=opened)
    meter_read(billing_clerk, account, date(2026, 1, 15), "62")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    first = Bill.objects.get(cycle=cycles[1])
    assert (first.period_start, first.period_end, first.amount) == (
        date(2025, 12, 16),
        date(2026, 1, 15),
        D("310.00"),
    )
    assert {(line.period_start, line.volume) for line in first.lines.filter(tier_index=1)} == {
        (date(2025, 12, 16), D("32.00")),
        (date(2026, 1, 1), D("30.00")),
    }

    meter_read(billing_clerk, account, date(2026, 2, 15), "222")  # 160 m³: 30 + 160 = 190 in 2026
    run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    second = Bill.objects.get(cycle=cycles[2])
    assert [(tier, volume) for _name, tier, volume, _amount in lines_of(second)][:2] == [
        (1, D("150.00")),
        (2, D("10.00")),
    ]
    assert second.amount == D("820.00")


# --- the statement PDF --------------------------------------------------------------------


def test_bill_pdf_shows_the_account_the_lines_and_the_total(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    meter_read(billing_clerk, account, date(2026, 1, 31), "200")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bill = Bill.objects.get()

    content = bill_pdf(bill)

    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert account.number in text
    assert bill.number in text
    assert "1,040.00" in text
    assert "372.60" in text and "81.40" in text  # the two supply tiers


def test_bill_statement_brings_the_balance_forward_and_marks_estimates(
    billing_clerk, cycles, django_capture_on_commit_callbacks
):
    account = account_with_meter()
    with time_machine.travel(datetime(2026, 2, 5, 10, tzinfo=SHANGHAI), tick=False):
        meter_read(billing_clerk, account, date(2026, 1, 31), "20")
        run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
        ledger_post_payment(
            actor=None, account=account, amount="30", reference="R1", idempotency_key="k1"
        )
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=SHANGHAI), tick=False):
        meter_read(billing_clerk, account, date(2026, 2, 28), "30", kind="estimated")
        run_cycle(billing_clerk, cycles[2], django_capture_on_commit_callbacks)
    february = Bill.objects.get(cycle=cycles[2])

    statement = bill_statement(february)

    assert statement.balance_brought_forward == D("70.00")  # 100.00 billed − 30.00 paid
    assert statement.total_due == D("120.00")
    assert (statement.opening_value, statement.opening_date) == (D("20.00"), date(2026, 1, 31))
    assert (statement.closing_value, statement.closing_date) == (D("30.00"), date(2026, 2, 28))
    assert statement.is_estimated is True
    text = pdf_text(bill_pdf(february))
    assert "70.00" in text and "120.00" in text


# --- immutability -------------------------------------------------------------------------


def test_corrections_never_change_an_issued_bill(billing_clerk, cycles, january_billed):
    bill = Bill.objects.get()
    snapshot = (bill.amount, bill.volume, bill.period_end, list(bill.lines.values_list("amount")))
    ledger_post_adjustment(
        actor=billing_clerk, account=january_billed, amount="-50", reason="红字", bill=bill
    )
    bill.refresh_from_db()
    assert (bill.amount, bill.volume, bill.period_end, list(bill.lines.values_list("amount"))) == (
        snapshot
    )


def test_the_admin_shows_bills_read_only_and_refuses_changes(client, january_billed):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    bill = Bill.objects.get()
    client.force_login(admin)
    url = reverse("admin:billing_bill_change", args=[bill.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content

    response = client.post(url, {"number": "HACKED", "amount": "0.01"})
    assert response.status_code == 403
    bill.refresh_from_db()
    assert (bill.number, bill.amount) == (f"202601-{january_billed.number}", D("850.00"))
    assert client.get(reverse("admin:billing_bill_delete", args=[bill.pk])).status_code == 403
    entry = LedgerEntry.objects.get()
    assert (
        client.post(reverse("admin:billing_ledgerentry_change", args=[entry.pk]), {}).status_code
        == 403
    )


def test_role_sees_bills_in_the_admin_only_with_the_view_permission(client, january_billed):
    surveyor = UserFactory(username="desk", role=Role.SURVEYOR, is_staff=True)
    client.force_login(surveyor)
    bill = Bill.objects.get()
    assert client.get(reverse("admin:billing_bill_change", args=[bill.pk])).status_code == 403

"""Correcting a read before it is billed (service, pages, API): a wrong but plausible value
is put right by the reader or billing clerk, the read rules run again on the new value, the
old value is kept with who, when and why; a billed read, a read with a later one, a
rejected read or a new meter's initial reading cannot be corrected, and the refusal says
what to do instead."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import test_billing_reading as reading_tests
from tests.clients import client_for
from tests.factories import installed_account, meter_read
from waterdesk.billing.models import Bill, MeterRead, MeterReadCorrection
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.reading import (
    meter_exchange_record,
    meter_read_approve,
    meter_read_correct,
    meter_read_reject,
)
from waterdesk.billing.services.reading.corrections import (
    meter_read_correction_check,
    reads_may_correct,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.customers.models import Route

pytestmark = pytest.mark.django_db

# The reading tests' clock (30 June 2026, 10:00) and their route-sheet conventions.
_pinned_time = reading_tests._pinned_time


@pytest.fixture
def route(reader):
    return Route.objects.create(code="r1", name="解放路", reader=reader)


@pytest.fixture
def account(route):
    """On the reader's route, meter installed at 100."""
    return installed_account(initial="100", route=route)


def state(read: MeterRead) -> tuple:
    """What a refused correction must leave unchanged."""
    read.refresh_from_db()
    return (
        read.value,
        read.status,
        read.consumption,
        read.issues,
        MeterReadCorrection.objects.count(),
    )


# --- the service ----------------------------------------------------------------------


def test_a_plausible_wrong_read_is_corrected_and_billed_as_corrected(reader, account):
    read = meter_read(reader, account, date(2026, 6, 1), "150")  # meant 105
    assert (read.status, read.consumption) == ("validated", Decimal("50.00"))

    corrected = meter_read_correct(
        actor=reader, read=read, value="105", reason="看错读数，现场复核为105"
    )

    assert (corrected.value, corrected.consumption, corrected.status, corrected.issues) == (
        Decimal("105.00"),
        Decimal("5.00"),
        "validated",
        ["first_read"],
    )
    correction = MeterReadCorrection.objects.get()
    assert (
        correction.read,
        correction.old_value,
        correction.new_value,
        correction.old_consumption,
        correction.new_consumption,
        correction.old_status,
        correction.new_status,
        correction.old_issues,
        correction.reason,
        correction.corrected_by,
        correction.corrected_at,
    ) == (
        read,
        Decimal("150.00"),
        Decimal("105.00"),
        Decimal("50.00"),
        Decimal("5.00"),
        "validated",
        "validated",
        ["first_read"],
        "看错读数，现场复核为105",
        reader,
        reading_tests.NOW,
    )
    bill = bill_issue_final(actor=None, account=account, closing_read=corrected)
    assert bill.volume == Decimal("5.00")


def test_a_correction_below_the_last_read_goes_to_review(reader, account):
    meter_read(reader, account, date(2026, 5, 1), "110")
    read = meter_read(reader, account, date(2026, 6, 1), "120")

    corrected = meter_read_correct(actor=reader, read=read, value="105", reason="重新核对")

    assert (corrected.status, corrected.consumption, corrected.issues) == (
        "needs_review",
        None,
        ["negative_consumption"],
    )
    assert (MeterReadCorrection.objects.get().new_status, corrected.previous.value) == (
        "needs_review",
        Decimal("110.00"),
    )


def test_a_reviewed_read_corrected_is_judged_again_by_the_rules(reader, billing_clerk, account):
    meter_read(reader, account, date(2026, 5, 1), "110")
    read = meter_read(reader, account, date(2026, 6, 1), "90")
    assert read.status == "needs_review"
    read = meter_read_approve(actor=billing_clerk, read=read, consumption="10", note="估算")
    assert read.issues == ["negative_consumption", "corrected"]

    corrected = meter_read_correct(actor=billing_clerk, read=read, value="125", reason="抄错位")

    assert (
        corrected.status,
        corrected.consumption,
        corrected.issues,
        corrected.reviewed_by,
        corrected.review_note,
    ) == ("validated", Decimal("15.00"), [], None, "")
    correction = MeterReadCorrection.objects.get()
    assert (correction.old_status, correction.old_consumption, correction.old_issues) == (
        "validated",
        Decimal("10.00"),
        ["negative_consumption", "corrected"],
    )


def test_refusals_say_what_to_do_and_change_nothing(reader, billing_clerk, approver, account):
    read = meter_read(reader, account, date(2026, 6, 1), "120")
    before = state(read)

    with pytest.raises(NotPermitted):
        meter_read_correct(actor=approver, read=read, value="121", reason="改")
    cases = [
        ({"value": "121", "reason": " "}, InvalidInput, "reason_required"),
        ({"value": "120.00", "reason": "改"}, InvalidInput, "read_unchanged"),
        ({"value": "100000", "reason": "改"}, InvalidInput, "read_over_maximum"),
        ({"value": "-1", "reason": "改"}, InvalidInput, "invalid_read_value"),
    ]
    for fields, error_class, code in cases:
        with pytest.raises(error_class) as error:
            meter_read_correct(actor=reader, read=read, **fields)
        assert error.value.code == code
        assert state(read) == before

    later = meter_read(reader, account, date(2026, 6, 20), "130")
    with pytest.raises(IllegalTransition) as error:
        meter_read_correct(actor=reader, read=read, value="121", reason="改")
    assert (error.value.code, error.value.details) == ("read_not_latest", {"later_read": later.pk})
    assert "2026-06-20" in str(error.value.message)
    assert state(read) == before

    bill = bill_issue_final(actor=None, account=account, closing_read=later)
    for billed in (read, later):  # covered by the bill, and its closing read
        before = state(billed)
        with pytest.raises(IllegalTransition) as error:
            meter_read_correct(actor=billing_clerk, read=billed, value="131", reason="改")
        assert (error.value.code, error.value.details) == ("read_billed", {"bill": bill.number})
        assert "账务调整" in str(error.value.message)
        assert state(billed) == before


def test_rejected_reads_and_initial_readings_are_not_corrected(reader, billing_clerk, account):
    meter_read(reader, account, date(2026, 5, 1), "110")
    wrong = meter_read(reader, account, date(2026, 6, 1), "90")
    wrong = meter_read_reject(actor=billing_clerk, read=wrong, note="抄错")
    exchange = meter_exchange_record(
        actor=reader,
        account=account,
        read_on=date(2026, 6, 10),
        old_final_value="112",
        new_serial="WMNEW0001",
        new_size_dn=20,
        new_initial_value="0",
    )
    for read, message in ((wrong, "重新录入"), (exchange.initial_read, "系统管理员")):
        before = state(read)
        with pytest.raises(IllegalTransition) as error:
            meter_read_correct(actor=reader, read=read, value="5", reason="改")
        assert error.value.code == "read_not_correctable"
        assert message in str(error.value.message)
        assert state(read) == before


# --- pages ----------------------------------------------------------------------------


def test_the_reader_finds_the_read_and_corrects_it_on_the_page(client, reader, account):
    read = meter_read(reader, account, date(2026, 6, 1), "150")
    client.force_login(reader)

    listing = client.get(reverse("billing:reading_reads")).content.decode()
    correct_url = reverse("billing:reading_read_correct", args=[read.pk])
    assert f'href="{correct_url}" data-action="correct"' in listing

    form = client.get(correct_url).content.decode()
    assert 'name="reason"' in form
    response = client.post(correct_url, {"value": "105", "reason": "看错读数"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('billing:reading_reads')}?account={account.number}"
    page = client.get(response["Location"]).content.decode()
    assert "读数已更正为 105.00，已审核，用水量 5.00 m³。" in page
    history = client.get(correct_url).content.decode()
    assert 'id="corrections"' in history and "看错读数" in history and "150.00" in history


def test_a_refused_correction_on_the_page_shows_why(client, reader, billing_clerk, account):
    read = meter_read(reader, account, date(2026, 6, 1), "150")
    bill_issue_final(actor=None, account=account, closing_read=read)
    client.force_login(billing_clerk)
    url = reverse("billing:reading_read_correct", args=[read.pk])

    page = client.get(url).content.decode()
    assert 'id="correction-refused"' in page and 'name="reason"' not in page
    response = client.post(url, {"value": "105", "reason": "看错读数"})
    assert response.status_code == 400
    assert "账务调整" in response.content.decode()
    assert state(read)[:2] == (Decimal("150.00"), "validated")
    assert not MeterReadCorrection.objects.exists()


def test_a_reader_sees_only_the_reads_of_their_routes(client, reader, account):
    other = installed_account(initial="0")  # on no route
    read = meter_read(None, other, date(2026, 6, 1), "10")
    client.force_login(reader)
    url = reverse("billing:reading_read_correct", args=[read.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"value": "11", "reason": "改"}).status_code == 404
    page = client.get(reverse("billing:reading_reads"), {"account": other.number})
    assert "不在您的抄表路线上" in page.content.decode()
    assert f'id="read-{read.pk}"' not in page.content.decode()
    assert not MeterReadCorrection.objects.exists()


# --- API ------------------------------------------------------------------------------


def test_api_correction_is_idempotent(reader, account):
    read = meter_read(reader, account, date(2026, 6, 1), "150")
    api = client_for(reader)
    url = reverse("api:billing-read-correct", args=[read.pk])
    body = {"value": "105", "reason": "看错读数"}

    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="fix-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="fix-1")

    assert first.status_code == 200
    assert (first.json()["value"], first.json()["consumption"], first.json()["status"]) == (
        "105.00",
        "5.00",
        "validated",
    )
    assert [
        (c["old_value"], c["new_value"], c["reason"], c["corrected_by"]["username"])
        for c in first.json()["corrections"]
    ] == [("150.00", "105.00", "看错读数", "reader")]
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (
        200,
        "true",
        first.json(),
    )
    assert MeterReadCorrection.objects.count() == 1


def test_api_refusals(reader, billing_clerk, account):
    read = meter_read(reader, account, date(2026, 6, 1), "150")
    url = reverse("api:billing-read-correct", args=[read.pk])
    body = {"value": "105", "reason": "看错读数"}

    no_key = client_for(reader, keyed=False).post(url, body, format="json")
    assert (no_key.status_code, no_key.json()["code"]) == (400, "idempotency_key_required")
    no_reason = client_for(reader).post(url, {"value": "105"}, format="json")
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "reason_required")

    bill = bill_issue_final(actor=None, account=account, closing_read=read)
    billed = client_for(billing_clerk).post(url, body, format="json")
    assert (billed.status_code, billed.json()["code"], billed.json()["details"]) == (
        409,
        "read_billed",
        {"bill": bill.number},
    )

    other = meter_read(None, installed_account(initial="0"), date(2026, 6, 1), "10")
    off_route = client_for(reader).post(
        reverse("api:billing-read-correct", args=[other.pk]), body, format="json"
    )
    assert off_route.status_code == 404
    assert not MeterReadCorrection.objects.exists()
    assert Bill.objects.count() == 1


def test_the_reads_page_offers_exactly_what_the_service_allows_in_few_queries(
    client, reader, billing_clerk, route, account
):
    """``reads_may_correct`` (the whole page at once) agrees with the service's own check,
    read by read, and costs the same queries for a longer page."""
    first = meter_read(reader, account, date(2026, 5, 1), "110")  # a later read follows
    billed_closing = meter_read(reader, account, date(2026, 5, 20), "115")
    bill_issue_final(actor=None, account=account, closing_read=billed_closing)
    open_read = meter_read(reader, account, date(2026, 6, 1), "120")
    other = installed_account(initial="50", route=route)
    wrong = meter_read_reject(
        actor=billing_clerk, read=meter_read(reader, other, date(2026, 6, 1), "40"), note="抄错"
    )
    fresh = meter_read(reader, other, date(2026, 6, 2), "55")
    reads = [first, billed_closing, open_read, wrong, fresh]

    def service_allows(read) -> bool:
        try:
            meter_read_correction_check(read)
        except IllegalTransition:
            return False
        return True

    assert reads_may_correct(reader, reads) == {open_read.pk, fresh.pk}
    assert {read.pk for read in reads if service_allows(read)} == {open_read.pk, fresh.pk}

    client.force_login(reader)
    with CaptureQueriesContext(connection) as short:
        client.get(reverse("billing:reading_reads"), {"account": other.number})
    with CaptureQueriesContext(connection) as long:
        client.get(reverse("billing:reading_reads"), {"account": account.number})
    assert len(long) == len(short)

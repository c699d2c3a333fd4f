"""Printed documents show what customers typed, literally, and logs never carry a full
mobile or ID number.

ReportLab's ``Paragraph`` reads its text as markup: before ``waterdesk.core.pdf`` an
``<a href>`` in a name became a live link on the receipt, ``<font>`` restyled it and an
unclosed tag made the receipt a 500.
"""

import io
import logging
import logging.config
import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import test_billing_run_support as support
from tests.factories import SupplyZoneFactory, meter_read
from tests.test_billing_run_support import account_with_meter, run_cycle
from waterdesk.billing.models import Bill
from waterdesk.cases.models import Case
from waterdesk.core.logging import PersonalDataFilter, mask_personal_data
from waterdesk.core.pdf import literal
from waterdesk.customers.services import customer_create, premise_create

LINK = '<a href="https://evil.example">pay here</a>'
FONT = "<font size=40 color=red>X</font>"
NAME = f"{LINK} 张三"
ADDRESS = f"{FONT} 解放路<b>100</b>号 A&B"
CONTACT = "李四 <para x < y ]]>"
GREEN_REASON = "<b>urgent</b> & <i>now</i>"
VALID_ID = "11010519491231002X"


def pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # table cells may wrap: compare words, not line breaks


def pdf_links(content: bytes) -> list:
    """Every annotation of every page (links are annotations)."""
    return [
        annotation.get_object()
        for page in PdfReader(io.BytesIO(content)).pages
        for annotation in page.get("/Annots") or []
    ]


# --- the helper ---------------------------------------------------------------------------


def test_literal_escapes_markup_and_keeps_line_breaks():
    assert literal('<a href="x">&</a>') == '&lt;a href="x"&gt;&amp;&lt;/a&gt;'
    assert literal("一\r\n二\n<三>") == "一<br/>二<br/>&lt;三&gt;"
    assert literal(None) == ""
    assert literal(12.5) == "12.5"


# --- the intake receipt -------------------------------------------------------------------


@pytest.fixture
def marked_up_case(clerk, zone) -> Case:
    """A new connection registered through the API by a clerk who typed markup everywhere."""
    api = APIClient()
    api.force_authenticate(clerk)
    response = api.post(
        "/api/new-connections/",
        {
            "channel": "counter",
            "contact_name": CONTACT,
            "contact_phone": "13800138000",
            "customer_data": {
                "kind": "person",
                "name": NAME,
                "id_number": VALID_ID,
                "mobile": "13800138000",
            },
            "premise_address": ADDRESS,
            "zone": "north",
            "requested_usage": "residential",
            "requested_size_dn": 20,
            "household_size": 3,
            "materials_received": ["id_card", "property_certificate"],
            "priority": "green",
            "green_channel_reason": GREEN_REASON,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(public_id=response.json()["public_id"])
    assert (case.customer.name, case.premise.address, case.contact_name) == (
        NAME,
        ADDRESS,
        CONTACT,
    )
    return case


def test_receipt_page_prints_markup_as_typed(client, clerk, marked_up_case):
    client.force_login(clerk)

    response = client.get(reverse("workbench:document", args=[marked_up_case.public_id, "receipt"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert LINK in text
    assert FONT in text
    assert "解放路<b>100</b>号 A&B" in text
    assert f"{CONTACT} / " in text  # then the phone (masked or not: not this test's concern)
    assert GREEN_REASON in text
    assert pdf_links(response.content) == []
    assert b"/URI" not in response.content


def test_receipt_api_prints_markup_as_typed(clerk, marked_up_case):
    api = APIClient()
    api.force_authenticate(clerk)

    response = api.get(f"/api/cases/{marked_up_case.public_id}/receipt.pdf")

    assert response.status_code == 200
    text = pdf_text(response.content)
    for value in (LINK, FONT, CONTACT, GREEN_REASON):
        assert value in text
    assert pdf_links(response.content) == []
    assert b"/URI" not in response.content


# --- the bill statement -------------------------------------------------------------------

beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


@pytest.mark.usefixtures("pinned_now", "beijing")
def test_bill_pdf_prints_markup_as_typed(
    client, clerk, billing_clerk, cycles, django_capture_on_commit_callbacks
):
    customer = customer_create(
        actor=clerk, kind="person", name=LINK, id_number=VALID_ID, mobile="13800138000"
    )
    premise = premise_create(actor=clerk, address=ADDRESS, zone=SupplyZoneFactory())
    account = account_with_meter(customer=customer, premise=premise)
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bill = Bill.objects.get(account=account)
    client.force_login(billing_clerk)

    response = client.get(reverse("billing:bill_pdf", args=[bill.public_id]))

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert LINK in text
    assert FONT in text and "A&B" in text
    assert pdf_links(response.content) == []
    assert b"/URI" not in response.content


# --- logs ---------------------------------------------------------------------------------


def test_masking_keeps_the_desk_format():
    line = (
        "sms to 13812345678 (+86 13912345678), id 11010519491231002X / 110105491231002, "
        "account 2000000001, order 138123456789"
    )
    assert mask_personal_data(line) == (
        "sms to 138****5678 (+86 139****5678), id 110105********002X / 110105*****1002, "
        "account 2000000001, order 138123456789"
    )


def test_root_handler_from_settings_masks_phone_and_id_numbers(caplog):
    handler_config = settings.LOGGING["handlers"]["console"]
    assert handler_config["filters"] == ["personal_data"]
    assert settings.LOGGING["filters"]["personal_data"]["()"] == (
        "waterdesk.core.logging.PersonalDataFilter"
    )
    assert "console" in settings.LOGGING["root"]["handlers"]
    # Django configured logging from settings at start-up: the root handler has the filter.
    assert any(
        isinstance(log_filter, PersonalDataFilter)
        for handler in logging.getLogger().handlers
        for log_filter in handler.filters
    )
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": settings.LOGGING["filters"],
            "handlers": {"probe": {**handler_config, "stream": stream}},
            "loggers": {
                "waterdesk.probe": {"handlers": ["probe"], "level": "INFO", "propagate": True}
            },
        }
    )
    logger = logging.getLogger("waterdesk.probe")
    try:
        with caplog.at_level(logging.INFO, logger="waterdesk.probe"):
            logger.info("notify outbox sms to %s: 您好 %s", "13812345678", VALID_ID)
            try:
                raise ValueError("bad mobile 13912345678")
            except ValueError:
                logger.exception("failed for %s", "13812345678")
    finally:
        logger.handlers.clear()

    written = stream.getvalue()
    assert "notify outbox sms to 138****5678: 您好 110105********002X" in written
    assert "failed for 138****5678" in written
    assert "ValueError: bad mobile 139****5678" in written
    assert not re.search(r"1[3-9]\d{9}|\d{17}[\dX]", written)
    # The record itself was rewritten, so every later handler sees the masked line too.
    assert [record.getMessage() for record in caplog.records] == [
        "notify outbox sms to 138****5678: 您好 110105********002X",
        "failed for 138****5678",
    ]


def test_filter_never_drops_a_record():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %s", ("text",), None)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "plain text"

"""Browser test: a clerk walks intake → case page → receipt PDF in the real pages
(headless Chromium against a live server)."""

import re
from io import BytesIO

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader
from stdnum.cn import ric

from tests.browser_support import chromium, log_in, new_page
from tests.factories import PASSWORD, SupplyZoneFactory, UserFactory
from waterdesk.applications.models import NewConnectionStatus
from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.customers.models import Customer, Premise
from waterdesk.notify.models import Notification

# The live server reads the test database from another thread, so every test commits
# (transaction=True); serialized_rollback brings back the migrations' seed data (checklist,
# SLA policies, templates) that the flush after each such test removes.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/waterdesk-intake.png"
ID_BODY = "11010519800315123"
VALID_ID = ID_BODY + ric.calc_check_digit(ID_BODY + "0")
INVALID_ID = ID_BODY + ("1" if VALID_ID[-1] != "1" else "2")  # wrong check digit
PERSON_MATERIALS = ["id_card", "property_certificate"]  # the seeded checklist for a person


@pytest.fixture
def intake_page(live_server):
    UserFactory(username="clerk", role=Role.INTAKE_CLERK)
    SupplyZoneFactory(code="north", name="城北片区")
    with chromium() as browser, new_page(browser, base_url=live_server.url) as page:
        log_in(page, username="clerk", password=PASSWORD)
        page.goto(reverse("workbench:intake"))
        expect(page.get_by_role("heading", name="新装受理登记")).to_be_visible()
        yield page


def _fill_application(page, *, id_number: str) -> None:
    """A new person customer with every material of the person checklist."""
    page.locator('[name="new-name"]').fill("李建华")
    page.locator('[name="new-id_number"]').fill(id_number)
    page.locator('[name="new-mobile"]').fill("13957112345")
    page.locator('[name="premise_address"]').fill("城北区解放路18号3栋2单元502室")
    page.locator('select[name="zone"]').select_option(label="城北片区")
    page.locator('[name="contact_name"]').fill("李建华")
    page.locator('[name="contact_phone"]').fill("13957112345")
    for code in PERSON_MATERIALS:
        page.locator(f'input[name="materials_received"][value="{code}"]').check()


def test_clerk_registers_an_application_and_prints_the_receipt(intake_page):
    page = intake_page
    _fill_application(page, id_number=VALID_ID)
    page.get_by_role("button", name="受理登记").click()
    page.wait_for_url(re.compile(r"/desk/cases/[0-9a-f-]{36}/$"))

    case = Case.objects.get()
    assert re.fullmatch(r"XZ-\d{8}-0001", case.number)
    assert case.status == NewConnectionStatus.REGISTERED
    assert (case.customer.name, case.customer.id_number) == ("李建华", VALID_ID)
    assert case.premise.address == "城北区解放路18号3栋2单元502室"
    assert case.new_connection.materials_received == PERSON_MATERIALS
    assert case.material_notices.count() == 0
    assert page.url.endswith(f"/desk/cases/{case.public_id}/")
    expect(page.locator("h1")).to_contain_text(case.number)
    expect(page.locator("#case-status")).to_have_attribute("data-status", "registered")
    expect(page.get_by_text(f"已受理，受理编号 {case.number}。")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The receipt opens in a new tab; its response must be the PDF.
    receipt_url = reverse(
        "workbench:document", kwargs={"public_id": case.public_id, "name": "receipt"}
    )
    with page.context.expect_event(
        "response", predicate=lambda response: response.url.endswith(receipt_url)
    ) as response_info:
        page.locator("a", has_text="打印受理回执").click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # Chromium hands that response to its PDF viewer, which replaces the body the page sees;
    # fetch the same URL with the page's session to read the file itself.
    fetched = page.request.get(receipt_url)
    assert fetched.status == 200
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.body().startswith(b"%PDF-")
    text = PdfReader(BytesIO(fetched.body())).pages[0].extract_text()
    assert case.number in text
    assert "城北区解放路18号3栋2单元502室" in text


def test_an_invalid_resident_id_is_refused_on_the_page_and_nothing_is_saved(intake_page):
    page = intake_page
    _fill_application(page, id_number=INVALID_ID)
    page.get_by_role("button", name="受理登记").click()

    expect(page.locator("#id_new-id_number_error")).to_have_text("身份证号码不正确：校验位错误")
    expect(
        page.get_by_role("alert").filter(has_text="申请未保存，请修改标出的内容后重新提交。")
    ).to_be_visible()
    assert page.url.endswith(reverse("workbench:intake"))
    # The entered values survive for correction.
    expect(page.locator('[name="new-id_number"]')).to_have_value(INVALID_ID)
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Premise.objects.count() == 0
    assert Notification.objects.count() == 0

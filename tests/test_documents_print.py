"""What people print: the intake receipt, the bill and the fee notice (缴费通知单).

Every PDF embeds its font (Noto Sans SC, a TrueType subset) so it looks the same in every
viewer and every character — Chinese, "m³" — has a glyph; each carries the company's name,
hotline and address and a seal area; bills and notices carry a payment QR code when one is
configured, receipts the public look-up's address and a QR code that opens it. The QR codes
are read back from the rendered page (pdfium renders it, zxing-cpp decodes it).
"""

import io
from datetime import date, datetime

import pypdfium2
import pytest
import time_machine
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests import test_billing_run_support as support
from tests.factories import registered_new_connection
from tests.test_billing_run_support import SHANGHAI
from waterdesk.applications.documents import receipt_pdf
from waterdesk.billing.documents import account_statement_pdf, bill_pdf, fee_notice_pdf
from waterdesk.billing.models import LedgerEntry
from waterdesk.billing.services.ledger import ledger_post_adjustment, ledger_post_payment
from waterdesk.core.pdf import payment_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

# Shared fixtures (tests/test_billing_run_support.py): a January bill of 100.00 issued on
# 2026-04-10 (the pinned now), due 2026-04-30.
beijing = support.beijing
billed = support.billed
cycles = support.cycles
pinned_now = support.pinned_now

PAY = "https://pay.example.cn/water?account={account}&bill={bill}&amount={amount}"
SITE = "https://water.example.cn"


@pytest.fixture(autouse=True)
def letterhead(settings):
    settings.WATERDESK_COMPANY_NAME = "滨江供水有限公司"
    settings.WATERDESK_COMPANY_HOTLINE = "0571-96390"
    settings.WATERDESK_COMPANY_ADDRESS = "城北区解放路1号"
    settings.WATERDESK_SITE_URL = ""
    settings.WATERDESK_PAYMENT_QR_URL = ""


def pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())  # table cells may wrap: compare words, not line breaks


def unwrapped(text: str) -> str:
    """``text`` without any space: a long sentence wraps wherever the line ends."""
    return "".join(text.split())


def pdf_fonts(content: bytes) -> dict[str, bool]:
    """Every font the pages use: its name → whether its program is embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/DescendantFonts" in font:  # a composite font: its descendant has the file
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            files = {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
            fonts[str(font["/BaseFont"])] = bool(files)
    return fonts


def qr_codes(content: bytes) -> list[str]:
    """The QR codes printed on the document, read back from its rendered pages."""
    document = pypdfium2.PdfDocument(content)
    found = []
    for page in document:
        image = page.render(scale=3).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)]
    return found


# --- fonts and letterhead -----------------------------------------------------------------


@pytest.fixture
def printed(billed, clerk, zone):
    """Each kind of document, printed: name → (PDF, what it must say)."""
    account, bill = billed
    case = registered_new_connection(clerk)
    return {
        "bill": (
            bill_pdf(bill),
            ["水费账单", "用水量 20.00 m³", "水量(m³) 单价(元/m³) 金额(元)"],
        ),
        "receipt": (receipt_pdf(case), ["业务受理回执", f"受理编号 {case.number}", "新装开户"]),
        "fee notice": (
            fee_notice_pdf(account),
            ["缴费通知单", f"户号 {account.number}", "水量(m³) 未缴金额(元)"],
        ),
        "statement": (
            account_statement_pdf(account),
            ["账户对账单", f"户号 {account.number}", f"水费账单 {bill.number}"],
        ),
    }


@pytest.mark.parametrize("document", ["bill", "receipt", "fee notice", "statement"])
def test_every_document_embeds_its_font_and_carries_the_letterhead(printed, document):
    content, phrases = printed[document]

    fonts = pdf_fonts(content)
    # Subsets of the one embedded face (/AAAAAA+NotoSansSC-Regular, /AAAAAB+…) and nothing
    # else: no Helvetica, no STSong-Light.
    assert fonts, "the document uses no font"
    assert {name.split("+", 1)[1] for name in fonts} == {"NotoSansSC-Regular"}
    assert all(fonts.values()), fonts
    text = pdf_text(content)
    for phrase in [
        *phrases,
        "滨江供水有限公司 服务热线：0571-96390 地址：城北区解放路1号",
        "盖章处 滨江供水有限公司（盖章）",
    ]:
        assert phrase in text, phrase
    assert qr_codes(content) == []  # neither a payment URL nor the site is configured


def test_without_hotline_and_address_the_letterhead_prints_the_name_only(settings, billed):
    settings.WATERDESK_COMPANY_HOTLINE = ""
    settings.WATERDESK_COMPANY_ADDRESS = ""
    _account, bill = billed

    text = pdf_text(bill_pdf(bill))

    assert "滨江供水有限公司" in text
    assert "服务热线：" not in text
    assert "地址：" not in text
    assert "拨打服务热线。" in text  # how to pay: the sentence stands without a number


# --- payment QR codes ---------------------------------------------------------------------


def test_bill_carries_a_payment_qr_code_for_the_amount_due(settings, billed):
    settings.WATERDESK_PAYMENT_QR_URL = PAY
    account, bill = billed

    content = bill_pdf(bill)

    assert qr_codes(content) == [
        f"https://pay.example.cn/water?account={account.number}&bill={bill.number}&amount=100.00"
    ]
    assert "扫码缴费 100.00 元" in pdf_text(content)


def test_payment_url_quotes_what_it_fills_in(settings):
    settings.WATERDESK_PAYMENT_QR_URL = "https://pay.example.cn/{account}?b={bill}&a={amount}"

    url = payment_url(account="A/1 2", bill="F&1", amount=12.5)

    assert url == "https://pay.example.cn/A%2F1%202?b=F%261&a=12.50"


def test_payment_url_refuses_a_template_naming_an_unknown_field(settings):
    settings.WATERDESK_PAYMENT_QR_URL = "https://pay.example.cn/?id={customer_id}"

    with pytest.raises(ImproperlyConfigured, match="customer_id"):
        payment_url(account="1", amount=1)


def test_no_payment_qr_code_when_none_is_configured(settings):
    settings.WATERDESK_PAYMENT_QR_URL = ""

    assert payment_url(account="1000000000", bill="B1", amount=100) == ""


# --- the receipt and the public look-up ---------------------------------------------------


def test_receipt_points_to_the_public_look_up_when_the_site_is_configured(settings, clerk, zone):
    settings.WATERDESK_SITE_URL = SITE + "/"  # a trailing slash is dropped
    case = registered_new_connection(clerk)

    content = receipt_pdf(case)

    text = pdf_text(content)
    assert "或网上查询（https://water.example.cn/lookup/，输入受理编号和联系电话）" in unwrapped(
        text
    )
    assert qr_codes(content) == [f"https://water.example.cn/lookup/?number={case.number}"]
    assert "扫码查询办理进度" in text


def test_receipt_names_no_web_address_without_the_site(clerk, zone):
    case = registered_new_connection(clerk)

    content = receipt_pdf(case)

    text = pdf_text(content)
    assert "凭受理编号可在营业厅、服务热线（0571-96390）查询办理进度。" in text
    assert "网上" not in text
    assert qr_codes(content) == []


# --- the fee notice -----------------------------------------------------------------------


def test_fee_notice_lists_the_unpaid_bill_and_asks_for_payment_by_its_due_date(settings, billed):
    settings.WATERDESK_PAYMENT_QR_URL = PAY
    account, bill = billed

    content = fee_notice_pdf(account)

    text = pdf_text(content)
    assert f"户号 {account.number} 通知日期 2026年04月10日" in text
    assert (
        f"{bill.number} 2026.01.01–2026.01.31 20.00 100.00 2026-04-30 未到期 应缴合计 100.00"
        in text
    )
    assert "请于 2026年04月30日 前缴清上列费用共计 100.00 元。" in text
    assert qr_codes(content) == [
        f"https://pay.example.cn/water?account={account.number}&bill=&amount=100.00"
    ]


def test_fee_notice_counts_payments_against_the_oldest_debt_first(settings, billed, billing_clerk):
    settings.WATERDESK_PAYMENT_QR_URL = PAY
    account, bill = billed
    ledger_post_adjustment(actor=billing_clerk, account=account, amount="20", reason="表井维修费")
    # 30.00 paid: the repair (due today) is settled first, then 10.00 of the bill.
    ledger_post_payment(
        actor=None, account=account, amount="30", reference="R1", idempotency_key="k1"
    )

    content = fee_notice_pdf(account)

    text = pdf_text(content)
    assert f"{bill.number} 2026.01.01–2026.01.31 20.00 90.00 2026-04-30 未到期" in text
    assert "表井维修费" not in text
    assert "应缴合计 90.00" in text
    assert qr_codes(content) == [
        f"https://pay.example.cn/water?account={account.number}&bill=&amount=90.00"
    ]


def test_fee_notice_lists_a_charge_without_a_bill_and_marks_what_is_overdue(billed, billing_clerk):
    account, bill = billed
    ledger_post_adjustment(actor=billing_clerk, account=account, amount="20", reason="表井维修费")

    with time_machine.travel(datetime(2026, 5, 5, 9, tzinfo=SHANGHAI), tick=False):
        text = pdf_text(fee_notice_pdf(account))

    assert "通知日期 2026年05月05日" in text
    assert "表井维修费 — — 20.00 2026-04-10 已逾期25天" in text
    assert f"{bill.number} 2026.01.01–2026.01.31 20.00 100.00 2026-04-30 已逾期5天" in text
    assert "应缴合计 120.00" in text
    assert "您有 2 笔费用已逾期，请尽快缴清上列费用共计 120.00 元。" in text


def test_fee_notice_of_a_paid_up_account_shows_its_credit_and_no_qr_code(settings, billed):
    settings.WATERDESK_PAYMENT_QR_URL = PAY
    account, _bill = billed
    ledger_post_payment(
        actor=None, account=account, amount="120", reference="R2", idempotency_key="k2"
    )

    content = fee_notice_pdf(account)

    text = pdf_text(content)
    assert "截至通知日期，本户没有未缴的账单。" in text
    assert "应缴合计 0.00" in text
    assert "截至 2026年04月10日，本户预存余额 20.00 元，无待缴费用。" in text
    assert qr_codes(content) == []
    assert "扫码缴费" not in text


def test_printing_a_fee_notice_writes_nothing(billed):
    account, _bill = billed
    entries = list(LedgerEntry.objects.values_list("pk", "amount"))

    fee_notice_pdf(account)

    assert list(LedgerEntry.objects.values_list("pk", "amount")) == entries


# --- the fee notice's page link and its API -----------------------------------------------


def test_fee_notice_page_for_billing_staff_only(client, billed, billing_clerk, reader):
    account, _bill = billed
    url = reverse("billing:account_notice_pdf", args=[account.public_id])
    assert client.get(url)["Location"] == f"/login/?next={url}"
    client.force_login(reader)
    assert client.get(url).status_code == 403

    client.force_login(billing_clerk)
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="notice-{account.number}.pdf"'
    assert "缴费通知单" in pdf_text(response.content)


def test_account_page_links_to_its_fee_notice(client, billed, billing_clerk):
    account, _bill = billed
    client.force_login(billing_clerk)

    content = client.get(reverse("billing:account", args=[account.public_id])).content.decode()

    notice = reverse("billing:account_notice_pdf", args=[account.public_id])
    assert f'<a href="{notice}" role="button" class="outline" id="notice-pdf">' in content
    assert "打印缴费通知单（PDF）" in content


def test_fee_notice_api(billed, billing_clerk, reader):
    account, _bill = billed
    url = reverse("api:billing-account-notice-pdf", args=[account.public_id])
    api = APIClient()
    assert api.get(url).status_code == 401
    api.force_authenticate(reader)
    assert api.get(url).status_code == 403

    api.force_authenticate(billing_clerk)
    response = api.get(url, HTTP_ACCEPT="application/json")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert f"户号 {account.number}" in pdf_text(response.content)
    missing = api.get(
        reverse("api:billing-account-notice-pdf", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_fee_notice_is_dated_by_the_local_day(billed):
    account, _bill = billed
    # 2026-04-30 23:30 in Shanghai is still the due day: not overdue yet.
    with time_machine.travel(datetime(2026, 4, 30, 23, 30, tzinfo=SHANGHAI), tick=False):
        text = pdf_text(fee_notice_pdf(account))

    assert f"通知日期 {date(2026, 4, 30):%Y年%m月%d日}" in text
    assert "2026-04-30 未到期" in text

"""The invoicing pages for each role (allowed, read-only, refused), the account section on
the customer's page, the finance index, the invoice report and its Excel figures, and the
sandbox PDF."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.invoicing_support import finance_user, pay_at_counter, sandbox_reset
from tests.payments_support import CommittingClient, at
from waterdesk.billing import hooks as billing_hooks
from waterdesk.billing.hooks import FinanceReport, finance_report_register
from waterdesk.core.roles import Role
from waterdesk.invoicing.models import Invoice, InvoiceKind, InvoiceState, TaxItem
from waterdesk.invoicing.reports import invoice_report
from waterdesk.invoicing.services.invoices import invoice_reverse

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("beijing")]


@pytest.fixture(autouse=True)
def _sandbox():
    sandbox_reset()
    yield
    sandbox_reset()


@pytest.fixture
def world(billed, cashier, django_capture_on_commit_callbacks):
    """January and February paid on 10 April (one invoice, issued); March paid on 11 April
    and its invoice reversed by finance on 12 April."""
    account, bills = billed
    capture = django_capture_on_commit_callbacks
    with at(2026, 4, 10):
        pay_at_counter(capture, cashier=cashier, account=account, amount="250.00")
    with at(2026, 4, 11):
        pay_at_counter(capture, cashier=cashier, account=account, amount="50.00", external_id="c-2")
    march = Invoice.objects.get(bill_links__bill=bills[2])
    finance = finance_user()
    with at(2026, 4, 12), capture(execute=True):
        invoice_reverse(actor=finance, invoice=march, reason="抬头开错")
    return {"account": account, "bills": bills, "finance": finance, "march": march}


def client_for(user):
    client = CommittingClient()
    client.force_login(user)
    return client


def test_report_figures_and_excel(world):
    report = invoice_report(start=date(2026, 4, 1), end=date(2026, 4, 30))
    by_day = [
        (
            row.label,
            row.issued.count,
            row.issued.with_tax,
            row.issued.tax,
            row.reversed.count,
            row.reversed.with_tax,
            row.reversed.tax,
        )
        for row in report.by_day
    ]
    # March: 10 m³ → water supply 20.70 (tax 0.60), sewage 13.60, resource 15.70.
    assert by_day == [
        ("2026-04-10", 1, D("250.00"), D("3.01"), 0, D("0.00"), D("0.00")),
        ("2026-04-11", 1, D("50.00"), D("0.60"), 0, D("0.00"), D("0.00")),
        ("2026-04-12", 0, D("0.00"), D("0.00"), 1, D("-50.00"), D("-0.60")),
    ]
    by_item = [
        (
            row.key,
            row.issued.count,
            row.issued.with_tax,
            row.issued.tax,
            row.reversed.with_tax,
            row.net.with_tax,
            row.net.without_tax,
        )
        for row in report.by_item
    ]
    assert by_item == [
        ("water_supply", 2, D("124.20"), D("3.61"), D("-20.70"), D("103.50"), D("100.49")),
        ("sewage", 2, D("81.60"), D("0.00"), D("-13.60"), D("68.00"), D("68.00")),
        ("water_resource", 2, D("94.20"), D("0.00"), D("-15.70"), D("78.50"), D("78.50")),
    ]
    total = report.total
    assert (total.issued.count, total.reversed.count, total.net.with_tax, total.net.tax) == (
        2,
        1,
        D("250.00"),
        D("3.01"),
    )
    response = client_for(world["finance"]).get(
        reverse("workbench:invoicing_report"),
        {"start": "2026-04-01", "end": "2026-04-30", "format": "xlsx"},
    )
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["按日", "按税目"]
    days = [[cell.value for cell in row] for row in book["按日"].iter_rows()]
    assert days[0][:5] == ["日期", "开具张数", "开具价税合计", "开具不含税金额", "开具税额"]
    assert days[1] == ["2026-04-10", 1, 250.0, 246.99, 3.01, 0, 0.0, 0.0, 0.0, 250.0, 246.99, 3.01]
    assert days[3] == ["2026-04-12", 0, 0.0, 0.0, 0.0, 1, -50.0, -49.4, -0.6, -50.0, -49.4, -0.6]
    assert days[4] == ["合计", 2, 300.0, 296.39, 3.61, 1, -50.0, -49.4, -0.6, 250.0, 246.99, 3.01]
    items = [[cell.value for cell in row] for row in book["按税目"].iter_rows()]
    assert items[1][:5] == ["*水冰雪*自来水", 2, 124.2, 120.59, 3.61]


PAGES = [
    ("workbench:invoices", {}),
    ("workbench:invoicing_uninvoiced", {}),
    ("workbench:invoicing_tax_items", {}),
    ("workbench:finance_index", {}),
    ("workbench:invoicing_report", {}),
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.FINANCE, [200, 200, 200, 200, 200]),
        # The finance index lists the reports a user may open: clerks have the prepaid balances.
        (Role.BILLING_CLERK, [200, 200, 200, 200, 403]),
        (Role.CASHIER, [200, 200, 200, 403, 403]),
        (Role.SUPERVISOR, [200, 200, 200, 200, 200]),
        (None, [403, 403, 403, 403, 403]),
    ],
)
def test_pages_by_role(world, role, expected):
    user = (
        UserFactory(username=f"u-{role or 'none'}", role=role)
        if role
        else UserFactory(username="x")
    )
    client = client_for(user)
    statuses = [client.get(reverse(name, kwargs=kwargs)).status_code for name, kwargs in PAGES]
    march = world["march"]
    statuses.append(client.get(reverse("workbench:invoice", args=[march.public_id])).status_code)
    assert statuses == [*expected, 403 if role is None else 200]


def test_list_detail_and_filters(world):
    client = client_for(world["finance"])
    page = client.get(reverse("workbench:invoices"), {"state": "reversed"}).content.decode()
    assert world["march"].number in page
    assert page.count('data-invoice="') == 1
    red = Invoice.objects.get(kind=InvoiceKind.RED)
    detail = client.get(
        reverse("workbench:invoice", args=[world["march"].public_id])
    ).content.decode()
    assert red.number in detail and "抬头开错" in detail and "reverse-form" not in detail
    by_account = client.get(reverse("workbench:invoices"), {"account": world["account"].number})
    assert by_account.content.decode().count('data-invoice="') == 3
    by_day = client.get(reverse("workbench:invoices"), {"day": "2026-04-11"})
    assert by_day.content.decode().count('data-invoice="') == 1


def test_reverse_and_issue_through_the_pages(world, billing_clerk, supervisor):
    first = Invoice.objects.get(state=InvoiceState.ISSUED, kind=InvoiceKind.BLUE)
    url = reverse("workbench:invoice_reverse", args=[first.public_id])
    assert client_for(supervisor).post(url, {"reason": "开错"}).status_code == 403
    refused = client_for(billing_clerk).post(url, {"reason": ""})
    assert refused.status_code == 400
    first.refresh_from_db()
    assert first.state == InvoiceState.ISSUED
    done = client_for(billing_clerk).post(url, {"reason": "抬头开错"})
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.state == InvoiceState.REVERSED
    # All three bills are paid without an invoice now; issue one for January and February.
    account, bills = world["account"], world["bills"]
    listing = (
        client_for(billing_clerk).get(reverse("workbench:invoicing_uninvoiced")).content.decode()
    )
    assert [bill.number in listing for bill in bills] == [True, True, True]
    issue = reverse("workbench:invoicing_account_issue", args=[account.public_id])
    response = client_for(billing_clerk).post(
        issue, {"bills": [str(bills[0].public_id), str(bills[1].public_id)]}
    )
    assert response.status_code == 302
    new = Invoice.objects.filter(kind=InvoiceKind.BLUE).order_by("-pk").first()
    assert (new.state, new.amount_with_tax) == (InvoiceState.ISSUED, D("250.00"))
    assert client_for(supervisor).get(issue).status_code == 403


def test_title_page_validates_the_tax_id(world, billing_clerk):
    account = world["account"]
    url = reverse("workbench:invoicing_account_title", args=[account.public_id])
    client = client_for(billing_clerk)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "organisation", "name": "某公司", "tax_id": "123"})
    assert bad.status_code == 400
    assert "统一社会信用代码校验不通过" in bad.content.decode()
    assert not hasattr(account, "invoice_title") or account.invoice_title is None
    good = client.post(
        url,
        {
            "kind": "organisation",
            "name": "某公司",
            "tax_id": "91110108MA01ABCD3L",
            "auto_issue": "on",
        },
    )
    assert good.status_code == 302
    account.refresh_from_db()
    assert account.invoice_title.tax_id == "91110108MA01ABCD3L"


def test_customer_page_shows_the_invoicing_section(world, billing_clerk, reader):
    account = world["account"]
    url = reverse("workbench:customer", args=[account.customer.public_id])
    page = client_for(billing_clerk).get(url).content.decode()
    assert "account-invoicing" in page and world["march"].number in page
    assert reverse("workbench:invoicing_account_title", args=[account.public_id]) in page


def test_tax_item_page_for_finance_only(world, billing_clerk):
    item = TaxItem.objects.get(component_kind="sewage")
    url = reverse("workbench:invoicing_tax_item", args=[item.pk])
    assert client_for(billing_clerk).get(url).status_code == 403
    client = client_for(world["finance"])
    bad = client.post(
        url,
        {
            "goods_name": "x",
            "tax_code": "1" * 19,
            "treatment": "exempt",
            "rate": "0.03",
            "unit": "吨",
        },
    )
    assert bad.status_code == 400
    done = client.post(
        url,
        {
            "goods_name": "*现代服务*污水处理服务",
            "tax_code": "3" + "0" * 18,
            "treatment": "taxable",
            "rate": "0.06",
            "unit": "吨",
        },
    )
    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.treatment, item.rate) == ("taxable", D("0.0600"))


def test_finance_index_lists_the_reports_the_user_may_open(world, supervisor):
    finance_report_register(
        FinanceReport(
            name="test-hidden",
            label="隐藏报表",
            url_name="workbench:invoices",
            permission="payments.view_cash_report_nobody",
        )
    )
    try:
        page = client_for(supervisor).get(reverse("workbench:finance_index")).content.decode()
    finally:
        billing_hooks._FINANCE_REPORTS.pop("test-hidden")
    assert 'data-report="invoices"' in page and "test-hidden" not in page


def test_sandbox_pdf_is_served_by_its_token(world, client):
    invoice = world["march"]
    response = client.get(invoice.pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get("/e-invoices/00000000-0000-0000-0000-000000000000.pdf").status_code == 404

"""The prepayment balances report (page, Excel, finance index) and the prepaid balance
under each account on the customer's page."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.prepayment_support import D, account_with_meter, at, bill_month, bill_of, prepay
from waterdesk.billing.hooks import finance_reports_for
from waterdesk.billing.selectors.prepayment import prepayment_report
from waterdesk.core.roles import Role
from waterdesk.customers.services import account_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(db):
    return UserFactory(username="finance", role=Role.FINANCE)


@pytest.fixture
def town(billing_clerk, cashier, django_capture_on_commit_callbacks):
    """ample: 500.00 prepaid, January's 40.80 settled -> 459.20; low: 60.00 -> 19.20
    (below 50.00); fresh: 30.00 prepaid, no bill yet; owing: no prepayment, owes 40.80."""
    ample, low, fresh, owing = (account_with_meter() for _ in range(4))
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, ample, "500.00", key="prepay-1")
        prepay(cashier, low, "60.00", key="prepay-2")
    bill_month(
        billing_clerk,
        django_capture_on_commit_callbacks,
        year=2026,
        month=1,
        reads={ample: "12", low: "12", owing: "12"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        prepay(cashier, fresh, "30.00", key="prepay-3", when=(2026, 2, 5))
    return {"ample": ample, "low": low, "fresh": fresh, "owing": owing}


def test_the_report_lists_every_account_with_credit_and_the_totals(town):
    report = prepayment_report()
    rows = [
        (
            row.account,
            row.balance,
            row.last_settled_bill,
            row.last_settled_amount,
            row.is_below_threshold,
        )
        for row in report.rows
    ]
    assert rows == [
        (town["ample"], D("459.20"), bill_of(town["ample"], 2026, 1).number, D("40.80"), False),
        (town["fresh"], D("30.00"), "", None, True),
        (town["low"], D("19.20"), bill_of(town["low"], 2026, 1).number, D("40.80"), True),
    ]
    assert (report.accounts, report.total_balance, report.below_threshold, report.threshold) == (
        3,
        D("508.40"),
        2,
        D("50.00"),
    )


def test_the_report_page_and_its_excel_file(client, town, finance, django_assert_max_num_queries):
    client.force_login(finance)
    url = reverse("billing:prepayment_report")
    assert [report.url_name for report in finance_reports_for(finance)].count(
        "billing:prepayment_report"
    ) == 1
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="prepayment-total">508.40<' in page
    customer = town["low"].customer
    assert customer.mobile not in page and customer.name not in page  # masked
    response = client.get(reverse("billing:prepayment_report_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["户号", "户名", "手机", "预存余额（元）"]
    assert [(row[0], row[3], row[7]) for row in values[1:-1]] == [
        (town["ample"].number, 459.2, None),
        (town["fresh"].number, 30.0, "是"),
        (town["low"].number, 19.2, "是"),
    ]
    assert values[-1] == ["合计", "3 户", None, 508.4, None, None, None, "2 户"]


def test_the_report_is_for_finance_billing_and_supervisors(client, town, cashier, outsider):
    url = reverse("billing:prepayment_report")
    for user in (cashier, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("billing:prepayment_report_xlsx")).status_code == 403
    for role in (Role.BILLING_CLERK, Role.SUPERVISOR):
        client.force_login(UserFactory(role=role))
        assert client.get(url).status_code == 200


def test_the_customer_page_shows_the_prepaid_balance(client, town, billing_clerk, cashier):
    low = town["low"]
    client.force_login(billing_clerk)
    page = client.get(reverse("workbench:customer", args=[low.customer.public_id])).content.decode()
    assert 'data-section="prepayment"' in page
    assert "data-prepaid-balance>19.20" in page
    assert "data-below-threshold" in page
    assert bill_of(low, 2026, 1).number in page
    assert reverse("billing:account", args=[low.public_id]) in page
    # The cashier tops the balance up at the counter from the section.
    client.force_login(cashier)
    page = client.get(reverse("workbench:customer", args=[low.customer.public_id])).content.decode()
    assert f'{reverse("payments:counter")}?account={low.number}">柜台预存' in page
    client.force_login(billing_clerk)

    # An account that never held a balance shows no section.
    owing = town["owing"]
    page = client.get(
        reverse("workbench:customer", args=[owing.customer.public_id])
    ).content.decode()
    assert 'data-section="prepayment"' not in page

    # A closed account's refund waits for approval on the page.
    ample = town["ample"]
    with at(2026, 3, 2):
        account_close(actor=billing_clerk, account=ample, reason="客户迁出")
    page = client.get(
        reverse("workbench:customer", args=[ample.customer.public_id])
    ).content.decode()
    assert "data-pending-refunds" in page
    assert "459.20" in page

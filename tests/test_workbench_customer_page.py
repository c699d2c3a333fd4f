"""The customer's page: accounts with their billing picture, every case the user may see in
one panel per registered kind, notifications, and what may be started from here."""

import io
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from pypdf import PdfReader

from tests import test_billing_run_support as support
from tests.factories import CustomerFactory, UserFactory, meter_read, registered_new_connection
from tests.test_inquiries import BILLING_QUESTION
from tests.test_inquiries import register as register_inquiry
from waterdesk.billing.models import Bill
from waterdesk.billing.services.ledger import ledger_post_payment
from waterdesk.cases.kinds import all_kinds
from waterdesk.core.roles import Role
from waterdesk.notify.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


@pytest.fixture
def world(clerk, billing_clerk, cycles, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="王芳", mobile="13812345678")
    account = support.account_with_meter(customer=customer)
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    support.run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    bill = Bill.objects.get(account=account)
    ledger_post_payment(
        actor=billing_clerk,
        account=account,
        amount="10.00",
        reference="POS-0001",
        idempotency_key="pay-1",
    )
    connection = registered_new_connection(clerk, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = register_inquiry(
            clerk, contact_name="王芳", contact_phone="13812345678", customer=customer
        )
    other = registered_new_connection(clerk)  # another customer's case: not on the page
    return {
        "customer": customer,
        "account": account,
        "bill": bill,
        "connection": connection,
        "inquiry": inquiry,
        "other": other,
    }


def page(client, user, customer):
    client.force_login(user)
    return client.get(reverse("workbench:customer", args=[customer.public_id]))


def test_the_page_shows_accounts_with_balance_bills_payments_and_reads(client, clerk, world):
    response = page(client, clerk, world["customer"])
    assert response.status_code == 200
    [panel] = response.context["accounts"]
    bill = world["bill"]
    assert panel.account == world["account"]
    assert panel.tariff == "北京居民阶梯水价"
    assert panel.balance == bill.amount - 10
    assert [b.number for b in panel.bills] == [bill.number]
    assert [(p.amount, p.reference) for p in panel.payments] == [(-10, "POS-0001")]
    assert [(str(r.read_on), r.value) for r in panel.reads] == [("2026-01-31", 20)]
    html = response.content.decode()
    assert reverse("billing:bill_pdf", args=[bill.public_id]) in html
    assert reverse("billing:account_statement_pdf", args=[world["account"].public_id]) in html
    assert reverse("billing:account_notice_pdf", args=[world["account"].public_id]) in html
    # The intake clerk handles the customer's open cases: the policy shows them in full.
    assert "13812345678" in html
    assert world["customer"].id_number in html


def test_each_kind_has_its_panel_with_open_and_closed_cases(client, supervisor, world):
    response = page(client, supervisor, world["customer"])
    panels = {
        panel.spec.kind: [row.case for row in panel.rows] for panel in response.context["panels"]
    }
    assert panels == {
        "new_connection": [world["connection"]],
        "inquiry": [world["inquiry"]],
    }
    html = response.content.decode()
    assert world["other"].number not in html
    # The inquiry's own panel (its registration) adds the category and the question.
    assert BILLING_QUESTION in html
    assert "inquiries/partials/customer_panel.html" in [t.name for t in response.templates]


def test_a_kind_panel_is_contributed_by_the_registration_alone():
    panels = {spec.kind: spec.customer_panel for spec in all_kinds()}
    generic = "workbench/partials/customer_cases_panel.html"
    assert {kind: panel.template for kind, panel in panels.items()} == {
        "new_connection": generic,
        "ownership_transfer": generic,
        "usage_change": generic,
        "inquiry": "inquiries/partials/customer_panel.html",
        "repair": "repairs/partials/customer_panel.html",
        "collection": "collection/partials/customer_panel.html",
        "complaint": "complaints/partials/customer_panel.html",
        "praise": "complaints/praise/customer_panel.html",
        "feedback": generic,  # follow-ups of low survey scores
        "report": generic,  # about staff conduct: never a customer's, the panel stays empty
        "incident": generic,  # about an area, never one customer's: the panel stays empty
        "outage": generic,  # a planned outage is over an area, never a customer's case
    }
    assert {kind for kind, panel in panels.items() if panel.details} == {
        "inquiry",
        "repair",
        "collection",
        "complaint",
        "praise",
    }


def test_cases_outside_the_users_scope_are_not_listed(client, world):
    reader = UserFactory(username="reader2", role=Role.METER_READER)
    reader.user_permissions.add(Permission.objects.get(codename="view_customer"))
    response = page(client, reader, world["customer"])
    assert response.status_code == 200
    assert response.context["panels"] == []
    assert "您可查看的范围内，该客户没有工单。" in response.content.decode()


def test_notifications_sent_to_the_customer_are_listed(client, supervisor, world):
    response = page(client, supervisor, world["customer"])
    expected = list(
        Notification.objects.filter(customer=world["customer"]).order_by("-created_at", "-pk")
    )
    assert expected  # the inquiry's registration notice
    assert list(response.context["notifications"]) == expected


def test_intake_links_start_from_this_customer_or_account(client, clerk, world):
    response = page(client, clerk, world["customer"])
    customer_id = world["customer"].public_id
    number = world["account"].number
    assert [intake["url"] for intake in response.context["customer_intakes"]] == [
        f"{reverse('workbench:intake')}?customer={customer_id}",
        f"{reverse('workbench:intake_inquiry')}?customer={customer_id}",
        f"{reverse('workbench:intake_complaint')}?customer={customer_id}",
        f"{reverse('workbench:intake_praise')}?customer={customer_id}",
    ]
    [panel] = response.context["accounts"]
    assert [intake["url"] for intake in panel.intakes] == [
        f"{reverse('workbench:intake_transfer')}?account={number}",
        f"{reverse('workbench:intake_usage_change')}?account={number}",
        f"{reverse('workbench:intake_repair')}?account={number}",
    ]
    intake = client.get(response.context["customer_intakes"][1]["url"])
    assert intake.context["picked"] == world["customer"]


def test_roles_without_the_billing_office_see_no_print_links(client, surveyor, world):
    response = page(client, surveyor, world["customer"])
    assert response.status_code == 200
    assert response.context["may_view_bills"] is False
    html = response.content.decode()
    assert "13812345678" not in html  # handles none of the customer's cases: masked
    assert "138****5678" in html
    assert reverse("billing:bill_pdf", args=[world["bill"].public_id]) not in (
        response.content.decode()
    )


def test_the_statement_is_a_real_pdf_with_the_ledger(client, clerk, world):
    client.force_login(clerk)
    response = client.get(
        reverse("billing:account_statement_pdf", args=[world["account"].public_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "账户对账单" in text
    assert world["account"].number in text
    assert f"水费账单 {world['bill'].number}" in text
    amount, owed = world["bill"].amount, world["bill"].amount - 10
    # The ledger in posting order with the running balance, then the balance owed.
    assert (
        f"2026-04-10\n应收\n水费账单 {world['bill'].number}\n{amount:,.2f}\n{amount:,.2f}\n"
        f"2026-04-10\n缴费\n-10.00\n{owed:,.2f}\n"
    ) in text
    assert f"当前余额\n欠费 {owed:,.2f} 元" in text


def test_an_unknown_customer_is_404(client, clerk):
    client.force_login(clerk)
    response = client.get(
        reverse("workbench:customer", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert response.status_code == 404

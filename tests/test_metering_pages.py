"""The metering pages: arrangements set up on the page (a loop refused with nothing
written), the cycle's allocations calculated, the review queue, the differences report
and its Excel export, the section on the customer page; who may open what."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.metering_support import (
    JAN_END,
    D,
    PartInput,
    account_with_meter,
    arrangement_create,
    meter_of,
    meter_read,
    plain_account,
)
from tests.test_billing_run_support import pinned_now  # noqa: F401  fixture
from waterdesk.billing.hooks import finance_reports_for
from waterdesk.core.errors import InvalidInput
from waterdesk.core.roles import Role
from waterdesk.customers.models import Account, BillingMode
from waterdesk.metering.models import Allocation, AllocationStatus, Arrangement, ArrangementPart

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now")]


@pytest.fixture
def finance(db):
    return UserFactory(username="finance", role=Role.FINANCE)


@pytest.fixture
def estate(billing_clerk):
    point = account_with_meter()
    house_a, house_b = account_with_meter(), account_with_meter()
    company = plain_account(usage_category="non_residential")
    arrangement = arrangement_create(
        actor=billing_clerk,
        kind="master_sub",
        name="阳光小区总表",
        meter=meter_of(point),
        rule="master_account",
        account=company,
        parts=[PartInput(meter=meter_of(house_a)), PartInput(meter=meter_of(house_b))],
    )
    return arrangement, point, house_a, house_b, company


def test_who_may_open_the_pages(client, billing_clerk, supervisor, finance, outsider, estate):
    arrangement = estate[0]
    pages = [
        reverse("workbench:metering_arrangements"),
        reverse("workbench:metering_arrangement", args=[arrangement.public_id]),
        reverse("workbench:metering_allocations"),
        reverse("workbench:metering_review"),
        reverse("workbench:metering_report"),
    ]
    for user in (billing_clerk, supervisor, finance):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(supervisor)
    assert (
        client.get(reverse("workbench:metering_arrangement_new", args=["shared"])).status_code
        == 403
    )
    client.force_login(outsider)
    for url in pages:
        assert client.get(url).status_code == 403
    assert "metering_differences" in [report.name for report in finance_reports_for(finance)]


def test_set_up_on_the_page_and_a_loop_refused(client, billing_clerk):
    first, second = account_with_meter(), account_with_meter()
    company = plain_account(usage_category="non_residential")
    client.force_login(billing_clerk)
    url = reverse("workbench:metering_arrangement_new", args=["master_sub"])
    response = client.post(
        url,
        {
            "name": "一号楼总表",
            "rule": "master_account",
            "meter_serial": meter_of(first).serial,
            "account_number": company.number,
            "parts": meter_of(second).serial,
        },
    )
    assert response.status_code == 302
    arrangement = Arrangement.objects.get()
    assert response.url == reverse("workbench:metering_arrangement", args=[arrangement.public_id])
    # The reverse — the sub meter as a master of its own master — is a loop.
    response = client.post(
        url,
        {
            "name": "倒挂",
            "rule": "master_account",
            "meter_serial": meter_of(second).serial,
            "account_number": company.number,
            "parts": meter_of(first).serial,
        },
    )
    assert response.status_code == 400
    assert "循环" in response.content.decode()
    assert Arrangement.objects.count() == 1 and ArrangementPart.objects.count() == 1
    second.refresh_from_db()
    assert second.billing_mode == BillingMode.METERED


def test_loops_and_two_masters_refused_with_nothing_written(billing_clerk):
    top, middle, bottom, other, company_meter = (account_with_meter() for _ in range(5))
    company = plain_account()

    def master(name, meter_account, *subs):
        return arrangement_create(
            actor=billing_clerk,
            kind="master_sub",
            name=name,
            meter=meter_of(meter_account),
            rule="master_account",
            account=company,
            parts=[PartInput(meter=meter_of(sub)) for sub in subs],
        )

    master("顶层", top, middle)
    master("中层", middle, bottom)  # nested: a sub meter that is a master itself
    modes = dict(Account.objects.values_list("pk", "billing_mode"))
    with pytest.raises(InvalidInput) as refused:
        arrangement_create(
            actor=billing_clerk,
            kind="master_sub",
            name="差额记到计量点",
            meter=meter_of(other),
            rule="master_account",
            account=other,  # would become the metering point: never billed
            parts=[PartInput(meter=meter_of(company_meter))],
        )
    assert refused.value.code == "account_not_metered"
    for name, meter_account, subs, code in (
        ("自环", other, (other,), "meter_loop"),
        ("底层", bottom, (top,), "meter_loop"),  # bottom → top → middle → bottom
        ("两个总表", other, (bottom,), "meter_has_master"),
    ):
        with pytest.raises(InvalidInput) as refused:
            master(name, meter_account, *subs)
        assert refused.value.code == code
    assert Arrangement.objects.count() == 2 and ArrangementPart.objects.count() == 2
    assert dict(Account.objects.values_list("pk", "billing_mode")) == modes


def test_fixed_shares_must_make_a_hundred(billing_clerk):
    point = account_with_meter()
    first, second = plain_account(), plain_account()
    with pytest.raises(InvalidInput) as refused:
        arrangement_create(
            actor=billing_clerk,
            kind="shared",
            name="共用表",
            meter=meter_of(point),
            rule="fixed",
            parts=[
                PartInput(account=first, share_percent="33.33"),
                PartInput(account=second, share_percent="66.66"),
            ],
        )
    assert refused.value.code == "shares_not_hundred"
    assert not Arrangement.objects.exists()


def test_calculate_review_and_report(client, billing_clerk, finance, estate, cycles):
    _arrangement, point, house_a, house_b, company = estate
    meter_read(billing_clerk, point, JAN_END, "100")
    meter_read(billing_clerk, house_a, JAN_END, "60")
    meter_read(billing_clerk, house_b, JAN_END, "45")
    client.force_login(billing_clerk)
    response = client.post(reverse("workbench:metering_allocations"), {"cycle": "2026-01"})
    assert response.status_code == 302
    allocation = Allocation.objects.get()
    assert allocation.status == AllocationStatus.FLAGGED
    page = client.get(reverse("workbench:metering_review")).content.decode()
    assert "阳光小区总表" in page and "-5.00" in page
    results = client.get(reverse("workbench:metering_allocations"), {"cycle": "2026-01"})
    html = results.content.decode()
    assert f"{meter_of(house_a).serial} 60.00 m³" in html and "2026-01-31 100.00" in html

    client.force_login(finance)
    response = client.get(reverse("workbench:metering_report"), {"cycle": "2026-01"})
    assert "-5.00" in response.content.decode()
    export = client.get(
        reverse("workbench:metering_report"), {"cycle": "2026-01", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "总表",
        "名称",
        "账期",
        "总表水量（m³）",
        "分表水量合计（m³）",
        "差额（m³）",
    )
    assert rows[1][0] == meter_of(point).serial
    assert [D(str(value)) for value in rows[1][3:6]] == [D("100"), D("105"), D("-5")]
    assert rows[1][8] == "是"

    client.force_login(billing_clerk)
    url = reverse("workbench:metering_review_action", args=[allocation.pk])
    assert client.post(url, {"action": "accept_zero", "note": ""}).status_code == 400
    response = client.post(url, {"action": "accept_zero", "note": "分表偏快，按零计"})
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.ACCEPTED_ZERO

    customer_page = client.get(
        reverse("workbench:customer", args=[company.customer.public_id])
    ).content.decode()
    assert "承担总分表差额" in customer_page and "阳光小区总表" in customer_page
    point_page = client.get(
        reverse("workbench:customer", args=[point.customer.public_id])
    ).content.decode()
    assert "分摊计量点（本账户不出账）" in point_page


def test_edit_and_deactivate_on_the_page(client, billing_clerk, estate):
    arrangement, _point, house_a, house_b, _company = estate
    client.force_login(billing_clerk)
    edit = reverse("workbench:metering_arrangement_edit", args=[arrangement.public_id])
    form = client.get(edit).content.decode()
    assert meter_of(house_a).serial in form and meter_of(house_b).serial in form
    response = client.post(
        edit,
        {
            "name": "阳光小区总表",
            "rule": "fixed",
            "meter_serial": arrangement.meter.serial,
            "parts": f"{meter_of(house_a).serial} 40\n{meter_of(house_b).serial} 60",
        },
    )
    assert response.status_code == 302
    shares = list(arrangement.parts.order_by("position").values_list("share_percent", flat=True))
    assert shares == [D("40.00"), D("60.00")]
    deactivate = reverse("workbench:metering_arrangement_deactivate", args=[arrangement.public_id])
    assert client.post(deactivate, {"note": "改为一户一表"}).status_code == 302
    arrangement.refresh_from_db()
    assert not arrangement.is_active and not arrangement.parts.exists()
    assert arrangement.events.values_list("kind", flat=True).last() == "deactivated"


def test_flat_fee_on_the_page(client, billing_clerk):
    toilet = plain_account(usage_category="non_residential")
    client.force_login(billing_clerk)
    url = reverse("workbench:metering_arrangement_new", args=["flat_fee"])
    response = client.post(
        url,
        {"name": "公厕包费", "account_number": toilet.number, "flat_basis": "amount"},
    )
    assert response.status_code == 400  # no amount
    assert not Arrangement.objects.exists()
    response = client.post(
        url,
        {
            "name": "公厕包费",
            "account_number": toilet.number,
            "flat_basis": "amount",
            "flat_amount": "60.00",
        },
    )
    assert response.status_code == 302
    toilet.refresh_from_db()
    assert (toilet.billing_mode, toilet.flat_amount) == (BillingMode.FLAT_AMOUNT, D("60.00"))

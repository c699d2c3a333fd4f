"""The arrears file on the customer's page (issue 11 §5): per account with a collection
case, balance and aging, the latest classification, exemptions and late fees; under it each
case with its tasks, promises, notices, orders, plans and payments — shown to those who may
see collection cases, read in a fixed number of queries."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.collection_ladder_support import (
    People,
    account_in_arrears,
    case_of,
    nightly,
    pay,
    pinned,
    record,
    visit_photo,
)
from tests.collection_support import bill, charge, entry, moment
from tests.factories import AccountFactory, UserFactory
from waterdesk.billing.models import LedgerEntryKind
from waterdesk.billing.services.late_fees import late_fee_waiver_approve, late_fee_waiver_request
from waterdesk.cases.models import Case
from waterdesk.collection.models import CollectionPolicy, DunningStatus
from waterdesk.collection.panel import collection_details
from waterdesk.collection.services.disconnection import disconnection_approve
from waterdesk.collection.services.exemptions import collection_exemption_add
from waterdesk.collection.services.payments import instalment_plan_agree
from waterdesk.core.roles import Role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 8)


@pytest.fixture
def world():
    """Customer with two accounts. Account A: a first case settled by the payment its
    promise named, then a second debt whose case climbed to an approved disconnection and
    an instalment plan; a late fee of 30 yuan, 10 of it waived. Account B: a case stopped
    at the reminder by a registered vulnerable household exemption."""
    people = People()
    CollectionPolicy.objects.create(department=people.collector.staff_profile.department)
    first = account_in_arrears()  # 1,500 due 1 Aug
    customer = first.customer
    second = AccountFactory(customer=customer, number="2000000001")
    charge(second, "500.00", due=date(2026, 9, 15))

    nightly(date(2026, 11, 2))  # both open: A intensive, B standard
    nightly(date(2026, 11, 4))  # A calls
    record(
        people.collector,
        first,
        date(2026, 11, 4),
        "promised",
        promised_on=date(2026, 11, 6),
        promised_amount="1500.00",
        note="客户称周五发工资后缴清",
    )
    pay(first, "1500.00", date(2026, 11, 5), key="R-first")  # settles A's first case
    settled = Case.objects.get(dunning__account=first)
    clerk = UserFactory(username="billing", role=Role.BILLING_CLERK)
    approver = UserFactory(username="approver", role=Role.SUPERVISOR, first_name="吴芳")
    with pinned(date(2026, 11, 3)):
        collection_exemption_add(
            actor=people.supervisor,
            account=second,
            kind="vulnerable_household",
            reason="低保户，民政局登记",
            starts_at=date(2026, 11, 3),
            expires_at=date(2027, 5, 1),
        )

    later = bill(first, amount="1200.00", due=date(2026, 9, 1), issued=date(2026, 8, 12))
    entry(
        first,
        LedgerEntryKind.LATE_FEE,
        "30.00",
        posted=moment(date(2026, 11, 10), 1),
        due=date(2026, 11, 10),
        bill=later,
    )
    with pinned(date(2026, 11, 12)):
        waiver = late_fee_waiver_request(
            actor=clerk, bill=later, reason="首次逾期，酌情减免", amount="10.00"
        )
        late_fee_waiver_approve(actor=approver, waiver=waiver)

    nightly(date(2026, 11, 20))  # A's second case opens (1,220 overdue, 80 days)
    nightly(date(2026, 11, 22))
    record(people.collector, first, date(2026, 11, 22), "no_answer")
    nightly(date(2026, 11, 25))
    record(people.collector, first, date(2026, 11, 26), "refused", photo=visit_photo())
    nightly(date(2026, 11, 29))
    record(people.collector, first, date(2026, 11, 29), "delivered")
    nightly(date(2026, 12, 6))  # the period has run: the order waits for approval
    current = Case.objects.get(dunning__account=first, closed_at__isnull=True)
    with pinned(date(2026, 12, 6), 9):
        disconnection_approve(
            actor=people.supervisor, case=current, crew=people.crew, note="经核实，同意停水"
        )
    with pinned(date(2026, 12, 7)):
        instalment_plan_agree(
            actor=people.collector,
            case=current,
            instalments=[(date(2026, 12, 10), "400.00"), (date(2027, 1, 10), "820.00")],
            note="分两期",
        )
    return {
        "people": people,
        "customer": customer,
        "first": first,
        "second": second,
        "settled": settled,
        "current": current,
        "bill": later,
        "exempt": case_of(second),
    }


def page(client, user, customer):
    with pinned(TODAY, 10):
        client.force_login(user)
        return client.get(reverse("workbench:customer", args=[customer.public_id]))


def text(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


def part(markup: str, name: str) -> str:
    """The text of the element marked ``data-part=name`` (a <dd>, a <table> or a <ul>)."""
    start = markup.index(f'data-part="{name}"')
    ends = [markup.find(tag, start) for tag in ("</dd>", "</table>", "</ul>")]
    return text(markup[markup.index(">", start) + 1 : min(end for end in ends if end >= 0)])


def pieces(markup: str, opening: str) -> list[str]:
    """``markup`` cut where each ``opening`` starts (the first piece dropped)."""
    return [opening + piece for piece in markup.split(opening)[1:]]


def attribute(markup: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', markup).group(1)


def test_the_collector_sees_each_accounts_file(client, world):
    response = page(client, world["people"].collector, world["customer"])
    assert response.status_code == 200
    body = response.content.decode()
    panel = body[body.index('data-kind="collection"') :]
    files = pieces(panel, '<section class="arrears-file"')
    # The account of the newest open case first, each account once.
    assert [attribute(file, "data-account") for file in files] == [
        world["first"].number,
        world["second"].number,
    ]
    first, second = files
    assert part(first, "balance") == "欠费 1220.00 元 逾期 1220.00 元"
    assert part(first, "aging") == "逾期1–30天 20.00 ； 逾期91–180天 1200.00"
    assert part(first, "classification") == (
        "1000元以上 × 逾期90天以上 → 重点催缴（逾期 96 天，1220.00 元，2026-12-06 分类）"
    )
    assert part(first, "late-fees") == "已计收 30.00 元，已减免 10.00 元"
    number = world["bill"].number
    assert part(first, "late-fee-entries") == (
        "记账时间 账单 计收（元） 减免（元） 减免原因 / 批准人 "
        f"2026-11-10 {number} 30.00 2026-11-12 {number} 10.00 首次逾期，酌情减免 · 吴芳"
    )
    # Account A's cases: the open one first (unfolded), then the settled one.
    cases = pieces(first, '<details class="dunning-file"')
    assert [attribute(case, "data-case") for case in cases] == [
        world["current"].number,
        world["settled"].number,
    ]
    assert " open>" in cases[0][: cases[0].index("<summary")]
    assert " open>" not in cases[1][: cases[1].index("<summary")]
    current, settled = cases
    assert "待停水" in text(current[: current.index("</summary>")])
    collector = world["people"].collector.first_name
    supervisor = world["people"].supervisor.first_name
    assert part(current, "tasks") == (
        "任务 期限 状态 结果 办理人 "
        "短信/微信提醒 2026-11-21 已办 已发送 11-20 02:00 "
        f"电话催缴 2026-11-25 已办 无人接听 11-22 11:00 · {collector} "
        f"上门催缴 2026-11-30 已办 拒绝缴费 11-26 11:00 · {collector} "
        f"停水通知 2026-12-04 已办 当面送达 11-29 11:00 · {collector}"
    )
    assert part(current, "notices") == (
        f"{world['current'].number}-T1 · 1220.00 元 · 2026-11-29 送达，2026-12-06 起可停水"
    )
    order = world["current"].dunning.disconnection_orders.get()
    assert part(current, "orders") == (
        f"2026-12-06 02:00 · 已批准待执行 · 审批人 {supervisor}：经核实，同意停水 · "
        f"{order.work_order.number}"
    )
    assert f'href="/field/orders/{order.work_order.public_id}/"' in current
    assert "第 1 期：2026-12-10，400.00 元" in text(current)
    assert "第 2 期：2027-01-10，820.00 元" in text(current)
    assert "已结清" in text(settled[: settled.index("</summary>")])
    assert "承诺 2026-11-06 1500.00 元 已兑现" in part(settled, "tasks")
    assert "客户称周五发工资后缴清" in part(settled, "tasks")
    assert part(settled, "payments") == "2026-11-05 15:00 · 1500.00 元 · R-first"
    # Account B: the reminder only, held by the exemption.
    assert part(second, "exemptions") == (
        "登记困难户：低保户，民政局登记（2026-11-03 起，2027-05-01 到期）"
    )
    assert [attribute(case, "data-case") for case in pieces(second, "<details")] == [
        world["exempt"].number
    ]
    assert case_of(world["second"]).status == DunningStatus.REMINDING


def test_those_without_the_collection_permission_see_nothing_of_it(client, world):
    customer = world["customer"]
    # (The page's notification list names the case a notice was about, whatever its kind.)
    links = [str(case.public_id) for case in (world["current"], world["settled"], world["exempt"])]
    # A counter clerk may open the customer's page: no collection panel, no case of it.
    clerk = UserFactory(username="counter", role=Role.INTAKE_CLERK)
    response = page(client, clerk, customer)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kind="collection"' not in body
    assert "arrears-file" not in body
    assert not any(link in body for link in links)
    # The service supervisor sees every case but not collection's: nothing of it is read.
    supervisor = UserFactory(username="watch", role=Role.SUPERVISOR)
    with CaptureQueriesContext(connection) as queries:
        response = page(client, supervisor, customer)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kind="collection"' not in body
    assert "arrears-file" not in body
    assert not any(link in body for link in links)
    assert not [query for query in queries if "collection_" in query["sql"]]
    # An outsider may not open the page at all.
    outsider = UserFactory(username="outsider", role=Role.CREW_MEMBER)
    response = page(client, outsider, customer)
    assert response.status_code == 403
    assert not any(link in response.content.decode() for link in links)


def test_the_files_are_read_in_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    def cost(cases) -> int:
        with pinned(TODAY, 10), CaptureQueriesContext(connection) as queries:
            for detail in collection_details(cases).values():
                detail.file  # noqa: B018
        return len(queries)

    current, settled = world["current"], world["settled"]
    assert cost([current]) == cost([current, settled])
    assert cost([current, settled, world["exempt"]]) == cost([current, settled]) + 1  # aging
    # The whole page, the workbench's own reads included (a bound, on both databases: the
    # files' own cost is exact above), with the other apps' account sections (e-invoices,
    # prepaid balance, metering, remote meter).
    with django_assert_max_num_queries(90):
        assert page(client, world["people"].supervisor, world["customer"]).status_code == 200

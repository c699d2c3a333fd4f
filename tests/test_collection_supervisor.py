"""The collection supervisor's pages (issue 11 §3, §6): the desk with overdue reconnections
first and a crew sent from the row, the arrears matrix, the effectiveness of a period, the
Excel file, and who may open them.

The report figures are read from hand-made rows. Two cases waiting for reconnection at once
are made by setting their status (the payment time and the ``reconnect`` clock started by
the SLA service); one case walks the whole way — the ladder, the crew's disconnection, the
payment — and is reconnected from the desk."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.collection_ladder_support import (
    DISCONNECTION_PURPOSE,
    People,
    account_in_arrears,
    disconnect,
    dunning_for,
    moment,
    nightly,
    order_of,
    pay,
    pinned,
    reconnect,
)
from tests.factories import AccountFactory, UserFactory
from tests.test_collection_stops import reach
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.collection.models import (
    AccountArrears,
    ActionOutcome,
    ActionStatus,
    AgeBand,
    AmountBand,
    ClassificationRun,
    CollectedPayment,
    CollectionAction,
    CollectionStrategy,
    DisconnectionNotice,
    DisconnectionOrder,
    DisconnectionOrderStatus,
    DunningStatus,
    StepKind,
)
from waterdesk.collection.reports import (
    arrears_matrix,
    collection_effectiveness,
    supervisor_desk,
)
from waterdesk.collection.workflow import RECONNECT_MILESTONE, RECONNECTION_PURPOSE
from waterdesk.core.roles import Role
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.sla import services as sla

pytestmark = pytest.mark.django_db

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def money(text: str) -> Decimal:
    return Decimal(text)


# --- the arrears matrix ---------------------------------------------------------------------


def arrears(run, amount: str, amount_band: str | None, age_band: str | None, **fields):
    band = AmountBand.objects.get(code=amount_band) if amount_band else None
    age = AgeBand.objects.get(code=age_band) if age_band else None
    strategy = fields.pop("strategy", None)
    return AccountArrears.objects.create(
        account=AccountFactory(),
        run=run,
        balance=money(amount),
        overdue_amount=money(amount),
        oldest_due_date=date(2026, 9, 1),
        days_overdue=40,
        amount_band=band,
        age_band=age,
        strategy=CollectionStrategy.objects.get(code=strategy) if strategy else None,
        classified_at=moment(date(2026, 11, 2), 2),
        **fields,
    )


@pytest.fixture
def classified():
    run = ClassificationRun.objects.create(
        started_at=moment(date(2026, 11, 2), 2),
        finished_at=moment(date(2026, 11, 2), 2, 1),
        as_of=date(2026, 11, 2),
        accounts_classified=6,
    )
    arrears(run, "150.00", "small", "days_1_30", strategy="gentle")
    arrears(run, "50.50", "small", "days_1_30", strategy="gentle")
    arrears(run, "500.00", "medium", "days_31_90", strategy="standard")
    arrears(run, "1500.00", "large", "over_90", strategy="intensive")
    arrears(
        run,
        "2000.00",
        "large",
        "over_90",
        strategy="intensive",
        is_exempt=True,
        exemption_kinds="hospital",
    )
    arrears(run, "10.00", None, None)  # a matrix with a gap
    return run


def figures(figure) -> tuple[int, Decimal]:
    return figure.count, figure.amount


def test_the_arrears_matrix_counts_each_cell_with_exempt_apart(classified):
    matrix = arrears_matrix()

    assert matrix.run == classified
    assert [band.code for band in matrix.age_bands] == ["days_1_30", "days_31_90", "over_90"]
    cells = {
        (row.band.code, age.code): cell
        for row in matrix.rows
        for age, cell in zip(matrix.age_bands, row.cells, strict=True)
    }
    assert {key: figures(cell.arrears) for key, cell in cells.items() if cell.arrears.count} == {
        ("small", "days_1_30"): (2, money("200.50")),
        ("medium", "days_31_90"): (1, money("500.00")),
        ("large", "over_90"): (1, money("1500.00")),
    }
    assert {key: figures(cell.exempt) for key, cell in cells.items() if cell.exempt.count} == {
        ("large", "over_90"): (1, money("2000.00"))
    }
    # The strategy the matrix gives each cell (the default matrix).
    assert {key: cell.strategy.code for key, cell in cells.items()} == {
        ("small", "days_1_30"): "gentle",
        ("small", "days_31_90"): "gentle",
        ("small", "over_90"): "standard",
        ("medium", "days_1_30"): "gentle",
        ("medium", "days_31_90"): "standard",
        ("medium", "over_90"): "intensive",
        ("large", "days_1_30"): "standard",
        ("large", "days_31_90"): "intensive",
        ("large", "over_90"): "intensive",
    }
    assert [(row.band.code, *figures(row.total), *figures(row.exempt)) for row in matrix.rows] == [
        ("small", 2, money("200.50"), 0, money("0.00")),
        ("medium", 1, money("500.00"), 0, money("0.00")),
        ("large", 1, money("1500.00"), 1, money("2000.00")),
    ]
    assert [figures(column) for column in matrix.column_totals] == [
        (2, money("200.50")),
        (1, money("500.00")),
        (1, money("1500.00")),
    ]
    assert figures(matrix.total) == (4, money("2200.50"))
    assert figures(matrix.exempt) == (1, money("2000.00"))
    assert figures(matrix.unbanded) == (1, money("10.00"))
    assert [(strategy.code, *figures(figure)) for strategy, figure in matrix.by_strategy] == [
        ("gentle", 2, money("200.50")),
        ("intensive", 1, money("1500.00")),
        ("standard", 1, money("500.00")),
    ]


# --- collection effectiveness ---------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return moment(day, hour, minute)


def collected(dunning, amount: str, status: str, at: datetime) -> CollectedPayment:
    return CollectedPayment.objects.create(
        dunning=dunning,
        strategy=dunning.strategy,
        status=status,
        amount=money(amount),
        received_at=at,
    )


def promise(dunning, done_at: datetime, kept) -> CollectionAction:
    return CollectionAction.objects.create(
        dunning=dunning,
        kind=StepKind.CALL,
        status=ActionStatus.DONE,
        due_on=done_at.date(),
        created_at=done_at,
        outcome=ActionOutcome.PROMISED,
        promised_on=done_at.date() + timedelta(days=3),
        promise_kept=kept,
        done_at=done_at,
    )


def executed(dunning, at: datetime) -> DisconnectionOrder:
    notice = DisconnectionNotice.objects.create(
        dunning=dunning,
        number=f"TZ-{dunning.pk}-{at:%m%d}",
        issued_at=at - timedelta(days=10),
        amount=dunning.opened_amount,
        period_days=7,
    )
    return DisconnectionOrder.objects.create(
        dunning=dunning,
        notice=notice,
        status=DisconnectionOrderStatus.EXECUTED,
        amount=dunning.opened_amount,
        requested_at=at - timedelta(days=1),
        executed_at=at,
    )


def reconnected(dunning, paid_at: datetime, restored_at: datetime) -> None:
    dunning.reconnection_requested_at = paid_at
    dunning.reconnected_at = restored_at
    dunning.save(update_fields=["reconnection_requested_at", "reconnected_at"])


@pytest.fixture
def november():
    """Three cases opened on 2 November (one per strategy) and what happened to them."""
    intensive_account = account_in_arrears()  # 1,500 yuan due 1 August: > 90 days
    standard_account = account_in_arrears(Decimal("300.00"), due=date(2026, 10, 1))
    gentle_account = account_in_arrears(Decimal("100.00"), due=date(2026, 10, 20))
    nightly(date(2026, 11, 2))
    intensive = dunning_for(intensive_account)
    standard = dunning_for(standard_account)
    gentle = dunning_for(gentle_account)
    assert (intensive.strategy.code, standard.strategy.code, gentle.strategy.code) == (
        "intensive",
        "standard",
        "gentle",
    )
    # Payments while the cases were open, on the rung each stood on.
    collected(intensive, "99.00", DunningStatus.VISITING, local(date(2026, 10, 31), 23, 59))
    collected(intensive, "200.00", DunningStatus.REMINDING, local(date(2026, 11, 5), 10))
    collected(intensive, "300.00", DunningStatus.CALLING, local(date(2026, 11, 10), 10))
    collected(intensive, "1000.00", DunningStatus.DISCONNECTED, local(date(2026, 11, 18), 15))
    collected(standard, "150.00", DunningStatus.CALLING, local(date(2026, 11, 30), 23, 59))
    collected(standard, "75.00", DunningStatus.CALLING, local(date(2026, 12, 1), 0))
    # The gentle case is paid in full at the counter: settled, through the payment hook.
    pay(gentle_account, "100.00", date(2026, 11, 15))
    # Promises: kept, broken, still open, and one made before the period.
    promise(intensive, local(date(2026, 11, 6), 11), True)
    promise(intensive, local(date(2026, 11, 8), 11), False)
    promise(intensive, local(date(2026, 11, 12), 11), None)
    promise(intensive, local(date(2026, 10, 30), 11), True)
    promise(standard, local(date(2026, 11, 25), 11), True)
    # Disconnections carried out: one in the period, one before it.
    executed(intensive, local(date(2026, 11, 17), 14))
    executed(standard, local(date(2026, 10, 20), 14))
    # Reconnections: 26.5 hours and 4 hours after the payment; one restored before the period.
    reconnected(intensive, local(date(2026, 11, 18), 15), local(date(2026, 11, 19), 17, 30))
    reconnected(standard, local(date(2026, 11, 21), 9), local(date(2026, 11, 21), 13))
    reconnected(gentle, local(date(2026, 10, 31), 20), local(date(2026, 10, 31), 23, 59))
    return {"intensive": intensive, "standard": standard, "gentle": gentle}


def test_effectiveness_per_strategy_and_step(november):
    report = collection_effectiveness(start=NOVEMBER[0], end=NOVEMBER[1])

    lines = {line.strategy.code: line for line in report.strategies}
    assert [code for code in lines] == ["gentle", "intensive", "standard"]
    assert {code: (line.collected, line.payments) for code, line in lines.items()} == {
        "gentle": (money("100.00"), 1),
        "intensive": (money("1500.00"), 3),
        "standard": (money("150.00"), 1),
    }
    assert {code: line.by_step for code, line in lines.items()} == {
        "gentle": {DunningStatus.REMINDING: money("100.00")},
        "intensive": {
            DunningStatus.REMINDING: money("200.00"),
            DunningStatus.CALLING: money("300.00"),
            DunningStatus.DISCONNECTED: money("1000.00"),
        },
        "standard": {DunningStatus.CALLING: money("150.00")},
    }
    assert {
        code: (line.opened, line.settled, line.disconnections) for code, line in lines.items()
    } == {"gentle": (1, 1, 0), "intensive": (1, 0, 1), "standard": (1, 0, 0)}
    assert {
        code: (line.promises_made, line.promises_kept, line.promises_broken, line.promises_pending)
        for code, line in lines.items()
    } == {"gentle": (0, 0, 0, 0), "intensive": (3, 1, 1, 1), "standard": (1, 1, 0, 0)}

    total = report.total
    assert (total.collected, total.payments) == (money("1750.00"), 5)
    assert total.steps == [
        money("300.00"),  # reminding
        money("450.00"),  # calling
        money("0.00"),
        money("0.00"),
        money("0.00"),
        money("0.00"),
        money("1000.00"),  # disconnected
        money("0.00"),
        money("0.00"),
    ]
    assert (total.opened, total.settled, total.disconnections) == (3, 1, 1)
    assert (total.promises_made, total.promises_kept, total.promises_broken) == (4, 2, 1)


def test_reconnection_times_from_payment_to_supply(november):
    times = collection_effectiveness(start=NOVEMBER[0], end=NOVEMBER[1]).reconnections

    assert times.count == 2
    assert times.average == timedelta(hours=15, minutes=15)
    assert times.longest == timedelta(hours=26, minutes=30)
    assert (times.average_hours, times.longest_hours) == (money("15.3"), money("26.5"))
    assert times.over_limit == 1


def test_an_empty_period_has_no_reconnection_times(november):
    report = collection_effectiveness(start=date(2026, 12, 2), end=date(2026, 12, 31))

    assert report.total.collected == money("0.00")
    assert (report.reconnections.count, report.reconnections.average) == (0, None)


# --- the desk: overdue reconnections first, a crew sent from the row --------------------------


def reconnecting(account, paid_at: datetime):
    """The case of ``account`` waiting for reconnection since ``paid_at`` (see the module
    docstring), its ``reconnect`` clock started by the SLA service."""
    dunning = dunning_for(account)
    Case.objects.filter(pk=dunning.pk).update(status=DunningStatus.RECONNECTING)
    dunning.reconnection_requested_at = paid_at
    dunning.save(update_fields=["reconnection_requested_at"])
    clock = sla.clock_start(case=dunning.case, milestone=RECONNECT_MILESTONE, start=paid_at)
    assert clock is not None
    return dunning


@pytest.fixture
def waiting():
    """Two cases waiting for reconnection at 10:00 on 20 November: one paid 2 days ago (its
    24 hours have run out), one paid this morning."""
    late_account = account_in_arrears()
    fresh_account = account_in_arrears(Decimal("1200.00"))
    nightly(date(2026, 11, 2))
    fresh = reconnecting(fresh_account, local(date(2026, 11, 20), 8))
    late = reconnecting(late_account, local(date(2026, 11, 18), 9))
    return {"late": late, "fresh": fresh}


def test_overdue_reconnections_come_first(waiting):
    desk = supervisor_desk(now=local(date(2026, 11, 20), 10), today=date(2026, 11, 20))

    assert [(row.case.pk, row.is_overdue, row.due_at, row.order) for row in desk.reconnections] == [
        (waiting["late"].pk, True, local(date(2026, 11, 19), 9), None),
        (waiting["fresh"].pk, False, local(date(2026, 11, 21), 8), None),
    ]
    assert desk.overdue_reconnections == 1


def test_the_desk_page_shows_the_overdue_reconnection_first(client, waiting):
    people = People()
    client.force_login(people.supervisor)
    with pinned(date(2026, 11, 20), 10):
        response = client.get(reverse("workbench:collection_supervisor"))

    assert response.status_code == 200
    html = response.content.decode()
    late, fresh = waiting["late"].case.number, waiting["fresh"].case.number
    assert html.index(f'data-case="{late}" class="overdue"') < html.index(f'data-case="{fresh}"')
    assert html.count("派复水工单") == 2  # a crew may be sent to either


def test_the_supervisor_sends_a_crew_to_reconnect(client, waiting):
    people = People()
    client.force_login(people.supervisor)
    case = waiting["late"].case
    url = reverse("workbench:collection_reconnection_dispatch", args=[case.public_id])
    with pinned(date(2026, 11, 20), 10):
        response = client.post(url, {f"reconnect-{case.public_id}-crew": people.crew.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:collection_supervisor")
    order = WorkOrder.objects.get(case=case, purpose=RECONNECTION_PURPOSE)
    assert (order.crew, order.urgent, order.window_end) == (
        people.crew,
        True,
        local(date(2026, 11, 19), 9),
    )
    desk = supervisor_desk(now=local(date(2026, 11, 20), 10), today=date(2026, 11, 20))
    assert desk.reconnections[0].order == order


def test_a_second_crew_is_refused_and_nothing_is_written(client, waiting):
    people = People()
    client.force_login(people.supervisor)
    case = waiting["late"].case
    url = reverse("workbench:collection_reconnection_dispatch", args=[case.public_id])
    data = {f"reconnect-{case.public_id}-crew": people.crew.pk}
    with pinned(date(2026, 11, 20), 10):
        client.post(url, data)
        orders, events = WorkOrder.objects.count(), CaseEvent.objects.count()
        response = client.post(url, data)

    assert response.status_code == 400
    assert "已有进行中的复水工单" in response.content.decode()
    assert (WorkOrder.objects.count(), CaseEvent.objects.count()) == (orders, events)


def test_a_case_not_waiting_for_reconnection_is_refused(client):
    people = People()
    account = account_in_arrears()
    nightly(date(2026, 11, 2))
    case = dunning_for(account).case
    client.force_login(people.supervisor)
    url = reverse("workbench:collection_reconnection_dispatch", args=[case.public_id])
    events = CaseEvent.objects.count()
    with pinned(date(2026, 11, 20), 10):
        response = client.post(url, {f"reconnect-{case.public_id}-crew": people.crew.pk})

    assert response.status_code == 400
    assert "该户不在待复水状态" in response.content.decode()
    assert WorkOrder.objects.filter(case=case).count() == 0
    assert CaseEvent.objects.count() == events


def test_a_paid_disconnection_is_reconnected_from_the_desk(client):
    people = People()
    account = account_in_arrears()
    reach(DunningStatus.DISCONNECTION_APPROVED, people, account)
    disconnect(people.member, order_of(account, DISCONNECTION_PURPOSE), date(2026, 11, 19))
    # Paid at 15:00 on 19 November; nobody on call, no reconnection crew in the policy.
    pay(account, "1500.00", date(2026, 11, 19))
    case = dunning_for(account).case
    assert case.status == DunningStatus.RECONNECTING

    desk = supervisor_desk(now=local(date(2026, 11, 20), 16), today=date(2026, 11, 20))
    assert [(row.case.pk, row.is_overdue, row.due_at, row.order) for row in desk.reconnections] == [
        (case.pk, True, local(date(2026, 11, 20), 15), None)
    ]
    client.force_login(people.supervisor)
    url = reverse("workbench:collection_reconnection_dispatch", args=[case.public_id])
    with pinned(date(2026, 11, 20), 16):
        response = client.post(url, {f"reconnect-{case.public_id}-crew": people.crew.pk})
    assert response.status_code == 302
    reconnect(people.member, order_of(account, RECONNECTION_PURPOSE), date(2026, 11, 20), 18)

    times = collection_effectiveness(start=NOVEMBER[0], end=NOVEMBER[1]).reconnections
    assert (times.count, times.longest, times.over_limit) == (1, timedelta(hours=27), 1)
    assert (
        supervisor_desk(now=local(date(2026, 11, 20), 19), today=date(2026, 11, 20)).reconnections
        == []
    )


# --- the other lists of the desk ------------------------------------------------------------


def test_the_desk_lists_overdue_tasks_by_collector_and_area_and_promises_due():
    people = People()
    account = account_in_arrears()
    nightly(date(2026, 11, 2))
    dunning = dunning_for(account)
    CollectionAction.objects.filter(dunning=dunning).delete()
    CollectionAction.objects.create(
        dunning=dunning,
        kind=StepKind.CALL,
        due_on=date(2026, 11, 10),
        created_at=local(date(2026, 11, 7), 2),
        assigned_to=people.collector,
    )
    promise(dunning, local(date(2026, 11, 15), 11), None)  # promised for 18 November

    desk = supervisor_desk(now=local(date(2026, 11, 20), 10), today=date(2026, 11, 20))

    area = account.premise.zone.name
    assert [(row.collector, row.area, row.count, row.oldest_due) for row in desk.overdue_tasks] == [
        (people.collector.get_full_name(), area, 1, date(2026, 11, 10))
    ]
    assert [(item.dunning_id, item.promised_on) for item in desk.promises_due] == [
        (dunning.pk, date(2026, 11, 18))
    ]


# --- pages, period and Excel ----------------------------------------------------------------


def test_effectiveness_defaults_to_this_month(client, november):
    people = People()
    client.force_login(people.supervisor)
    with pinned(date(2026, 11, 20), 10):
        response = client.get(reverse("workbench:collection_effectiveness"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.start, report.end) == (date(2026, 11, 1), date(2026, 11, 20))
    # The payment of 30 November is after today: not in this month so far.
    assert report.total.collected == money("1600.00")
    assert response.context["export_query"] == "start=2026-11-01&end=2026-11-20"


def test_a_period_ending_before_it_starts_is_refused(client):
    people = People()
    client.force_login(people.supervisor)
    with pinned(date(2026, 11, 20), 10):
        response = client.get(
            reverse("workbench:collection_effectiveness"),
            {"start": "2026-11-10", "end": "2026-11-01"},
        )

    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_the_excel_file_holds_the_matrix_and_the_effectiveness(client, classified, november):
    people = People()
    client.force_login(people.supervisor)
    with pinned(date(2026, 11, 20), 10):
        response = client.get(
            reverse("workbench:collection_report_xlsx"),
            {"start": "2026-11-01", "end": "2026-11-30"},
        )

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="collection-2026-11-01-2026-11-30.xlsx"'
    )
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["欠费分布", "催收成效"]

    matrix = [list(row) for row in book["欠费分布"].iter_rows(values_only=True)]
    assert matrix[0][:3] == ["欠费分布", "分类日期", "2026-11-02"]
    header = matrix[2]
    assert header[:6] == [
        "金额档",
        "逾期1–30天户数",
        "逾期1–30天欠费（元）",
        "逾期1–30天策略",
        "逾期1–30天豁免户数",
        "逾期1–30天豁免欠费（元）",
    ]
    assert header[-4:] == ["合计户数", "合计欠费（元）", "豁免户数", "豁免欠费（元）"]
    rows = {row[0]: row for row in matrix[3:7]}
    # The nightly run of the effectiveness fixture replaced the hand-made rows: its three
    # accounts (one settled since) are the latest classification.
    assert rows["200元以下"][1:6] == [1, 100.0, "提醒", 0, 0.0]
    assert rows["1000元以上"][11:16] == [1, 1500.0, "重点催缴", 0, 0.0]
    assert rows["合计"][-4:] == [3, 1900.0, 0, 0.0]

    sheet = [list(row) for row in book["催收成效"].iter_rows(values_only=True)]
    assert sheet[0] == ["催收成效", "统计期间", "2026-11-01 至 2026-11-30", *[None] * 15]
    assert sheet[2][:3] == ["催收策略", "回款金额（元）", "回款笔数"]
    assert sheet[2][3] == "提醒阶段回款（元）"
    by_name = {row[0]: row for row in sheet[3:7]}
    assert by_name["重点催缴"] == [
        "重点催缴",
        1500.0,
        3,
        200.0,
        300.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1000.0,
        0.0,
        0.0,
        1,
        0,
        3,
        1,
        1,
        1,
    ]
    assert by_name["合计"][:3] == ["合计", 1750.0, 5]
    assert sheet[8][:4] == [
        "复水户数",
        "平均复水时长（小时）",
        "最长复水时长（小时）",
        "超过24小时",
    ]
    assert sheet[9][:4] == [2, 15.3, 26.5, 1]
    cell = book["催收成效"]["B5"]
    assert cell.number_format == "#,##0.00"


@pytest.mark.parametrize(
    "name",
    [
        "workbench:collection_supervisor",
        "workbench:collection_arrears",
        "workbench:collection_effectiveness",
        "workbench:collection_report_xlsx",
    ],
)
def test_only_collection_supervisors_open_the_pages(client, name):
    people = People()
    outsider = UserFactory(username="outsider")
    for user, status in ((people.supervisor, 200), (people.collector, 403), (outsider, 403)):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == status, user.username
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_a_collector_may_not_send_a_crew(client, waiting):
    people = People()
    client.force_login(people.collector)
    case = waiting["late"].case
    url = reverse("workbench:collection_reconnection_dispatch", args=[case.public_id])
    response = client.post(url, {f"reconnect-{case.public_id}-crew": people.crew.pk})

    assert response.status_code == 403
    assert WorkOrder.objects.filter(case=case).count() == 0


def test_the_supervisor_lands_on_the_desk(client):
    people = People()
    client.force_login(people.supervisor)
    response = client.get(reverse("workbench:home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:collection_supervisor")
    assert people.supervisor.groups.filter(name=Role.COLLECTION_SUPERVISOR).exists()

"""Reads of the collection supervisor's pages (issue 11 §3, §6): the desk (what waits for a
supervisor now, overdue reconnections first), the arrears of the latest classification by
amount band × age band, and collection effectiveness over a period — and the last two as
one Excel workbook.

Effectiveness counts what happened in the period: payments received while a case was open
(``CollectedPayment``, by its strategy and the rung the case stood on), cases opened and
settled, promises made (and whether each was kept), disconnections carried out, and
reconnections with the time from the payment to supply restored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, Sum
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import user_display_name
from waterdesk.collection.models import (
    AccountArrears,
    ActionOutcome,
    ActionStatus,
    AgeBand,
    AmountBand,
    ClassificationRule,
    ClassificationRun,
    CollectedPayment,
    CollectionAction,
    CollectionStrategy,
    DisconnectionOrder,
    DisconnectionOrderStatus,
    Dunning,
    DunningStatus,
)
from waterdesk.collection.services.disconnection import reconnection_open_order
from waterdesk.collection.workflow import COLLECTION, KIND, RECONNECT_MILESTONE
from waterdesk.core.errors import NotFound
from waterdesk.core.money import to_money
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.core.xlsx import Cell, workbook_bytes
from waterdesk.sla.models import SlaClock

ZERO = Decimal("0.00")
# Without a clock (no policy configured) a reconnection is due a day after the payment,
# as the service sets it (``reconnection_due_at``).
RECONNECTION_LIMIT = timedelta(hours=24)
PROMISES_SHOWN = 100

# --- the desk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconnectionRow:
    case: Case
    dunning: Dunning
    paid_at: datetime | None
    due_at: datetime
    is_overdue: bool
    order: object | None  # the open reconnection work order, if a crew has one


def reconnections_waiting(*, now: datetime) -> list[ReconnectionRow]:
    """Cases waiting for supply to be restored, the most overdue first, then those due
    soonest."""
    dunnings = list(
        Dunning.objects.filter(case__kind=KIND, case__status=DunningStatus.RECONNECTING)
        .select_related("case", "account__premise")
        .order_by("reconnection_requested_at", "pk")
    )
    clocks = {
        clock.case_id: clock
        for clock in SlaClock.objects.filter(
            case__in=[dunning.case for dunning in dunnings], milestone=RECONNECT_MILESTONE
        )
    }
    rows = []
    for dunning in dunnings:
        clock = clocks.get(dunning.pk)
        paid_at = dunning.reconnection_requested_at
        if clock is not None:
            due_at = clock.due_at
        else:
            due_at = (paid_at or dunning.case.opened_at) + RECONNECTION_LIMIT
        rows.append(
            ReconnectionRow(
                case=dunning.case,
                dunning=dunning,
                paid_at=paid_at,
                due_at=due_at,
                is_overdue=due_at < now,
                order=reconnection_open_order(dunning.case),
            )
        )
    rows.sort(key=lambda row: (row.due_at, row.case.pk))
    return rows


def reconnection_case(public_id) -> Case:
    """A collection case by its public id, for the supervisor's dispatch (``NotFound``
    otherwise): the supervisor's desk lists every collection case."""
    case = Case.objects.filter(kind=KIND, public_id=public_id).first()
    if case is None:
        raise NotFound()
    return case


def disconnection_orders(status: str) -> list[DisconnectionOrder]:
    return list(
        DisconnectionOrder.objects.filter(status=status)
        .select_related(
            "dunning__case",
            "dunning__account__premise__zone",
            "dunning__strategy",
            "requested_by",
            "decided_by",
            "work_order__crew",
            "notice",
        )
        .order_by("requested_at", "pk")
    )


@dataclass(frozen=True)
class OverdueTasks:
    collector: str
    area: str
    count: int
    oldest_due: date


def overdue_tasks(*, today: date) -> list[OverdueTasks]:
    """Open collector tasks past their due date, counted by collector and area (the supply
    zone of the account's premise); the unassigned ones under an empty name."""
    rows = (
        CollectionAction.objects.filter(status=ActionStatus.OPEN, due_on__lt=today)
        .values("assigned_to", "dunning__account__premise__zone__name")
        .annotate(count=Count("pk"), oldest=Min("due_on"))
    )
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(
            pk__in=[row["assigned_to"] for row in rows if row["assigned_to"]]
        )
    }
    result = [
        OverdueTasks(
            collector=user_display_name(users.get(row["assigned_to"])),
            area=row["dunning__account__premise__zone__name"] or "",
            count=row["count"],
            oldest_due=row["oldest"],
        )
        for row in rows
    ]
    result.sort(key=lambda row: (row.oldest_due, row.collector, row.area))
    return result


def promises_due(*, today: date) -> list[CollectionAction]:
    """Promises whose date has come, not yet found kept or broken, on open cases."""
    return list(
        CollectionAction.objects.filter(
            outcome=ActionOutcome.PROMISED,
            promise_kept__isnull=True,
            promised_on__lte=today,
            dunning__is_open=True,
        )
        .select_related("dunning__case", "dunning__account", "done_by")
        .order_by("promised_on", "pk")[:PROMISES_SHOWN]
    )


@dataclass(frozen=True)
class Desk:
    reconnections: list[ReconnectionRow]
    awaiting_approval: list[DisconnectionOrder]
    approved: list[DisconnectionOrder]
    overdue_tasks: list[OverdueTasks]
    promises_due: list[CollectionAction]

    @property
    def overdue_reconnections(self) -> int:
        return sum(1 for row in self.reconnections if row.is_overdue)


def supervisor_desk(*, now: datetime, today: date) -> Desk:
    return Desk(
        reconnections=reconnections_waiting(now=now),
        awaiting_approval=disconnection_orders(DisconnectionOrderStatus.REQUESTED),
        approved=disconnection_orders(DisconnectionOrderStatus.APPROVED),
        overdue_tasks=overdue_tasks(today=today),
        promises_due=promises_due(today=today),
    )


# --- arrears by band and age ------------------------------------------------------------------


@dataclass
class Figure:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, count: int, amount: Decimal) -> None:
        self.count += count
        self.amount += amount


@dataclass
class MatrixCell:
    strategy: CollectionStrategy | None
    arrears: Figure = field(default_factory=Figure)  # not exempt
    exempt: Figure = field(default_factory=Figure)


@dataclass
class MatrixRow:
    band: AmountBand
    cells: list[MatrixCell]
    total: Figure = field(default_factory=Figure)
    exempt: Figure = field(default_factory=Figure)


@dataclass
class ArrearsMatrix:
    run: ClassificationRun | None
    age_bands: list[AgeBand]
    rows: list[MatrixRow]
    column_totals: list[Figure]
    total: Figure
    exempt: Figure
    # Accounts whose amount or age fell in no band (a matrix with gaps).
    unbanded: Figure
    by_strategy: list[tuple[CollectionStrategy, Figure]]


def arrears_matrix() -> ArrearsMatrix:
    """The latest classification (``AccountArrears`` holds only its rows): accounts and
    overdue amount per amount band × age band, the exempt ones counted apart, the strategy
    the matrix gives each cell, and totals."""
    amount_bands = list(AmountBand.objects.order_by("lower", "pk"))
    age_bands = list(AgeBand.objects.order_by("min_days", "pk"))
    rules = {
        (rule.amount_band_id, rule.age_band_id): rule.strategy
        for rule in ClassificationRule.objects.select_related("strategy")
    }
    rows = [
        MatrixRow(
            band=band,
            cells=[MatrixCell(strategy=rules.get((band.pk, age.pk))) for age in age_bands],
        )
        for band in amount_bands
    ]
    row_of = {row.band.pk: row for row in rows}
    column_of = {age.pk: index for index, age in enumerate(age_bands)}
    column_totals = [Figure() for _age in age_bands]
    total, exempt, unbanded = Figure(), Figure(), Figure()
    strategies: dict[int, Figure] = {}
    grouped = AccountArrears.objects.values(
        "amount_band", "age_band", "is_exempt", "strategy"
    ).annotate(count=Count("pk"), amount=Sum("overdue_amount"))
    for group in grouped:
        count, amount = group["count"], to_money(group["amount"] or ZERO)
        row = row_of.get(group["amount_band"])
        column = column_of.get(group["age_band"])
        if group["is_exempt"]:
            exempt.add(count, amount)
        if row is None or column is None:
            unbanded.add(count, amount)
            continue
        cell = row.cells[column]
        if group["is_exempt"]:
            cell.exempt.add(count, amount)
            row.exempt.add(count, amount)
            continue
        cell.arrears.add(count, amount)
        row.total.add(count, amount)
        column_totals[column].add(count, amount)
        total.add(count, amount)
        if group["strategy"] is not None:
            strategies.setdefault(group["strategy"], Figure()).add(count, amount)
    by_strategy = [
        (strategy, strategies[strategy.pk])
        for strategy in CollectionStrategy.objects.filter(pk__in=strategies).order_by("code")
    ]
    return ArrearsMatrix(
        run=ClassificationRun.objects.order_by("-started_at", "-pk").first(),
        age_bands=age_bands,
        rows=rows,
        column_totals=column_totals,
        total=total,
        exempt=exempt,
        unbanded=unbanded,
        by_strategy=by_strategy,
    )


# --- collection effectiveness ---------------------------------------------------------------

# The rungs a payment may find a case on, in ladder order (the columns "per step"): every
# status but the terminal ones.
PAYMENT_STEPS = tuple(status for status in DunningStatus if status not in COLLECTION.terminal)


@dataclass
class StrategyFigures:
    strategy: CollectionStrategy | None  # None: all strategies
    collected: Decimal = ZERO
    payments: int = 0
    by_step: dict[str, Decimal] = field(default_factory=dict)
    opened: int = 0
    settled: int = 0
    promises_made: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    disconnections: int = 0

    def step(self, status: str) -> Decimal:
        return self.by_step.get(status, ZERO)

    @property
    def steps(self) -> list[Decimal]:
        return [self.step(status) for status in PAYMENT_STEPS]

    @property
    def promises_pending(self) -> int:
        return self.promises_made - self.promises_kept - self.promises_broken


@dataclass(frozen=True)
class ReconnectionTimes:
    count: int
    average: timedelta | None
    longest: timedelta | None
    over_limit: int  # over 24 hours from payment to supply restored

    @property
    def average_hours(self) -> Decimal | None:
        return _hours(self.average)

    @property
    def longest_hours(self) -> Decimal | None:
        return _hours(self.longest)


def _hours(span: timedelta | None) -> Decimal | None:
    if span is None:
        return None
    return (Decimal(span.total_seconds()) / 3600).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Effectiveness:
    start: date
    end: date
    strategies: list[StrategyFigures]
    total: StrategyFigures
    reconnections: ReconnectionTimes

    @property
    def step_labels(self) -> list[str]:
        return [str(status.label) for status in PAYMENT_STEPS]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of ``start`` to the end of ``end`` (local days), half-open."""
    return (
        datetime.combine(start, time.min, tzinfo=LOCAL_TZ),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=LOCAL_TZ),
    )


def _counts(queryset, strategy_field: str, **extra) -> dict[int, dict]:
    return {
        row[strategy_field]: row
        for row in queryset.values(strategy_field).annotate(count=Count("pk"), **extra)
    }


def collection_effectiveness(*, start: date, end: date) -> Effectiveness:
    """What collection achieved from ``start`` to ``end`` (inclusive), per strategy."""
    since, until = period_bounds(start, end)
    payments = CollectedPayment.objects.filter(received_at__gte=since, received_at__lt=until)
    collected = payments.values("strategy", "status").annotate(
        count=Count("pk"), amount=Sum("amount")
    )
    opened = _counts(
        Dunning.objects.filter(case__opened_at__gte=since, case__opened_at__lt=until), "strategy"
    )
    settled = _counts(
        Dunning.objects.filter(settled_at__gte=since, settled_at__lt=until), "strategy"
    )
    promises = _counts(
        CollectionAction.objects.filter(
            outcome=ActionOutcome.PROMISED, done_at__gte=since, done_at__lt=until
        ),
        "dunning__strategy",
        kept=Count("pk", filter=Q(promise_kept=True)),
        broken=Count("pk", filter=Q(promise_kept=False)),
    )
    disconnections = _counts(
        DisconnectionOrder.objects.filter(
            status=DisconnectionOrderStatus.EXECUTED,
            executed_at__gte=since,
            executed_at__lt=until,
        ),
        "dunning__strategy",
    )
    figures: dict[int, StrategyFigures] = {
        strategy.pk: StrategyFigures(strategy=strategy)
        for strategy in CollectionStrategy.objects.order_by("code")
    }
    for row in collected:
        line = figures[row["strategy"]]
        amount = to_money(row["amount"] or ZERO)
        line.by_step[row["status"]] = line.step(row["status"]) + amount
        line.collected += amount
        line.payments += row["count"]
    for strategy_id, line in figures.items():
        line.opened = opened.get(strategy_id, {}).get("count", 0)
        line.settled = settled.get(strategy_id, {}).get("count", 0)
        promise = promises.get(strategy_id, {})
        line.promises_made = promise.get("count", 0)
        line.promises_kept = promise.get("kept", 0)
        line.promises_broken = promise.get("broken", 0)
        line.disconnections = disconnections.get(strategy_id, {}).get("count", 0)
    lines = list(figures.values())
    return Effectiveness(
        start=start,
        end=end,
        strategies=lines,
        total=_sum_figures(lines),
        reconnections=reconnection_times(since=since, until=until),
    )


def _sum_figures(lines: list[StrategyFigures]) -> StrategyFigures:
    total = StrategyFigures(strategy=None)
    for line in lines:
        total.collected += line.collected
        total.payments += line.payments
        for status, amount in line.by_step.items():
            total.by_step[status] = total.step(status) + amount
        total.opened += line.opened
        total.settled += line.settled
        total.promises_made += line.promises_made
        total.promises_kept += line.promises_kept
        total.promises_broken += line.promises_broken
        total.disconnections += line.disconnections
    return total


def reconnection_times(*, since: datetime, until: datetime) -> ReconnectionTimes:
    """Supply restored in the period: how long after the payment that asked for it."""
    spans = [
        reconnected - paid
        for paid, reconnected in Dunning.objects.filter(
            reconnected_at__gte=since,
            reconnected_at__lt=until,
            reconnection_requested_at__isnull=False,
        ).values_list("reconnection_requested_at", "reconnected_at")
    ]
    if not spans:
        return ReconnectionTimes(count=0, average=None, longest=None, over_limit=0)
    return ReconnectionTimes(
        count=len(spans),
        average=sum(spans, timedelta()) / len(spans),
        longest=max(spans),
        over_limit=sum(1 for span in spans if span > RECONNECTION_LIMIT),
    )


# --- Excel --------------------------------------------------------------------------------


def _figure_cells(figure: Figure) -> list:
    return [figure.count, figure.amount]


def _matrix_rows(matrix: ArrearsMatrix) -> list[list]:
    as_of = matrix.run.as_of.isoformat() if matrix.run else _("尚未分类")
    header = [_("金额档")]
    for age in matrix.age_bands:
        header += [
            _("%(band)s户数") % {"band": age.name},
            _("%(band)s欠费（元）") % {"band": age.name},
            _("%(band)s策略") % {"band": age.name},
            _("%(band)s豁免户数") % {"band": age.name},
            _("%(band)s豁免欠费（元）") % {"band": age.name},
        ]
    header += [_("合计户数"), _("合计欠费（元）"), _("豁免户数"), _("豁免欠费（元）")]
    rows: list[list] = [[Cell(_("欠费分布"), bold=True), _("分类日期"), as_of], []]
    rows.append([Cell(text, bold=True) for text in header])
    for row in matrix.rows:
        values: list = [row.band.name]
        for cell in row.cells:
            values += [
                *_figure_cells(cell.arrears),
                cell.strategy.name if cell.strategy else "",
                *_figure_cells(cell.exempt),
            ]
        values += [*_figure_cells(row.total), *_figure_cells(row.exempt)]
        rows.append(values)
    totals: list = [Cell(_("合计"), bold=True)]
    for column in matrix.column_totals:
        totals += [*_figure_cells(column), "", "", ""]
    totals += [*_figure_cells(matrix.total), *_figure_cells(matrix.exempt)]
    rows.append(totals)
    rows.append([])
    rows.append([Cell(text, bold=True) for text in (_("催收策略"), _("户数"), _("欠费（元）"))])
    rows += [[strategy.name, *_figure_cells(figure)] for strategy, figure in matrix.by_strategy]
    rows.append([_("未落入任何档位"), *_figure_cells(matrix.unbanded)])
    return rows


def _effectiveness_rows(report: Effectiveness) -> list[list]:
    header = [
        _("催收策略"),
        _("回款金额（元）"),
        _("回款笔数"),
        *[_("%(step)s阶段回款（元）") % {"step": label} for label in report.step_labels],
        _("新立案"),
        _("结清"),
        _("承诺缴费"),
        _("承诺已兑现"),
        _("承诺未兑现"),
        _("停水执行"),
    ]
    rows: list[list] = [
        [
            Cell(_("催收成效"), bold=True),
            _("统计期间"),
            f"{report.start.isoformat()} 至 {report.end.isoformat()}",
        ],
        [],
        [Cell(text, bold=True) for text in header],
    ]
    for line in [*report.strategies, report.total]:
        name = line.strategy.name if line.strategy else Cell(_("合计"), bold=True)
        rows.append(
            [
                name,
                line.collected,
                line.payments,
                *line.steps,
                line.opened,
                line.settled,
                line.promises_made,
                line.promises_kept,
                line.promises_broken,
                line.disconnections,
            ]
        )
    times = report.reconnections
    rows += [
        [],
        [
            Cell(text, bold=True)
            for text in (
                _("复水户数"),
                _("平均复水时长（小时）"),
                _("最长复水时长（小时）"),
                _("超过24小时"),
            )
        ],
        [times.count, times.average_hours, times.longest_hours, times.over_limit],
    ]
    return rows


def collection_report_xlsx(matrix: ArrearsMatrix, report: Effectiveness) -> bytes:
    """The arrears matrix and the effectiveness of a period as one workbook, one sheet each;
    counts and amounts as numbers."""
    return workbook_bytes(
        [
            (_("欠费分布"), _matrix_rows(matrix)),
            (_("催收成效"), _effectiveness_rows(report)),
        ]
    )

"""Reads of the complaint analysis (投诉分析, issue 12 §7) for supervisors: complaints counted
by category, by the department handling them, by the staff member concerned, by root cause
and by month of intake; the substantiated share, the share of 12345 transfers and the time
to the first reply; the repeat complainants; and the open complaints by their nearest
deadline, with their round and escalation level.

Every breakdown is one grouped query (``values`` + ``annotate(Count)``) over the
complaints of the chosen period (by ``Case.opened_at``), department and category, so the
page stays a handful of queries however many complaints there are. The open list is what
is open now (the period does not limit it, the department and category do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Avg,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, Concat, TruncMonth
from django.utils.translation import gettext as _

from waterdesk.cases.kinds import kind_spec
from waterdesk.cases.models import Channel
from waterdesk.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintRound,
    EscalationLevel,
    RootCause,
)
from waterdesk.complaints.workflow import KIND
from waterdesk.core.masking import mask_mobile
from waterdesk.core.models import Department
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.sla.models import OPEN_CLOCK_STATES, ClockState, SlaClock, milestone_label

# The breakdowns ``complaint_counts_by`` knows.
BREAKDOWNS = ("category", "department", "staff", "root_cause", "month")
# Repeat complainants: this many complaints in the period or more.
REPEAT_THRESHOLD = 2


@dataclass(frozen=True)
class AnalysisFilter:
    """What the analysis looks at: complaints opened from ``start`` to ``end`` (local days,
    both included), of one handling department and one category when chosen."""

    start: date
    end: date
    department: Department | None = None
    category: ComplaintCategory | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=LOCAL_TZ)

    @property
    def until(self) -> datetime:
        """The end, exclusive: the start of the day after ``end``."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)


def default_period(today: date) -> tuple[date, date]:
    """The last 12 months: the first day of the month eleven months back to today."""
    month = today.year * 12 + today.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1), today


def _scoped(filters: AnalysisFilter) -> QuerySet[Complaint]:
    """The complaints of the department and category chosen (any period)."""
    complaints = Complaint.objects.all()
    if filters.department is not None:
        complaints = complaints.filter(case__department=filters.department)
    if filters.category is not None:
        complaints = complaints.filter(category=filters.category)
    return complaints


def complaints_in(filters: AnalysisFilter) -> QuerySet[Complaint]:
    """The complaints the analysis counts: opened in the period, of the department and
    category chosen."""
    return _scoped(filters).filter(
        case__opened_at__gte=filters.since, case__opened_at__lt=filters.until
    )


# --- counts by ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    """One bar of a breakdown: a stable key (a code, an id, ``YYYY-MM``; "" for none), its
    label, and the number of complaints."""

    key: str
    label: str
    count: int


def _staff_name(row: dict) -> str:
    full = f"{row['staff_concerned__first_name']} {row['staff_concerned__last_name']}".strip()
    # As ``cases.services.user_display_name``: the full name, else the login. Chinese
    # names are written without the space.
    return full.replace(" ", "") if full else row["staff_concerned__username"]


def _months(start: date, end: date) -> list[date]:
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    return [date(n // 12, n % 12 + 1, 1) for n in range(first, last + 1)]


def _by_category(row: dict) -> CountRow:
    return CountRow(row["category__code"], row["category__name"], row["count"])


def _by_department(row: dict) -> CountRow:
    label = row["case__department__name"] or _("未分派部门")
    return CountRow(str(row["case__department"] or ""), label, row["count"])


def _by_staff(row: dict) -> CountRow:
    label = _staff_name(row) if row["staff_concerned"] else _("未涉及具体员工")
    return CountRow(str(row["staff_concerned"] or ""), label, row["count"])


def _by_root_cause(row: dict) -> CountRow:
    cause = row["root_cause"]
    label = str(RootCause(cause).label) if cause in RootCause.values else _("尚未查明")
    return CountRow(cause, label, row["count"])


# breakdown -> (the columns grouped on, the row they make)
_GROUPS = {
    "category": (("category", "category__name", "category__code"), _by_category),
    "department": (("case__department", "case__department__name"), _by_department),
    "staff": (
        (
            "staff_concerned",
            "staff_concerned__first_name",
            "staff_concerned__last_name",
            "staff_concerned__username",
        ),
        _by_staff,
    ),
    "root_cause": (("root_cause",), _by_root_cause),
}


def complaint_counts_by(filters: AnalysisFilter, by: str) -> list[CountRow]:
    """The complaints of ``filters`` counted by ``by`` (one of ``BREAKDOWNS``), in one
    query: the largest first (by month: in calendar order, every month of the period, the
    empty ones with 0). Complaints without a staff member, a root cause or a handling
    department are counted under "none" (key "")."""
    complaints = complaints_in(filters)
    if by == "month":
        counted = {
            _local_month(row["month"]): row["count"]
            for row in complaints.annotate(month=TruncMonth("case__opened_at", tzinfo=LOCAL_TZ))
            .values("month")
            .annotate(count=Count("pk"))
            .order_by("month")
        }
        return [
            CountRow(key=f"{month:%Y-%m}", label=f"{month:%Y-%m}", count=counted.get(month, 0))
            for month in _months(filters.start, filters.end)
        ]
    try:
        fields, make = _GROUPS[by]
    except KeyError:
        raise ValueError(f"unknown breakdown {by!r}") from None
    rows = complaints.values(*fields)
    counted = [make(row) for row in rows.annotate(count=Count("pk")).order_by()]
    # The largest first; "none" after the named ones of the same count; then by label.
    counted.sort(key=lambda row: (-row.count, row.key == "", row.label))
    return counted


def _local_month(value) -> date:
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ) if value.tzinfo else value
        return date(value.year, value.month, 1)
    return date(value.year, value.month, 1)


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    total: int
    open: int
    substantiated: int
    unsubstantiated: int
    undecided: int  # no finding yet
    city_hotline: int  # transferred from the 12345 platform
    replied: int  # complaints with round 1 replied
    first_reply: timedelta | None  # average from intake to the first reply

    @staticmethod
    def _percent(part: int, whole: int) -> float | None:
        return round(part * 100 / whole, 1) if whole else None

    @property
    def substantiated_share(self) -> float | None:
        """Of the complaints with a finding, the share found substantiated (percent)."""
        return self._percent(self.substantiated, self.substantiated + self.unsubstantiated)

    @property
    def city_hotline_share(self) -> float | None:
        return self._percent(self.city_hotline, self.total)

    @property
    def first_reply_hours(self) -> float | None:
        if self.first_reply is None:
            return None
        return round(self.first_reply.total_seconds() / 3600, 1)


def complaint_summary(filters: AnalysisFilter) -> Summary:
    """The totals of ``filters`` (one query) and the average time from intake to the first
    reply, i.e. round 1's (another)."""
    complaints = complaints_in(filters)
    totals = complaints.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(case__closed_at__isnull=True)),
        substantiated=Count("pk", filter=Q(is_substantiated=True)),
        unsubstantiated=Count("pk", filter=Q(is_substantiated=False)),
        city_hotline=Count("pk", filter=Q(case__channel=Channel.CITY_HOTLINE)),
    )
    replies = ComplaintRound.objects.filter(
        number=1, replied_at__isnull=False, complaint__in=complaints
    ).aggregate(
        replied=Count("pk"),
        average=Avg(
            ExpressionWrapper(F("replied_at") - F("opened_at"), output_field=DurationField())
        ),
    )
    average = replies["average"]
    if average is not None and not isinstance(average, timedelta):
        average = timedelta(microseconds=average)  # a backend that averages microseconds
    return Summary(
        total=totals["total"],
        open=totals["open"],
        substantiated=totals["substantiated"],
        unsubstantiated=totals["unsubstantiated"],
        undecided=totals["total"] - totals["substantiated"] - totals["unsubstantiated"],
        city_hotline=totals["city_hotline"],
        replied=replies["replied"],
        first_reply=average,
    )


# --- repeat complainants ----------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatCase:
    public_id: object
    number: str
    opened_at: datetime


@dataclass
class RepeatComplainant:
    """Somebody who complained ``count`` times in the period: the same customer, or
    without a customer the same contact phone — shown masked, never in full."""

    key: str
    masked_phone: str
    is_customer: bool
    count: int
    last_opened_at: datetime
    cases: list[RepeatCase] = field(default_factory=list)


def _complainant_key():
    """``c<customer id>`` for a known customer, else ``p<contact phone>`` (SQL)."""
    return SqlCase(
        When(
            case__customer__isnull=False,
            then=Concat(Value("c"), Cast("case__customer", output_field=CharField())),
        ),
        default=Concat(Value("p"), F("case__contact_phone")),
        output_field=CharField(),
    )


def complaint_repeat_complainants(
    filters: AnalysisFilter, *, limit: int | None = None
) -> list[RepeatComplainant]:
    """Complainants with ``REPEAT_THRESHOLD`` complaints or more in ``filters`` — most
    complaints first, then the most recent — each with its cases (newest first) and the
    phone masked. Two queries: the groups, then the cases of the groups shown.

    A complaint without a customer and without a phone (an e-mail complaint) is nobody's
    repeat: it has no key to match on."""
    complaints = complaints_in(filters).exclude(case__customer__isnull=True, case__contact_phone="")
    keyed = complaints.annotate(complainant=_complainant_key())
    groups = list(
        keyed.values("complainant")
        .annotate(
            count=Count("pk"),
            last=Max("case__opened_at"),
            phone=Max("case__contact_phone"),
            mobile=Max("case__customer__mobile"),
        )
        .filter(count__gte=REPEAT_THRESHOLD)
        .order_by("-count", "-last", "complainant")
    )
    if limit is not None:
        groups = groups[:limit]
    found = {
        row["complainant"]: RepeatComplainant(
            key=row["complainant"],
            masked_phone=mask_mobile(row["phone"] or row["mobile"] or ""),
            is_customer=row["complainant"].startswith("c"),
            count=row["count"],
            last_opened_at=row["last"],
        )
        for row in groups
    }
    if found:
        for row in (
            keyed.filter(complainant__in=list(found))
            .values("complainant", "case__public_id", "case__number", "case__opened_at")
            .order_by("-case__opened_at", "-pk")
        ):
            found[row["complainant"]].cases.append(
                RepeatCase(
                    public_id=row["case__public_id"],
                    number=row["case__number"],
                    opened_at=row["case__opened_at"],
                )
            )
    return list(found.values())


def complaint_repeat_count(filters: AnalysisFilter) -> int:
    """How many complainants are repeat complainants (all of them, however many are
    listed)."""
    return (
        complaints_in(filters)
        .exclude(case__customer__isnull=True, case__contact_phone="")
        .annotate(complainant=_complainant_key())
        .values("complainant")
        .annotate(count=Count("pk"))
        .filter(count__gte=REPEAT_THRESHOLD)
        .count()
    )


# --- open complaints by deadline ---------------------------------------------------------------


@dataclass(frozen=True)
class OpenComplaint:
    public_id: object
    number: str
    status: str
    status_label: str
    category: str
    department: str
    opened_at: datetime
    round: int
    escalation_level: int
    escalation_label: str
    is_city_hotline: bool
    due_at: datetime | None  # the nearest open clock's deadline
    milestone: str  # its label
    is_overdue: bool


def _open_complaints(filters: AnalysisFilter) -> QuerySet[Complaint]:
    return _scoped(filters).filter(case__closed_at__isnull=True)


def complaint_open_by_deadline(
    filters: AnalysisFilter, *, now: datetime, limit: int | None = None
) -> list[OpenComplaint]:
    """The complaints open now (of the department and category chosen; any period), the
    nearest deadline first — so the overdue ones lead — then those without a running
    clock, oldest first. One query: the nearest open clock's deadline and milestone are
    subqueries."""
    nearest = SlaClock.objects.filter(case=OuterRef("case"), state__in=OPEN_CLOCK_STATES).order_by(
        "due_at", "pk"
    )
    rows = (
        _open_complaints(filters)
        .annotate(
            due_at=Subquery(nearest.values("due_at")[:1]),
            milestone=Subquery(nearest.values("milestone")[:1]),
            clock_state=Subquery(nearest.values("state")[:1]),
        )
        .values(
            "case__public_id",
            "case__number",
            "case__status",
            "case__opened_at",
            "case__department__name",
            "category__name",
            "round",
            "escalation_level",
            "city_reference",
            "case__channel",
            "due_at",
            "milestone",
            "clock_state",
        )
        .order_by(F("due_at").asc(nulls_last=True), "case__opened_at", "pk")
    )
    if limit is not None:
        rows = rows[:limit]
    spec = kind_spec(KIND)
    return [
        OpenComplaint(
            public_id=row["case__public_id"],
            number=row["case__number"],
            status=row["case__status"],
            status_label=spec.status_label(row["case__status"]),
            category=row["category__name"],
            department=row["case__department__name"] or "",
            opened_at=row["case__opened_at"],
            round=row["round"],
            escalation_level=row["escalation_level"],
            escalation_label=str(EscalationLevel(row["escalation_level"]).label),
            is_city_hotline=row["case__channel"] == Channel.CITY_HOTLINE,
            due_at=row["due_at"],
            milestone=milestone_label(row["milestone"], KIND) if row["milestone"] else "",
            is_overdue=(
                row["due_at"] is not None
                and row["clock_state"] == ClockState.RUNNING
                and row["due_at"] < now
            ),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class RoundCount:
    round: int
    escalation_level: int
    escalation_label: str
    count: int


def complaint_open_by_round(filters: AnalysisFilter) -> list[RoundCount]:
    """The complaints open now counted by round and escalation level (one query)."""
    return [
        RoundCount(
            round=row["round"],
            escalation_level=row["escalation_level"],
            escalation_label=str(EscalationLevel(row["escalation_level"]).label),
            count=row["count"],
        )
        for row in _open_complaints(filters)
        .values("round", "escalation_level")
        .annotate(count=Count("pk"))
        .order_by("round", "escalation_level")
    ]


def complaint_open_count(filters: AnalysisFilter) -> int:
    return _open_complaints(filters).count()


# --- the whole page ---------------------------------------------------------------------------

REPEATS_SHOWN = 50
OPEN_SHOWN = 100


@dataclass(frozen=True)
class Analysis:
    filters: AnalysisFilter
    summary: Summary
    breakdowns: dict[str, list[CountRow]]
    repeats: list[RepeatComplainant]
    repeat_count: int
    open_complaints: list[OpenComplaint]
    open_count: int
    open_by_round: list[RoundCount]

    def chart_data(self) -> dict:
        """What the page's script draws (``json_script``): each breakdown's labels and
        counts, and the substantiated figures."""
        return {
            name: {
                "labels": [row.label for row in rows],
                "counts": [row.count for row in rows],
            }
            for name, rows in self.breakdowns.items()
        } | {
            "substantiated": {
                "labels": [_("属实"), _("不属实"), _("尚无结论")],
                "counts": [
                    self.summary.substantiated,
                    self.summary.unsubstantiated,
                    self.summary.undecided,
                ],
            }
        }


def complaint_analysis(
    filters: AnalysisFilter, *, now: datetime, complete: bool = False
) -> Analysis:
    """Everything the page (``complete=False``: the first repeat complainants and open
    complaints) or the Excel file (``complete=True``: all of them) shows."""
    repeats = complaint_repeat_complainants(filters, limit=None if complete else REPEATS_SHOWN)
    open_complaints = complaint_open_by_deadline(
        filters, now=now, limit=None if complete else OPEN_SHOWN
    )
    return Analysis(
        filters=filters,
        summary=complaint_summary(filters),
        breakdowns={by: complaint_counts_by(filters, by) for by in BREAKDOWNS},
        repeats=repeats,
        repeat_count=len(repeats) if complete else complaint_repeat_count(filters),
        open_complaints=open_complaints,
        open_count=len(open_complaints) if complete else complaint_open_count(filters),
        open_by_round=complaint_open_by_round(filters),
    )

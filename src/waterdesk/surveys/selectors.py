"""Reads of the satisfaction surveys: a case's survey and score, and the results per
department, staff member, case kind and month (average score, count, distribution of the
scores and response rate) for the supervisors' page and its Excel file."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from waterdesk.cases.kinds import kind_spec
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.surveys.models import SCORE_MAX, SCORE_MIN, Survey

GROUPS = ("department", "staff", "kind", "month")
_SCORES = range(SCORE_MIN, SCORE_MAX + 1)
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class ScoreRow:
    """The results of one department (staff member, kind, month)."""

    key: object  # the department's / staff member's pk, the kind's code, the month
    label: str
    sent: int
    answered: int
    average: Decimal | None  # two decimals; None when nobody answered
    distribution: tuple[int, ...]  # how many gave 1, 2, 3, 4, 5

    @property
    def response_rate(self) -> Decimal | None:
        """The answered share of the surveys sent, in percent (one decimal)."""
        if not self.sent:
            return None
        return (Decimal(self.answered) * 100 / self.sent).quantize(Decimal("0.1"), ROUND_HALF_UP)


def survey_of_case(case) -> Survey | None:
    """The survey sent about ``case``, answered or not."""
    return Survey.objects.filter(case=case).select_related("staff").first()


def survey_score_of_case(case) -> int | None:
    """The score the customer gave about ``case``; None when not surveyed or not answered."""
    survey = Survey.objects.filter(case=case).answered().only("score").first()
    return survey.score if survey is not None else None


def _period(queryset: QuerySet, start: datetime | None, end: datetime | None) -> QuerySet:
    if start is not None:
        queryset = queryset.filter(sent_at__gte=start)
    if end is not None:
        queryset = queryset.filter(sent_at__lt=end)
    return queryset


def _kind_label(code: str) -> str:
    if not code:
        return _("定期调查")
    try:
        return str(kind_spec(code).label)
    except ImproperlyConfigured:
        return code


def _staff_label(row: dict) -> str:
    name = f"{row['staff__last_name']}{row['staff__first_name']}".strip()
    return name or row["staff__username"] or _("（未指定）")


_GROUPING = {
    "department": (("department_id", "department__name"), lambda r: r["department_id"]),
    "staff": (
        ("staff_id", "staff__username", "staff__first_name", "staff__last_name"),
        lambda r: r["staff_id"],
    ),
    "kind": (("case_kind",), lambda r: r["case_kind"]),
    "month": (("month",), lambda r: r["month"]),
}


def _label(group: str, row: dict) -> str:
    if group == "department":
        return row["department__name"]
    if group == "staff":
        return _staff_label(row)
    if group == "kind":
        return _kind_label(row["case_kind"])
    return f"{local(row['month']):%Y-%m}" if isinstance(row["month"], datetime) else ""


def survey_results(
    *, group: str, start: datetime | None = None, end: datetime | None = None
) -> list[ScoreRow]:
    """The results grouped by ``group`` (one of ``GROUPS``) of the surveys sent in
    [``start``, ``end``): best average first (months in order). By department and by staff
    member: the surveys about a case of a department (of a staff member) only."""
    if group not in GROUPS:
        raise ValueError(group)
    fields, key_of = _GROUPING[group]
    queryset = _period(Survey.objects.all(), start, end)
    # A periodic survey rates no department and nobody in particular.
    if group == "department":
        queryset = queryset.filter(department__isnull=False)
    elif group == "staff":
        queryset = queryset.filter(staff__isnull=False)
    if group == "month":
        queryset = queryset.annotate(month=TruncMonth("sent_at", tzinfo=LOCAL_TZ))
    answered = Q(answered_at__isnull=False)
    rows = (
        queryset.values(*fields)
        .annotate(
            sent=Count("pk"),
            answered=Count("pk", filter=answered),
            average=Avg("score", filter=answered),
            **{f"score_{n}": Count("pk", filter=Q(score=n)) for n in _SCORES},
        )
        .order_by(*fields)
    )
    result = [
        ScoreRow(
            key=key_of(row),
            label=_label(group, row),
            sent=row["sent"],
            answered=row["answered"],
            average=None
            if row["average"] is None
            else Decimal(str(row["average"])).quantize(_HUNDREDTH, ROUND_HALF_UP),
            distribution=tuple(row[f"score_{n}"] for n in _SCORES),
        )
        for row in rows
    ]
    if group != "month":
        result.sort(key=lambda r: (r.average is None, -(r.average or 0), r.label))
    return result


def survey_scores_by_department(
    *, start: datetime | None = None, end: datetime | None = None
) -> list[ScoreRow]:
    return survey_results(group="department", start=start, end=end)


def survey_scores_by_staff(
    *, start: datetime | None = None, end: datetime | None = None
) -> list[ScoreRow]:
    return survey_results(group="staff", start=start, end=end)


def survey_scores_by_kind(
    *, start: datetime | None = None, end: datetime | None = None
) -> list[ScoreRow]:
    return survey_results(group="kind", start=start, end=end)


def survey_scores_by_month(
    *, start: datetime | None = None, end: datetime | None = None
) -> list[ScoreRow]:
    return survey_results(group="month", start=start, end=end)


def survey_department_average(department, **period) -> Decimal | None:
    """The average score of one department's surveys (None: none answered)."""
    for row in survey_scores_by_department(**period):
        if row.key == department.pk:
            return row.average
    return None

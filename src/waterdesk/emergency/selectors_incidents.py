"""Reading incidents: the case page's context, the board, and the lists the intake page
chooses from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from waterdesk.cases.models import Case
from waterdesk.cases.services import user_display_name
from waterdesk.core.masking import mask_mobile, mask_person_name
from waterdesk.core.roles import Role
from waterdesk.customers.models import (
    NOT_SENSITIVE_RANK,
    Premise,
    SensitiveCategory,
    SupplyZone,
)
from waterdesk.emergency.models import (
    Incident,
    IncidentReview,
    IncidentStatus,
    IncidentTask,
    NoticeRound,
    WaterPoint,
)
from waterdesk.emergency.services.area import (
    affected_counts,
    affected_customers,
    area_of,
    area_text,
)

SENSITIVE_LISTED = 50


def role_name(role: str) -> str:
    """A role's name (``emergency_office`` → 应急办), else the text as written."""
    return str(Role(role).label) if role in Role.values else role


RECENT_CLOSED_DAYS = 30
RECENT_CLOSED_LIMIT = 20


def incident_of(case: Case) -> Incident:
    return Incident.objects.select_related("plan_version__plan").get(case=case)


def incident_tasks(incident: Incident, *, now=None) -> list[IncidentTask]:
    now = now or timezone.now()
    tasks = list(incident.tasks.select_related("owner", "done_by").order_by("position", "pk"))
    for task in tasks:
        task.is_overdue = task.done_at is None and task.due_at is not None and task.due_at < now
        task.owner_label = (
            user_display_name(task.owner) if task.owner_id else role_name(task.owner_role)
        )
    return tasks


@dataclass(frozen=True)
class SensitiveRow:
    name: str
    category: str
    mobile: str


def sensitive_customers(area, *, limit: int = SENSITIVE_LISTED) -> list[SensitiveRow]:
    """The first ``limit`` sensitive customers of the area, in the notice order, with a
    masked name and mobile (the page lists them for the call-round, not to read them out)."""
    rows = []
    customers = affected_customers(area).filter(notice_rank__lt=NOT_SENSITIVE_RANK)[:limit]
    for customer in customers:
        category = customer.get_sensitive_category_display() if customer.sensitive_category else ""
        household = customer.sensitive_category == SensitiveCategory.VULNERABLE_HOUSEHOLD or (
            not customer.sensitive_category and customer.is_vulnerable
        )
        rows.append(
            SensitiveRow(
                # Institutions by name; a household's name masked.
                name=mask_person_name(customer.name) if household else customer.name,
                category=str(category) or str(SensitiveCategory.VULNERABLE_HOUSEHOLD.label),
                mobile=mask_mobile(customer.mobile),
            )
        )
    return rows


def incident_page_context(case: Case) -> dict:
    """What the case page's partial shows besides the case."""
    incident = incident_of(case)
    area = area_of(case)
    customers, sensitive = affected_counts(area)
    review = (
        IncidentReview.objects.filter(incident=incident)
        .select_related("written_by")
        .prefetch_related("measures__owner")
        .first()
    )
    tasks = incident_tasks(incident)
    today = timezone.localdate()
    measures = list(review.measures.all()) if review is not None else []
    for measure in measures:
        measure.is_overdue = measure.done_at is None and measure.deadline < today
    return {
        "incident": incident,
        "incident_area": area,
        "incident_area_text": area_text(area, limit=50),
        "incident_customers": customers,
        "incident_sensitive": sensitive,
        "incident_sensitive_rows": sensitive_customers(area),
        "incident_tasks": tasks,
        "incident_tasks_open": sum(1 for task in tasks if task.done_at is None),
        "incident_water_points": list(
            WaterPoint.objects.filter(case=case).order_by("closed_at", "opened_at", "pk")
        ),
        "incident_notices": list(
            NoticeRound.objects.filter(case=case).select_related("queued_by").order_by("number")
        ),
        "incident_review": review,
        "incident_measures": measures,
    }


@dataclass
class BoardRow:
    incident: Incident
    case: Case
    customers: int
    sensitive: int
    tasks_open: int
    tasks_overdue: int
    water_points: int


def _row(incident: Incident, now) -> BoardRow:
    customers, sensitive = affected_counts(area_of(incident.case))
    return BoardRow(
        incident=incident,
        case=incident.case,
        customers=customers,
        sensitive=sensitive,
        tasks_open=incident.tasks_open,
        tasks_overdue=incident.tasks_overdue,
        water_points=incident.water_points_open,
    )


def incident_board(*, now=None) -> dict:
    """The emergency board: the active incidents (most severe first), the restored ones
    awaiting review or closing, and the recently closed."""
    now = now or timezone.now()
    incidents = Incident.objects.select_related("case", "plan_version__plan").annotate(
        tasks_open=Count("tasks", filter=Q(tasks__done_at__isnull=True), distinct=True),
        tasks_overdue=Count(
            "tasks",
            filter=Q(tasks__done_at__isnull=True, tasks__due_at__lt=now),
            distinct=True,
        ),
        water_points_open=Count(
            "case__water_points",
            filter=Q(case__water_points__closed_at__isnull=True),
            distinct=True,
        ),
        reviewed=Exists(IncidentReview.objects.filter(incident=OuterRef("pk"))),
    )
    active = incidents.filter(case__status=IncidentStatus.ACTIVE).order_by("level", "activated_at")
    restored = incidents.filter(case__status=IncidentStatus.RESTORED).order_by("restored_at")
    closed = incidents.filter(
        case__status__in=(IncidentStatus.CLOSED, IncidentStatus.CANCELLED),
        case__closed_at__gte=now - timedelta(days=RECENT_CLOSED_DAYS),
    ).order_by("-case__closed_at")[:RECENT_CLOSED_LIMIT]
    return {
        "active": [_row(incident, now) for incident in active],
        "restored": [_row(incident, now) for incident in restored],
        "closed": list(closed),
    }


def zone_choices() -> list[tuple[int, str]]:
    return [(zone.pk, zone.name) for zone in SupplyZone.objects.order_by("code")]


STREET_SEPARATOR = "|"


def street_choices() -> list[tuple[str, str]]:
    """The (district, street) pairs the premises record, as ``district|street`` values."""
    pairs = (
        Premise.objects.exclude(street="")
        .values_list("district", "street")
        .distinct()
        .order_by("district", "street")
    )
    return [
        (f"{district}{STREET_SEPARATOR}{street}", f"{district}{street}")
        for district, street in pairs
    ]


def premises_search(query: str, *, limit: int = 20) -> list[Premise]:
    query = (query or "").strip()
    if len(query) < 2:
        return []
    return list(Premise.objects.filter(address__icontains=query).order_by("address", "pk")[:limit])

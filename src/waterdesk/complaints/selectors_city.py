"""Reads of the 12345 city hotline link: the transfers the platform pulls."""

from datetime import datetime

from django.db.models import Q

from waterdesk.cases.models import CaseEvent
from waterdesk.complaints.models import Complaint


def city_transfers(*, updated_since: datetime | None = None):
    """The 12345 transfers, oldest first; with ``updated_since``, those changed after it:
    opened, moved (any timeline event), replied or answered by the complainant, closed."""
    transfers = (
        Complaint.objects.exclude(city_reference="")
        .select_related("case", "category")
        .prefetch_related("rounds")
        .order_by("case__opened_at", "case_id")
    )
    if updated_since is not None:
        changed = Q(
            pk__in=Complaint.objects.filter(
                Q(case__opened_at__gt=updated_since)
                | Q(case__closed_at__gt=updated_since)
                | Q(case__in=CaseEvent.objects.filter(at__gt=updated_since).values("case_id"))
                | Q(rounds__opened_at__gt=updated_since)
                | Q(rounds__replied_at__gt=updated_since)
                | Q(rounds__response_at__gt=updated_since)
            ).values("pk")
        )
        transfers = transfers.filter(changed)
    return transfers


def city_transfer_get(reference: str) -> Complaint | None:
    return city_transfers().filter(city_reference=reference).first()


def city_acknowledged_cases(complaints) -> set[int]:
    """The cases among ``complaints`` that we acknowledged (受理确认), in one query."""
    return set(
        CaseEvent.objects.filter(
            case_id__in=[c.case_id for c in complaints], action="acknowledge"
        ).values_list("case_id", flat=True)
    )

"""The repair columns of the customer's page (``CustomerPanel(details=repair_details)``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from waterdesk.fieldwork.models import Crew, WorkOrder
from waterdesk.repairs.models import Repair, Urgency


@dataclass(frozen=True)
class RepairDetail:
    repair: Repair  # with .fault_type
    crew: Crew | None  # the crew on the job now, else the crew that completed it
    failed_by_number: str  # the repeat report that marked the repair failed, if any

    @property
    def fault(self) -> str:
        return self.repair.fault_type.name

    @property
    def is_urgent(self) -> bool:
        return self.repair.urgency == Urgency.URGENT

    @property
    def urgency_label(self) -> str:
        return self.repair.get_urgency_display()

    @property
    def reported_at(self) -> datetime:
        return self.repair.reported_at

    @property
    def completed_at(self) -> datetime | None:
        return self.repair.completed_at

    @property
    def failed(self) -> bool:
        return self.repair.failed

    @property
    def address(self) -> str:
        return self.repair.address


def repair_details(cases: list) -> dict[int, RepairDetail]:
    """The repairs of these cases by case pk: fault, urgency, reported and completed, the
    failed mark and the crew. Two queries for any number of cases."""
    repairs = list(
        Repair.objects.filter(case__in=cases).select_related(
            "fault_type", "completed_by_crew", "failed_by"
        )
    )
    if not repairs:
        return {}
    on_the_job = {
        order.case_id: order.crew
        for order in WorkOrder.objects.filter(
            case_id__in=[repair.case_id for repair in repairs], closed_at__isnull=True
        )
        .select_related("crew")
        .order_by("assigned_at", "pk")
    }
    return {
        repair.case_id: RepairDetail(
            repair=repair,
            crew=on_the_job.get(repair.case_id, repair.completed_by_crew),
            failed_by_number=repair.failed_by.number if repair.failed_by_id else "",
        )
        for repair in repairs
    }

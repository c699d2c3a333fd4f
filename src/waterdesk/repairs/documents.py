"""The repair's printed document: the repair sheet (维修服务单) the customer signed — the
sheet of the case's last work order that reached the customer's signature (or its reason)."""

from waterdesk.cases.models import Case
from waterdesk.core.errors import NotPermitted
from waterdesk.fieldwork.documents import work_order_sheet_pdf
from waterdesk.fieldwork.models import WorkOrder, WorkOrderStatus

PRINT_PERMISSIONS = ("repairs.intake_repair", "repairs.dispatch_repair", "cases.view_all_cases")


def repair_signed_order(case: Case) -> WorkOrder | None:
    return (
        WorkOrder.objects.filter(case=case, status=WorkOrderStatus.SIGNED_OFF)
        .select_related("case", "crew", "premise")
        .order_by("-closed_at", "-pk")
        .first()
    )


def repair_sheet_may_print(*, user, case: Case) -> bool:
    """The hotline, the dispatchers and the supervisors print it once the customer signed."""
    return any(user.has_perm(p) for p in PRINT_PERMISSIONS) and (
        repair_signed_order(case) is not None
    )


def repair_sheet_check_access(*, user, case: Case) -> None:
    if not repair_sheet_may_print(user=user, case=case):
        raise NotPermitted()


def repair_sheet_pdf(case: Case) -> bytes:
    order = repair_signed_order(case)
    if order is None:
        raise NotPermitted()
    return work_order_sheet_pdf(order)

from waterdesk.applications.models import MaterialRequirement, MaterialType, NewConnectionPolicy
from waterdesk.cases.models import Case


def materials_required(*, case_kind: str, customer_kind: str) -> list[MaterialType]:
    """The checklist for a service and kind of customer, in display order."""
    requirements = (
        MaterialRequirement.objects.filter(case_kind=case_kind)
        .filter(customer_kind__in=["", customer_kind])
        .select_related("material")
        .order_by("position", "pk")
    )
    return [requirement.material for requirement in requirements]


def new_connection_materials_missing(case: Case) -> list[MaterialType]:
    received = set(case.new_connection.materials_received)
    required = materials_required(case_kind=case.kind, customer_kind=case.customer.kind)
    return [material for material in required if material.code not in received]


def new_connection_materials_received(case: Case) -> list[MaterialType]:
    codes = case.new_connection.materials_received
    return list(MaterialType.objects.filter(code__in=codes).order_by("code"))


def new_connection_open_notice(case: Case):
    """The one-time notice still waiting for materials, if any."""
    return case.material_notices.filter(fulfilled_at__isnull=True).first()


def new_connection_needs_collective_review(case: Case) -> bool:
    threshold = NewConnectionPolicy.current().collective_review_threshold
    return case.new_connection.needs_collective_review(threshold)

from dataclasses import dataclass

from django.utils.translation import gettext as _

from waterdesk.applications.models import (
    ApplicationKind,
    MaterialRequirement,
    MaterialType,
    NewConnectionPolicy,
    OwnershipTransfer,
    UsageChange,
)
from waterdesk.billing.models import MeterRead, ReadKind, ReadStatus
from waterdesk.billing.read_rules import issue_labels
from waterdesk.cases.models import Case
from waterdesk.core.timeutil import local


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


def new_connection_needs_collective_review(case: Case) -> bool:
    threshold = NewConnectionPolicy.current().collective_review_threshold
    return case.new_connection.needs_collective_review(threshold)


# --- ownership transfer and usage change ------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    """One line of a checklist: a single material, or alternatives of which any one will do."""

    materials: tuple[MaterialType, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(material.code for material in self.materials)

    @property
    def name(self) -> str:
        # Customer-facing (notices, receipts): Chinese whatever the clerk's language.
        return "或".join(material.name for material in self.materials)

    def is_met_by(self, received) -> bool:
        return any(code in received for code in self.codes)


def material_checklist(*, case_kind: str, customer_kind: str) -> list[ChecklistItem]:
    """The checklist of a service for a kind of customer, alternatives grouped together in
    the position of the group's first material."""
    requirements = (
        MaterialRequirement.objects.filter(case_kind=case_kind)
        .filter(customer_kind__in=["", customer_kind])
        .select_related("material")
        .order_by("position", "pk")
    )
    items: list[list[MaterialType]] = []
    groups: dict[str, list[MaterialType]] = {}
    for requirement in requirements:
        group = requirement.alternative_group
        if not group:
            items.append([requirement.material])
        elif group in groups:
            if requirement.material not in groups[group]:
                groups[group].append(requirement.material)
        else:
            groups[group] = [requirement.material]
            items.append(groups[group])
    return [ChecklistItem(tuple(materials)) for materials in items]


def checklist_missing(checklist: list[ChecklistItem], received) -> list[ChecklistItem]:
    received = set(received)
    return [item for item in checklist if not item.is_met_by(received)]


def _change_detail(case: Case):
    if case.kind == ApplicationKind.OWNERSHIP_TRANSFER:
        return case.ownership_transfer
    if case.kind == ApplicationKind.USAGE_CHANGE:
        return case.usage_change
    raise ValueError(f"not a change case: {case.kind}")


def change_checklist(case: Case) -> list[ChecklistItem]:
    """The checklist of a transfer (for the new owner's kind) or a usage change."""
    return material_checklist(case_kind=case.kind, customer_kind=case.customer.kind)


def change_materials_missing(case: Case) -> list[ChecklistItem]:
    return checklist_missing(change_checklist(case), _change_detail(case).materials_received)


def change_materials_received(case: Case) -> list[MaterialType]:
    codes = _change_detail(case).materials_received
    return list(MaterialType.objects.filter(code__in=codes).order_by("code"))


def case_open_material_notice(case: Case):
    """The one-time notice of any application kind still waiting for materials, if any."""
    return case.material_notices.filter(fulfilled_at__isnull=True).first()


def transfer_open_for_account(account) -> OwnershipTransfer | None:
    return (
        OwnershipTransfer.objects.filter(account=account, case__closed_at__isnull=True)
        .select_related("case")
        .first()
    )


def usage_change_open_for_account(account) -> UsageChange | None:
    return (
        UsageChange.objects.filter(account=account, case__closed_at__isnull=True)
        .select_related("case")
        .first()
    )


def transfer_read_latest(case: Case) -> MeterRead | None:
    """The newest transfer read of the account taken on or after the intake day (rejected
    reads do not count). Reads entered on billing's pages count as well as the case's own."""
    detail = case.ownership_transfer
    return (
        MeterRead.objects.filter(
            account_id=detail.account_id,
            kind=ReadKind.TRANSFER,
            read_on__gte=local(case.opened_at).date(),
        )
        .exclude(status=ReadStatus.REJECTED)
        .order_by("-read_on", "-pk")
        .first()
    )


def change_read_on_effective_date(case: Case) -> MeterRead | None:
    """The change read of the account on the approved effective date (not rejected)."""
    detail = case.usage_change
    if detail.effective_date is None:
        return None
    return (
        MeterRead.objects.filter(
            account_id=detail.account_id, kind=ReadKind.CHANGE, read_on=detail.effective_date
        )
        .exclude(status=ReadStatus.REJECTED)
        .order_by("-pk")
        .first()
    )


# --- what a case's read needs next ------------------------------------------------------
# The refusal of ``complete``, the case page, the API and the message after entering the
# read all say the same.


def read_review_next_step(read: MeterRead) -> str:
    """What to do about a case's read that went to review."""
    return _(
        "读数 %(value)s（%(day)s）%(issues)s，已转复核：如读数有误，请抄表员在本页重新录入"
        "同一日期的正确读数并在备注中填写更正原因；如读数无误，请账务员在抄表复核页审核通过，"
        "或作废后重新录入。"
    ) % {
        "value": read.value,
        "day": read.read_on.isoformat(),
        "issues": "、".join(issue_labels(read.issues)) or _("需人工复核"),
    }


def transfer_read_next_step(case: Case, read: MeterRead | None) -> str:
    """What the transfer read needs before the transfer can be completed ("" when ready)."""
    if read is None:
        return _(
            "尚未录入过户读数：请抄表员或账务员在本页录入受理日（%(day)s）或之后的过户抄表读数。"
        ) % {"day": local(case.opened_at).date().isoformat()}
    if read.status == ReadStatus.NEEDS_REVIEW:
        return read_review_next_step(read)
    return ""


def change_read_next_step(case: Case, read: MeterRead | None) -> str:
    """What the change read needs before the usage change can be completed ("" when ready)."""
    if read is None:
        return _(
            "尚未录入变更读数：请抄表员或账务员在生效日期（%(day)s）当天或之后，"
            "在本页录入该日的变更抄表读数。"
        ) % {"day": case.usage_change.effective_date}
    if read.status == ReadStatus.NEEDS_REVIEW:
        return read_review_next_step(read)
    return ""

"""Who handles a case, and what of its personal data that opens.

Used by the personal-data policy (``customers.privacy``): staff handling an open case of a
customer see that customer's contact details in full (the intake clerk also the ID number);
a case's contact phone is full for the staff handling the case and for those who can act on
it now. Pages, API and documents all ask these functions.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import all_kinds, workflow_for
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.customers.models import PersonalField
from waterdesk.customers.privacy import (
    Shown,
    personal_data_reveal,
    personal_value,
    privacy_grant_register,
)

# Only the intake clerk's work (checking who applies) needs the full ID number.
ID_NUMBER_PERMISSION = "customers.change_customer"


def _handled_by(user) -> Q:
    return (
        Q(assignee=user)
        | Q(opened_by=user)
        | Q(Exists(CaseEvent.objects.filter(case=OuterRef("pk"), actor=user)))
    )


def case_is_handled_by(*, user, case: Case) -> bool:
    """The user is the case's assignee, opened it, or has worked on it."""
    if not user.is_authenticated:
        return False
    if user.pk in {case.assignee_id, case.opened_by_id}:
        return True
    return case.events.filter(actor=user).exists()


def case_may_act_now(*, user, case: Case) -> bool:
    """The user's role has an action on the case in its current status."""
    if not case.is_open:
        return False
    return any(user.has_perm(t.permission) for t in workflow_for(case.kind).available(case.status))


def _open_case_handled(user, customer) -> Case | None:
    return (
        Case.objects.open()
        .filter(customer=customer)
        .filter(_handled_by(user))
        .only("number")
        .order_by("-opened_at")
        .first()
    )


def _handles_open_case(user, customer) -> str | None:
    case = _open_case_handled(user, customer)
    return str(format_lazy(_("经办工单 {number}"), number=case.number)) if case else None


def _intake_handles_open_case(user, customer) -> str | None:
    if not user.has_perm(ID_NUMBER_PERMISSION):
        return None
    return _handles_open_case(user, customer)


def register_privacy_grants() -> None:
    privacy_grant_register(
        fields=(PersonalField.MOBILE, PersonalField.EMAIL, PersonalField.CONTACT_ADDRESS),
        grant=_handles_open_case,
    )
    privacy_grant_register(fields=(PersonalField.ID_NUMBER,), grant=_intake_handles_open_case)


def _contact_grant_reason(*, user, case: Case) -> str | None:
    if not case.is_open:
        return None
    if case_is_handled_by(user=user, case=case) or case_may_act_now(user=user, case=case):
        return str(format_lazy(_("经办工单 {number}"), number=case.number))
    return None


def case_contact_phone(*, user, case: Case, channel: str) -> Shown:
    """The case's contact phone as this user may see it (full displays are logged)."""
    return personal_value(
        user=user,
        field=PersonalField.CONTACT_PHONE,
        raw=case.contact_phone,
        channel=channel,
        customer=case.customer,
        case_number=case.number,
        grant_reason=_contact_grant_reason(user=user, case=case) if case.contact_phone else None,
    )


def case_contact_phone_reveal(*, actor, case: Case, reason: str, channel: str) -> str:
    return personal_data_reveal(
        actor=actor,
        field=PersonalField.CONTACT_PHONE,
        reason=reason,
        channel=channel,
        customer=case.customer,
        case_number=case.number,
        raw=case.contact_phone,
    )


def _desk_permissions() -> set[str]:
    """Holding any of these makes a user staff of the service desk: supervision, intake,
    or a move people make on some registered kind's cases. The internal moves — made by a
    service on its own, as a repair follows its crew's work order — do not: a crew member
    works on the crew pages, not at the desk."""
    permissions = {"cases.view_all_cases", "cases.register_case"}
    for spec in all_kinds():
        for transition in spec.workflow.transitions:
            action = spec.actions.get(transition.action)
            if action is None or not action.internal:
                permissions.add(transition.permission)
    return permissions


def is_desk_staff(user) -> bool:
    return user.is_active and (
        user.is_superuser or bool(user.get_all_permissions() & _desk_permissions())
    )


def may_intake(user) -> bool:
    """Registers cases of at least one kind."""
    return any(
        user.has_perm(spec.intake.permission) for spec in all_kinds() if spec.intake is not None
    )

"""Who may have an application's documents. Pages and API ask these functions (through the
kind's registration, ``kinds.py``)."""

from waterdesk.cases.kinds import kind_spec
from waterdesk.cases.models import Case
from waterdesk.core.errors import NotPermitted

SUPERVISION_PERMISSION = "cases.view_all_cases"


def receipt_may_print(*, user, case: Case) -> bool:
    """The intake receipt (受理回执) is handed to the customer at the counter: the clerks who
    register that kind and the supervisors print it; reviewers, approvers, readers and the
    billing office do not."""
    intake = kind_spec(case.kind).intake
    return intake is not None and (
        user.has_perm(intake.permission) or user.has_perm(SUPERVISION_PERMISSION)
    )


def receipt_check_access(*, user, case: Case) -> None:
    """Raise ``NotPermitted`` for the roles that do not print the receipt."""
    if not receipt_may_print(user=user, case=case):
        raise NotPermitted()

"""Who may have an application's documents. Pages and API ask these functions."""

from waterdesk.applications.models import ApplicationKind
from waterdesk.cases.models import Case
from waterdesk.core.errors import NotFound, NotPermitted

# The permission that registers each application kind: its clerks print its receipt.
INTAKE_PERMISSION_BY_KIND = {
    ApplicationKind.NEW_CONNECTION: "applications.intake_newconnection",
    ApplicationKind.OWNERSHIP_TRANSFER: "applications.intake_ownershiptransfer",
    ApplicationKind.USAGE_CHANGE: "applications.intake_usagechange",
}
SUPERVISION_PERMISSION = "cases.view_all_cases"


def receipt_may_print(*, user, case: Case) -> bool:
    """The intake receipt (受理回执) is handed to the customer at the counter: the clerks who
    register that kind and the supervisors print it; reviewers, approvers, readers and the
    billing office do not."""
    permission = INTAKE_PERMISSION_BY_KIND.get(case.kind)
    return permission is not None and (
        user.has_perm(permission) or user.has_perm(SUPERVISION_PERMISSION)
    )


def receipt_check_access(*, user, case: Case) -> None:
    """Raise ``NotFound`` for a kind without a receipt, ``NotPermitted`` for other roles."""
    if case.kind not in INTAKE_PERMISSION_BY_KIND:
        raise NotFound()
    if not receipt_may_print(user=user, case=case):
        raise NotPermitted()

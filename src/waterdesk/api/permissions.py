"""Role checks at the door of each endpoint; the services check again on every write."""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import workflow_for
from waterdesk.cases.models import Case
from waterdesk.core.errors import NotFound, NotPermitted


def case_action_check_role(*, user, case: Case, action: str) -> None:
    """Refuse an action the user's role may never take, before the input is even read.

    Whether the action is possible in the case's current status is the service's decision
    (``illegal_transition``); this only answers "may this role ever do it".
    """
    transitions = [t for t in workflow_for(case.kind).transitions if t.action == action]
    if not transitions:
        raise NotFound(_("此类工单没有该操作。"), code="unknown_action")
    if not any(user.has_perm(transition.permission) for transition in transitions):
        raise NotPermitted()

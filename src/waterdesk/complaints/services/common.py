"""What the complaint services share: the lock of a complaint and its texts."""

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_check_action, case_lock
from waterdesk.complaints.models import Complaint
from waterdesk.complaints.workflow import KIND
from waterdesk.core.errors import IllegalTransition


def complaint_lock(case: Case, action: str, actor) -> tuple[Case, Complaint]:
    """Lock the case (then its complaint), check that it is a complaint and that ``actor``
    may take ``action`` now — refusing before any input is looked at."""
    case = case_lock(case)
    if case.kind != KIND:
        raise IllegalTransition(details={"kind": case.kind})
    case_check_action(case=case, action=action, actor=actor)
    return case, Complaint.objects.select_for_update().get(case=case)

"""The complaint's moves after intake: acknowledgement and withdrawal."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.complaints.models import TEXT_MAX_LENGTH
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.complaints.workflow import ACKNOWLEDGE_MILESTONE
from waterdesk.core.text import text_input
from waterdesk.sla import services as sla


@transaction.atomic
def complaint_acknowledge(*, actor, case: Case, note: str = "") -> Case:
    """Confirm the complaint is accepted and routed (受理确认): the acknowledgement clock
    stops and the investigation begins; the reply clock of round 1 runs on."""
    case, _complaint = complaint_lock(case, "acknowledge", actor)
    note = text_input(note, field="note", label=_("说明"), limit=TEXT_MAX_LENGTH, required=False)
    now = timezone.now()
    case = case_transition(case=case, action="acknowledge", actor=actor, note=note, at=now)
    sla.clock_stop(case=case, milestone=ACKNOWLEDGE_MILESTONE, at=now)
    return case


@transaction.atomic
def complaint_withdraw(*, actor, case: Case, reason: str) -> Case:
    """The complainant withdraws the complaint (撤诉): closed, the clocks cancelled."""
    case, _complaint = complaint_lock(case, "withdraw", actor)
    reason = text_input(reason, field="reason", label=_("撤诉原因"), limit=TEXT_MAX_LENGTH)
    case = case_transition(case=case, action="withdraw", actor=actor, note=reason)
    sla.clocks_cancel(case=case)
    return case

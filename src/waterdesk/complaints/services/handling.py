"""The complaint's moves of the handler and the supervisor around the investigation:
acknowledgement, routing to another department, escalation by hand, withdrawal."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition
from waterdesk.complaints.models import TEXT_MAX_LENGTH, Complaint, EscalationLevel
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.complaints.services.notices import complaint_supervisors_notify
from waterdesk.complaints.workflow import ACKNOWLEDGE_MILESTONE
from waterdesk.core.errors import ConcurrentUpdate, InvalidInput
from waterdesk.core.text import text_input
from waterdesk.sla import services as sla

REASON_MAX_LENGTH = 1000


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


@transaction.atomic
def complaint_route(*, actor, case: Case, department, reason: str) -> Case:
    """Send the complaint to another department to investigate (转调查部门): the case's
    department changes, its responders see it in their queue."""
    case, _complaint = complaint_lock(case, "route", actor)
    if department is None or department.pk is None:
        raise InvalidInput(_("请选择负责调查的部门。"), code="required", field="department")
    if department.pk == case.department_id:
        raise InvalidInput(
            _("投诉已由“%(name)s”调查，请选择其他部门。") % {"name": department.name},
            code="same_department",
            field="department",
        )
    reason = text_input(reason, field="reason", label=_("转办原因"), limit=REASON_MAX_LENGTH)
    previous = case.department.name if case.department_id else ""
    changed = Case.objects.filter(pk=case.pk, status=case.status).update(
        department=department, version=F("version") + 1
    )
    if changed != 1:
        raise ConcurrentUpdate()
    return case_transition(
        case=case,
        action="route",
        actor=actor,
        note=reason,
        data={"from": previous, "to": department.name},
    )


def may_escalate(case: Case, user) -> bool:
    """A supervisor escalates a complaint not yet at the management."""
    complaint = Complaint.objects.filter(case=case).only("escalation_level").first()
    return complaint is not None and complaint.escalation_level < EscalationLevel.MANAGEMENT


@transaction.atomic
def complaint_escalate(*, actor, case: Case, reason: str) -> Case:
    """A supervisor raises the complaint one level (责任部门 → 部门负责人 → 公司领导) with
    the reason; the supervisors are told."""
    case, complaint = complaint_lock(case, "escalate", actor)
    if complaint.escalation_level >= EscalationLevel.MANAGEMENT:
        raise InvalidInput(
            _("投诉已升级至公司领导，不能再升级。"), code="escalation_top", field="reason"
        )
    reason = text_input(reason, field="reason", label=_("升级原因"), limit=REASON_MAX_LENGTH)
    previous = complaint.escalation_level
    complaint.escalation_level = previous + 1
    complaint.save(update_fields=["escalation_level"])
    case = case_transition(
        case=case,
        action="escalate",
        actor=actor,
        note=reason,
        data={"from": previous, "to": complaint.escalation_level},
    )
    complaint_supervisors_notify(case=case, complaint=complaint, reason=reason)
    return case

"""Notices of the complaint workflow to staff: an escalated complaint is shown to the
supervisors (those whose role supervises complaints; superusers are administrators, not
the supervision desk)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from waterdesk.cases.models import Case
from waterdesk.complaints.models import Complaint, EscalationLevel
from waterdesk.complaints.workflow import SUPERVISE_PERMISSION
from waterdesk.notify.services import notification_queue

REPLIED = "complaint.replied"
ESCALATED = "complaint.escalated"
NOTICES = ("complaint.registered", REPLIED, ESCALATED)


def complaint_supervisors():
    """Active users whose role (or own grant) supervises complaints."""
    app_label, codename = SUPERVISE_PERMISSION.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=granted) | Q(user_permissions__in=granted))
        .select_related("staff_profile")
        .distinct()
        .order_by("pk")
    )


def complaint_supervisors_notify(*, case: Case, complaint: Complaint, reason: str) -> int:
    """Tell every supervisor that the complaint was escalated (inside the caller's
    transaction); returns how many were told."""
    recipients = list(complaint_supervisors())
    context = {
        "category": complaint.category.name,
        "round": complaint.round,
        "level": str(EscalationLevel(complaint.escalation_level).label),
        "reason": reason,
    }
    for user in recipients:
        notification_queue(
            template=ESCALATED,
            context=context,
            case=case,
            user=user,
            urgent=True,
            dedupe_key=(
                f"{ESCALATED}:{case.number}:{complaint.round}:"
                f"{complaint.escalation_level}:{user.pk}"
            ),
        )
    return len(recipients)

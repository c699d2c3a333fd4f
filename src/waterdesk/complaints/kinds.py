"""The complaint kind (投诉) registered once with the case-kind registry: its workflow,
actions and their inputs, page and API pieces, timeline wording, milestones and notices."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import ActionSpec, DeskPage, KindSpec, register
from waterdesk.complaints import forms, serializers
from waterdesk.complaints.models import ROUNDS_LIMIT, ComplaintStatus
from waterdesk.complaints.services import handling
from waterdesk.complaints.workflow import (
    ACKNOWLEDGE_MILESTONE,
    COMPLAINT,
    FOLLOW_UP_MILESTONE,
    KIND,
    REPLY_POLICY,
    SUPERVISE_PERMISSION,
    reply_milestone,
)
from waterdesk.core.api.serializers import WithdrawSerializer

MILESTONES = {
    ACKNOWLEDGE_MILESTONE: _("受理确认"),
    **{
        reply_milestone(number): format_lazy(_("第 {number} 轮答复"), number=number)
        for number in range(1, ROUNDS_LIMIT + 1)
    },
    FOLLOW_UP_MILESTONE: _("投诉回访"),
}
MILESTONE_POLICIES = {reply_milestone(n): REPLY_POLICY for n in range(1, ROUNDS_LIMIT + 1)}

# The codes the complaint services raise besides the platform's.
ERROR_CODES = (
    ("category_inactive", 400, "The complaint category is no longer in use."),
    ("email_required", 400, "An e-mail complaint needs the address to reply to (`email`)."),
    ("contact_required", 400, "Neither a phone nor an e-mail to reply to."),
    ("deadline_past", 400, "The 12345 platform's deadline is already past."),
)

COMPLAINT_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("投诉"),
        number_prefix="TS",
        statuses=ComplaintStatus,
        initial_statuses=(ComplaintStatus.REGISTERED,),
        workflow=COMPLAINT,
        actions={
            "acknowledge": ActionSpec(
                service=handling.complaint_acknowledge,
                form=forms.AcknowledgeForm,
                serializer=serializers.ComplaintAcknowledgeSerializer,
            ),
            "withdraw": ActionSpec(
                service=handling.complaint_withdraw,
                form=forms.WithdrawForm,
                serializer=WithdrawSerializer,
                css="secondary",
            ),
        },
        detail_field="complaint",
        detail_serializer=serializers.ComplaintSerializer,
        detail_related=("complaint__category",),
        status_classes={
            ComplaintStatus.REGISTERED: "badge-open",
            ComplaintStatus.INVESTIGATING: "badge-info",
            ComplaintStatus.AWAITING_RESPONSE: "badge-info",
            ComplaintStatus.RESOLVING: "badge-info",
            ComplaintStatus.CLOSED: "badge-done",
            ComplaintStatus.WITHDRAWN: "badge-closed",
        },
        milestones=MILESTONES,
        milestone_policies=MILESTONE_POLICIES,
        notices=("complaint.registered",),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.complaints.urls_analysis",
        desk_pages=(
            DeskPage(
                label=_("投诉分析"),
                url_name="workbench:complaint_analysis",
                permission=SUPERVISE_PERMISSION,
            ),
        ),
    )
)

"""The workflow of a complaint (投诉): every status, every move, and who may make it.

    registered --acknowledge--> investigating             (受理确认: routed, complainant told)
    investigating --reply--> awaiting_response            (needs the round's investigation report)
    awaiting_response --satisfied--> resolving            (measures carried out, follow-up call)
    awaiting_response --not_satisfied--> investigating    (the next round; after N, escalated)
    resolving --close--> closed                           (measures done, follow-up, lessons)
    registered | investigating | awaiting_response --withdraw--> withdrawn

Within a status, records are added by moves that keep it (the investigation report, the
interviews, the handling plan and its measures, the follow-up call, an escalation), so that
each is one service, one event on the timeline, one form and one API input.
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.complaints.models import ComplaintStatus as S

KIND = "complaint"
INTAKE_PERMISSION = "complaints.intake_complaint"
HANDLE_PERMISSION = "complaints.handle_complaint"
RESPOND_PERMISSION = "complaints.respond_complaint"
SUPERVISE_PERMISSION = "complaints.supervise_complaint"
CITY_HOTLINE_PERMISSION = "complaints.transfer_city_hotline"

# SLA milestones: acknowledge (policy "acknowledge"); the reply of round n is the clock
# ``reply_<n>`` under the policy "reply"; the follow-up call (policy "follow_up").
ACKNOWLEDGE_MILESTONE = "acknowledge"
REPLY_POLICY = "reply"
FOLLOW_UP_MILESTONE = "follow_up"


def reply_milestone(round_number: int) -> str:
    return f"reply_{round_number}"


OPEN_STATUSES = (S.REGISTERED, S.INVESTIGATING, S.AWAITING_RESPONSE)

COMPLAINT = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "acknowledge", (S.REGISTERED,), S.INVESTIGATING, HANDLE_PERMISSION, _("受理确认")
        ),
        Transition("withdraw", OPEN_STATUSES, S.WITHDRAWN, HANDLE_PERMISSION, _("撤诉")),
    ],
    terminal=frozenset({S.CLOSED, S.WITHDRAWN}),
)

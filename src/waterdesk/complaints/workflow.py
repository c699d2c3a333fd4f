"""The workflow of a complaint (投诉): every status, every move, and who may make it.

    registered --acknowledge--> investigating             (受理确认: routed, complainant told)
    registered | investigating --route--> (same)          (another investigating department)
    investigating --interview / report--> (same)          (parties heard; the round's report)
    investigating --reply--> awaiting_response            (needs the round's investigation report)
    awaiting_response --satisfied--> resolving            (measures carried out, follow-up call)
    awaiting_response --not_satisfied--> investigating    (the next round; after N, escalated)
    investigating | awaiting_response | resolving
        --plan / add_measure / measure_done--> (same)     (the handling plan and its measures)
    registered | investigating | awaiting_response --escalate--> (same)   (a supervisor's)
    resolving --follow_up--> (same)                       (the follow-up call)
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
# Where the handling plan and its measures are made and carried out: from the investigation
# until the complaint closes.
PLAN_STATUSES = (S.INVESTIGATING, S.AWAITING_RESPONSE, S.RESOLVING)


def _stays(action: str, statuses, permission: str, label) -> list[Transition]:
    """A move that records something and keeps the status, in each of ``statuses``."""
    return [Transition(action, (status,), status, permission, label) for status in statuses]


COMPLAINT = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "acknowledge", (S.REGISTERED,), S.INVESTIGATING, HANDLE_PERMISSION, _("受理确认")
        ),
        *_stays("route", (S.REGISTERED, S.INVESTIGATING), HANDLE_PERMISSION, _("转调查部门")),
        *_stays("interview", (S.INVESTIGATING,), RESPOND_PERMISSION, _("登记询问记录")),
        *_stays("report", (S.INVESTIGATING,), RESPOND_PERMISSION, _("提交调查报告")),
        *_stays("plan", PLAN_STATUSES, RESPOND_PERMISSION, _("制定处理方案")),
        *_stays("add_measure", PLAN_STATUSES, RESPOND_PERMISSION, _("增加处理措施")),
        *_stays("measure_done", PLAN_STATUSES, RESPOND_PERMISSION, _("措施落实")),
        Transition(
            "reply", (S.INVESTIGATING,), S.AWAITING_RESPONSE, HANDLE_PERMISSION, _("答复投诉人")
        ),
        Transition(
            "satisfied", (S.AWAITING_RESPONSE,), S.RESOLVING, HANDLE_PERMISSION, _("投诉人满意")
        ),
        Transition(
            "not_satisfied",
            (S.AWAITING_RESPONSE,),
            S.INVESTIGATING,
            HANDLE_PERMISSION,
            _("投诉人不满意（再次处理）"),
        ),
        *_stays("escalate", OPEN_STATUSES, SUPERVISE_PERMISSION, _("升级督办")),
        *_stays("follow_up", (S.RESOLVING,), HANDLE_PERMISSION, _("回访")),
        Transition("close", (S.RESOLVING,), S.CLOSED, HANDLE_PERMISSION, _("办结")),
        Transition("withdraw", OPEN_STATUSES, S.WITHDRAWN, HANDLE_PERMISSION, _("撤诉")),
    ],
    terminal=frozenset({S.CLOSED, S.WITHDRAWN}),
)

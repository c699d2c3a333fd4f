"""The workflow of a whistleblower report (举报): every status, every move, who may make it.

    received --report_acknowledge--> investigating     (an investigator named; 受理确认)
    investigating --report_note--> investigating       (an investigation note)
    investigating --report_conclude--> concluded       (finding, action taken, feedback text)
    concluded --report_feedback--> feedback_given      (the reporter told; 反馈)
    feedback_given --report_close--> closed
    received | investigating --report_withdraw--> withdrawn   (the reporter withdrew)
    received | investigating --report_invalidate--> invalid   (no matter to investigate)

The action names carry the kind's prefix: they share the API's action URLs with no other
kind (``/api/cases/<id>/actions/report_conclude/``).
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.complaints.models import ReportStatus as S

KIND = "report"
INTAKE_PERMISSION = "complaints.intake_report"
HANDLE_PERMISSION = "complaints.handle_report"
IDENTITY_PERMISSION = "complaints.view_reporter_identity"
# Opening an identity needs both: a supervisor who sees every case.
IDENTITY_PERMISSIONS = ("cases.view_all_cases", IDENTITY_PERMISSION)

ACKNOWLEDGE_MILESTONE = "acknowledge"
CONCLUDE_MILESTONE = "conclude"

OPEN_STATUSES = (S.RECEIVED, S.INVESTIGATING)

REPORT = Workflow(
    kind=KIND,
    transitions=[
        Transition(
            "report_acknowledge", (S.RECEIVED,), S.INVESTIGATING, HANDLE_PERMISSION, _("受理调查")
        ),
        Transition(
            "report_note", (S.INVESTIGATING,), S.INVESTIGATING, HANDLE_PERMISSION, _("调查记录")
        ),
        Transition(
            "report_conclude", (S.INVESTIGATING,), S.CONCLUDED, HANDLE_PERMISSION, _("调查结论")
        ),
        Transition(
            "report_feedback", (S.CONCLUDED,), S.FEEDBACK_GIVEN, HANDLE_PERMISSION, _("反馈举报人")
        ),
        Transition("report_close", (S.FEEDBACK_GIVEN,), S.CLOSED, HANDLE_PERMISSION, _("办结")),
        Transition("report_withdraw", OPEN_STATUSES, S.WITHDRAWN, HANDLE_PERMISSION, _("撤回")),
        Transition("report_invalidate", OPEN_STATUSES, S.INVALID, HANDLE_PERMISSION, _("不予受理")),
    ],
    terminal=frozenset({S.CLOSED, S.WITHDRAWN, S.INVALID}),
)

"""The workflow of a follow-up (回访跟进) that a low survey score opens:

open --resolve--> done      (what was done about the customer's dissatisfaction)
"""

from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.surveys.models import FeedbackStatus as S

KIND = "feedback"
RESOLVE_PERMISSION = "surveys.resolve_feedback"
RESULTS_PERMISSION = "surveys.view_survey_results"
RESOLVE_MILESTONE = "resolve"

FEEDBACK = Workflow(
    kind=KIND,
    transitions=[
        Transition("resolve", (S.OPEN,), S.DONE, RESOLVE_PERMISSION, _("完成跟进")),
    ],
    terminal=frozenset({S.DONE}),
)

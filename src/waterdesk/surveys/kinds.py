"""The follow-up kind (回访跟进) registered once with the case-kind registry, the survey panel
on every surveyed case, and the case-closed listener that sends the surveys.

The follow-up is the task a low survey score opens: routed to the survey's department,
resolved (with a note of what was done) by a supervisor or a complaint handler within its
"resolve" milestone. The kind also carries the surveys' pages: the public survey page
(``/s/<token>/``) and the supervisors' results (``/desk/surveys/``).
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CasePanel,
    DeskPage,
    EventView,
    KindSpec,
    case_closed_listener_register,
    case_panel_register,
    register,
)
from waterdesk.sla.selectors import case_clocks
from waterdesk.surveys import forms, serializers, services
from waterdesk.surveys.models import FeedbackStatus
from waterdesk.surveys.selectors import survey_of_case
from waterdesk.surveys.workflow import FEEDBACK, KIND, RESOLVE_MILESTONE, RESULTS_PERMISSION


def page_context(case) -> dict:
    """The follow-up's page: the survey it answers, the case that survey was about and the
    resolve clock."""
    detail = case.feedback
    clock = next((c for c in case_clocks(case) if c.milestone == RESOLVE_MILESTONE), None)
    return {"detail": detail, "survey": detail.survey, "resolve_clock": clock}


def survey_panel_context(case, user) -> dict | None:
    """The survey panel of a surveyed case (any kind): sent, answered, score, comment."""
    survey = survey_of_case(case)
    if survey is None:
        return None
    feedback = getattr(survey, "feedback", None) if survey.is_answered else None
    return {"survey": survey, "feedback_case": feedback.case if feedback else None}


def _low_score_summary(data: dict) -> str:
    text = gettext("满意度评价 %(score)s 分") % {"score": data.get("score", "")}
    if data.get("case"):
        text += gettext("（工单 %(case)s）") % {"case": data["case"]}
    return text


ERROR_CODES = (
    ("survey_used", 409, "The survey link was used already: a survey is answered once."),
    ("survey_expired", 409, "The survey link has expired."),
    ("survey_not_found", 404, "No survey has this link."),
    ("invalid_score", 400, "The score is not 1–5."),
    ("invalid_sample_size", 400, "A periodic sample is 1–5000 customers."),
)

FEEDBACK_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("回访跟进"),
        number_prefix="HF",
        statuses=FeedbackStatus,
        initial_statuses=(FeedbackStatus.OPEN,),
        workflow=FEEDBACK,
        actions={
            "resolve": ActionSpec(
                service=services.feedback_resolve,
                form=forms.ResolveForm,
                serializer=serializers.FeedbackResolveSerializer,
            ),
        },
        detail_field="feedback",
        detail_serializer=serializers.FeedbackSerializer,
        detail_related=("feedback__survey", "feedback__survey__case", "feedback__resolved_by"),
        detail_template="surveys/partials/feedback_details.html",
        page_context=page_context,
        events={
            "low_score": EventView(label=_("低分评价"), summary=_low_score_summary),
        },
        status_classes={FeedbackStatus.OPEN: "badge-open", FeedbackStatus.DONE: "badge-done"},
        milestones={RESOLVE_MILESTONE: _("回访跟进")},
        notices=(services.INVITE_TEMPLATE, services.PERIODIC_TEMPLATE),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.surveys.urls",
        public_urls="waterdesk.surveys.urls_public",
        desk_pages=(
            DeskPage(
                label=_("满意度统计"),
                url_name="workbench:survey_results",
                permission=RESULTS_PERMISSION,
            ),
        ),
    )
)

case_panel_register(
    CasePanel(
        name="surveys.survey",
        template="surveys/partials/survey_panel.html",
        context=survey_panel_context,
    )
)
case_closed_listener_register(services.survey_on_case_closed)

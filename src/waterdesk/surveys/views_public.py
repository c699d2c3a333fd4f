"""The public survey page (``/s/<token>/``, no login): what the survey is about (the case's
kind and masked number, nothing personal), the score 1–5 and a comment. A link works once;
a used, expired or unknown link answers with a clear page and changes nothing. Submissions
(and look-ups of unknown links) count against the client address's public limit
(``WATERDESK_PUBLIC_LOOKUP_LIMIT`` per ``…_WINDOW_MINUTES``, as the case look-up)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from waterdesk.cases.kinds import kind_spec
from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.ratelimit import client_over_limit
from waterdesk.surveys import services
from waterdesk.surveys.forms import SurveyAnswerForm

TEMPLATE = "surveys/public_survey.html"


def masked_case_number(number: str) -> str:
    """``WX-20261127-0042`` → ``WX-****-0042``: enough for the customer to recognise."""
    prefix, _sep, rest = number.partition("-")
    return f"{prefix}-****-{rest[-4:]}" if rest else number


def _about(survey) -> dict:
    if survey.case is None:
        return {"kind": "", "number": ""}
    return {
        "kind": kind_spec(survey.case.kind).label,
        "number": masked_case_number(survey.case.number),
    }


def _over_limit(request: HttpRequest) -> bool:
    return client_over_limit(
        request,
        "survey",
        limit=settings.WATERDESK_PUBLIC_LOOKUP_LIMIT,
        window_minutes=settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
    )


def _page(request, *, outcome: str, status: int = 200, **context) -> HttpResponse:
    context = {
        "outcome": outcome,
        "hotline": settings.WATERDESK_COMPANY_HOTLINE,
        "window_minutes": settings.WATERDESK_PUBLIC_LOOKUP_WINDOW_MINUTES,
        **context,
    }
    return render(request, TEMPLATE, context, status=status)


def _state(survey) -> tuple[str, int] | None:
    if survey.is_answered:
        return "used", 200
    if survey.expires_at <= timezone.now():
        return "expired", 410
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST" and _over_limit(request):
        return _page(request, outcome="limited", status=429)
    try:
        found = services.survey_find(token)
    except NotFound:
        if request.method == "GET" and _over_limit(request):
            return _page(request, outcome="limited", status=429)
        return _page(request, outcome="not_found", status=404)
    about = _about(found)
    state = _state(found)
    if request.method == "GET":
        if state is not None:
            return _page(request, outcome=state[0], status=state[1], about=about)
        return _page(request, outcome="form", form=SurveyAnswerForm(), about=about)
    if state is not None:
        status = 409 if state[0] == "used" else state[1]
        return _page(request, outcome=state[0], status=status, about=about)
    form = SurveyAnswerForm(request.POST)
    if not form.is_valid():
        return _page(request, outcome="form", form=form, about=about, status=400)
    try:
        services.survey_answer(
            token=token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
        )
    except services.SurveyAlreadyAnswered:
        return _page(request, outcome="used", status=409, about=about)
    except services.SurveyExpired:
        return _page(request, outcome="expired", status=410, about=about)
    except DomainError as error:
        form.add_domain_error(error)
        return _page(request, outcome="form", form=form, about=about, status=400)
    return _page(request, outcome="thanks", about=about)

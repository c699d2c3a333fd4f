"""The demo's satisfaction surveys: the closed demo cases surveyed and answered (scores for
several departments and staff), a periodic survey in each of the past four months, one
survey still waiting for its answer (its link is printed by ``demo_seed``), and one low
score with its open follow-up case (回访跟进).

Every step goes through the services at its own moment (``demo.clock.at``). Cases whose
kind's policy counts their closure and that have no survey yet are surveyed now (the
policies sample some kinds); the surveys the closures already sent are answered too.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from waterdesk.cases.models import Case
from waterdesk.demo.clock import at
from waterdesk.surveys.models import Survey, SurveyPolicy
from waterdesk.surveys.services import (
    survey_answer,
    survey_answer_by_phone,
    survey_campaign_run,
    survey_link,
    survey_send,
)

# The scores of the answered surveys, in turn (a good service with some "average").
SCORES = (5, 4, 5, 3, 4, 5, 4, 5)
COMMENTS = {5: "办理很快，工作人员很耐心。", 4: "总体满意。", 3: "等待时间有点长。"}
LOW_COMMENT = "答复含糊，打了三次电话才有人处理。"


def _counted_closed_cases() -> list[Case]:
    counted = {
        policy.case_kind: set(policy.counted_statuses or [])
        for policy in SurveyPolicy.objects.filter(is_enabled=True)
    }
    cases = (
        Case.objects.closed()
        .filter(kind__in=list(counted), department__isnull=False)
        .select_related("customer", "assignee", "department")
        .order_by("closed_at", "pk")
    )
    return [case for case in cases if case.status in counted[case.kind]]


def seed_surveys(*, staff: dict, now: datetime) -> dict:
    """Survey and answer the demo's closed cases; returns ``{"link": the unanswered
    survey's link ("" when no closed case could be surveyed), "answered": n, "follow_up":
    the low score's follow-up case number ("" when none)}``. ``staff["supervisor1"]``
    records the answers customers gave on the phone."""
    supervisor = staff["supervisor1"]
    tokens: dict[int, str] = {}
    for case in _counted_closed_cases():
        sent = survey_send(case=case, actor=case.assignee, at=case.closed_at)
        if sent is not None:
            tokens[sent[0].pk] = sent[1]
    # The latest survey the demo sent waits for its answer: its link is printed.
    unanswered = Survey.objects.filter(pk__in=tokens).order_by("-sent_at", "-pk").first()
    surveys = list(
        Survey.objects.filter(case__isnull=False, answered_at__isnull=True)
        .exclude(pk=unanswered.pk if unanswered else None)
        .order_by("sent_at", "pk")
    )
    answered, follow_up = 0, ""
    for index, survey in enumerate(surveys):
        is_low = index == len(surveys) - 1  # the most recent: its follow-up is still open
        score = 1 if is_low else SCORES[index % len(SCORES)]
        with at(min(survey.sent_at + timedelta(hours=20), now)):
            comment = LOW_COMMENT if is_low else COMMENTS.get(score, "")
            if survey.pk in tokens:  # through the link, as the customer would
                survey_answer(token=tokens[survey.pk], score=score, comment=comment)
            else:  # sent when the case closed: its link is in the SMS only
                survey_answer_by_phone(
                    actor=supervisor, survey=survey, score=score, comment=comment
                )
        answered += 1
        if is_low:
            follow_up = Survey.objects.get(pk=survey.pk).feedback.case.number
    answered += _periodic(supervisor=supervisor, now=now)
    return {
        "link": survey_link(tokens[unanswered.pk]) if unanswered else "",
        "answered": answered,
        "follow_up": follow_up,
    }


def _periodic(*, supervisor, now: datetime) -> int:
    """A periodic survey of 12 customers in each of the past four months, three in four
    answered (on the phone, the demo has no SMS replies)."""
    rng = random.Random(2026)
    answered = 0
    for months_back in (4, 3, 2, 1):
        moment = now - timedelta(days=30 * months_back)
        with at(moment):
            campaign = survey_campaign_run(actor=None, size=12, rng=rng)
        with at(moment + timedelta(hours=6)):
            for index, survey in enumerate(campaign.surveys.order_by("pk")):
                if index % 4 == 3:
                    continue
                score = SCORES[(index + months_back) % len(SCORES)]
                survey_answer_by_phone(
                    actor=supervisor, survey=survey, score=score, comment=COMMENTS.get(score, "")
                )
                answered += 1
    return answered

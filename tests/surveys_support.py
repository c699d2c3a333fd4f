"""Helpers of the survey tests: a closed inquiry with its survey, the raw token read back
from the SMS, and the walk of the follow-up kind for tests/test_kinds_way_forward.py."""

import re
from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone

from waterdesk.cases.models import Case
from waterdesk.core.roles import Role
from waterdesk.inquiries import services as inquiries
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.notify.models import Notification
from waterdesk.surveys.models import Survey, SurveyCampaign, SurveyPolicy
from waterdesk.surveys.services import survey_answer, survey_token_hash

LINK = re.compile(r"/s/([A-Za-z0-9_-]+)/")


def survey_every(kind: str) -> None:
    """Survey every counted closure of ``kind`` (the seeded policies sample some kinds)."""
    SurveyPolicy.objects.filter(case_kind=kind).update(is_enabled=True, sample_percent=100)


def closed_inquiry(clerk, *, phone: str = "13800138000", **fields) -> Case:
    """A billing question answered at intake by ``clerk``: closed as answered."""
    return inquiries.inquiry_register(
        actor=clerk,
        channel="phone",
        contact_name="张三",
        contact_phone=phone,
        category=InquiryCategory.objects.get(code="billing"),
        question="本月水费为什么比上月高？",
        answer="本月为两个月合并抄表，账单无误。",
        **fields,
    )


def invitation(case: Case) -> Notification:
    return Notification.objects.get(case=case, template_key="survey.invite")


def token_of(case: Case) -> str:
    """The raw token of the link texted about ``case``."""
    return LINK.search(invitation(case).body).group(1)


def feedback_walk(users) -> Iterator[Case]:
    """A low score on a surveyed inquiry: its follow-up case waits to be resolved."""
    survey_every("inquiry")
    case = closed_inquiry(users[Role.INTAKE_CLERK])
    survey_answer(token=token_of(case), score=1, comment="答复太慢")
    yield Case.objects.get(kind="feedback")


def survey_world() -> dict:
    """For the URL matrix: an unanswered periodic survey with a known token, and the
    follow-up case of another one answered with a low score."""
    now = timezone.now()
    campaign = SurveyCampaign.objects.create(sample_size=2, sent_count=2, created_at=now)
    tokens = ["matrix-survey-token-0001", "matrix-survey-token-0002"]
    for token in tokens:
        Survey.objects.create(
            token_hash=survey_token_hash(token),
            campaign=campaign,
            sent_at=now,
            expires_at=now + timedelta(days=14),
        )
    survey_answer(token=tokens[1], score=1, comment="服务太差")
    follow_up = Case.objects.get(kind="feedback")
    return {"survey": {"token": tokens[0]}, "feedback": {"public_id": follow_up.public_id}}

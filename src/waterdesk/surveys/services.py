"""Writes of the satisfaction surveys: a survey when a case closes (``survey_on_case_closed``,
the case-closed listener), periodic campaigns, the customer's single answer, and the
follow-up case (回访跟进) a low score opens and its resolution.

The SMS link carries a random token; only its SHA-256 is stored, so the table does not
hold working links. Answering is a compare-and-set on ``answered_at`` being empty: a link
works once, whatever two browsers do at the same moment.
"""

import hashlib
import random
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.cases.kinds import kind_spec
from waterdesk.cases.models import Case, Channel
from waterdesk.cases.services import (
    case_check_action,
    case_event_record,
    case_lock,
    case_open,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted
from waterdesk.core.text import text_clean_line
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Customer
from waterdesk.notify.services import mobile_address, notification_queue
from waterdesk.sla import services as sla
from waterdesk.surveys.models import (
    COMMENT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    SCORE_MAX,
    SCORE_MIN,
    Feedback,
    FeedbackStatus,
    Survey,
    SurveyCampaign,
    SurveyPolicy,
)
from waterdesk.surveys.workflow import KIND as FEEDBACK_KIND
from waterdesk.surveys.workflow import RESOLVE_MILESTONE, RESULTS_PERMISSION

INVITE_TEMPLATE = "survey.invite"  # about a closed case
PERIODIC_TEMPLATE = "survey.periodic"  # a campaign's
# A periodic survey's link is valid this long; a case's for its policy's ``valid_days``.
PERIODIC_VALID_DAYS = 14
# The low score of a periodic survey (a case's: its kind's policy).
PERIODIC_LOW_SCORE = 2
# A customer surveyed in this window is left out of periodic samples.
PERIODIC_QUIET_DAYS = 90
MONTHLY_SAMPLE_SIZE = 100
SAMPLE_SIZE_MAX = 5000


class SurveyAlreadyAnswered(IllegalTransition):
    code = "survey_used"
    default_message = gettext_lazy("该问卷已提交，感谢您的评价。")


class SurveyExpired(IllegalTransition):
    code = "survey_expired"
    default_message = gettext_lazy("该问卷链接已过期。")


# --- tokens and links ---------------------------------------------------------------------


def survey_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_link(token: str) -> str:
    """The public page of the survey, on ``WATERDESK_SITE_URL`` when it is configured (the
    path alone otherwise)."""
    path = reverse("portal:survey", kwargs={"token": token})
    return f"{settings.WATERDESK_SITE_URL.rstrip('/')}{path}"


def case_sampled(*, number: str, percent: int) -> bool:
    """Whether the case numbered ``number`` falls in a sample of ``percent`` %: by a hash of
    the number, so the same case always gives the same answer and tests are exact."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    bucket = int.from_bytes(hashlib.sha256(number.encode()).digest()[:8], "big") % 100
    return bucket < percent


def _survey_create(**fields) -> tuple[Survey, str]:
    token = secrets.token_urlsafe(16)
    survey = Survey.objects.create(token_hash=survey_token_hash(token), **fields)
    return survey, token


def _expiry_text(survey: Survey) -> str:
    return f"{local(survey.expires_at):%Y-%m-%d}"


# --- on closing a case --------------------------------------------------------------------


def _survey_phone(case: Case) -> str | None:
    """Who dealt with us on the case rates it: the case's contact phone when it is a
    mobile, else the customer's mobile."""
    customer_mobile = mobile_address(case.customer.mobile) if case.customer is not None else None
    return mobile_address(case.contact_phone) or customer_mobile


def survey_on_case_closed(*, case: Case, actor, action: str, at: datetime) -> Survey | None:
    """The case-closed listener: when the kind's policy is enabled, the case closed in a
    status that counts and falls in the sample, send its survey (``survey_send``). Part of
    the closing transaction. None when no survey is sent."""
    policy = SurveyPolicy.objects.filter(case_kind=case.kind, is_enabled=True).first()
    if policy is None or case.status not in (policy.counted_statuses or []):
        return None
    if not case_sampled(number=case.number, percent=policy.sample_percent):
        return None
    sent = survey_send(case=case, actor=actor, at=at, valid_days=policy.valid_days)
    return sent[0] if sent is not None else None


def survey_send(
    *, case: Case, actor, at: datetime | None = None, valid_days: int = PERIODIC_VALID_DAYS
) -> tuple[Survey, str] | None:
    """Create the survey of a closed case and queue its invitation (SMS, after commit; at
    night it waits for the morning), to the case's contact phone or the customer's mobile.
    The staff member rated is the case's owner, else ``actor`` (who closed it). Returns the
    survey and the raw token of its link (stored nowhere); None when there is no mobile to
    text or the case has its survey already (one per case)."""
    at = at or timezone.now()
    phone = _survey_phone(case)
    if phone is None or Survey.objects.filter(case=case).exists():
        return None
    staff = case.assignee or (actor if getattr(actor, "is_authenticated", False) else None)
    survey, token = _survey_create(
        case=case,
        case_kind=case.kind,
        customer=case.customer,
        department=case.department,
        staff=staff,
        sent_at=at,
        expires_at=at + timedelta(days=valid_days),
    )
    notification_queue(
        template=INVITE_TEMPLATE,
        context={
            "kind": str(kind_spec(case.kind).label),
            "link": survey_link(token),
            "expires_on": _expiry_text(survey),
        },
        case=case,
        customer=case.customer,
        phone=phone,
        channels=("sms",),
    )
    return survey, token


# --- periodic surveys ---------------------------------------------------------------------


def _sample_candidates(*, now: datetime) -> list[tuple[int, str]]:
    """(customer pk, mobile) of the active customers (an active account) with a mobile,
    not surveyed in the last ``PERIODIC_QUIET_DAYS`` days, in pk order."""
    recent = Survey.objects.filter(sent_at__gte=now - timedelta(days=PERIODIC_QUIET_DAYS))
    rows = (
        Customer.objects.filter(accounts__status="active")
        .exclude(mobile="")
        .exclude(pk__in=recent.filter(customer__isnull=False).values("customer_id"))
        .values_list("pk", "mobile")
        .distinct()
        .order_by("pk")
    )
    return [(pk, mobile) for pk, mobile in rows if mobile_address(mobile)]


@transaction.atomic
def survey_campaign_run(
    *, actor, size: int, period: str = "", rng: random.Random | None = None
) -> SurveyCampaign | None:
    """Send a periodic survey to ``size`` customers drawn at random (``rng``: a seeded
    generator in tests) among the active customers with a mobile who were not surveyed in
    the last 90 days. ``period`` ("2026-11"): the monthly run, once per month — None when
    that month's was already made. ``actor=None``: the system."""
    if actor is not None and not actor.has_perm("surveys.add_surveycampaign"):
        raise NotPermitted()
    if not isinstance(size, int) or not 1 <= size <= SAMPLE_SIZE_MAX:
        raise InvalidInput(
            _("抽样数量应为 1–%(max)d。") % {"max": SAMPLE_SIZE_MAX},
            code="invalid_sample_size",
            field="size",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            campaign = SurveyCampaign.objects.create(
                period=period, sample_size=size, created_by=actor, created_at=now
            )
    except IntegrityError:
        return None  # this month's run was made already
    candidates = _sample_candidates(now=now)
    chosen = (rng or random.SystemRandom()).sample(candidates, min(size, len(candidates)))
    customers = Customer.objects.in_bulk([pk for pk, _mobile in chosen])
    for pk, _mobile in sorted(chosen):
        customer = customers[pk]
        survey, token = _survey_create(
            campaign=campaign,
            customer=customer,
            sent_at=now,
            expires_at=now + timedelta(days=PERIODIC_VALID_DAYS),
        )
        notification_queue(
            template=PERIODIC_TEMPLATE,
            context={"link": survey_link(token), "expires_on": _expiry_text(survey)},
            customer=customer,
            channels=("sms",),
        )
    campaign.sent_count = len(chosen)
    campaign.save(update_fields=["sent_count"])
    return campaign


def survey_campaign_monthly() -> SurveyCampaign | None:
    """The monthly periodic survey (sent hourly by beat: the first run of a month makes it,
    the others find it made)."""
    period = f"{local(timezone.now()):%Y-%m}"
    if SurveyCampaign.objects.filter(period=period).exists():
        return None
    return survey_campaign_run(actor=None, size=MONTHLY_SAMPLE_SIZE, period=period)


# --- the customer's answer ----------------------------------------------------------------


def _score(score) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise InvalidInput(_("请选择 1–5 分的评分。"), code="invalid_score", field="score")
    return value


def _comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            _("意见不能超过 %(limit)d 个字。") % {"limit": COMMENT_MAX_LENGTH},
            code="too_long",
            field="comment",
        )
    return comment


def survey_find(token: str) -> Survey:
    """The survey of a link's token; ``NotFound`` for an unknown one."""
    survey = (
        Survey.objects.select_related("case")
        .filter(token_hash=survey_token_hash(token or ""))
        .first()
    )
    if survey is None:
        raise NotFound(_("问卷链接无效。"), code="survey_not_found")
    return survey


def survey_low_score(survey: Survey) -> int:
    if not survey.case_kind:
        return PERIODIC_LOW_SCORE
    policy = SurveyPolicy.objects.filter(case_kind=survey.case_kind).first()
    return policy.low_score if policy is not None else PERIODIC_LOW_SCORE


@transaction.atomic
def survey_answer(*, token: str, score, comment: str = "") -> Survey:
    """Record the customer's answer, once: a used link (``survey_used``), an expired one
    (``survey_expired``) or an unknown one (``survey_not_found``) is refused and changes
    nothing. A score at or below the low score opens a follow-up case (回访跟进)."""
    return _answer(survey_find(token), score=score, comment=comment)


@transaction.atomic
def survey_answer_by_phone(*, actor, survey: Survey, score, comment: str = "") -> Survey:
    """Record the answer a customer gave on the phone (a call-back instead of the link):
    by a supervisor, under the same rules as the link."""
    if not actor.has_perm(RESULTS_PERMISSION):
        raise NotPermitted()
    return _answer(survey, score=score, comment=comment)


def _answer(survey: Survey, *, score, comment: str) -> Survey:
    if survey.is_answered:
        raise SurveyAlreadyAnswered(_("该问卷已提交，感谢您的评价。"))
    now = timezone.now()
    if survey.expires_at <= now:
        raise SurveyExpired(_("该问卷链接已过期。"))
    score = _score(score)
    comment = _comment(comment)
    answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=score, comment=comment, answered_at=now
    )
    if answered != 1:  # another request used the link first
        raise SurveyAlreadyAnswered(_("该问卷已提交，感谢您的评价。"))
    survey.refresh_from_db()
    if score <= survey_low_score(survey):
        feedback_open(survey=survey)
    return survey


# --- the follow-up of a low score -----------------------------------------------------------


def feedback_open(*, survey: Survey) -> Case:
    """Open the follow-up case of a low score, by the system, routed to the survey's
    department, with its "resolve" clock (2 working days by default). Part of the
    caller's transaction."""
    source = survey.case
    customer = survey.customer
    contact_name = source.contact_name if source else (customer.name if customer else "")
    contact_phone = source.contact_phone if source else (customer.mobile if customer else "")
    summary = _("满意度评价 %(score)d 分") % {"score": survey.score}
    if survey.comment:
        summary = f"{summary}：{text_clean_line(survey.comment)}"
    case = case_open(
        actor=None,
        kind=FEEDBACK_KIND,
        status=FeedbackStatus.OPEN,
        channel=Channel.SYSTEM,
        contact_name=contact_name or _("客户"),
        contact_phone=contact_phone or "",
        customer=customer,
        premise=source.premise if source else None,
        department=survey.department,
        summary=summary,
        opened_at=survey.answered_at,
    )
    Feedback.objects.create(case=case, survey=survey)
    case_event_record(
        case=case,
        actor=None,
        action="low_score",
        data={"score": survey.score, "case": source.number if source else None},
        at=survey.answered_at,
    )
    sla.clock_start(case=case, milestone=RESOLVE_MILESTONE, start=survey.answered_at)
    return case


@transaction.atomic
def feedback_resolve(*, actor, case: Case, note: str) -> Case:
    """Record what was done about a low score (a call, an apology, a correction): the
    follow-up is done and its clock stops."""
    case = case_lock(case)
    if case.kind != FEEDBACK_KIND:
        raise IllegalTransition()
    case_check_action(case=case, action="resolve", actor=actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("请填写跟进情况。"), code="required", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            _("跟进情况不能超过 %(limit)d 个字。") % {"limit": NOTE_MAX_LENGTH},
            code="too_long",
            field="note",
        )
    now = timezone.now()
    case = case_transition(case=case, action="resolve", actor=actor, note=note, at=now)
    Feedback.objects.filter(case=case).update(note=note, resolved_by=actor, resolved_at=now)
    sla.clock_stop(case=case, milestone=RESOLVE_MILESTONE, at=now)
    return case

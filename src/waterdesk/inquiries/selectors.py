"""Reads of the inquiries app: the categories offered at intake, how an answer reaches the
customer, the answer deadline, and the other kinds an open inquiry can be turned into."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from waterdesk.cases.kinds import all_kinds
from waterdesk.cases.models import Case, Channel
from waterdesk.inquiries.models import AnswerChannel, Inquiry, InquiryCategory
from waterdesk.inquiries.workflow import KIND
from waterdesk.notify.services import mobile_address
from waterdesk.sla.models import SlaClock

ANSWER_MILESTONE = "answer"
# The customer is at the counter or on the line: an answer given at intake reaches them there.
LIVE_CHANNELS = frozenset({Channel.COUNTER, Channel.PHONE})


def inquiry_categories_active() -> QuerySet[InquiryCategory]:
    return InquiryCategory.objects.filter(is_active=True).select_related("department")


def inquiry_reply_mobile(case: Case) -> str | None:
    """The mobile an SMS answer goes to: the customer's, else the contact phone if it is a
    mobile (the outbox picks the same one)."""
    mobile = mobile_address(case.customer.mobile) if case.customer is not None else None
    return mobile or mobile_address(case.contact_phone)


def inquiry_reply_email(case: Case, detail: Inquiry) -> str:
    """The address an e-mail answer goes to: the one the inquiry came from, else the
    customer's."""
    if detail.email:
        return detail.email
    return case.customer.email.strip() if case.customer is not None else ""


def inquiry_reply_channel(case: Case, detail: Inquiry, *, at_intake: bool = False) -> str:
    """How an answer given now reaches the customer: on the spot at the counter or on the
    phone at intake; otherwise through the channel the customer used — e-mail for an e-mail,
    SMS for the rest when there is a mobile; failing both the answerer phones back."""
    if at_intake and case.channel in LIVE_CHANNELS:
        return AnswerChannel.ON_THE_SPOT
    if (
        case.channel == Channel.EMAIL
        and settings.WATERDESK_EMAIL_ENABLED
        and inquiry_reply_email(case, detail)
    ):
        return AnswerChannel.EMAIL
    if inquiry_reply_mobile(case):
        return AnswerChannel.SMS
    return AnswerChannel.PHONE


def inquiry_answer_clock(case: Case) -> SlaClock | None:
    return SlaClock.objects.filter(case=case, milestone=ANSWER_MILESTONE).first()


@dataclass(frozen=True)
class FollowUpLink:
    """An intake page of another kind, opened from this inquiry (``?follows=``)."""

    label: str
    url: str
    permission: str


def inquiry_follow_up_links(case: Case) -> list[FollowUpLink]:
    """Every other kind that has an intake page, linked with ``?follows=<case>`` so that its
    page prefills from the inquiry and the new case closes it as converted. The template
    shows those whose ``permission`` the user holds."""
    if not case.is_open:
        return []
    links = []
    for spec in all_kinds():
        intake = spec.intake
        if spec.kind == KIND or intake is None or not intake.url_name:
            continue
        url = f"{reverse(intake.url_name)}?follows={case.public_id}"
        links.append(FollowUpLink(str(intake.label), url, intake.permission))
    return links


def inquiry_details(cases: list) -> dict[int, Inquiry]:
    """The inquiries of these cases by case pk, with their category (the customer page)."""
    return {
        inquiry.pk: inquiry
        for inquiry in Inquiry.objects.filter(case__in=cases).select_related("category")
    }

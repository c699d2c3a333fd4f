"""Reads of complaints."""

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from waterdesk.cases.models import Case, Channel
from waterdesk.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintPolicy,
    ComplaintRound,
    ComplaintStatus,
    Interview,
    Measure,
    ReplyChannel,
)
from waterdesk.core.memo import memo_get
from waterdesk.notify.services import mobile_address

POLICY_MEMO = "complaints:policy"


def complaint_policy() -> ComplaintPolicy:
    """The policy row (created with its defaults when an install has none)."""
    return memo_get(POLICY_MEMO, lambda: ComplaintPolicy.objects.order_by("pk").first()) or (
        ComplaintPolicy()
    )


def complaint_categories_active() -> QuerySet[ComplaintCategory]:
    return ComplaintCategory.objects.filter(is_active=True).select_related("department")


def complaint_of(case: Case) -> Complaint:
    return Complaint.objects.select_related(
        "category", "staff_concerned", "department_concerned", "linked_case", "linked_bill"
    ).get(case=case)


def complaint_current_round(complaint: Complaint) -> ComplaintRound:
    return ComplaintRound.objects.get(complaint=complaint, number=complaint.round)


def complaint_reply_email(case: Case, complaint: Complaint) -> str:
    if complaint.email:
        return complaint.email
    customer = case.customer
    return customer.email if customer is not None else ""


def complaint_reply_channel(case: Case, complaint: Complaint) -> str:
    """How a written notice reaches the complainant: back to the 12345 platform for its
    transfers, by e-mail for an e-mail complaint, else by SMS to a mobile, else a call."""
    if complaint.city_reference:
        return ReplyChannel.CITY_HOTLINE
    if (
        case.channel == Channel.EMAIL
        and settings.WATERDESK_EMAIL_ENABLED
        and complaint_reply_email(case, complaint)
    ):
        return ReplyChannel.EMAIL
    customer_mobile = mobile_address(case.customer.mobile) if case.customer is not None else None
    if customer_mobile or mobile_address(case.contact_phone):
        return ReplyChannel.SMS
    return ReplyChannel.PHONE


def complaint_rounds(complaint: Complaint) -> list[ComplaintRound]:
    """Every round with its report, interviews and who replied, oldest first."""
    return list(
        ComplaintRound.objects.filter(complaint=complaint)
        .select_related("investigation__reported_by", "replied_by", "response_by")
        .prefetch_related(
            Prefetch("interviews", queryset=Interview.objects.select_related("recorded_by"))
        )
        .order_by("number")
    )


def complaint_measures(complaint: Complaint) -> list[Measure]:
    return list(
        Measure.objects.filter(complaint=complaint)
        .select_related("owner", "done_by")
        .order_by("deadline", "pk")
    )


def complaint_details(cases: list[Case]) -> dict[int, Complaint]:
    """The complaints of ``cases`` by case pk, with their categories (the customer panel)."""
    return {
        complaint.case_id: complaint
        for complaint in Complaint.objects.filter(case__in=cases).select_related("category")
    }


def complaint_lessons_search(query: str, *, limit: int = 50) -> QuerySet[Complaint]:
    """Closed complaints whose lessons learned or investigation findings mention ``query``
    (all closed ones with lessons for an empty query), latest first."""
    complaints = Complaint.objects.filter(case__status=ComplaintStatus.CLOSED).exclude(lessons="")
    query = (query or "").strip()
    if query:
        complaints = complaints.filter(
            Q(lessons__icontains=query)
            | Q(rounds__investigation__finding__icontains=query)
            | Q(matter__icontains=query)
        )
    return (
        complaints.select_related("case", "category")
        .distinct()
        .order_by("-case__closed_at", "-case_id")[:limit]
    )

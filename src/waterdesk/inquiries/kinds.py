"""The inquiry kind (业务咨询) registered once with the case-kind registry: its workflow,
actions and their inputs, page and API pieces, timeline wording, milestone and notices."""

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CustomerPanel,
    EventView,
    IntakeSpec,
    KindSpec,
    kind_spec,
    register,
)
from waterdesk.core.api.serializers import WithdrawSerializer
from waterdesk.core.masking import mask_email
from waterdesk.inquiries import forms, serializers, services
from waterdesk.inquiries.models import AnswerChannel, InquiryStatus
from waterdesk.inquiries.selectors import (
    ANSWER_MILESTONE,
    inquiry_answer_clock,
    inquiry_details,
    inquiry_follow_up_links,
    inquiry_reply_channel,
)
from waterdesk.inquiries.workflow import INQUIRY, INTAKE_PERMISSION, KIND


def inquiry_intake(*, actor, **fields):
    """The intake of the shells (page and ``POST /api/inquiries/``): ``inquiry_register``."""
    return services.inquiry_register(actor=actor, **fields)


def page_context(case) -> dict:
    """What the case page's partial shows besides the case: the detail, the answer clock,
    how an answer would reach the customer and the intake pages it can be turned into."""
    detail = case.inquiry
    clock = inquiry_answer_clock(case)
    return {
        "detail": detail,
        "answer_clock": clock,
        "answer_overdue": clock is not None and clock.is_open and clock.due_at < timezone.now(),
        "reply_email": mask_email(detail.email) if detail.email else "",
        "reply_channel": AnswerChannel(inquiry_reply_channel(case, detail)).label
        if case.is_open
        else "",
        "follow_up_links": inquiry_follow_up_links(case),
    }


def _answer_summary(data: dict) -> str:
    channel = data.get("channel", "")
    label = AnswerChannel(channel).label if channel in AnswerChannel.values else channel
    return gettext("答复方式：%(channel)s") % {"channel": label} if label else ""


def _kind_label(kind: str) -> str:
    try:
        return str(kind_spec(kind).label)
    except ImproperlyConfigured:  # a kind no longer registered still reads as its code
        return kind


def _convert_summary(data: dict) -> str:
    if not data.get("case"):
        return ""
    return gettext("转为%(kind)s %(case)s") % {
        "kind": _kind_label(data.get("kind", "")),
        "case": data["case"],
    }


# The codes the inquiry services raise besides the platform's (required, too_long,
# invalid_phone, invalid_email, illegal_transition, …).
ERROR_CODES = (
    ("email_required", 400, "An e-mail inquiry needs the address to answer to (`email`)."),
    ("category_inactive", 400, "The inquiry category is no longer in use."),
    ("invalid_channel", 400, "The intake channel is not one of the case channels."),
    ("invalid_priority", 400, "Priority is not normal/green."),
    ("green_reason_required", 400, "A green-channel case needs a reason."),
)

INQUIRY_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("业务咨询"),
        number_prefix="ZX",
        statuses=InquiryStatus,
        initial_statuses=(InquiryStatus.AWAITING_ANSWER,),
        workflow=INQUIRY,
        actions={
            "answer": ActionSpec(
                service=services.inquiry_answer,
                form=forms.AnswerForm,
                serializer=serializers.InquiryAnswerSerializer,
            ),
            "withdraw": ActionSpec(
                service=services.inquiry_withdraw,
                form=forms.WithdrawForm,
                serializer=WithdrawSerializer,
                css="secondary",
            ),
            "convert": ActionSpec(service=services.inquiry_convert, internal=True),
        },
        detail_field="inquiry",
        detail_serializer=serializers.InquirySerializer,
        detail_template="inquiries/partials/inquiry_details.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=INTAKE_PERMISSION,
            label=_("业务咨询"),
            url_name="workbench:intake_inquiry",
            service=inquiry_intake,
            serializer=serializers.InquiryIntakeSerializer,
            api_path="inquiries/",
            api_name="inquiry",
            summary="Register an inquiry (业务咨询)",
            description=(
                "An inquiry by phone, counter, web or e-mail. With `answer` it was answered at "
                "intake: the case is answered by the caller and closed at once. Without, it "
                "goes to the category's department with an answer deadline of the category's "
                "working days; the answer reaches the customer by e-mail (e-mail inquiries) "
                "or SMS (the others) when it is given "
                "(`POST /api/cases/{public_id}/actions/answer/`)."
            ),
        ),
        events={
            "answer": EventView(summary=_answer_summary),
            "convert": EventView(summary=_convert_summary),
        },
        status_classes={
            InquiryStatus.AWAITING_ANSWER: "badge-open",
            InquiryStatus.ANSWERED: "badge-done",
            InquiryStatus.CONVERTED: "badge-done",
            InquiryStatus.WITHDRAWN: "badge-closed",
        },
        milestones={ANSWER_MILESTONE: _("答复")},
        notices=("inquiry.registered", "inquiry.answered"),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.inquiries.urls",
        customer_panel=CustomerPanel(
            template="inquiries/partials/customer_panel.html", details=inquiry_details
        ),
        on_follow_up=services.inquiry_follow_up,
    )
)

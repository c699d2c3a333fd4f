"""The praise kind (表扬) registered once with the case-kind registry: its workflow, actions
and their inputs, the desk intake page and ``POST /api/praise/``, timeline wording, the
acknowledgement milestone and the thanks. Being the complaints app's second kind, it also
names the app's own API endpoints (the 12345 link) and public pages (the web complaint
form) for the shells to include."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CustomerPanel,
    EventView,
    IntakeSpec,
    KindSpec,
    register,
)
from waterdesk.complaints import praise_forms, praise_serializers
from waterdesk.complaints.models import Praise, PraiseStatus
from waterdesk.complaints.praise_workflow import (
    ACKNOWLEDGE_MILESTONE,
    INTAKE_PERMISSION,
    KIND,
    PRAISE,
)
from waterdesk.complaints.services import praise as services
from waterdesk.core.api.serializers import WithdrawSerializer
from waterdesk.core.masking import mask_email
from waterdesk.sla.selectors import case_clocks


def praise_intake(*, actor, **fields):
    """The intake of the shells (page and ``POST /api/praise/``): ``praise_register``."""
    return services.praise_register(actor=actor, **fields)


def page_context(case) -> dict:
    detail = case.praise
    clock = next((c for c in case_clocks(case) if c.milestone == ACKNOWLEDGE_MILESTONE), None)
    return {
        "detail": detail,
        "acknowledge_clock": clock,
        "praised": services.praised_label(detail),
        "contact_email": mask_email(detail.email) if detail.email else "",
    }


def praise_details(cases) -> dict:
    """The customer panel's columns: each case's praise, in one query."""
    rows = Praise.objects.filter(case__in=cases).select_related(
        "staff_praised", "department_praised"
    )
    return {row.case_id: row for row in rows}


def _acknowledge_summary(data: dict) -> str:
    department = data.get("department", "")
    return gettext("转达：%(department)s") % {"department": department} if department else ""


# The codes of the praise services and of the app's own endpoints (the 12345 link).
ERROR_CODES = (
    ("staff_inactive", 400, "The staff member praised is no longer active."),
    (
        "duplicate_reference",
        409,
        "12345: the reference was pushed before with another body; nothing changed.",
    ),
)

PRAISE_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("表扬"),
        number_prefix="BY",
        statuses=PraiseStatus,
        initial_statuses=(PraiseStatus.REGISTERED,),
        workflow=PRAISE,
        actions={
            "acknowledge": ActionSpec(
                service=services.praise_acknowledge,
                form=praise_forms.PraiseAcknowledgeForm,
                serializer=praise_serializers.PraiseAcknowledgeSerializer,
            ),
            "withdraw": ActionSpec(
                service=services.praise_withdraw,
                form=praise_forms.PraiseWithdrawForm,
                serializer=WithdrawSerializer,
                css="secondary",
            ),
        },
        detail_field="praise",
        detail_serializer=praise_serializers.PraiseSerializer,
        detail_related=(
            "praise__staff_praised",
            "praise__department_praised",
            "praise__forwarded_to",
            "praise__acknowledged_by",
        ),
        detail_template="complaints/praise/praise_details.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=INTAKE_PERMISSION,
            label=_("表扬"),
            url_name="workbench:intake_praise",
            service=praise_intake,
            serializer=praise_serializers.PraiseIntakeSerializer,
            api_path="praise/",
            api_name="praise",
            summary="Register a praise (表扬)",
            description=(
                "A praise of a staff member, a department or a crew, from any channel. It "
                "goes to the praised department with an acknowledgement deadline (3 working "
                "days by default); acknowledging it (`POST /api/cases/{public_id}/actions/"
                "acknowledge/`) passes it on and thanks the customer by SMS (e-mail for an "
                "e-mail praise)."
            ),
        ),
        events={"acknowledge": EventView(summary=_acknowledge_summary)},
        status_classes={
            PraiseStatus.REGISTERED: "badge-open",
            PraiseStatus.ACKNOWLEDGED: "badge-done",
            PraiseStatus.WITHDRAWN: "badge-closed",
        },
        milestones={ACKNOWLEDGE_MILESTONE: _("转达致谢")},
        notices=("praise.thanked",),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.complaints.praise_urls",
        # The complaints app's own endpoints and public pages (one kind of the app names them).
        api_urls="waterdesk.complaints.api.urls",
        public_urls="waterdesk.complaints.urls_public",
        customer_panel=CustomerPanel(
            template="complaints/praise/customer_panel.html", details=praise_details
        ),
    )
)

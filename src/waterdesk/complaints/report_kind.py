"""The whistleblower report kind (举报, R-V2) registered once with the case-kind registry:
its workflow, actions and their inputs, pages (desk and public), API pieces, timeline
wording, milestones, notices, and the roles that work it. The reporter's identity panel on
the case page is a case panel shown to supervisors only."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.kinds import (
    ActionSpec,
    CasePanel,
    CustomerPanel,
    EventView,
    IntakeSpec,
    KindSpec,
    case_panel_register,
    register,
)
from waterdesk.complaints import report_forms as forms
from waterdesk.complaints import report_serializers as serializers
from waterdesk.complaints.models import ReportFinding, ReportStatus
from waterdesk.complaints.report_selectors import (
    report_evidence,
    report_identity_log,
    report_of,
)
from waterdesk.complaints.report_workflow import (
    ACKNOWLEDGE_MILESTONE,
    CONCLUDE_MILESTONE,
    HANDLE_PERMISSION,
    IDENTITY_PERMISSION,
    INTAKE_PERMISSION,
    KIND,
    REPORT,
)
from waterdesk.complaints.services import report as services
from waterdesk.core.roles import Role, role_grant


def page_context(case) -> dict:
    report = report_of(case)
    return {"report": report, "report_evidence": report_evidence(report)}


def identity_panel(case, user) -> dict | None:
    """The identity button and the log of views: supervisors only."""
    if case.kind != KIND or not services.identity_may_view(user):
        return None
    return {
        "case": case,
        "identity_form": forms.IdentityForm(),
        "identity_log": report_identity_log(case),
    }


def _finding_summary(data: dict) -> str:
    finding = data.get("finding", "")
    if finding not in ReportFinding.values:
        return ""
    return gettext("结论：%(finding)s") % {"finding": ReportFinding(finding).label}


def _feedback_summary(data: dict) -> str:
    channel = data.get("channel", "")
    labels = {
        "sms": _("短信"),
        "email": _("电子邮件"),
        "tracking_code": _("仅凭查询码查看"),
    }
    label = labels.get(channel)
    return gettext("反馈方式：%(channel)s") % {"channel": label} if label else ""


def _investigator_summary(data: dict) -> str:
    name = data.get("investigator", "")
    return gettext("调查人：%(name)s") % {"name": name} if name else ""


ERROR_CODES = (
    ("too_many_files", 400, "More evidence files than a report may carry."),
    ("identity_not_permitted", 403, "Only supervisors may open a reporter's identity; logged."),
    ("reason_required", 400, "Opening a reporter's identity needs a reason."),
    ("not_a_report", 400, "The case is not a whistleblower report."),
)

REPORT_KIND = register(
    KindSpec(
        kind=KIND,
        label=_("举报"),
        number_prefix="JB",
        statuses=ReportStatus,
        initial_statuses=(ReportStatus.RECEIVED,),
        workflow=REPORT,
        actions={
            "report_acknowledge": ActionSpec(
                service=services.report_acknowledge,
                form=forms.AcknowledgeForm,
                serializer=serializers.ReportAcknowledgeSerializer,
            ),
            "report_note": ActionSpec(
                service=services.report_note,
                form=forms.NoteForm,
                serializer=serializers.ReportNoteSerializer,
            ),
            "report_conclude": ActionSpec(
                service=services.report_conclude,
                form=forms.ConcludeForm,
                serializer=serializers.ReportConcludeSerializer,
            ),
            "report_feedback": ActionSpec(
                service=services.report_feedback,
                form=forms.NoteOptionalForm,
                serializer=serializers.ReportNoteOptionalSerializer,
            ),
            "report_close": ActionSpec(
                service=services.report_close,
                form=forms.NoteOptionalForm,
                serializer=serializers.ReportNoteOptionalSerializer,
            ),
            "report_withdraw": ActionSpec(
                service=services.report_withdraw,
                form=forms.WithdrawForm,
                serializer=serializers.ReportReasonSerializer,
                css="secondary",
            ),
            "report_invalidate": ActionSpec(
                service=services.report_invalidate,
                form=forms.InvalidateForm,
                serializer=serializers.ReportReasonSerializer,
                css="secondary",
            ),
        },
        detail_field="report",
        detail_serializer=serializers.ReportSerializer,
        detail_related=("report__subject_staff", "report__investigator"),
        detail_template="complaints/report/detail.html",
        page_context=page_context,
        intake=IntakeSpec(
            permission=INTAKE_PERMISSION,
            label=_("举报"),
            url_name="workbench:intake_report",
            starts_from="",  # about staff conduct, not about the customer whose page it is
            service=services.report_intake,
            serializer=serializers.ReportIntakeSerializer,
            api_path="reports/",
            api_name="report",
            summary="Register a whistleblower report (举报)",
            description=(
                "A report about staff conduct taken on the hotline, at the counter or from "
                "an e-mail. The reporter may stay anonymous; the reporter's name, phone and "
                "e-mail are kept apart and never appear in the case (its `contact_name` is a "
                "placeholder): only supervisors open them, through "
                "`/api/reports/{public_id}/identity/`, and every attempt is logged. The "
                "tracking code for the reporter is shown on the desk intake page only."
            ),
        ),
        events={
            "report_acknowledge": EventView(summary=_investigator_summary),
            "report_conclude": EventView(summary=_finding_summary),
            "report_feedback": EventView(summary=_feedback_summary),
        },
        status_classes={
            ReportStatus.RECEIVED: "badge-open",
            ReportStatus.INVESTIGATING: "badge-info",
            ReportStatus.CONCLUDED: "badge-info",
            ReportStatus.FEEDBACK_GIVEN: "badge-info",
            ReportStatus.CLOSED: "badge-done",
            ReportStatus.WITHDRAWN: "badge-closed",
            ReportStatus.INVALID: "badge-closed",
        },
        milestones={ACKNOWLEDGE_MILESTONE: _("受理调查"), CONCLUDE_MILESTONE: _("调查结论")},
        notices=("report.received", "report.feedback"),
        error_codes=ERROR_CODES,
        page_urls="waterdesk.complaints.urls_report",
        api_urls="waterdesk.complaints.urls_report_api",
        public_urls="waterdesk.complaints.urls_report_public",
        # A report is about staff, not about a customer: nothing on a customer's page.
        customer_panel=CustomerPanel(details=None),
    )
)

case_panel_register(
    CasePanel(
        name="report_identity",
        template="complaints/report/identity_panel.html",
        context=identity_panel,
    )
)

# The counter and the hotline take reports; complaint handlers take and investigate them;
# supervisors investigate and alone open the reporter's identity.
role_grant(Role.INTAKE_CLERK, INTAKE_PERMISSION)
role_grant(Role.HOTLINE_AGENT, INTAKE_PERMISSION)
role_grant(Role.COMPLAINT_HANDLER, INTAKE_PERMISSION, HANDLE_PERMISSION)
role_grant(Role.SUPERVISOR, HANDLE_PERMISSION, IDENTITY_PERMISSION)

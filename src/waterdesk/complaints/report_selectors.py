"""Reads of whistleblower reports."""

from dataclasses import dataclass
from datetime import datetime

from waterdesk.cases.models import Case
from waterdesk.complaints.models import (
    Report,
    ReporterIdentityView,
    ReportEvidence,
    ReportStatus,
)
from waterdesk.complaints.report_workflow import KIND
from waterdesk.complaints.services.report import tracking_code_normal, tracking_hash
from waterdesk.core.errors import NotFound

IDENTITY_LOG_SHOWN = 50


def report_of(case: Case) -> Report:
    return Report.objects.select_related("subject_staff", "investigator").get(case=case)


def report_case_get(public_id) -> Case:
    """A report's case by its public id, whoever asks (the identity endpoints log every
    attempt, so they must find the case before any scope check)."""
    case = Case.objects.filter(public_id=public_id, kind=KIND).first()
    if case is None:
        raise NotFound()
    return case


def report_evidence(report: Report) -> list[ReportEvidence]:
    return list(ReportEvidence.objects.filter(report=report))


def report_identity_log(case: Case) -> list[ReporterIdentityView]:
    return list(
        ReporterIdentityView.objects.filter(case=case).select_related("user")[:IDENTITY_LOG_SHOWN]
    )


@dataclass(frozen=True)
class PublicStatus:
    """All the reporter sees with the tracking code."""

    status: str
    received_at: datetime
    feedback: str
    feedback_at: datetime | None
    is_open: bool


def report_public_status(code) -> PublicStatus | None:
    """The status of the report with this tracking code, None for a wrong code."""
    if len(tracking_code_normal(code)) < 12:
        return None
    report = Report.objects.select_related("case").filter(tracking_hash=tracking_hash(code)).first()
    if report is None:
        return None
    given = report.feedback_at is not None
    return PublicStatus(
        status=ReportStatus(report.case.status).label,
        received_at=report.case.opened_at,
        feedback=report.feedback if given else "",
        feedback_at=report.feedback_at,
        is_open=report.case.is_open,
    )

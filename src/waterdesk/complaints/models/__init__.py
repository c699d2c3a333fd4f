from waterdesk.complaints.models.complaint import (  # noqa: F401
    MATTER_MAX_LENGTH,
    ROUNDS_LIMIT,
    TEXT_MAX_LENGTH,
    Complaint,
    ComplaintCategory,
    ComplaintPolicy,
    ComplaintRound,
    ComplaintStatus,
    EscalationLevel,
    Interview,
    Investigation,
    Measure,
    ReplyChannel,
    Response,
    RootCause,
)
from waterdesk.complaints.models.mail import ComplaintMail  # noqa: F401
from waterdesk.complaints.models.praise import (  # noqa: F401
    PRAISE_MATTER_MAX_LENGTH,
    TEAM_NAME_MAX_LENGTH,
    Praise,
    PraiseStatus,
)
from waterdesk.complaints.models.report import (  # noqa: F401
    REPORT_LINE_MAX_LENGTH,
    REPORT_TEXT_MAX_LENGTH,
    REPORTER_PLACEHOLDER,
    IdentityViewChannel,
    Report,
    ReporterIdentityView,
    ReportEvidence,
    ReportFinding,
    ReportIdentity,
    ReportStatus,
)

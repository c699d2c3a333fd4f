"""The overview's blocks from the anomaly response and the reports
(``views_sampling.overview_panel_register``; imported by ``apps.ready``): the open anomalies
with their passing streaks and incidents, and the reports waiting for a review or for
publication."""

from waterdesk.quality.models import AnomalyStatus, QualityReport, ReportStatus
from waterdesk.quality.selectors_anomalies import anomalies_list
from waterdesk.quality.views_sampling import OverviewPanel, overview_panel_register


def _anomalies(request) -> dict:
    return {"anomalies": list(anomalies_list().filter(status=AnomalyStatus.OPEN))}


def _reports(request) -> dict:
    return {
        "reports": list(
            QualityReport.objects.exclude(status=ReportStatus.PUBLISHED).order_by(
                "-period_start", "period"
            )[:6]
        )
    }


ANOMALIES = overview_panel_register(
    OverviewPanel(template="quality/partials/overview_anomalies.html", context=_anomalies)
)
REPORTS = overview_panel_register(
    OverviewPanel(template="quality/partials/overview_reports.html", context=_reports)
)

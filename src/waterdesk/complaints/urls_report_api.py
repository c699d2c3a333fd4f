"""The whistleblower report's own API endpoint, included by the api shell under /api/ in
its "api" namespace."""

from django.urls import path

from waterdesk.complaints.report_api import ReportIdentityView

urlpatterns = [
    path(
        "reports/<uuid:public_id>/identity/",
        ReportIdentityView.as_view(),
        name="report-identity",
    ),
]

"""The whistleblower report's desk pages, included by the workbench shell under /desk/ in
its "workbench" namespace: no ``app_name`` here."""

from django.urls import path

from waterdesk.complaints import views_report as views

urlpatterns = [
    path("reports/new/", views.intake_report, name="intake_report"),
    path("reports/<uuid:public_id>/identity/", views.report_identity, name="report_identity"),
    path(
        "reports/<uuid:public_id>/evidence/<uuid:evidence_id>/",
        views.report_evidence_download,
        name="report_evidence",
    ),
]

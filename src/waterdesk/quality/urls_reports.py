"""The disclosure reports' staff pages, under /desk/quality/ in the ``workbench`` namespace:
the list with the generate form, a report with its review and publish buttons, and its
PDF, CSV and Excel downloads."""

from django.urls import path

from waterdesk.quality import views_reports

urlpatterns = [
    path("reports/", views_reports.reports_page, name="quality_reports"),
    path("reports/<int:pk>/", views_reports.report_page, name="quality_report"),
    path("reports/<int:pk>/pdf/", views_reports.report_pdf, name="quality_report_pdf"),
    path("reports/<int:pk>/csv/", views_reports.report_csv, name="quality_report_csv"),
    path("reports/<int:pk>/xlsx/", views_reports.report_xlsx, name="quality_report_xlsx"),
]

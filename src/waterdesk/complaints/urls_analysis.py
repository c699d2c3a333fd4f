"""The complaint analysis for supervisors, under ``/desk/`` in the ``workbench`` namespace
(``workbench:complaint_analysis``, ``workbench:complaint_analysis_xlsx``), included from
the complaint kind's page URLs: no ``app_name`` here."""

from django.urls import path

from waterdesk.complaints import views_analysis

urlpatterns = [
    path(
        "complaints/analysis/",
        views_analysis.complaint_analysis_page,
        name="complaint_analysis",
    ),
    path(
        "complaints/analysis.xlsx",
        views_analysis.complaint_analysis_xlsx_file,
        name="complaint_analysis_xlsx",
    ),
]

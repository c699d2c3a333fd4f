"""The survey results for supervisors, included by the workbench shell under ``/desk/`` in
its ``workbench`` namespace (``workbench:survey_results``): no ``app_name`` here."""

from django.urls import path

from waterdesk.surveys import views

urlpatterns = [
    path("surveys/", views.survey_results, name="survey_results"),
    path("surveys/report.xlsx", views.survey_results_xlsx, name="survey_results_xlsx"),
]

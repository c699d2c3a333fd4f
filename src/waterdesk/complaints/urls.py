"""The complaint pages, included by the workbench shell under ``/desk/`` in its
``workbench`` namespace (``workbench:intake_complaint``): no ``app_name`` here."""

from django.urls import include, path

from waterdesk.complaints import views

urlpatterns = [
    path("complaints/new/", views.intake_complaint, name="intake_complaint"),
    path("complaints/lessons/", views.complaint_lessons, name="complaint_lessons"),
    path("", include("waterdesk.complaints.urls_analysis")),
]

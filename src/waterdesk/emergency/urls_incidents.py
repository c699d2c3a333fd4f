"""The incident pages (under /desk/, "workbench:"): the emergency board and the intake."""

from django.urls import path

from waterdesk.emergency import views_incidents as views

urlpatterns = [
    path("emergency/", views.emergency_board, name="emergency_board"),
    path("emergency/incidents/new/", views.incident_new, name="incident_new"),
]

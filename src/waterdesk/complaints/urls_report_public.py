"""The whistleblower report's public pages (no login), included by the portal shell at the
site's root in its "portal" namespace."""

from django.urls import path

from waterdesk.complaints import views_report as views

urlpatterns = [
    path("report/", views.report_public, name="report"),
    path("report/status/", views.report_status, name="report_status"),
]

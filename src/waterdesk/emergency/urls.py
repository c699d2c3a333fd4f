"""The emergency pages under /desk/ ("workbench:"), named by the incident kind's
``page_urls``: incidents, planned outages, plans and drills."""

from django.urls import include, path

urlpatterns = [
    path("", include("waterdesk.emergency.urls_incidents")),
    path("", include("waterdesk.emergency.urls_outages")),
    path("", include("waterdesk.emergency.urls_plans")),
]

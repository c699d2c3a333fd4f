"""The planned-outage desk pages, included through ``waterdesk.emergency.urls`` in the
workbench's namespace under /desk/ (``workbench:outages``, ``workbench:outage_new``)."""

from django.urls import path

from waterdesk.emergency import views_outages

urlpatterns = [
    path("outages/", views_outages.outages, name="outages"),
    path("outages/new/", views_outages.outage_new, name="outage_new"),
]

"""The water-quality staff pages, under /desk/ in the ``workbench`` namespace (the module
the quality desk module names)."""

from django.urls import include, path

urlpatterns = [
    path("quality/", include("waterdesk.quality.urls_sampling")),
    path("quality/", include("waterdesk.quality.urls_results")),
    path("quality/", include("waterdesk.quality.urls_reports")),
    path("quality/", include("waterdesk.quality.urls_anomalies")),
]

"""The anomaly pages under /desk/quality/ ("workbench:"), included from ``quality.urls``."""

from django.urls import path

from waterdesk.quality import views_anomalies as views

urlpatterns = [
    path("anomalies/", views.anomalies_page, name="quality_anomalies"),
    path("anomalies/<str:number>/", views.anomaly_page, name="quality_anomaly"),
    path("anomalies/<str:number>/adjust/", views.anomaly_adjust, name="quality_anomaly_adjust"),
    path(
        "anomalies/<str:number>/estimate/",
        views.anomaly_estimate,
        name="quality_anomaly_estimate",
    ),
    path("anomalies/<str:number>/close/", views.anomaly_close, name="quality_anomaly_close"),
]

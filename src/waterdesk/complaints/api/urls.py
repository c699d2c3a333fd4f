"""The complaints app's own API endpoints (the 12345 link), included by the api shell under
/api/ in its ``api`` namespace (named by the praise kind's ``api_urls``): no ``app_name``."""

from django.urls import path

from waterdesk.complaints.api import views

urlpatterns = [
    path(
        "city-hotline/transfers/",
        views.TransferListView.as_view(),
        name="city-hotline-transfers",
    ),
    path(
        "city-hotline/transfers/<str:reference>/",
        views.TransferDetailView.as_view(),
        name="city-hotline-transfer",
    ),
]

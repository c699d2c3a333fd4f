"""The application pages, included by the ``workbench`` shell under /desk/ in its namespace
(``workbench:intake`` …) through this app's registration (``KindSpec.page_urls``)."""

from django.urls import path

from waterdesk.applications import views

urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/transfer/", views.intake_transfer, name="intake_transfer"),
    path("intake/usage-change/", views.intake_usage_change, name="intake_usage_change"),
    path("accounts/lookup/", views.account_lookup, name="account_lookup"),
]

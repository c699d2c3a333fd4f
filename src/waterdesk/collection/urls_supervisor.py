"""The collection supervisor's pages, under ``/desk/`` in the ``workbench`` namespace
(``workbench:collection_supervisor``), included from the collection kind's page URLs: no
``app_name`` here."""

from django.urls import path

from waterdesk.collection.views import supervisor

urlpatterns = [
    path("collection/", supervisor.collection_supervisor, name="collection_supervisor"),
    path(
        "collection/reconnections/<uuid:public_id>/dispatch/",
        supervisor.collection_reconnection_dispatch,
        name="collection_reconnection_dispatch",
    ),
    path("collection/arrears/", supervisor.collection_arrears, name="collection_arrears"),
    path(
        "collection/effectiveness/",
        supervisor.collection_effectiveness,
        name="collection_effectiveness",
    ),
    path(
        "collection/report.xlsx",
        supervisor.collection_report_xlsx,
        name="collection_report_xlsx",
    ),
]

"""The collection pages, included by the workbench shell under ``/desk/`` in its
``workbench`` namespace: no ``app_name`` here."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("waterdesk.collection.urls_supervisor")),
]

"""The praise pages, included by the workbench shell under ``/desk/`` in its ``workbench``
namespace (``workbench:intake_praise``): no ``app_name`` here."""

from django.urls import path

from waterdesk.complaints import praise_views

urlpatterns = [
    path("praise/new/", praise_views.intake_praise, name="intake_praise"),
]

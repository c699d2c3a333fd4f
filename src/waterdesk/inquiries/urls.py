"""The inquiry pages, included by the workbench shell under ``/desk/`` in its ``workbench``
namespace (``workbench:intake_inquiry``): no ``app_name`` here."""

from django.urls import path

from waterdesk.inquiries import views

urlpatterns = [
    path("intake/inquiry/", views.intake_inquiry, name="intake_inquiry"),
]

"""The repair pages, included by the workbench shell under ``/desk/`` in its ``workbench``
namespace (``workbench:intake_repair``): no ``app_name`` here. The dispatcher board's
pages are ``urls_board``."""

from django.urls import include, path

from waterdesk.repairs.views import contacts, intake

urlpatterns = [
    path("repairs/new/", intake.intake_repair, name="intake_repair"),
    path("repairs/new/news/", intake.intake_repair_news, name="intake_repair_news"),
    path(
        "repairs/<uuid:public_id>/callers/<int:position>/reveal/",
        contacts.contact_phone_reveal,
        name="repair_contact_reveal",
    ),
    path("", include("waterdesk.repairs.urls_board")),
]

"""The dispatcher's board, under ``/desk/`` in the ``workbench`` namespace
(``workbench:repair_board``), included from the repair kind's page URLs: no ``app_name``
here."""

from django.urls import path

from waterdesk.repairs.views import board

urlpatterns = [
    path("repairs/board/", board.repair_board, name="repair_board"),
]

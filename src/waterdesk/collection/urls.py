"""The collection pages, included by the workbench shell under ``/desk/`` in its
``workbench`` namespace: no ``app_name`` here."""

urlpatterns: list = []

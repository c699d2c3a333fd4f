"""The collection supervisor's pages, under ``/desk/`` in the ``workbench`` namespace,
included from the collection kind's page URLs: no ``app_name`` here."""

urlpatterns: list = []

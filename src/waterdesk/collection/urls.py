"""The collection pages, included by the workbench shell under ``/desk/`` in its
``workbench`` namespace: no ``app_name`` here. The supervisor's pages are
``urls_supervisor``."""

from django.urls import include, path

from waterdesk.collection.views import tasks

urlpatterns = [
    path("collection/tasks/", tasks.collection_tasks, name="collection_tasks"),
    path("collection/tasks/<int:pk>/", tasks.collection_task, name="collection_task"),
    path(
        "collection/cases/<uuid:public_id>/plan/",
        tasks.collection_plan,
        name="collection_plan",
    ),
    path("", include("waterdesk.collection.urls_supervisor")),
]

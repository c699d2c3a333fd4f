"""The lab's results pages, under /desk/quality/ in the ``workbench`` namespace: the
worklist, a sample with its results and the actions on it, and the import of a lab's file."""

from django.urls import path

from waterdesk.quality import views_results as views

urlpatterns = [
    path("results/", views.results_page, name="quality_results"),
    path("results/import/", views.import_page, name="quality_import"),
    path("results/imports/<int:pk>/", views.import_batch_page, name="quality_import_batch"),
    path("results/<int:pk>/judge/", views.result_judge_view, name="quality_result_judge"),
    path("samples/<str:number>/", views.sample_page, name="quality_sample"),
    path(
        "samples/<str:number>/results/",
        views.sample_results_view,
        name="quality_sample_results",
    ),
    path(
        "samples/<str:number>/confirm/",
        views.sample_confirm_view,
        name="quality_sample_confirm",
    ),
    path(
        "samples/<str:number>/confirm-second/",
        views.sample_confirm_second_view,
        name="quality_sample_confirm_second",
    ),
    path(
        "samples/<str:number>/return/",
        views.sample_return_view,
        name="quality_sample_return",
    ),
]

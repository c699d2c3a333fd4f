"""The sampling and catalogue pages under /desk/quality/ ("workbench:"), included from
``quality.urls`` (no ``app_name`` here)."""

from django.urls import path

from waterdesk.quality import views_catalogue, views_sampling

urlpatterns = [
    path("", views_sampling.overview, name="quality_overview"),
    path("samples/", views_sampling.samples_page, name="quality_samples"),
    path("samples/add/", views_sampling.sample_add_view, name="quality_sample_add"),
    path(
        "samples/<str:number>/take/",
        views_sampling.sample_take_view,
        name="quality_sample_take",
    ),
    path(
        "samples/<str:number>/cancel/",
        views_sampling.sample_cancel_view,
        name="quality_sample_cancel",
    ),
    path("catalogue/", views_catalogue.catalogue_page, name="quality_catalogue"),
    path(
        "catalogue/indicators/<int:pk>/",
        views_catalogue.indicator_edit,
        name="quality_indicator_edit",
    ),
    path(
        "catalogue/editions/new/",
        views_catalogue.edition_load_page,
        name="quality_edition_load",
    ),
    path("points/", views_sampling.points_page, name="quality_points"),
    path("points/new/", views_sampling.point_new, name="quality_point_new"),
    path("points/<int:pk>/", views_sampling.point_edit, name="quality_point_edit"),
    path("plans/", views_sampling.plans_page, name="quality_plans"),
    path("plans/new/", views_sampling.plan_new, name="quality_plan_new"),
    path("plans/<int:pk>/", views_sampling.plan_edit, name="quality_plan_edit"),
]

"""The plan, drill and improvement-measure pages under /desk/ ("workbench:"), included
from ``emergency.urls`` (no ``app_name`` here)."""

from django.urls import path

from waterdesk.emergency import views_drills, views_plans

urlpatterns = [
    path("emergency/plans/", views_plans.plans_page, name="emergency_plans"),
    path("emergency/plans/new/", views_plans.plan_new, name="emergency_plan_new"),
    path("emergency/plans/<int:pk>/", views_plans.plan_page, name="emergency_plan"),
    path(
        "emergency/plans/<int:pk>/draft/",
        views_plans.plan_draft_new,
        name="emergency_plan_draft_new",
    ),
    path(
        "emergency/plans/versions/<int:pk>/",
        views_plans.version_page,
        name="emergency_plan_version",
    ),
    path(
        "emergency/plans/versions/<int:pk>/<slug:edit>/",
        views_plans.version_edit,
        name="emergency_plan_version_edit",
    ),
    path("emergency/drills/", views_drills.drills_page, name="emergency_drills"),
    path("emergency/drills/new/", views_drills.drill_new, name="emergency_drill_new"),
    path("emergency/drills/<int:pk>/", views_drills.drill_page, name="emergency_drill"),
    path(
        "emergency/drills/<int:pk>/<slug:step>/",
        views_drills.drill_step,
        name="emergency_drill_step",
    ),
    path("emergency/measures/", views_drills.measures_page, name="emergency_measures"),
    path(
        "emergency/measures/<int:pk>/done/",
        views_drills.measure_done_view,
        name="emergency_measure_done",
    ),
]

"""The metering staff pages, under /desk/ in the ``workbench`` namespace."""

from django.urls import path

from waterdesk.metering import views

urlpatterns = [
    path("metering/", views.arrangements_page, name="metering_arrangements"),
    path("metering/new/<str:kind>/", views.arrangement_new_page, name="metering_arrangement_new"),
    path("metering/allocations/", views.allocations_page, name="metering_allocations"),
    path("metering/review/", views.review_page, name="metering_review"),
    path("metering/review/<int:pk>/", views.review_action, name="metering_review_action"),
    path("metering/report/", views.report_page, name="metering_report"),
    path("metering/<uuid:public_id>/", views.arrangement_page, name="metering_arrangement"),
    path(
        "metering/<uuid:public_id>/edit/",
        views.arrangement_edit_page,
        name="metering_arrangement_edit",
    ),
    path(
        "metering/<uuid:public_id>/deactivate/",
        views.arrangement_deactivate,
        name="metering_arrangement_deactivate",
    ),
]

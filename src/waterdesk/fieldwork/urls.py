"""Field-work pages, mounted at /field/ (namespace "fieldwork"): the crew's phone pages and
the dispatcher's crews and roster."""

from django.urls import path

from waterdesk.fieldwork.views import crew, dispatch

app_name = "fieldwork"
urlpatterns = [
    path("", crew.my_orders, name="my_orders"),
    path("orders/<uuid:public_id>/", crew.order, name="order"),
    path("orders/<uuid:public_id>/steps/<slug:action>/", crew.order_step, name="order_step"),
    path("orders/<uuid:public_id>/photos/<int:photo_id>/", crew.photo, name="photo"),
    path("orders/<uuid:public_id>/sheet.pdf", crew.sheet, name="sheet"),
    path("crews/", dispatch.crews, name="crews"),
    path("roster/", dispatch.roster, name="roster"),
    path("roster/<int:shift_id>/remove/", dispatch.roster_remove, name="roster_remove"),
]

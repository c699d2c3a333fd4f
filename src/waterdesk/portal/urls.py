"""Public pages, without login (namespace "portal")."""

from django.urls import path

from waterdesk.portal import pay, views

app_name = "portal"
urlpatterns = [
    path("lookup/", views.lookup, name="lookup"),
    path("pay/<uuid:account>/", pay.pay, name="pay"),
    path("pay/sandbox/<uuid:order>/", pay.sandbox_pay, name="sandbox_pay"),
    path("pay/orders/<uuid:order>/", pay.pay_done, name="pay_done"),
]

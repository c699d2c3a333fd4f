"""The remote-read staff pages, under /desk/amr/ in the ``workbench`` namespace."""

from django.urls import path

from waterdesk.amr import views

urlpatterns = [
    path("amr/", views.meters_page, name="amr_meters"),
    path("amr/meters/<int:pk>/", views.meter_page, name="amr_meter"),
    path("amr/alarms/", views.alarms_page, name="amr_alarms"),
    path("amr/alarms/<int:pk>/assign/", views.alarm_assign, name="amr_alarm_assign"),
    path("amr/alarms/<int:pk>/resolve/", views.alarm_resolve, name="amr_alarm_resolve"),
    path("amr/valves/", views.valves_page, name="amr_valves"),
    path("amr/valves/<int:pk>/approve/", views.valve_approve, name="amr_valve_approve"),
    path("amr/valves/<int:pk>/refuse/", views.valve_refuse, name="amr_valve_refuse"),
    path("amr/imports/", views.imports_page, name="amr_imports"),
    path("amr/billing/", views.billing_page, name="amr_billing"),
    path("amr/billing/<int:pk>/make/", views.billing_make, name="amr_billing_make"),
]

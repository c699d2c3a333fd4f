"""Payments API, mounted at /api/payments/."""

from waterdesk.payments.api import devices, gateways

urlpatterns = devices.urlpatterns + gateways.urlpatterns

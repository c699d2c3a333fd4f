"""Payments API, mounted at /api/payments/."""

from waterdesk.payments.api import gateways

urlpatterns = gateways.urlpatterns

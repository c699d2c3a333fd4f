"""Payments API, mounted at /api/payments/."""

from waterdesk.payments.api import devices

urlpatterns = devices.urlpatterns

"""Billing API, mounted at /api/billing/."""

from waterdesk.billing.api import bills, reading

urlpatterns = reading.urlpatterns + bills.urlpatterns

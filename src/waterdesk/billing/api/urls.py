"""Billing API, mounted at /api/billing/."""

from waterdesk.billing.api import bills, corrections, reading

urlpatterns = reading.urlpatterns + corrections.urlpatterns + bills.urlpatterns

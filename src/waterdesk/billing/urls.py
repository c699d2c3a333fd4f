"""Staff pages of billing, mounted at /billing/ (namespace "billing")."""

from waterdesk.billing.views import bills, corrections, reading

app_name = "billing"
urlpatterns = reading.urlpatterns + corrections.urlpatterns + bills.urlpatterns

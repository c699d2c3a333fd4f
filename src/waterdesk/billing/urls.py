"""Staff pages of billing, mounted at /billing/ (namespace "billing")."""

from waterdesk.billing.views import bills, reading

app_name = "billing"
urlpatterns = reading.urlpatterns + bills.urlpatterns

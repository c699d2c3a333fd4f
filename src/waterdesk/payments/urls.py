"""Staff pages of payments, mounted at /payments/ (namespace "payments")."""

from waterdesk.payments.views import gateways

app_name = "payments"
urlpatterns = gateways.urlpatterns

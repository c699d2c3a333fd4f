"""Staff pages of payments, mounted at /payments/ (namespace "payments")."""

from waterdesk.payments.views import refunds

app_name = "payments"
urlpatterns = refunds.urlpatterns

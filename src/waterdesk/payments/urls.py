"""Staff pages of payments, mounted at /payments/ (namespace "payments")."""

from waterdesk.payments.views import bank

app_name = "payments"
urlpatterns = bank.urlpatterns

"""Staff pages of payments, mounted at /payments/ (namespace "payments")."""

from waterdesk.payments.views import bank, counter, office

app_name = "payments"
urlpatterns = counter.urlpatterns + office.urlpatterns + bank.urlpatterns

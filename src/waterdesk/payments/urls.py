"""Staff pages of payments, mounted at /payments/ (namespace "payments")."""

from waterdesk.payments.views import bank, counter, gateways, office, refunds

app_name = "payments"
urlpatterns = (
    counter.urlpatterns
    + office.urlpatterns
    + bank.urlpatterns
    + refunds.urlpatterns
    + gateways.urlpatterns
)

"""Staff pages of billing, mounted at /billing/ (namespace "billing")."""

from waterdesk.billing.views import bills, corrections, prepayment, reading, routes

app_name = "billing"
urlpatterns = (
    reading.urlpatterns
    + corrections.urlpatterns
    + routes.urlpatterns
    + bills.urlpatterns
    + prepayment.urlpatterns
)

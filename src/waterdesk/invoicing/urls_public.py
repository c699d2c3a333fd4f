"""The sandbox tax platform's invoice PDFs (no login; an opaque token), included at the
site's root in the ``portal`` namespace."""

from django.urls import path

from waterdesk.invoicing import views

urlpatterns = [
    path("e-invoices/<uuid:token>.pdf", views.sandbox_pdf, name="invoice_sandbox_pdf"),
]

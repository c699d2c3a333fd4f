"""The invoicing staff pages, under /desk/ in the ``workbench`` namespace."""

from django.urls import path

from waterdesk.invoicing import views

urlpatterns = [
    path("invoices/", views.invoices_page, name="invoices"),
    path("invoices/uninvoiced/", views.uninvoiced_page, name="invoicing_uninvoiced"),
    path("invoices/tax-items/", views.tax_items_page, name="invoicing_tax_items"),
    path("invoices/tax-items/<int:pk>/", views.tax_item_page, name="invoicing_tax_item"),
    path(
        "invoices/accounts/<uuid:public_id>/issue/",
        views.account_issue_page,
        name="invoicing_account_issue",
    ),
    path(
        "invoices/accounts/<uuid:public_id>/title/",
        views.account_title_page,
        name="invoicing_account_title",
    ),
    path("invoices/<uuid:public_id>/", views.invoice_page, name="invoice"),
    path("invoices/<uuid:public_id>/retry/", views.invoice_retry, name="invoice_retry"),
    path("invoices/<uuid:public_id>/reverse/", views.invoice_reverse, name="invoice_reverse"),
    path("finance/", views.finance_index, name="finance_index"),
    path("finance/invoices/", views.invoicing_report, name="invoicing_report"),
]

"""The permissions of each role in invoicing (granted from ``apps.ready``).

Finance keep the tax items, issue, reverse and read the reports; billing clerks issue and
reverse; cashiers issue (a customer at the counter asks for an invoice); supervisors read
the invoices and the reports."""

VIEW = ["invoicing.view_invoice", "invoicing.view_taxitem", "invoicing.view_invoicetitle"]
FINANCE = [
    *VIEW,
    "invoicing.issue_invoice",
    "invoicing.reverse_invoice",
    "invoicing.manage_tax_items",
    "invoicing.change_taxitem",
    "invoicing.view_finance_reports",
    "customers.view_customer",
    "customers.view_account",
    "billing.view_bill",
    "billing.view_ledgerentry",
]
BILLING_CLERK = [*VIEW, "invoicing.issue_invoice", "invoicing.reverse_invoice"]
CASHIER = [*VIEW, "invoicing.issue_invoice"]
SUPERVISOR = [*VIEW, "invoicing.view_finance_reports"]

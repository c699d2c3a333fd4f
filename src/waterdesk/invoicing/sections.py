"""The invoicing section under each account on the customer's page: the invoice title, the
account's latest invoices and the links to edit the title and invoice paid bills (three
queries)."""

from waterdesk.invoicing.selectors import account_invoice_title, account_latest_invoices


def account_invoice_section(account, user) -> dict | None:
    if not user.has_perm("invoicing.view_invoice"):
        return None
    return {
        "title": account_invoice_title(account),
        "invoices": account_latest_invoices(account),
        "may_issue": user.has_perm("invoicing.issue_invoice"),
    }

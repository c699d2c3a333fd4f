"""Celery entry points of invoicing; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.invoicing.services import invoices


@shared_task(name="waterdesk.invoicing.tasks.invoice_issue", ignore_result=True)
def invoice_issue(invoice_id: int) -> None:
    invoices.invoice_issue(invoice_id=invoice_id)


@shared_task(name="waterdesk.invoicing.tasks.invoices_retry_due", ignore_result=True)
def invoices_retry_due() -> int:
    """Every 5 minutes: failed invoices whose back-off is over, and lost requests."""
    return invoices.invoices_retry_due()

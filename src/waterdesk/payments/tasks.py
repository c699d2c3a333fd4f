"""Celery entry points of payments; thin wrappers over the services (safe to run twice)."""

from datetime import date
from pathlib import Path

from celery import shared_task

from waterdesk.payments.services import gateways, notices
from waterdesk.payments.services.gateways import payment_orders_close_expired, statement_import


@shared_task(name="waterdesk.payments.tasks.payment_followups", ignore_result=True)
def payment_followups(payment_id: int) -> list[str]:
    return notices.payment_followups(payment_id=payment_id)


@shared_task(name="waterdesk.payments.tasks.gateway_notifications_post", ignore_result=True)
def gateway_notifications_post() -> int:
    """Kicked after callbacks commit (coalesced) and run every minute as a sweep."""
    return gateways.gateway_notifications_post()


@shared_task(name="waterdesk.payments.tasks.payment_notices_send_due", ignore_result=True)
def payment_notices_send_due() -> list[str]:
    return notices.payment_notices_send_due()


@shared_task(name="waterdesk.payments.tasks.payments_reconcile")
def payments_reconcile(gateway: str, path: str, statement_date: str | None = None) -> dict:
    """Import and reconcile the gateway's statement file at ``path`` (a file the statement
    download job left on shared storage); the same file again changes nothing."""
    file = Path(path)
    imported = statement_import(
        actor=None,
        gateway=gateway,
        file_name=file.name,
        content=file.read_bytes(),
        statement_date=date.fromisoformat(statement_date) if statement_date else None,
    )
    statement = imported.statement
    return {
        "statement": str(statement.public_id),
        "created": imported.created,
        "lines": statement.lines,
        "matched": statement.matched,
        "missing_here": statement.missing_here,
        "missing_there": statement.missing_there,
        "amount_differs": statement.amount_differs,
    }


@shared_task(name="waterdesk.payments.tasks.payment_orders_close_expired", ignore_result=True)
def payment_orders_close_expired_task() -> int:
    return payment_orders_close_expired()

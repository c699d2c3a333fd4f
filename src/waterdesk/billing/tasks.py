"""Background work of billing: one task per bill-run chunk (safe to run twice)."""

from celery import shared_task

from waterdesk.billing.services.bill_run import bill_run_process_chunk


@shared_task(name="waterdesk.billing.tasks.bill_run_chunk", acks_late=True)
def bill_run_chunk(chunk_id: int) -> str | None:
    """Bill one chunk; a chunk already completed or being worked on is left alone. A failure
    is recorded on the chunk (and the run), not raised: the run is resumed, not retried."""
    chunk = bill_run_process_chunk(chunk_id=chunk_id)
    return chunk.status if chunk is not None else None


@shared_task(name="waterdesk.billing.tasks.late_fees_post_due")
def late_fees_post_due() -> int | None:
    """Hourly (``CELERY_BEAT_SCHEDULE``): post today's late fees once; the bills posted, or
    None when today's run had already finished."""
    from waterdesk.billing.services.late_fees import late_fees_post_due as post_due

    result = post_due()
    return result.bills_posted if result is not None else None

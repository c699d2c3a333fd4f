"""Periodic SLA work (scheduled by ``CELERY_BEAT_SCHEDULE`` or the in-process scheduler)."""

from celery import shared_task

from waterdesk.sla import services


@shared_task(name="waterdesk.sla.tasks.sla_sweep")
def sla_sweep() -> dict[str, int]:
    """Mark clocks at risk and breached and notify; safe to run twice or concurrently."""
    return services.clocks_sweep()

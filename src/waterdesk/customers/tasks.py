"""Periodic customer work (scheduled by ``CELERY_BEAT_SCHEDULE`` or the in-process scheduler)."""

from celery import shared_task

from waterdesk.customers.search.keys import key_statistics_refresh


@shared_task(name="waterdesk.customers.tasks.search_statistics_refresh")
def search_statistics_refresh() -> int:
    """Share how common each key of the search indexes is (``search.keys.KeyStatistics``)."""
    return key_statistics_refresh()

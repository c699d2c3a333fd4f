"""Celery entry points of emergencies; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.emergency.services.outages import outage_reminders_send


@shared_task(name="waterdesk.emergency.tasks.outage_reminders_send", ignore_result=True)
def outage_reminders() -> list[str]:
    """Sent every 5 minutes by beat: the reminder of every announced outage starting within
    the reminder time, once each."""
    return outage_reminders_send()

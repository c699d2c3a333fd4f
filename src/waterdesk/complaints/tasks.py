"""Celery entry points of complaints; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.complaints.services.mail import complaint_mail_poll


@shared_task(name="waterdesk.complaints.tasks.complaints_mail_poll", ignore_result=True)
def complaints_mail_poll() -> int | None:
    """Sent every 5 minutes by beat: the complaint mailbox's unseen messages read into
    complaints; None (nothing done) while no mailbox is configured."""
    return complaint_mail_poll()

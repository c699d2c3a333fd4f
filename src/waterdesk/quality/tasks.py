from celery import shared_task


@shared_task(name="waterdesk.quality.tasks.samples_schedule_due", ignore_result=True)
def samples_schedule_due() -> int:
    """Schedule the day's samples (hourly; idempotent)."""
    from waterdesk.quality.services.schedule import samples_schedule

    return samples_schedule()

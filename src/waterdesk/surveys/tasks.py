"""Celery entry points of the surveys; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.surveys.services import survey_campaign_monthly


@shared_task(name="waterdesk.surveys.tasks.surveys_monthly_campaign", ignore_result=True)
def surveys_monthly_campaign() -> int | None:
    """Sent every hour by beat: the first run of a month sends the month's periodic survey;
    the number sent, or None when this month's was sent already."""
    campaign = survey_campaign_monthly()
    return None if campaign is None else campaign.sent_count

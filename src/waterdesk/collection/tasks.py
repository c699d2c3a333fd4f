"""Celery entry points of collection; thin wrappers over the services (safe to run twice)."""

from celery import shared_task

from waterdesk.collection.classify import collection_classify_once
from waterdesk.collection.services.ladder import collection_ladder_run_once
from waterdesk.core.timeutil import local, now


@shared_task(name="waterdesk.collection.tasks.collection_classify_nightly", ignore_result=True)
def collection_classify_nightly() -> int | None:
    """Sent every hour by beat: classifies once a day (today in Asia/Shanghai); the number
    of accounts in arrears, or None when today's run was already done."""
    run = collection_classify_once(as_of=local(now()).date())
    return None if run is None else run.accounts_classified


@shared_task(name="waterdesk.collection.tasks.collection_ladder_nightly", ignore_result=True)
def collection_ladder_nightly() -> dict | None:
    """Sent every hour by beat: once today's classification is done, opens, climbs, settles
    and resumes the collection cases once a day; None when there was nothing to do."""
    return collection_ladder_run_once(today=local(now()).date())

"""Celery entry points of the remote-read meters; thin wrappers over the services (safe to
run twice)."""

from datetime import timedelta

from celery import shared_task

from waterdesk.amr.services.alarms import alarms_scan
from waterdesk.amr.services.billing_reads import billing_reads_make
from waterdesk.amr.services.valves import valve_command_send_task
from waterdesk.billing.models import ReadingCycle
from waterdesk.core.timeutil import local, now


@shared_task(name="waterdesk.amr.tasks.amr_alarms_scan", ignore_result=True)
def amr_alarms_scan() -> dict:
    """Sent every hour by beat: raises the alarms the rules find."""
    return alarms_scan()


@shared_task(name="waterdesk.amr.tasks.amr_billing_reads", ignore_result=True)
def amr_billing_reads() -> dict:
    """Sent daily by beat: the billing reads of every open cycle whose read window ended in
    the last week (idempotent: a cycle done already adds nothing; a meter whose reading
    came late is picked up on a later day of that week)."""
    today = local(now()).date()
    made = {}
    cycles = ReadingCycle.objects.filter(
        is_closed=False, read_to__lt=today, read_to__gte=today - timedelta(days=7)
    )
    for cycle in cycles:
        made[cycle.code] = billing_reads_make(actor=None, cycle=cycle).created
    return made


__all__ = ["amr_alarms_scan", "amr_billing_reads", "valve_command_send_task"]
